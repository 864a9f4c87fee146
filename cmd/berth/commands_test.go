package main

import (
	"strings"
	"testing"
)

// TestEveryCommandInOneProgram: every command is berth's own, in the one
// binary: listed by --help, with its own help, flag errors (exit 2),
// completion, and the project flags given before it.
func TestEveryCommandInOneProgram(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	help := runBerth(t, dir, env, "--help")
	commands := []struct{ name, use string }{
		{"config", "config [flags]"},
		{"lint", "lint [flags] [FILE...]"},
		{"rules", "rules"},
		{"fmt", "fmt"},
		{"graph", "graph"},
		{"convert", "convert --to kubernetes|helm [flags] [SERVICE...]"},
		{"plan", "plan [flags] [SERVICE...]"},
		{"apply", "apply [flags] [PLAN_FILE | SERVICE...]"},
		{"down", "down [flags]"},
		{"ps", "ps [flags] [SERVICE...]"},
		{"restart", "restart [flags] [SERVICE...]"},
		{"build", "build [flags] [SERVICE...]"},
		{"pull", "pull [flags] [SERVICE...]"},
		{"rm", "rm [flags] [SERVICE...]"},
		{"stop", "stop [flags] [SERVICE...]"},
		{"start", "start [flags] [SERVICE...]"},
		{"logs", "logs [flags] [SERVICE...]"},
		{"unlock", "unlock [flags]"},
	}
	for _, c := range commands {
		if !strings.Contains(help.stdout, "\n  "+c.name+" ") {
			t.Errorf("berth --help does not list %s:\n%s", c.name, help.stdout)
		}
		r := runBerth(t, dir, env, c.name, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:\n  berth "+c.use) || !strings.Contains(r.stdout, "--project-name") {
			t.Errorf("berth %s --help: exit %d, want help with the usage %q:\n%s%s", c.name, r.code, "berth "+c.use, r.stdout, r.stderr)
		}
		r = runBerth(t, dir, env, c.name, "--no-such-flag")
		if r.code != 2 || r.stderr != "berth: unknown flag: --no-such-flag\n" {
			t.Errorf("berth %s --no-such-flag: exit %d, stderr %q; want exit 2 and one line", c.name, r.code, r.stderr)
		}
	}
	r := runBerth(t, dir, env, "__complete", "plan", "--fo")
	if !strings.Contains(r.stdout, "--format\t") || !strings.Contains(r.stdout, "--force-recreate\t") || !strings.HasSuffix(r.stdout, "\n:4\n") {
		t.Errorf("berth __complete plan --fo: exit %d, stdout %q; want plan's flags and directive 4", r.code, r.stdout)
	}
	r = runBerth(t, dir, env, "-f", "missing.yaml", "plan")
	if r.code != 2 || !strings.Contains(r.stderr, "missing.yaml") {
		t.Errorf("berth -f missing.yaml plan: exit %d, stderr %q; want exit 2 naming missing.yaml", r.code, r.stderr)
	}
	r = runBerth(t, dir, env, "--version")
	if r.code != 0 || r.stdout != "berth dev\n" {
		t.Errorf("berth --version: exit %d, stdout %q; want \"berth dev\\n\"", r.code, r.stdout)
	}
}
