package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
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

// TestInitStaysLight holds what every berth process does before main: the
// runtime's own record of each package's initialisation (GODEBUG=inittrace)
// for `berth --version`. Allocation counts are deterministic where times are
// not, and heavy init work shows in them: the jsonschema/v6 meta-schemas
// berth stands in for allocated thousands of objects, go-digest's patterns
// 841. berth's own packages (and its stand-ins) build nothing at init beyond
// lazy handles; the whole process stays under its budget.
func TestInitStaysLight(t *testing.T) {
	cmd := exec.Command(berthBin, "--version")
	cmd.Env = append(os.Environ(), "GODEBUG=inittrace=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("berth --version: %v\n%s", err, stderr.String())
	}
	const (
		ownAllocs   = 64   // per berth package: a few lazy handles
		totalAllocs = 1200 // the whole process; 803 measured (Performance in README.md)
	)
	ours := []string{"github.com/berth-compose/berth/", "github.com/opencontainers/go-digest", "github.com/distribution/reference", "github.com/santhosh-tekuri/jsonschema"}
	total, lines := 0, 0
	for _, line := range strings.Split(stderr.String(), "\n") {
		// init PKG @T ms, C ms clock, B bytes, A allocs
		f := strings.Fields(line)
		if len(f) != 11 || f[0] != "init" || f[10] != "allocs" {
			continue
		}
		lines++
		allocs, err := strconv.Atoi(f[9])
		if err != nil {
			t.Fatalf("unreadable inittrace line %q", line)
		}
		total += allocs
		for _, prefix := range ours {
			if strings.HasPrefix(f[1], prefix) && allocs > ownAllocs {
				t.Errorf("init %s makes %d allocations (budget %d): build it on first use", f[1], allocs, ownAllocs)
			}
		}
	}
	if lines < 50 {
		t.Fatalf("only %d inittrace lines: the check checks nothing\n%s", lines, stderr.String())
	}
	if total > totalAllocs {
		t.Errorf("initialisation makes %d allocations in all (budget %d): a newly linked package does work at init", total, totalAllocs)
	}
}
