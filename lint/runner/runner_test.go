package runner

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/rules"
	"github.com/berth-compose/berth/load"
)

const (
	cleanCompose = "services:\n  web:\n    image: nginx:1.27\n"
	// BR093 unset-variable (warning) at 3:12.
	warnCompose = "services:\n  web:\n    image: nginx:${TAG}\n"
	// BR001 yaml-syntax (error) at 4:4.
	brokenCompose = "services:\n  web:\n    image: nginx:1.27\n   restart: always\n"
)

// writeProject writes files (name -> content) under a new directory with a .git
// entry, so that configuration lookup stops there, and returns it.
func writeProject(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// findings lists "base-of-dir/file:line:col CODE" of the unsuppressed
// diagnostics, in order.
func findings(res *Result) []string {
	var out []string
	for _, d := range res.Diagnostics {
		if d.Suppressed {
			continue
		}
		rel := filepath.Join(filepath.Base(filepath.Dir(d.Pos.File)), filepath.Base(d.Pos.File))
		out = append(out, rel+":"+strconv.Itoa(d.Pos.Line)+":"+strconv.Itoa(d.Pos.Column)+" "+d.Rule.Code)
	}
	return out
}

func run(t *testing.T, r Runner, files ...string) *Result {
	t.Helper()
	res, err := r.Run(context.Background(), files)
	if err != nil {
		t.Fatalf("Run(%v): %v", files, err)
	}
	return res
}

func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

// TestEachFileItsOwnProject: without Merge every file is a project of its
// own, with its directory's .env, reported in the order given.
func TestEachFileItsOwnProject(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"b/compose.yaml": warnCompose,
		"a/compose.yaml": warnCompose,
		"c/compose.yaml": warnCompose,
		"c/.env":         "TAG=1.27\n",
	})
	res := run(t, Runner{}, filepath.Join(dir, "b/compose.yaml"), filepath.Join(dir, "a/compose.yaml"), filepath.Join(dir, "c/compose.yaml"))
	same(t, "findings", findings(res), []string{"b/compose.yaml:3:12 BR093", "a/compose.yaml:3:12 BR093"})
	if len(res.Files) != 3 || res.Failing != 0 || len(res.Errors) != 0 {
		t.Errorf("files %v, failing %d, errors %v", res.Files, res.Failing, res.Errors)
	}
}

// TestMerged: with Merge the files are one project, as docker compose -f
// merges them.
func TestMerged(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"p/compose.yaml":          warnCompose,
		"p/compose.override.yaml": "services:\n  web:\n    environment:\n      MODE: ${MODE}\n",
	})
	res := run(t, Runner{Merge: true}, filepath.Join(dir, "p/compose.yaml"), filepath.Join(dir, "p/compose.override.yaml"))
	same(t, "findings", findings(res), []string{"p/compose.override.yaml:4:13 BR093", "p/compose.yaml:3:12 BR093"})
}

// TestFailOn: a finding counts as failing from the severity the options,
// else the configuration file, else error, say.
func TestFailOn(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"plain/compose.yaml": warnCompose,
		"conf/compose.yaml":  warnCompose,
		"conf/.berth.yaml":   "fail-on: warning\n",
	})
	plain, conf := filepath.Join(dir, "plain/compose.yaml"), filepath.Join(dir, "conf/compose.yaml")
	for _, tt := range []struct {
		r    Runner
		file string
		want int
	}{
		{Runner{}, plain, 0},
		{Runner{FailOn: lint.Warning}, plain, 1},
		{Runner{}, conf, 1},
		{Runner{FailOn: lint.Error}, conf, 0},
	} {
		if got := run(t, tt.r, tt.file).Failing; got != tt.want {
			t.Errorf("FailOn %v on %s: failing %d, want %d", tt.r.FailOn, filepath.Base(filepath.Dir(tt.file)), got, tt.want)
		}
	}
}

// TestOptionErrors: a wrong option or configuration stops the run before
// any file is linted, with an error a caller tells apart by type.
func TestOptionErrors(t *testing.T) {
	dir := writeProject(t, map[string]string{"compose.yaml": cleanCompose, "bad/.berth.yaml": "rules:\n  BR999: off\n", "bad/compose.yaml": cleanCompose})
	_, err := Runner{Disable: []string{"BR093,nope"}}.Run(context.Background(), []string{filepath.Join(dir, "compose.yaml")})
	var unknown *UnknownRuleError
	if !errors.As(err, &unknown) || unknown.Option != "disable" || unknown.Name != "nope" {
		t.Errorf("unknown rule: %v (%T)", err, err)
	}
	_, err = Runner{}.Run(context.Background(), []string{filepath.Join(dir, "bad/compose.yaml")})
	var list load.Errors
	if !errors.As(err, &list) || len(list) != 1 || list[0].Pos.Line != 2 || errors.As(err, &unknown) {
		t.Errorf("bad configuration: %v (%T)", err, err)
	}
}

// TestInputErrors: a file that does not exist is an input error, next to
// the findings of the files that do; a file that does not parse is a
// finding.
func TestInputErrors(t *testing.T) {
	dir := writeProject(t, map[string]string{"ok/compose.yaml": warnCompose, "broken/compose.yaml": brokenCompose})
	res := run(t, Runner{}, filepath.Join(dir, "ok/compose.yaml"), filepath.Join(dir, "missing/compose.yaml"), filepath.Join(dir, "broken/compose.yaml"))
	same(t, "findings", findings(res), []string{"ok/compose.yaml:3:12 BR093", "broken/compose.yaml:4:4 BR001"})
	if len(res.Errors) != 1 || !strings.Contains(res.Err().Error(), "missing") || res.Failing != 1 {
		t.Errorf("errors %v, failing %d", res.Errors, res.Failing)
	}
	// BR001 off: the parse failure still shows, as BR901.
	res = run(t, Runner{Disable: []string{"yaml-syntax"}}, filepath.Join(dir, "broken/compose.yaml"))
	same(t, "findings without BR001", findings(res), []string{"broken/compose.yaml:4:4 BR901"})
}

// TestWarningsCoveredByFindings: the load warnings lint reports as findings
// (an unset variable, the obsolete version key) are not repeated.
func TestWarningsCoveredByFindings(t *testing.T) {
	dir := writeProject(t, map[string]string{"compose.yaml": "version: \"3.8\"\n" + warnCompose})
	res := run(t, Runner{}, filepath.Join(dir, "compose.yaml"))
	if len(res.Warnings) != 0 {
		t.Errorf("warnings %v, want none", res.Warnings)
	}
	if got := findings(res); !slices.Contains(got, filepath.Base(dir)+"/compose.yaml:4:12 BR093") {
		t.Errorf("findings %v lack BR093", got)
	}
}

// TestPolicies: CUE policies run in-process, from the options and from the
// configuration file; a policy that does not compile stops the run.
func TestPolicies(t *testing.T) {
	policies, err := filepath.Abs(filepath.Join("..", "..", "testdata", "lint", "policies"))
	if err != nil {
		t.Fatal(err)
	}
	dir := writeProject(t, map[string]string{
		"p/compose.yaml": "services:\n  web:\n    image: nginx:1.27\n",
		"p/.berth.yaml":  "policies: [" + filepath.Join(policies, "limits.cue") + "]\n",
	})
	file := filepath.Join(dir, "p/compose.yaml")
	res := run(t, Runner{Policies: []string{filepath.Join(policies, "registry.cue")}}, file)
	same(t, "findings", findings(res), []string{"p/compose.yaml:2:3 BR900", "p/compose.yaml:3:12 BR900"})
	found := false
	for _, d := range res.Diagnostics {
		found = found || strings.HasPrefix(d.Message, "images must come from registry.example.com")
	}
	if !found {
		t.Errorf("the policy's message is missing: %+v", res.Diagnostics)
	}
	_, err = Runner{Policies: []string{filepath.Join(policies, "broken.cue")}}.Run(context.Background(), []string{file})
	var list load.Errors
	if !errors.As(err, &list) || !strings.HasSuffix(list[0].Pos.File, "broken.cue") || list[0].Pos.Line != 1 {
		t.Errorf("broken policy: %v", err)
	}
}

// fixable is a registry rule with a fix whose Bad example triggers it.
func fixable(t *testing.T) *lint.Rule {
	for _, r := range rules.All() {
		if r.Fixable && r.Run != nil {
			return r
		}
	}
	t.Skip("no fixable rule in the registry yet")
	return nil
}

// TestFix: FixDiff previews the fixes and writes nothing; FixFiles writes
// them and reports what is left.
func TestFix(t *testing.T) {
	rule := fixable(t)
	dir := writeProject(t, map[string]string{"compose.yaml": rule.Bad})
	file := filepath.Join(dir, "compose.yaml")
	fires := func(res *Result) bool {
		return slices.ContainsFunc(res.Diagnostics, func(d lint.Diagnostic) bool { return d.Rule.Code == rule.Code })
	}

	res := run(t, Runner{Enable: []string{rule.Code}, Fix: FixDiff}, file)
	if !fires(res) || !slices.Equal(res.Fixed, []string{file}) ||
		!strings.HasPrefix(string(res.Diff), "--- "+file+"\n+++ "+file+"\n@@ ") {
		t.Errorf("FixDiff: fixed %v, diff:\n%s", res.Fixed, res.Diff)
	}
	if b, _ := os.ReadFile(file); string(b) != rule.Bad {
		t.Error("FixDiff changed the file")
	}

	res = run(t, Runner{Enable: []string{rule.Code}, Fix: FixFiles}, file)
	if fires(res) || !slices.Equal(res.Fixed, []string{file}) || len(res.Diff) != 0 {
		t.Errorf("FixFiles: %s still fires or fixed %v", rule.Code, res.Fixed)
	}
	if b, _ := os.ReadFile(file); string(b) == rule.Bad {
		t.Error("FixFiles did not change the file")
	}
	if res := run(t, Runner{Enable: []string{rule.Code}, Fix: FixDiff}, file); len(res.Diff) != 0 || len(res.Fixed) != 0 {
		t.Errorf("FixDiff after FixFiles: fixed %v, diff:\n%s", res.Fixed, res.Diff)
	}
}
