// Package cli is what berth's commands share on the command line: the
// streams and environment a command works with, the project flags, the
// error kinds that decide the exit status, and how errors are printed. One
// place, so that every command exits and reports the same way.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berth-compose/berth/internal/projectflags"
	"github.com/berth-compose/berth/load"
)

// Exit codes (DESIGN.md): 0 success, 1 findings or a failed operation,
// 2 usage errors and input that could not be loaded.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitInput   = 2
)

// Streams are a command's standard input, output and error.
type Streams struct {
	In       io.Reader
	Out, Err io.Writer
}

// App is what every command of a program shares: the streams, the
// environment the program was started with, and the project flags.
type App struct {
	Streams
	Env     []string
	Project projectflags.Flags
}

// UsageError marks errors in how the program was called (exit 2).
type UsageError struct{ Err error }

func (u UsageError) Error() string { return u.Err.Error() }
func (u UsageError) Unwrap() error { return u.Err }

// InputError marks input that could not be loaded (exit 2).
type InputError struct{ Err error }

func (e InputError) Error() string { return e.Err.Error() }
func (e InputError) Unwrap() error { return e.Err }

// ExitCodeError passes on the exit status of a program that has already
// reported its own errors (a companion program, or a command such as
// `plan --detailed-exitcode` whose status is its answer).
type ExitCodeError struct{ Code int }

func (e ExitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.Code) }

// Execute runs root with args and returns the exit status, printing the
// error, if any, as ErrorText does.
func Execute(ctx context.Context, root *cobra.Command, args []string, s Streams) int {
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError{err} })
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	var child ExitCodeError
	if errors.As(err, &child) {
		return child.Code
	}
	fmt.Fprintln(s.Err, ErrorText(err))
	var ue UsageError
	var ie InputError
	msg := err.Error()
	switch {
	case errors.As(err, &ue), errors.As(err, &ie):
		return ExitInput
	case strings.HasPrefix(msg, "unknown command"), strings.HasPrefix(msg, "unknown flag"),
		strings.HasPrefix(msg, "unknown shorthand flag"), strings.Contains(msg, "flag needs an argument"),
		strings.HasPrefix(msg, "invalid argument"):
		return ExitInput // cobra's own usage errors
	}
	return ExitFailure
}

// ErrorText prints positioned errors one per line and prefixes the rest.
func ErrorText(err error) string {
	var list load.Errors
	if errors.As(err, &list) {
		return list.Error()
	}
	var one *load.Error
	if errors.As(err, &one) {
		return one.Error()
	}
	return "berth: " + err.Error()
}

// LoadOptions turns the project flags and the environment into load options
// that print load warnings to the error stream.
func (a *App) LoadOptions() load.Options {
	lo := a.Project.LoadOptions(a.Env)
	lo.Warn = a.PrintWarning
	return lo
}

// PrintWarning writes a load warning to stderr, one per line, like Compose.
func (a *App) PrintWarning(w load.Warning) {
	fmt.Fprintln(a.Err, w.String())
}

// WriteOutput writes content to path, or to stdout when path is empty.
func (a *App) WriteOutput(path string, content []byte) error {
	if path == "" {
		_, err := a.Out.Write(content)
		return err
	}
	if err := os.WriteFile(path, content, 0o666); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// Getenv reads the program's environment (a.Env), not the process's, so
// that tests and callers decide what a command sees.
func (a *App) Getenv(name string) string {
	for i := len(a.Env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(a.Env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

// IsTerminal reports whether w is a terminal (colour and live progress are
// for people).
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// CommandAt returns where in args the command they name is: the first
// argument that is neither a flag of flags (the root's) nor the value of
// one. It returns -1 when there is none before "--".
func CommandAt(flags *pflag.FlagSet, args []string) int {
	for i := 0; i < len(args); i++ {
		switch arg := args[i]; {
		case arg == "--":
			return -1
		case TakesValue(flags, arg):
			i++ // --flag value, -f value
		case strings.HasPrefix(arg, "-"):
			// --flag=value, -fvalue, a bool flag, or a flag of no command
		default:
			return i
		}
	}
	return -1
}

// TakesValue reports whether arg is one of flags written without its value,
// which is then the next argument.
func TakesValue(flags *pflag.FlagSet, arg string) bool {
	var f *pflag.Flag
	switch {
	case strings.HasPrefix(arg, "--"):
		f = flags.Lookup(arg[2:])
	case len(arg) == 2 && arg[0] == '-':
		f = flags.ShorthandLookup(arg[1:])
	}
	return f != nil && f.NoOptDefVal == ""
}
