// Package lazyre compiles a regular expression on first use. A pattern held
// in a package variable is otherwise compiled when the process starts, by
// every command, whether or not it is ever matched: berth's start-up is part
// of every pre-commit run, so patterns wait until they are needed.
package lazyre

import (
	"regexp"
	"sync"
)

// New returns a function that compiles expr the first time it is called and
// returns the same *regexp.Regexp ever after. expr must be valid: like
// regexp.MustCompile, an invalid expression panics, at first use; tests
// reach every pattern.
func New(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}
