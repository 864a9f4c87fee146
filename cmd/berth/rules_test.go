package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/berth-compose/berth/lint/rules"
)

func TestRulesList(t *testing.T) {
	r := runBerth(t, t.TempDir(), nil, "rules")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	if !strings.HasPrefix(lines[0], "CODE") || !strings.Contains(lines[0], "FIXABLE") {
		t.Errorf("no header: %q", lines[0])
	}
	all := rules.All()
	if len(lines) != len(all)+1 {
		t.Fatalf("%d lines for %d rules:\n%s", len(lines), len(all), r.stdout)
	}
	for i, rule := range all {
		f := strings.Fields(lines[i+1])
		if len(f) < 7 || f[0] != rule.Code || f[1] != rule.Name || f[2] != rule.Family() || f[3] != rule.Severity.String() {
			t.Errorf("line for %s: %q", rule.Code, lines[i+1])
		}
		if !strings.HasSuffix(lines[i+1], rule.Title) {
			t.Errorf("line for %s lacks the title: %q", rule.Code, lines[i+1])
		}
	}
}

func TestRulesExplain(t *testing.T) {
	for _, arg := range []string{"BR002", "br002", "unknown-key"} {
		r := runBerth(t, t.TempDir(), nil, "rules", arg)
		if r.code != 0 || r.stderr != "" {
			t.Fatalf("%s: exit %d, stderr %q", arg, r.code, r.stderr)
		}
		for _, want := range []string{
			"BR002 unknown-key: key not defined by the compose specification\n",
			"Family: schema · Severity: error · Default: on · Fixable: no · Since: 0.1.0\n",
			"Bad:\n\n    services:\n      web:\n        image: nginx\n        restat: always\n",
			"Good:\n\n    services:\n      web:\n        image: nginx\n        restart: always\n",
			"docs/rules.md#br002-unknown-key\n",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("berth rules %s: output lacks %q:\n%s", arg, want, r.stdout)
			}
		}
	}
}

func TestRulesUnknown(t *testing.T) {
	r := runBerth(t, t.TempDir(), nil, "rules", "BR999")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, `unknown rule "BR999"`) || !strings.Contains(r.stderr, "berth rules") {
		t.Errorf("exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	r = runBerth(t, t.TempDir(), nil, "rules", "--format", "xml")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown format "xml"`) {
		t.Errorf("bad format: exit %d, stderr %q", r.code, r.stderr)
	}
}

func TestRulesJSON(t *testing.T) {
	r := runBerth(t, t.TempDir(), nil, "rules", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var out struct {
		FormatVersion int `json:"format_version"`
		Rules         []struct {
			Code, Name, Family, Severity, Title, Text, Bad, Good, Since string
			Default, Fixable                                            bool
			HelpURI                                                     string `json:"help_uri"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatalf("%v:\n%s", err, r.stdout)
	}
	all := rules.All()
	if out.FormatVersion != 1 || len(out.Rules) != len(all) {
		t.Fatalf("format_version %d, %d rules for %d", out.FormatVersion, len(out.Rules), len(all))
	}
	for i, rule := range all {
		got := out.Rules[i]
		if got.Code != rule.Code || got.Name != rule.Name || got.Family != rule.Family() || got.Severity != rule.Severity.String() ||
			got.Default != rule.Default || got.Fixable != rule.Fixable || got.Bad != rule.Bad || got.HelpURI == "" {
			t.Errorf("rule %d: %+v", i, got)
		}
	}
	r = runBerth(t, t.TempDir(), nil, "rules", "--format", "json", "BR003")
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || len(out.Rules) != 1 || out.Rules[0].Code != "BR003" {
		t.Errorf("one rule as JSON: %v %+v", err, out.Rules)
	}
}
