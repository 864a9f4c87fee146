package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-compose/berth/lint/rules"
)

// lintEnv is a minimal environment: no NO_COLOR, no TAG, output to a pipe.
var lintEnv = []string{"PATH=/usr/bin:/bin"}

// writeFiles creates files (name -> content) under a new directory with a
// .git entry, so that configuration lookup stops there.
func writeFiles(t *testing.T, files map[string]string) string {
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

const (
	cleanCompose = "services:\n  web:\n    image: nginx:1.27\n"
	// BR093 unset-variable (warning) at 3:12.
	warnCompose = "services:\n  web:\n    image: nginx:${TAG}\n"
	// BR001 yaml-syntax (error) at 4:4.
	brokenCompose = "services:\n  web:\n    image: nginx:1.27\n   restart: always\n"
)

type jsonReport struct {
	FormatVersion int `json:"format_version"`
	Diagnostics   []struct {
		File          string `json:"file"`
		Line          int    `json:"line"`
		Column        int    `json:"column"`
		Code          string `json:"code"`
		Severity      string `json:"severity"`
		Message       string `json:"message"`
		Suppressed    bool   `json:"suppressed"`
		Justification string `json:"justification"`
	} `json:"diagnostics"`
}

// lintJSON runs berth lint --format json and decodes the report.
func lintJSON(t *testing.T, dir string, args ...string) (jsonReport, result) {
	t.Helper()
	r := runBerth(t, dir, lintEnv, append([]string{"lint", "--format", "json"}, args...)...)
	var rep jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("berth lint %v: not JSON (%v):\n%s\nstderr: %s", args, err, r.stdout, r.stderr)
	}
	return rep, r
}

// codes lists "file:line:col CODE" of the unsuppressed diagnostics with
// one of the given codes (all when none is given).
func (rep jsonReport) codes(only ...string) []string {
	var out []string
	for _, d := range rep.Diagnostics {
		if d.Suppressed || (len(only) > 0 && !contains(only, d.Code)) {
			continue
		}
		out = append(out, d.File+":"+itoa(d.Line)+":"+itoa(d.Column)+" "+d.Code)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func itoa(i int) string {
	b, _ := json.Marshal(i)
	return string(b)
}

func TestLintExitCodes(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"clean/compose.yaml":  cleanCompose,
		"warn/compose.yaml":   warnCompose,
		"broken/compose.yaml": brokenCompose,
		"empty/compose.yaml":  "",
	})
	for _, tt := range []struct {
		args []string
		code int
	}{
		{[]string{"lint", "clean/compose.yaml"}, 0},
		{[]string{"lint", "warn/compose.yaml"}, 0},
		{[]string{"lint", "--fail-on", "warning", "warn/compose.yaml"}, 1},
		{[]string{"lint", "--fail-on", "info", "warn/compose.yaml"}, 1},
		{[]string{"lint", "broken/compose.yaml"}, 1},
		{[]string{"lint", "empty/compose.yaml"}, 1},
		{[]string{"lint", "--disable", "BR001", "clean/compose.yaml", "broken/compose.yaml"}, 1}, // BR901 reports it then
		{[]string{"lint", "clean/compose.yaml", "missing/compose.yaml"}, 2},
		{[]string{"lint", "--format", "xml", "clean/compose.yaml"}, 2},
		{[]string{"lint", "--fail-on", "critical", "clean/compose.yaml"}, 2},
		{[]string{"lint", "--enable", "BR999", "clean/compose.yaml"}, 2},
		{[]string{"lint", "-f", "clean/compose.yaml", "warn/compose.yaml"}, 2},
		{[]string{"lint", "--", "clean/compose.yaml"}, 0},
	} {
		r := runBerth(t, dir, lintEnv, tt.args...)
		if r.code != tt.code {
			t.Errorf("berth %s: exit %d, want %d\nstdout: %s\nstderr: %s", strings.Join(tt.args, " "), r.code, tt.code, r.stdout, r.stderr)
		}
	}
}

func TestLintDefaultProject(t *testing.T) {
	dir := writeFiles(t, map[string]string{"compose.yaml": warnCompose, "sub/.keep": ""})
	rep, r := lintJSON(t, filepath.Join(dir, "sub"))
	if got := rep.codes(); len(got) != 1 || !strings.HasSuffix(got[0], "compose.yaml:3:12 BR093") || r.code != 0 {
		t.Errorf("got %v, exit %d\n%s", got, r.code, r.stderr)
	}
	empty := writeFiles(t, nil)
	if r := runBerth(t, empty, lintEnv, "lint"); r.code != 2 || !strings.Contains(r.stderr, "no configuration file provided") {
		t.Errorf("no compose file: exit %d, stderr %s", r.code, r.stderr)
	}
}

func TestLintText(t *testing.T) {
	dir := writeFiles(t, map[string]string{"compose.yaml": brokenCompose})
	r := runBerth(t, dir, lintEnv, "lint", "compose.yaml")
	if r.code != 1 || !strings.Contains(r.stdout, "compose.yaml:4:4: error BR001 yaml-syntax") {
		t.Errorf("exit %d\n%s", r.code, r.stdout)
	}
	if strings.Contains(r.stdout, "\x1b[") {
		t.Error("colour on a pipe")
	}
}

func TestLintFormats(t *testing.T) {
	dir := writeFiles(t, map[string]string{"compose.yaml": warnCompose})
	for format, want := range map[string]string{
		"json":   `"format_version": 1`,
		"sarif":  `"version": "2.1.0"`,
		"github": "::warning file=compose.yaml,line=3,",
		"junit":  "<testsuite",
		"text":   "compose.yaml:3:12: warning BR093 unset-variable",
	} {
		r := runBerth(t, dir, lintEnv, "lint", "--format", format, "compose.yaml")
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("--format %s: exit %d, want %q in\n%s\nstderr: %s", format, r.code, want, r.stdout, r.stderr)
		}
	}
	// -o writes the report to a file.
	if r := runBerth(t, dir, lintEnv, "lint", "--format", "sarif", "-o", "out.sarif", "compose.yaml"); r.code != 0 || r.stdout != "" {
		t.Errorf("-o: exit %d, stdout %q", r.code, r.stdout)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out.sarif")); err != nil || !strings.Contains(string(b), `"ruleId": "BR093"`) {
		t.Errorf("out.sarif: %v\n%s", err, b)
	}
}

func TestLintManyFiles(t *testing.T) {
	files := map[string]string{}
	var args []string
	// Out of alphabetical order: the report follows the arguments.
	for _, name := range []string{"c", "a", "d", "b", "f", "e"} {
		files[name+"/compose.yaml"] = warnCompose
		args = append(args, name+"/compose.yaml")
	}
	files["b/.env"] = "TAG=1.27\n" // each file is its own project, with its .env
	dir := writeFiles(t, files)
	rep, r := lintJSON(t, dir, args...)
	want := []string{"c/compose.yaml:3:12 BR093", "a/compose.yaml:3:12 BR093", "d/compose.yaml:3:12 BR093",
		"f/compose.yaml:3:12 BR093", "e/compose.yaml:3:12 BR093"}
	if got := rep.codes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got  %v\nwant %v\nstderr: %s", got, want, r.stderr)
	}
}

func TestLintMergedFiles(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"compose.yaml":          "services:\n  web:\n    image: nginx:${TAG}\n",
		"compose.override.yaml": "services:\n  web:\n    environment:\n      MODE: ${MODE}\n",
	})
	rep, _ := lintJSON(t, dir, "-f", "compose.yaml", "-f", "compose.override.yaml")
	want := []string{"compose.override.yaml:4:13 BR093", "compose.yaml:3:12 BR093"}
	if got := rep.codes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
}

func TestLintSuppressions(t *testing.T) {
	dir := writeFiles(t, map[string]string{"compose.yaml": `services:
  web:
    # berth:disable-next-line BR093 -- TAG is set by the deploy job
    image: nginx:${TAG}
    environment:
      A: ${A} # berth:disable-line unset-variabel -- typo
      B: "1" # berth:disable-line BR093 -- nothing to suppress
`})
	rep, r := lintJSON(t, dir, "compose.yaml")
	want := []string{"compose.yaml:6:10 BR093", "compose.yaml:6:36 BR090", "compose.yaml:7:35 BR091"}
	if got := rep.codes(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got  %v\nwant %v", got, want)
	}
	found := false
	for _, d := range rep.Diagnostics {
		if d.Suppressed && d.Code == "BR093" && d.Line == 4 && d.Justification == "TAG is set by the deploy job" {
			found = true
		}
	}
	if !found {
		t.Errorf("the suppressed finding is missing from JSON: %+v", rep.Diagnostics)
	}
	if r.code != 1 { // BR090 is an error
		t.Errorf("exit %d", r.code)
	}
}

func TestLintConfig(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		".berth.yaml":         "rules:\n  unset-variable: error\nfail-on: warning\n",
		"app/compose.yaml":    warnCompose,
		"other/.berth.yml":    "rules:\n  BR093: off\n",
		"other/compose.yaml":  warnCompose,
		"bad/.berth.yaml":     "rules:\n  BR999: off\n",
		"bad/compose.yaml":    cleanCompose,
		"flags/compose.yaml":  warnCompose,
		"policy/.berth.yaml":  "policies: [../../../testdata/lint/policies/registry.cue]\n",
		"policy/compose.yaml": cleanCompose,
	})
	rep, r := lintJSON(t, dir, "app/compose.yaml", "other/compose.yaml")
	if got := rep.codes(); len(got) != 1 || got[0] != "app/compose.yaml:3:12 BR093" || rep.Diagnostics[0].Severity != "error" || r.code != 1 {
		t.Errorf("got %v (%+v), exit %d", got, rep.Diagnostics, r.code)
	}
	// Flags win over the file.
	if _, r := lintJSON(t, dir, "--disable", "BR093", "app/compose.yaml"); r.code != 0 {
		t.Errorf("--disable: exit %d", r.code)
	}
	if _, r := lintJSON(t, dir, "--fail-on", "error", "--config", filepath.Join(dir, "other", ".berth.yml"), "app/compose.yaml"); r.code != 0 {
		t.Errorf("--config: exit %d", r.code)
	}
	r = runBerth(t, dir, lintEnv, "lint", "bad/compose.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, ".berth.yaml:2:3: unknown rule \"BR999\"") {
		t.Errorf("bad config: exit %d\n%s", r.code, r.stderr)
	}
}

func TestLintPolicy(t *testing.T) {
	policies, err := filepath.Abs(filepath.Join("..", "..", "testdata", "lint", "policies"))
	if err != nil {
		t.Fatal(err)
	}
	dir := writeFiles(t, map[string]string{
		"compose.yaml": "services:\n  web:\n    image: nginx:1.27\n  ok:\n    image: registry.example.com/ok:1 # berth:disable-line BR900 -- unused\n",
		".berth.yaml":  "policies: [" + filepath.Join(policies, "limits.cue") + "]\n",
	})
	rep, r := lintJSON(t, dir, "--policy", filepath.Join(policies, "registry.cue"), "compose.yaml")
	want := []string{"compose.yaml:2:3 BR900", "compose.yaml:3:12 BR900", "compose.yaml:4:3 BR900", "compose.yaml:5:59 BR091"}
	if got := rep.codes(); strings.Join(got, "\n") != strings.Join(want, "\n") || r.code != 1 {
		t.Errorf("got  %v\nwant %v\nexit %d", got, want, r.code)
	}
	if !strings.Contains(r.stdout, "images must come from registry.example.com") {
		t.Errorf("the policy's message is missing:\n%s", r.stdout)
	}
	r = runBerth(t, dir, lintEnv, "lint", "--policy", filepath.Join(policies, "broken.cue"), "compose.yaml")
	if r.code != 2 || !strings.Contains(r.stderr, "broken.cue:1:") {
		t.Errorf("broken policy: exit %d\n%s", r.code, r.stderr)
	}
}

// fixableRule is a registry rule with a fix whose Bad example triggers it.
func fixableRule(t *testing.T) (code, bad string) {
	for _, r := range rules.All() {
		if r.Fixable && r.Run != nil {
			return r.Code, r.Bad
		}
	}
	t.Skip("no fixable rule in the registry yet")
	return "", ""
}

func TestLintFix(t *testing.T) {
	code, bad := fixableRule(t)
	dir := writeFiles(t, map[string]string{"compose.yaml": bad})
	rep, _ := lintJSON(t, dir, "--enable", code, "compose.yaml")
	if len(rep.codes(code)) == 0 {
		t.Fatalf("%s does not fire on its Bad example", code)
	}
	// --diff prints the change and writes nothing.
	r := runBerth(t, dir, lintEnv, "lint", "--fix", "--diff", "--enable", code, "compose.yaml")
	if r.code != 1 || !strings.HasPrefix(r.stdout, "--- compose.yaml\n+++ compose.yaml\n@@ ") {
		t.Errorf("--diff: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "compose.yaml")); string(b) != bad {
		t.Error("--diff changed the file")
	}
	// --fix writes the file and reports what remains.
	r = runBerth(t, dir, lintEnv, "lint", "--fix", "--format", "json", "--enable", code, "compose.yaml")
	var after jsonReport
	if err := json.Unmarshal([]byte(r.stdout), &after); err != nil {
		t.Fatalf("%v\n%s", err, r.stdout)
	}
	if got := after.codes(code); len(got) != 0 {
		t.Errorf("%s still fires after --fix: %v", code, got)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "compose.yaml")); string(b) == bad {
		t.Error("--fix did not change the file")
	}
	if r := runBerth(t, dir, lintEnv, "lint", "--diff", "--enable", code, "compose.yaml"); r.code != 0 || r.stdout != "" {
		t.Errorf("--diff after --fix: exit %d\n%s", r.code, r.stdout)
	}
}

// TestPreCommitHook runs scripts/precommit-e2e.sh: berth's hook through a
// real pre-commit, in a throwaway repository. Without pre-commit it is
// skipped, except in CI (CI=true), where .ci/run installs it.
func TestPreCommitHook(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the pre-commit e2e test builds berth with go install")
	}
	if _, err := exec.LookPath("pre-commit"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pre-commit is not installed; .ci/run installs Debian's pre-commit package")
		}
		t.Skip("pre-commit is not installed (apt-get install pre-commit); CI runs this test")
	}
	cmd := exec.Command("bash", filepath.Join("..", "..", "scripts", "precommit-e2e.sh"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("scripts/precommit-e2e.sh: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "precommit-e2e: passed") {
		t.Fatalf("no pass line:\n%s", out)
	}
}
