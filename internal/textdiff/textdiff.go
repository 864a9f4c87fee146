// Package textdiff prints the change between two versions of a file as a
// unified diff, for `berth lint --diff` and `berth fmt --diff`.
package textdiff

import (
	"fmt"

	udiff "github.com/aymanbagabas/go-udiff"
)

// Context is the number of unchanged lines around each change, as in
// diff -u and git diff.
const Context = 3

// Unified renders the change from old to new of the file name as a unified
// diff that patch -p0 and git apply take: "--- name" and "+++ name"
// headers, hunks with Context lines of context, and a "\ No newline at end
// of file" marker where a side ends without one. Equal contents give an
// empty diff.
func Unified(name string, old, new []byte) ([]byte, error) {
	edits := udiff.Lines(string(old), string(new))
	out, err := udiff.ToUnified(name, name, string(old), edits, Context)
	if err != nil {
		return nil, fmt.Errorf("diffing %s: %w", name, err)
	}
	return []byte(out), nil
}
