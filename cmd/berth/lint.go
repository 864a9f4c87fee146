package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/report"
	"github.com/berth-compose/berth/lint/rules"
	"github.com/berth-compose/berth/lint/runner"
)

const lintHelp = `Lint compose files: schema, consistency, reliability, security and style
rules, the team's CUE policies, and suppression comments.

With FILE arguments (the way pre-commit calls it), each file is linted as its
own project: its directory is the project directory and its .env is read, as
docker compose -f FILE would. With -f (repeatable) the files are merged into
one project. With neither, the project is found the way docker compose finds
it (compose.yaml in the current directory or a parent).

A file that does not parse or load is reported like any finding (BR001
yaml-syntax, BR008 empty-file, BR901 load-error), so pre-commit output stays
uniform.

Configuration comes from .berth.yaml (or .berth.yml) in the file's directory
or a parent, up to the root of the git repository:

  rules:
    BR301: off            # off, on, error, warning or info; by code or name
    latest-tag: error
  fail-on: warning        # error (default), warning or info
  policies: [policies/images.cue]

Command-line flags win over the file. Suppress one finding with a comment:

  privileged: true # berth:disable-line BR301 -- the CI runner builds images
  # berth:disable-next-line BR301,BR302 -- reason
  # berth:disable-file BR402 -- reason

Exit status: 0 when no finding is at or above --fail-on, 1 when one is (with
--diff: when a fix would change a file), 2 for a usage error, an unreadable
file, configuration or policy.`

type lintOptions struct {
	format   string
	output   string
	failOn   string
	config   string
	enable   []string
	disable  []string
	policies []string
	fix      bool
	diff     bool
	noColor  bool
}

func (a *app) lintCommand() *cobra.Command {
	var o lintOptions
	cmd := &cobra.Command{
		Use:   "lint [flags] [FILE...]",
		Short: "Lint compose files",
		Long:  lintHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runLint(cmd.Context(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "Output format: text, json, sarif, github or junit")
	f.StringVarP(&o.output, "output", "o", "", "Write the report to this file instead of stdout")
	f.StringVar(&o.failOn, "fail-on", "", "Exit 1 for findings at or above this severity: error, warning or info (default: fail-on in .berth.yaml, else error)")
	f.StringVar(&o.config, "config", "", "Configuration file (default: .berth.yaml found upward from each file, up to the repository root)")
	f.StringArrayVar(&o.enable, "enable", nil, "Enable a rule by code or name, also one that is off by default (repeatable)")
	f.StringArrayVar(&o.disable, "disable", nil, "Disable a rule by code or name (repeatable)")
	f.StringArrayVar(&o.policies, "policy", nil, "CUE policy file to check every compose file against (repeatable; adds to policies in .berth.yaml)")
	f.BoolVar(&o.fix, "fix", false, "Apply the fixes of fixable findings to the files, then report what remains")
	f.BoolVar(&o.diff, "diff", false, "With --fix: print the fixes as a unified diff instead of writing them")
	f.BoolVar(&o.noColor, "no-color", false, "Never colour the text output (also: NO_COLOR)")
	return cmd
}

// runLint hands the flags to a lint runner and writes what it found: the
// report (or, with --diff, the fixes), then the exit status.
func (a *app) runLint(ctx context.Context, o lintOptions, args []string) error {
	format, err := report.ParseFormat(o.format)
	if err != nil {
		return cli.UsageError{Err: err}
	}
	r := runner.Runner{
		Load: a.LoadOptions(), Config: o.config,
		Enable: o.enable, Disable: o.disable, Policies: o.policies,
	}
	if o.failOn != "" {
		if r.FailOn, err = lint.ParseSeverity(o.failOn); err != nil {
			return cli.UsageError{Err: fmt.Errorf("--fail-on: %w", err)}
		}
	}
	switch {
	case o.diff:
		r.Fix = runner.FixDiff
	case o.fix:
		r.Fix = runner.FixFiles
	}
	files := args
	switch {
	case len(args) > 0 && len(r.Load.Files) > 0:
		return cli.UsageError{Err: errors.New("give the compose files either as arguments (each linted on its own) or with -f (merged into one project), not both")}
	case len(args) == 0:
		files, r.Merge = r.Load.Files, true
	}

	res, err := r.Run(ctx, files)
	var unknown *runner.UnknownRuleError
	switch {
	case errors.As(err, &unknown):
		return cli.UsageError{Err: err}
	case err != nil:
		return cli.InputError{Err: err}
	}
	for _, w := range res.Warnings {
		a.PrintWarning(w)
	}
	if err := a.writeLint(res, format, o); err != nil {
		return err
	}
	if err := res.Err(); err != nil {
		return cli.InputError{Err: err}
	}
	if o.diff {
		if n := len(res.Fixed); n > 0 {
			return fmt.Errorf("fixes would change %d %s", n, plural(n, "file", "files"))
		}
		return nil
	}
	if res.Failing > 0 {
		return fmt.Errorf("%d %s at or above the fail-on severity", res.Failing, plural(res.Failing, "finding", "findings"))
	}
	return nil
}

// writeLint writes the report in format, or with --diff the fixes, to
// stdout or to -o.
func (a *app) writeLint(res *runner.Result, format report.Format, o lintOptions) error {
	if o.diff {
		return a.WriteOutput(o.output, res.Diff)
	}
	ro := report.Options{Rules: rules.All(), Files: res.Files, Sources: res.Sources, ToolVersion: version}
	if o.output != "" {
		var buf bytes.Buffer
		if err := report.Write(&buf, format, res.Diagnostics, ro); err != nil {
			return err
		}
		return a.WriteOutput(o.output, buf.Bytes())
	}
	ro.Color = !o.noColor && report.UseColor(a.Getenv, cli.IsTerminal(a.Out))
	return report.Write(a.Out, format, res.Diagnostics, ro)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
