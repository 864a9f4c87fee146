package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/projectflags"
	"github.com/berth-compose/berth/load"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// Exit codes (DESIGN.md): 0 success, 1 findings or a failed operation,
// 2 usage errors and input that could not be loaded.
const (
	exitOK      = 0
	exitFailure = 1
	exitInput   = 2
)

type streams struct {
	in       io.Reader
	out, err io.Writer
}

// app is what every command shares: the streams, the environment berth was
// started with, and the project flags.
type app struct {
	streams
	env     []string
	project projectflags.Flags
}

// usageError marks errors in how berth was called (exit 2).
type usageError struct{ err error }

func (u usageError) Error() string { return u.err.Error() }
func (u usageError) Unwrap() error { return u.err }

// inputError marks input that could not be loaded (exit 2).
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

func run(ctx context.Context, args []string, s streams, env []string) int {
	a := &app{streams: s, env: env}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(s.in)
	root.SetOut(s.out)
	root.SetErr(s.err)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var child exitCodeError
	if errors.As(err, &child) {
		return child.code // a companion program reported its own errors
	}
	fmt.Fprintln(s.err, errorText(err))
	var ue usageError
	var ie inputError
	switch {
	case errors.As(err, &ue), errors.As(err, &ie):
		return exitInput
	case strings.HasPrefix(err.Error(), "unknown command"), strings.HasPrefix(err.Error(), "unknown flag"),
		strings.HasPrefix(err.Error(), "unknown shorthand flag"), strings.Contains(err.Error(), "flag needs an argument"),
		strings.HasPrefix(err.Error(), "invalid argument"):
		return exitInput // cobra's own usage errors
	}
	return exitFailure
}

// errorText prints positioned errors one per line and prefixes the rest.
func errorText(err error) string {
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

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Validate, lint, render and apply Docker Compose projects",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("berth {{.Version}}\n")
	a.project.Register(root.PersistentFlags())
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	root.AddCommand(a.configCommand(), a.lintCommand(), a.rulesCommand(), a.fmtCommand(), a.planCommand(), a.applyCommand(), a.downCommand(), a.psCommand(), a.graphCommand(), a.convertCommand(), a.restartCommand())
	return root
}

// loadOptions turns the global flags into load options.
func (a *app) loadOptions() load.Options {
	lo := a.project.LoadOptions(a.env)
	lo.Warn = a.printWarning
	return lo
}

// printWarning writes a load warning to stderr, one per line, like Compose.
func (a *app) printWarning(w load.Warning) {
	fmt.Fprintln(a.err, w.String())
}

// writeOutput writes content to path, or to stdout when path is empty.
func (a *app) writeOutput(path string, content []byte) error {
	if path == "" {
		_, err := a.out.Write(content)
		return err
	}
	if err := os.WriteFile(path, content, 0o666); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
