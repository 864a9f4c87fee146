package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	composecli "github.com/compose-spec/compose-go/v2/cli"
	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/atomicfile"
	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/internal/textdiff"
	"github.com/berth-compose/berth/lint/canon"
	"github.com/berth-compose/berth/load"
)

const fmtHelp = `Rewrite compose files in berth's canonical key order, in place.

The top-level keys become: version, name, include, x-*, services, networks,
volumes, secrets, configs, models. The keys of every service follow the
groups of lint rule BR401 (image and build first, then dependencies, data,
environment, networking, runtime, metadata, security, resources, x-*).
Services keep their order. "berth rules BR401" and "berth rules BR402" show
the details.

Only whole lines move: comments go with the key they sit above (or beside),
and anchors, aliases, merge keys, quoting and flow or block style are kept
byte for byte, so "berth config" prints the same before and after.

With no FILE, berth formats the project's compose files, found like "berth
config" finds them (-f, COMPOSE_FILE, compose.yaml and its override upward).
A FILE of "-" reads standard input and writes the result to standard output.

  --check  write nothing; list the files that are not formatted and exit 1
           if there are any (for CI and pre-commit)
  --diff   write nothing; print a unified diff of the changes (with --check:
           the diffs instead of the names, and exit 1 if there are any)

Exit status: 0 when every file is (now) formatted, 1 when --check found a file
to format, 2 when a file cannot be read or parsed (file:line:col: message).`

type fmtOptions struct {
	check bool
	diff  bool
}

func (a *app) fmtCommand() *cobra.Command {
	var o fmtOptions
	cmd := &cobra.Command{
		Use:   "fmt [flags] [FILE...]",
		Short: "Rewrite compose files in canonical key order",
		Long:  fmtHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runFmt(o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.check, "check", false, "Write nothing; exit 1 if a file is not formatted, listing it")
	f.BoolVar(&o.diff, "diff", false, "Write nothing; print a unified diff of the changes")
	return cmd
}

// errUnformatted is the --check failure (exit 1): the files are listed on
// stdout already.
var errUnformatted = errors.New("some files are not formatted (run berth fmt)")

func (a *app) runFmt(o fmtOptions, args []string) error {
	files := args
	if len(files) == 0 {
		var err error
		if files, err = a.projectFiles(); err != nil {
			return cli.InputError{Err: err}
		}
	}
	var problems load.Errors
	unformatted := false
	for _, path := range files {
		name := fmtDisplayName(path)
		src, err := a.readFmtInput(path)
		if err != nil {
			problems = append(problems, &load.Error{Pos: load.Position{File: name}, Msg: "cannot read file", Err: err})
			continue
		}
		out, err := canon.Format(name, src)
		if err != nil {
			var le *load.Error
			if errors.As(err, &le) {
				problems = append(problems, le)
			} else {
				problems = append(problems, &load.Error{Pos: load.Position{File: name}, Msg: err.Error(), Err: err})
			}
			continue
		}
		changed := !bytes.Equal(out, src)
		switch {
		case o.diff || o.check:
			if !changed {
				continue
			}
			unformatted = true
			if o.diff {
				d, err := textdiff.Unified(name, src, out)
				if err != nil {
					return err
				}
				if _, err := a.Out.Write(d); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(a.Out, name)
			}
		case path == "-":
			if _, err := a.Out.Write(out); err != nil {
				return err
			}
		case changed:
			if err := atomicfile.Write(path, out); err != nil {
				problems = append(problems, &load.Error{Pos: load.Position{File: name}, Msg: "cannot write file", Err: err})
			}
		}
	}
	if len(problems) > 0 {
		return cli.InputError{Err: problems}
	}
	if unformatted && o.check {
		return errUnformatted
	}
	return nil
}

func (a *app) readFmtInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(a.In)
	}
	info, err := os.Stat(path)
	if err == nil && info.IsDir() {
		return nil, fmt.Errorf("%s is a directory, not a compose file", path)
	}
	return os.ReadFile(path)
}

// projectFiles finds the compose files the way `berth config` does: -f,
// COMPOSE_FILE (also from .env), or compose.yaml and its override found
// upward from the project directory.
func (a *app) projectFiles() ([]string, error) {
	po, err := composecli.NewProjectOptions(a.Project.Files,
		composecli.WithWorkingDirectory(a.Project.Dir),
		composecli.WithEnv(a.Env),
		composecli.WithEnvFiles(a.Project.EnvFiles...),
		composecli.WithDotEnv,
		composecli.WithConfigFileEnv,
		composecli.WithDefaultConfigPath,
	)
	if err != nil {
		return nil, fmt.Errorf("invalid options: %w", err)
	}
	if len(po.ConfigPaths) == 0 {
		wd, _ := po.GetWorkingDir()
		return nil, fmt.Errorf("no configuration file provided: not found in %s or any parent directory (looked for %s)",
			wd, strings.Join(composecli.DefaultFileNames, ", "))
	}
	return po.ConfigPaths, nil
}

// fmtDisplayName is path relative to the working directory when it lies
// below it, as errors and diffs show it.
func fmtDisplayName(path string) string {
	if path == "-" {
		return "<stdin>"
	}
	if !filepath.IsAbs(path) {
		return path
	}
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	if rel, err := filepath.Rel(wd, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
