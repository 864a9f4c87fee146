// Package linttest runs a lint rule on fixture files whose expectations are
// written in the files themselves, in the spirit of go/analysis' analysistest:
//
//	privileged: true   # want BR301@17
//
// means: a diagnostic of rule BR301 starts on this line at column 17. Every
// diagnostic of the rule must be wanted and every want must be met.
// A fixture directory holds bad.yaml (with wants), good.yaml (none: the rule
// must stay silent) and, for fixable rules, bad.yaml.golden: bad.yaml after
// applying every fix.
package linttest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

var wantRE = regexp.MustCompile(`#\s*want((?:\s+BR\d{3}@\d+)+)`)

// Run checks rule against dir/bad.yaml, dir/good.yaml and, if present,
// dir/bad.yaml.golden.
func Run(t *testing.T, rule *lint.Rule, dir string) {
	t.Helper()
	bad := filepath.Join(dir, "bad.yaml")
	diags := Lint(t, rule, bad)
	want := wants(t, bad)
	var got []string
	for _, d := range diags {
		got = append(got, fmt.Sprintf("%d:%d %s", d.Pos.Line, d.Pos.Column, d.Rule.Code))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		var msgs []string
		for _, d := range diags {
			msgs = append(msgs, fmt.Sprintf("  %s: %s %s", d.Pos, d.Rule.Code, d.Message))
		}
		t.Errorf("%s: diagnostics (line:col code)\n got: %v\nwant: %v\n%s", bad, got, want, strings.Join(msgs, "\n"))
	}
	if d := Lint(t, rule, filepath.Join(dir, "good.yaml")); len(d) > 0 {
		t.Errorf("%s: rule fired on the clean file: %s: %s", dir, d[0].Pos, d[0].Message)
	}
	golden := bad + ".golden"
	if _, err := os.Stat(golden); err == nil {
		src, err := os.ReadFile(bad)
		if err != nil {
			t.Fatal(err)
		}
		name := bad // edits name the file as the loader did, like berth lint --fix
		if len(diags) > 0 {
			name = diags[0].Pos.File
		}
		fixed, err := lint.ApplyFixes(src, name, diags)
		if err != nil {
			t.Fatalf("applying fixes: %v", err)
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatal(err)
		}
		if string(fixed) != string(want) {
			t.Errorf("%s: fixed file differs from golden:\n--- got\n%s\n--- want\n%s", bad, fixed, want)
		}
	} else if rule.Fixable {
		t.Errorf("%s: rule %s is fixable but has no bad.yaml.golden", dir, rule.Code)
	}
}

// Lint loads path as its own project (lint's load options) and returns the
// diagnostics of rule alone, with the rule enabled.
func Lint(t testing.TB, rule *lint.Rule, path string) []lint.Diagnostic {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(abs)
	p, err := load.Load(context.Background(), lint.LoadOptions(load.Options{
		Files: []string{abs}, ProjectDir: dir, Env: []string{"PWD=" + dir},
	}))
	if err != nil {
		// A file that does not parse is a finding of BR001, BR008 or BR009.
		if src, rerr := os.ReadFile(abs); rerr == nil {
			if _, perr := load.ParseFile(path, src); perr != nil {
				if diags, rest := lint.ParseDiagnostics(perr, []*lint.Rule{rule}); len(rest) == 0 && len(diags) > 0 {
					return diags
				}
			}
		}
		// A project compose-go refuses: the findings berth's checks
		// made of it, those of rule.
		var list load.Errors
		if errors.As(err, &list) {
			var out []lint.Diagnostic
			for _, e := range list {
				var ve *load.ViolationError
				if errors.As(e, &ve) && ve.Violation.Rule.Code == rule.Code {
					out = append(out, lint.Diagnostic{Rule: rule, Severity: rule.Severity, Pos: e.Pos, Path: ve.Violation.Path, Message: ve.Violation.Message})
				}
			}
			if len(out) > 0 {
				return out
			}
		}
		t.Fatalf("%s does not load: %v", path, err)
	}
	var out []lint.Diagnostic
	for _, d := range lint.Run(p, []*lint.Rule{rule}, lint.Config{Enabled: map[string]bool{rule.Code: true}}) {
		if d.Rule == rule && !d.Suppressed {
			out = append(out, d)
		}
	}
	return out
}

// wants reads the "# want CODE@COL" comments of a file as "line:col code".
func wants(t testing.TB, path string) []string {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for i, line := range strings.Split(string(src), "\n") {
		m := wantRE.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		for _, w := range strings.Fields(m[1]) {
			code, col, _ := strings.Cut(w, "@")
			if _, err := strconv.Atoi(col); err != nil {
				t.Fatalf("%s:%d: bad want %q", path, i+1, w)
			}
			out = append(out, fmt.Sprintf("%d:%s %s", i+1, col, code))
		}
	}
	return out
}
