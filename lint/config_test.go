package lint

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "policies"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "policies", "images.cue"), []byte("services: _\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, ".berth.yaml")
	src := `rules:
  BR301: off
  latest-tag: error
  br406: on
  BR091: info
fail-on: warning
policies:
  - policies/images.cue
`
	fc, err := ParseConfig(path, []byte(src), testRules)
	if err != nil {
		t.Fatal(err)
	}
	if fc.FailOn != Warning {
		t.Errorf("fail-on %v", fc.FailOn)
	}
	if fc.Config.Runs(testPrivileged) || !fc.Config.Runs(testOff) || !fc.Config.Runs(testLatest) {
		t.Errorf("switches %v", fc.Config.Enabled)
	}
	if fc.Config.SeverityOf(testLatest) != Error || fc.Config.SeverityOf(testUnused) != Info || fc.Config.SeverityOf(testOff) != Info {
		t.Errorf("severities %v", fc.Config.Severity)
	}
	if want := filepath.Join(dir, "policies", "images.cue"); len(fc.Policies) != 1 || fc.Policies[0] != want {
		t.Errorf("policies %v, want %s", fc.Policies, want)
	}
}

func TestParseConfigErrors(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"rulez: {}\n", `c.yaml:1:1: unknown key "rulez": the configuration has rules:, fail-on:, policies: and target:`},
		{"rules:\n  BR999: off\n", "c.yaml:2:3: unknown rule \"BR999\": `berth rules` lists the codes and names"},
		{"rules:\n  BR301: loud\n", `c.yaml:2:10: BR301: unknown setting "loud": use off, on, error, warning or info`},
		{"rules:\n  BR301: off\n  privileged: on\n", "c.yaml:3:3: rule BR301 privileged is configured twice"},
		{"rules: [BR301]\n", "c.yaml:1:8: rules: must map rule codes or names to off, on, error, warning or info"},
		{"fail-on: critical\n", "c.yaml:1:10: fail-on: use error, warning or info"},
		{"policies: x.cue\n", "c.yaml:1:11: policies: must be a list of CUE files"},
		{"policies: [missing.cue]\n", "c.yaml:1:12: policy file missing.cue not found"},
		{"target: kubernetes\n", "c.yaml:1:9: target: use containers (one engine, the default) or swarm (a Swarm stack, as --swarm)"},
		{"rules: {\n", "c.yaml:"},
		{"- a\n", "c.yaml:1:1: the configuration must be a mapping with rules:, fail-on:, policies: and target:"},
		{"fail-on: error\nfail-on: info\n", `c.yaml:2:1: duplicate key "fail-on"`},
		{"rulez: 1\nfail-on: x\n", "c.yaml:1:1: unknown key \"rulez\": the configuration has rules:, fail-on:, policies: and target:\nc.yaml:2:10: fail-on: use error, warning or info"},
	} {
		_, err := ParseConfig("c.yaml", []byte(tt.src), testRules)
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("%q: got %v\nwant %s", tt.src, err, tt.want)
		}
	}
	for src, target := range map[string]string{"target: swarm\n": "swarm", "target: containers\n": "containers", "rules: {}\n": ""} {
		fc, err := ParseConfig("c.yaml", []byte(src), testRules)
		if err != nil {
			t.Errorf("%q: %v", src, err)
		} else if fc.Target != target {
			t.Errorf("%q: target %q, want %q", src, fc.Target, target)
		}
	}
	for _, src := range []string{"", "# only a comment\n", "rules:\npolicies:\n"} {
		if _, err := ParseConfig("c.yaml", []byte(src), testRules); err != nil {
			t.Errorf("%q: %v", src, err)
		}
	}
}

func TestFindConfig(t *testing.T) {
	root := t.TempDir()
	repo := filepath.Join(root, "repo")
	deep := filepath.Join(repo, "a", "b")
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(p string) {
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Above the repository: never used for files inside it.
	write(filepath.Join(root, ".berth.yaml"))
	if err := os.Mkdir(filepath.Join(repo, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindConfig(deep); err != nil || got != "" {
		t.Errorf("no config in the repository: got %q, %v", got, err)
	}
	write(filepath.Join(repo, ".berth.yml"))
	if got, err := FindConfig(deep); err != nil || got != filepath.Join(repo, ".berth.yml") {
		t.Errorf("repository root: got %q, %v", got, err)
	}
	write(filepath.Join(repo, "a", ".berth.yaml"))
	if got, err := FindConfig(deep); err != nil || got != filepath.Join(repo, "a", ".berth.yaml") {
		t.Errorf("nearest: got %q, %v", got, err)
	}
	write(filepath.Join(repo, "a", ".berth.yml"))
	if _, err := FindConfig(deep); err == nil || !strings.Contains(err.Error(), "keep one") {
		t.Errorf("both names: got %v", err)
	}
	// Outside a repository the search goes up to the filesystem root.
	outside := filepath.Join(root, "plain", "x")
	if err := os.MkdirAll(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if got, err := FindConfig(outside); err != nil || got != filepath.Join(root, ".berth.yaml") {
		t.Errorf("outside a repository: got %q, %v", got, err)
	}
}
