package main

import (
	"context"
	"io"
	"testing"

	"github.com/berth-compose/berth/internal/cli"
)

// BenchmarkVersion is the work main does for `berth --version` after the
// runtime and package initialisation: building the command tree and
// dispatching.
func BenchmarkVersion(b *testing.B) {
	for b.Loop() {
		if code := run(context.Background(), []string{"--version"}, cli.Streams{Out: io.Discard, Err: io.Discard}, nil); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}

// TestCommandName: berth builds only the command its arguments name, so the
// name must be found past the root's flags and their values, and must be
// "" (build everything) wherever cobra needs the whole tree.
func TestCommandName(t *testing.T) {
	a := &app{}
	root := a.rootCommand(nil)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, ""},
		{[]string{"--version"}, ""},
		{[]string{"lint", "a.yaml"}, "lint"},
		{[]string{"-f", "lint", "config"}, "config"},
		{[]string{"--file", "x.yaml", "-p", "demo", "plan"}, "plan"},
		{[]string{"--file=x.yaml", "-pdemo", "ps"}, "ps"},
		{[]string{"--project-directory", "d", "--env-file", "e", "--profile", "p", "apply"}, "apply"},
		{[]string{"-h", "fmt"}, "fmt"},
		{[]string{"help", "lint"}, ""},
		{[]string{"completion", "bash"}, ""},
		{[]string{"__complete", "li"}, ""},
		{[]string{"--", "lint"}, ""},
		{[]string{"confg"}, "confg"},
	} {
		if got := commandName(root.PersistentFlags(), tc.args); got != tc.want {
			t.Errorf("commandName(%q) = %q, want %q", tc.args, got, tc.want)
		}
	}
}

// TestEveryCommandBuildsAlone: each command, built on its own as berth does
// when the arguments name it, is the one the full tree has.
func TestEveryCommandBuildsAlone(t *testing.T) {
	a := &app{}
	full := a.rootCommand(nil)
	for _, c := range a.commands() {
		root := a.rootCommand([]string{c.name})
		subs := root.Commands()
		if len(subs) != 1 || subs[0].Name() != c.name {
			t.Errorf("arguments %q built %d commands, want only %s", c.name, len(subs), c.name)
			continue
		}
		if found, _, err := full.Find([]string{c.name}); err != nil || found.Name() != c.name {
			t.Errorf("the full tree lacks %s: %v", c.name, err)
		}
	}
}
