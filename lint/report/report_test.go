package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// Test rules: one per family the formatters treat differently.
var (
	ruleUnknownKey = &lint.Rule{Code: "BR002", Name: "unknown-key", Title: "key not defined by the compose specification",
		Text: "The compose specification does not define this key.\n\nCorrect the spelling.",
		Bad:  "services:\n  web:\n    restat: always\n", Good: "services:\n  web:\n    restart: always\n",
		Since: "0.1.0", Severity: lint.Error, Default: true}
	ruleRestart = &lint.Rule{Code: "BR201", Name: "no-restart-policy", Title: "service has no restart policy",
		Text: "A container that exits stays down.", Bad: "services:\n  web:\n    image: nginx\n",
		Good: "services:\n  web:\n    image: nginx\n    restart: unless-stopped\n", Since: "0.1.0", Severity: lint.Warning, Default: true}
	rulePrivileged = &lint.Rule{Code: "BR301", Name: "privileged", Title: "service runs with full host privileges",
		Text: "A privileged container can do anything the host's root can.\n\nDrop `privileged` and add the capabilities you need.",
		Bad:  "services:\n  web:\n    image: nginx\n    privileged: true\n", Good: "services:\n  web:\n    image: nginx\n",
		Since: "0.1.0", Severity: lint.Error, Default: true}
	ruleTag = &lint.Rule{Code: "BR401", Name: "image-tag", Title: "image has no explicit tag",
		Text: "`nginx` means `nginx:latest`, which changes under you.", Bad: "services:\n  web:\n    image: nginx\n",
		Good: "services:\n  web:\n    image: nginx:1.27\n", Since: "0.1.0", Severity: lint.Info, Default: false, Fixable: true}
	testRules = []*lint.Rule{ruleUnknownKey, ruleRestart, rulePrivileged, ruleTag}
)

// The files of the golden tests; each exercises an edge case of STYLE.md §5.
var testSources = map[string]string{
	// plain ranges, non-ASCII text before the column, a multi-line range
	"compose.yaml": "services:\n" +
		"  web:\n" +
		"    image: nginx\n" +
		"    privileged: true\n" +
		"    restat: always\n" +
		"    labels: {owner: \"Jürgen Müller\", tier: 日本}\n" +
		"    ulimits:\n" +
		"      nofile:\n" +
		"        soft: 1024\n",
	// tabs before the column
	"tabs.yaml": "x-note:\t\"tab\"\t# tabs\nservices: {web: {image:\tnginx,\tprivileged: true}}\n",
	// no newline at the end: a range at the very end of the file
	"eof.yaml": "services:\n  web:\n    image: nginx",
	// a range starting at a newline and ending on the next line; CRLF
	"newline.yaml": "services:\r\n  web:\r\n    image: nginx\r\n",
	// a range past the last line (after the final newline)
	"past.yaml": "services: {}\n",
}

// at finds the 1-based line and character column of the n-th occurrence
// (from 1) of sub in file, so test positions read as what they point at.
func at(t testing.TB, file, sub string) (line, col int) {
	t.Helper()
	for i, l := range strings.Split(testSources[file], "\n") {
		if j := strings.Index(l, sub); j >= 0 {
			return i + 1, utf8.RuneCountInString(l[:j]) + 1
		}
	}
	t.Fatalf("%q not in %s", sub, file)
	return 0, 0
}

// span is the range of sub in file.
func span(t testing.TB, file, sub string) load.Position {
	l, c := at(t, file, sub)
	return load.Position{File: file, Line: l, Column: c, EndLine: l, EndColumn: c + utf8.RuneCountInString(sub)}
}

func testDiagnostics(t testing.TB) []lint.Diagnostic {
	multi := load.Position{File: "compose.yaml", Line: 8, Column: 7, EndLine: 9, EndColumn: 19}
	return []lint.Diagnostic{
		{Rule: ruleTag, Severity: lint.Info, Pos: span(t, "compose.yaml", "nginx"), Path: "services.web.image",
			Message: `image "nginx" has no tag`, Suppressed: true, Justification: "pinned by the base image, see ADR-7",
			Fixes: []lint.Fix{{Message: "pin nginx:latest"}}},
		{Rule: rulePrivileged, Severity: lint.Error, Pos: span(t, "compose.yaml", "true"), Path: "services.web.privileged",
			Message: `service "web" runs privileged`},
		{Rule: ruleUnknownKey, Severity: lint.Error, Pos: span(t, "compose.yaml", "restat"), Path: "services.web.restat",
			Message: `unknown key "restat" in service "web"; did you mean "restart"?`},
		{Rule: ruleUnknownKey, Severity: lint.Error, Pos: span(t, "compose.yaml", "tier"), Path: "services.web.labels.tier",
			Message: `label value 日本 is not a string, 100% sure: quote it`},
		{Rule: ruleRestart, Severity: lint.Warning, Pos: multi, Path: "services.web.ulimits.nofile",
			Message: "missing required key \"hard\"\nin services.web.ulimits.nofile"},
		{Rule: ruleTag, Severity: lint.Info, Pos: load.Position{File: "eof.yaml", Line: 3, Column: 17, EndLine: 3, EndColumn: 17},
			Path: "services.web.image", Message: "no newline at end of file", Fixes: []lint.Fix{{Message: "add a newline"}}},
		{Rule: ruleUnknownKey, Severity: lint.Error, Pos: load.Position{File: "newline.yaml", Line: 2, Column: 7, EndLine: 3, EndColumn: 5},
			Path: "services.web", Message: "range starting at the newline"},
		{Rule: ruleRestart, Severity: lint.Warning, Pos: load.Position{File: "past.yaml", Line: 2, Column: 1, EndLine: 2, EndColumn: 1},
			Message: "the project has no services"},
		{Rule: rulePrivileged, Severity: lint.Error, Pos: span(t, "tabs.yaml", "privileged: true"), Path: "services.web.privileged",
			Message: `service "web" runs privileged`},
		{Rule: ruleTag, Severity: lint.Warning, Pos: span(t, "tabs.yaml", "nginx"), Path: "services.web.image",
			Message: `image "nginx" has no tag`},
		{Rule: ruleTag, Severity: lint.Info, Pos: span(t, "tabs.yaml", "# tabs"), Path: "x-note",
			Message: "a comment after a tab, in a path with a comma: a,b"},
	}
}

func testOptions(color bool) Options {
	src := map[string][]byte{}
	for f, s := range testSources {
		src[f] = []byte(s)
	}
	return Options{Color: color, Rules: testRules, Sources: src, ToolVersion: "0.1.0",
		Files: []string{"clean.yaml", "compose.yaml", "eof.yaml", "newline.yaml", "past.yaml", "tabs.yaml"}}
}

func render(t testing.TB, f Format, diags []lint.Diagnostic, o Options) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := Write(&b, f, diags, o); err != nil {
		t.Fatalf("%s: %v", f, err)
	}
	return b.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./lint/report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the output (go test ./lint/report -update rewrites it)\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}

// TestGolden renders the same diagnostics in every format.
func TestGolden(t *testing.T) {
	diags := testDiagnostics(t)
	for _, tc := range []struct {
		name   string
		format Format
		color  bool
	}{
		{"text.golden", Text, false},
		{"text-color.golden", Text, true},
		{"json.golden", JSON, false},
		{"sarif.golden", SARIF, false},
		{"github.golden", GitHub, false},
		{"junit.golden", JUnit, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			golden(t, tc.name, render(t, tc.format, diags, testOptions(tc.color)))
		})
	}
}

// TestNoDiagnostics: every format is valid and quiet on a clean run.
func TestNoDiagnostics(t *testing.T) {
	for _, f := range Formats {
		out := render(t, f, nil, testOptions(false))
		if f == Text && len(out) != 0 {
			t.Errorf("text output for a clean run: %q", out)
		}
		if f == JSON && !bytes.Contains(out, []byte(`"diagnostics": []`)) {
			t.Errorf("json: diagnostics not an empty list:\n%s", out)
		}
		if f == SARIF && !bytes.Contains(out, []byte(`"results": []`)) {
			t.Errorf("sarif: results not an empty list:\n%s", out)
		}
	}
}

// TestTextCarets checks the caret placement rules one at a time, so a
// failure says which rule broke.
func TestTextCarets(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		pos       load.Position
		want      string // the two snippet lines
	}{
		{"plain", "a: bcd\n", load.Position{Line: 1, Column: 4, EndLine: 1, EndColumn: 7},
			"  1 | a: bcd\n    |    ^^^\n"},
		{"tab before", "\ta:\tb\n", load.Position{Line: 1, Column: 5, EndLine: 1, EndColumn: 6},
			"  1 | \ta:\tb\n    | \t  \t^\n"},
		{"non-ASCII before", "ä日: x\n", load.Position{Line: 1, Column: 5, EndLine: 1, EndColumn: 6},
			"  1 | ä日: x\n    |     ^\n"},
		{"empty range", "a: b\n", load.Position{Line: 1, Column: 4, EndLine: 1, EndColumn: 4},
			"  1 | a: b\n    |    ^\n"},
		{"at newline", "a: b\n", load.Position{Line: 1, Column: 5, EndLine: 1, EndColumn: 5},
			"  1 | a: b\n    |     ^\n"},
		{"end past the line", "a: b\nc: d\n", load.Position{Line: 1, Column: 4, EndLine: 1, EndColumn: 40},
			"  1 | a: b\n    |    ^\n"},
		{"ends at next line start", "a: b\nc: d\n", load.Position{Line: 1, Column: 1, EndLine: 2, EndColumn: 1},
			"  1 | a: b\n    | ^^^^\n"},
		{"past EOF", "a: b\n", load.Position{Line: 9, Column: 3, EndLine: 9, EndColumn: 3},
			"  2 |\n    | ^\n"},
		{"column past the line", "a: b\n", load.Position{Line: 1, Column: 30, EndLine: 1, EndColumn: 31},
			"  1 | a: b\n    |     ^\n"},
		{"end before start", "a: b\n", load.Position{Line: 1, Column: 2, EndLine: 0, EndColumn: 0},
			"  1 | a: b\n    |  ^\n"},
		{"three lines", "a:\n  b: 1\n  c: 2\n", load.Position{Line: 1, Column: 1, EndLine: 3, EndColumn: 7},
			"  1 | a:\n    | ^^\n    | ...\n  3 |   c: 2\n    |   ^^^^\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.pos.File = "f.yaml"
			d := lint.Diagnostic{Rule: ruleUnknownKey, Severity: lint.Error, Pos: tc.pos, Message: "m"}
			out := string(render(t, Text, []lint.Diagnostic{d}, Options{Sources: map[string][]byte{"f.yaml": []byte(tc.src)}}))
			_, body, _ := strings.Cut(out, "\n")
			body, _, _ = strings.Cut(body, "\n\n")
			body += "\n"
			if body != tc.want {
				t.Errorf("got\n%s\nwant\n%s", body, tc.want)
			}
		})
	}
}

func TestNoColor(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	for _, tc := range []struct {
		getenv   func(string) string
		terminal bool
		want     bool
	}{
		{env(), true, true},
		{env(), false, false},
		{env("NO_COLOR", "1"), true, false},
		{env("NO_COLOR", ""), true, true},
		{env("TERM", "dumb"), true, false},
	} {
		if got := UseColor(tc.getenv, tc.terminal); got != tc.want {
			t.Errorf("UseColor(terminal=%v) = %v, want %v", tc.terminal, got, tc.want)
		}
	}
	if out := render(t, Text, testDiagnostics(t), testOptions(false)); bytes.Contains(out, []byte("\x1b[")) {
		t.Error("text output without Color has ANSI escapes")
	}
	if out := render(t, Text, testDiagnostics(t), testOptions(true)); !bytes.Contains(out, []byte("\x1b[1;31merror\x1b[0m")) {
		t.Error("text output with Color has no coloured severity")
	}
}

func TestTextSkipsSuppressed(t *testing.T) {
	out := string(render(t, Text, testDiagnostics(t), testOptions(false)))
	if strings.Contains(out, "ADR-7") || strings.Contains(out, `image "nginx" has no tag`+"\n  3 |") {
		t.Errorf("suppressed diagnostic shown:\n%s", out)
	}
	if !strings.HasSuffix(out, "\n10 problems (5 errors, 3 warnings, 2 infos)\n") {
		t.Errorf("summary line wrong:\n%s", out)
	}
}

func TestParseFormat(t *testing.T) {
	for _, f := range append(Formats, "") {
		if _, err := ParseFormat(string(f)); err != nil {
			t.Errorf("ParseFormat(%q): %v", f, err)
		}
	}
	if _, err := ParseFormat("xml"); err == nil || !strings.Contains(err.Error(), "sarif") {
		t.Errorf("ParseFormat(xml) = %v, want an error listing the formats", err)
	}
}

func TestGitHubEscaping(t *testing.T) {
	for in, want := range map[string]string{"100%\r\nok": "100%25%0D%0Aok", "a:b,c": "a:b,c"} {
		if got := escapeData(in); got != want {
			t.Errorf("escapeData(%q) = %q, want %q", in, got, want)
		}
	}
	if got := escapeProperty("dir,x/a:b%.yaml"); got != "dir%2Cx/a%3Ab%25.yaml" {
		t.Errorf("escapeProperty = %q", got)
	}
}
