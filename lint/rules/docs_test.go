package rules

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-compose/berth/lint/report"
)

// TestDocsUpToDate fails when docs/rules.md is not what the rule metadata
// generates: after adding or changing a rule, run `go generate ./lint/rules`.
func TestDocsUpToDate(t *testing.T) {
	path := filepath.Join("..", "..", "docs", "rules.md")
	have, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: run go generate ./lint/rules", err)
	}
	want := Markdown(All())
	if bytes.Equal(have, want) {
		return
	}
	hl, wl := strings.Split(string(have), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(hl) || i < len(wl); i++ {
		var h, w string
		if i < len(hl) {
			h = hl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if h != w {
			t.Fatalf("docs/rules.md is stale (run go generate ./lint/rules); first difference at line %d:\n have: %q\n want: %q", i+1, h, w)
		}
	}
}

// TestDocsCoverEveryRule: each rule has its section and its anchor, the one
// SARIF's helpUri and `berth rules` point at.
func TestDocsCoverEveryRule(t *testing.T) {
	md := string(Markdown(All()))
	for _, r := range All() {
		if !strings.Contains(md, "\n### "+r.Code+" "+r.Name+"\n") {
			t.Errorf("no section for %s %s", r.Code, r.Name)
		}
		if !strings.Contains(md, "(#"+report.RuleAnchor(r)+")") {
			t.Errorf("no link to %s", report.RuleAnchor(r))
		}
	}
}
