package rules

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/linttest"
)

var (
	codeRE = regexp.MustCompile(`^BR\d{3}$`)
	nameRE = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
)

// TestRegistry holds every rule to the metadata contract: docs, `berth
// rules` and SARIF are generated from these fields, so none may be empty,
// and the Bad and Good examples must really fire and stay silent.
func TestRegistry(t *testing.T) {
	codes, names := map[string]bool{}, map[string]bool{}
	for _, r := range All() {
		t.Run(r.Code, func(t *testing.T) {
			if !codeRE.MatchString(r.Code) || codes[r.Code] {
				t.Errorf("code %q malformed or duplicate", r.Code)
			}
			if !nameRE.MatchString(r.Name) || names[r.Name] {
				t.Errorf("name %q malformed or duplicate", r.Name)
			}
			codes[r.Code], names[r.Name] = true, true
			for field, v := range map[string]string{"Title": r.Title, "Text": r.Text, "Bad": r.Bad, "Good": r.Good, "Since": r.Since} {
				if v == "" {
					t.Errorf("%s is empty", field)
				}
			}
			if r.Severity < lint.Info || r.Severity > lint.Error {
				t.Errorf("severity %v not set", r.Severity)
			}
			if r.Family() == "unknown" {
				t.Errorf("code %s has no family", r.Code)
			}
			dir := t.TempDir()
			bad := filepath.Join(dir, "bad", "compose.yaml")
			good := filepath.Join(dir, "good", "compose.yaml")
			for path, src := range map[string]string{bad: r.Bad, good: r.Good} {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if r.Run != nil || r.Family() == "schema" {
				if len(linttest.Lint(t, r, bad)) == 0 {
					t.Errorf("the Bad example does not trigger %s", r.Code)
				}
				if d := linttest.Lint(t, r, good); len(d) > 0 {
					t.Errorf("the Good example triggers %s: %s", r.Code, d[0].Message)
				}
			}
		})
	}
}

// TestRules runs every rule on its fixtures in testdata/<CODE>/: a file
// where it fires at the asserted line:col and a clean file where it does not.
func TestRules(t *testing.T) {
	for _, r := range All() {
		if r.Family() == "meta" && r.Run == nil {
			continue // emitted by the engine (suppressions, load, policy): tested there
		}
		t.Run(r.Code+"-"+r.Name, func(t *testing.T) {
			dir := filepath.Join("testdata", r.Code)
			if _, err := os.Stat(filepath.Join(dir, "bad.yaml")); err != nil {
				t.Fatalf("no fixtures: %v", err)
			}
			linttest.Run(t, r, dir)
		})
	}
}
