package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/berth-compose/berth/internal/cli"
)

// TestBerthLinksNoHeavyLibraries keeps what costs start-up time out of the
// berth program, which every `berth lint` and `berth config` starts: each
// of these lives in a companion program that berth runs for the commands
// that need it (measured costs in README.md, Performance).
func TestBerthLinksNoHeavyLibraries(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	banned := []struct{ prefix, home string }{
		{"k8s.io/", "cmd/berth-kube"},
		{"sigs.k8s.io/", "cmd/berth-kube"},
		{"cuelang.org/", "cmd/berth-policy"},
		{"net/http", "cmd/berth-engine"},
		{"crypto/tls", "cmd/berth-engine"},
		{"crypto/x509", "cmd/berth-engine"},
		{"github.com/docker/docker/", "cmd/berth-engine"},
		{"github.com/berth-compose/berth/apply", "cmd/berth-engine"},
	}
	deps := strings.Fields(string(out))
	for _, pkg := range deps {
		for _, b := range banned {
			if strings.HasPrefix(pkg, b.prefix) {
				t.Errorf("berth links %s; it belongs in %s", pkg, b.home)
			}
		}
	}
	// The list above must stay meaningful: berth does link compose-go.
	if !slices.Contains(deps, "github.com/compose-spec/compose-go/v2/loader") {
		t.Fatal("go list -deps does not list compose-go's loader: the check above checks nothing")
	}
}

// TestEngineCommandsForward: berth lists the Docker Engine commands as its
// own and hands each one, with the project flags berth parsed before it, to
// berth-engine, whose help, errors and exit status come back unchanged.
func TestEngineCommandsForward(t *testing.T) {
	dir := t.TempDir()
	env := []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	help := runBerth(t, dir, env, "--help")
	for _, c := range cli.EngineCommands() {
		if !strings.Contains(help.stdout, "\n  "+c.Name+" ") || !strings.Contains(help.stdout, c.Short) {
			t.Errorf("berth --help does not list %s (%q):\n%s", c.Name, c.Short, help.stdout)
		}
		r := runBerth(t, dir, env, c.Name, "--help")
		if r.code != 0 || !strings.Contains(r.stdout, "Usage:\n  berth "+c.Use) || !strings.Contains(r.stdout, "--project-name") {
			t.Errorf("berth %s --help: exit %d, want berth-engine's help with the usage %q:\n%s%s", c.Name, r.code, "berth "+c.Use, r.stdout, r.stderr)
		}
		r = runBerth(t, dir, env, c.Name, "--no-such-flag")
		if r.code != 2 || r.stderr != "berth: unknown flag: --no-such-flag\n" {
			t.Errorf("berth %s --no-such-flag: exit %d, stderr %q; want exit 2 and one line", c.Name, r.code, r.stderr)
		}
	}
	// Shell completion of a handed-on command's flags comes from berth-engine.
	r := runBerth(t, dir, env, "__complete", "plan", "--fo")
	if !strings.Contains(r.stdout, "--format\t") || !strings.Contains(r.stdout, "--force-recreate\t") || !strings.HasSuffix(r.stdout, "\n:4\n") {
		t.Errorf("berth __complete plan --fo: exit %d, stdout %q; want berth-engine's flags and directive 4", r.code, r.stdout)
	}
	// -f given before the command reaches berth-engine: the load error names the file.
	r = runBerth(t, dir, env, "-f", "missing.yaml", "plan")
	if r.code != 2 || !strings.Contains(r.stderr, "missing.yaml") {
		t.Errorf("berth -f missing.yaml plan: exit %d, stderr %q; want exit 2 naming missing.yaml", r.code, r.stderr)
	}
}
