package lint

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-compose/berth/load"
)

// Stand-ins for the registry rules (package rules imports lint, so the
// tests here define their own with the same codes).
var (
	testPrivileged = &Rule{Code: "BR301", Name: "privileged", Severity: Error, Default: true, Run: func(p *Pass) {
		for _, name := range sortedKeys(p.Project.Services) {
			if p.Project.Services[name].Privileged {
				p.Reportf(load.PathOf("services", name, "privileged"), "service %q runs privileged", name)
			}
		}
	}}
	testLatest = &Rule{Code: "BR305", Name: "latest-tag", Severity: Warning, Default: true, Run: func(p *Pass) {
		for _, name := range sortedKeys(p.Project.Services) {
			if strings.HasSuffix(p.Project.Services[name].Image, ":latest") {
				p.Reportf(load.PathOf("services", name, "image"), "image of %q is latest", name)
			}
		}
	}}
	testOff     = &Rule{Code: "BR406", Name: "off-by-default", Severity: Info, Default: false, Run: func(p *Pass) {}}
	testUnknown = &Rule{Code: "BR090", Name: "unknown-suppression", Severity: Error, Default: true}
	testUnused  = &Rule{Code: "BR091", Name: "unused-suppression", Severity: Warning, Default: true}
	testReason  = &Rule{Code: "BR092", Name: "suppression-without-reason", Severity: Info, Default: true}
	testRules   = []*Rule{testUnknown, testUnused, testReason, testPrivileged, testLatest, testOff}
)

func sortedKeys[V any](m map[string]V) []string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func loadSrc(t *testing.T, src string) *load.Project {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := load.Load(context.Background(), LoadOptions(load.Options{
		Files: []string{path}, ProjectDir: dir, Env: []string{"PWD=" + dir},
	}))
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

// summary renders diagnostics as "line:col CODE [suppressed: reason]".
func summary(diags []Diagnostic) []string {
	var out []string
	for _, d := range diags {
		s := fmt.Sprintf("%d:%d %s", d.Pos.Line, d.Pos.Column, d.Rule.Code)
		if d.Suppressed {
			s += " suppressed: " + d.Justification
		}
		out = append(out, s)
	}
	return out
}

// elsewhere is a rule a suppression may name although no test runs it.
var elsewhere = []*Rule{{Code: "BR499", Name: "registered-elsewhere"}}

func TestSuppress(t *testing.T) {
	tests := []struct {
		name string
		src  string
		cfg  *Config // nil: Run's default
		want []string
	}{{
		name: "none",
		src:  "services:\n  a:\n    image: x:latest\n    privileged: true\n",
		want: []string{"3:12 BR305", "4:17 BR301"},
	}, {
		name: "disable-line by code",
		src:  "services:\n  a:\n    image: x:1\n    privileged: true # berth:disable-line BR301 -- dind runner\n",
		want: []string{"4:17 BR301 suppressed: dind runner"},
	}, {
		name: "disable-line by name, two rules",
		src:  "services:\n  a:\n    image: x:latest # berth:disable-line latest-tag, BR301 -- pinned by CI\n",
		want: []string{"3:12 BR305 suppressed: pinned by CI", "3:54 BR091"},
	}, {
		name: "disable-next-line skips comments and blanks",
		src:  "services:\n  a:\n    image: x:1\n    # berth:disable-next-line BR301 -- one\n\n    # a comment\n    privileged: true\n",
		want: []string{"7:17 BR301 suppressed: one"},
	}, {
		name: "stacked disable-next-line",
		src:  "services:\n  # berth:disable-next-line BR305 -- one\n  # berth:disable-next-line BR301 -- two\n  a: {image: \"x:latest\", privileged: true}\n",
		want: []string{"4:14 BR305 suppressed: one", "4:38 BR301 suppressed: two"},
	}, {
		name: "disable-file",
		src:  "# berth:disable-file BR301 -- all of them\nservices:\n  a:\n    image: x:1\n    privileged: true\n  b:\n    image: x:1\n    privileged: true\n",
		want: []string{"5:17 BR301 suppressed: all of them", "8:17 BR301 suppressed: all of them"},
	}, {
		name: "unknown code and name",
		src:  "services:\n  a:\n    image: x:1\n    privileged: true # berth:disable-line BR3O1 privilegd -- typo\n",
		want: []string{"4:17 BR301", "4:43 BR090", "4:49 BR090"},
	}, {
		name: "unknown directive",
		src:  "services:\n  a:\n    image: x:1 # berth:ignore BR301 -- no\n",
		want: []string{"3:16 BR090"},
	}, {
		name: "no rule named",
		src:  "services:\n  a:\n    image: x:1\n    privileged: true # berth:disable-line -- all\n",
		want: []string{"4:17 BR301", "4:22 BR090"},
	}, {
		name: "no reason",
		src:  "services:\n  a:\n    image: x:1\n    privileged: true # berth:disable-line BR301\n",
		want: []string{"4:17 BR301 suppressed: ", "4:22 BR092"},
	}, {
		name: "empty reason",
		src:  "services:\n  a:\n    image: x:1\n    privileged: true # berth:disable-line BR301 --  \n",
		want: []string{"4:17 BR301 suppressed: ", "4:22 BR092"},
	}, {
		name: "no reason, BR092 suppressed for the file",
		src:  "# berth:disable-file BR092 -- we do not write reasons\nservices:\n  a:\n    image: x:1\n    privileged: true # berth:disable-line BR301\n",
		want: []string{"5:17 BR301 suppressed: ", "5:22 BR092 suppressed: we do not write reasons"},
	}, {
		name: "unused",
		src:  "services:\n  a:\n    image: x:1 # berth:disable-line BR301 -- nothing here\n",
		want: []string{"3:37 BR091"},
	}, {
		name: "disable-line alone on its line",
		src:  "services:\n  a:\n    image: x:1\n    # berth:disable-line BR301 -- meant the next line\n    privileged: true\n",
		want: []string{"4:26 BR091", "5:17 BR301"},
	}, {
		name: "unused suppression of a rule that did not run is not reported",
		src:  "services:\n  a:\n    image: x:1 # berth:disable-line BR499 -- registered, not run\n",
		want: nil,
	}, {
		name: "unused suppression of a rule disabled by config",
		src:  "services:\n  a:\n    image: x:1 # berth:disable-line BR301 -- off here\n",
		cfg:  &Config{Enabled: map[string]bool{"BR301": false}},
		want: nil,
	}, {
		name: "BR091 disabled for the file silences unused findings",
		src:  "# berth:disable-file BR091 -- generated\nservices:\n  a:\n    image: x:1 # berth:disable-line BR301 -- nothing here\n",
		want: []string{"4:37 BR091 suppressed: generated"},
	}, {
		name: "a suppression of BR092 is used, or unused, whether BR092 runs or not",
		src:  "# berth:disable-file BR092 -- no reasons here\nservices:\n  a:\n    image: x:1\n",
		cfg:  &Config{Enabled: map[string]bool{"BR092": false}},
		want: []string{"1:22 BR091"},
	}, {
		name: "unused BR091 suppression",
		src:  "# berth:disable-file BR091 -- generated\nservices:\n  a:\n    image: x:1\n",
		want: []string{"1:22 BR091"},
	}, {
		name: "meta rule off in config",
		src:  "services:\n  a:\n    image: x:1\n    privileged: true # berth:disable-line BR301\n",
		cfg:  &Config{Enabled: map[string]bool{"BR092": false}},
		want: []string{"4:17 BR301 suppressed: "},
	}, {
		name: "meta rule severity from config",
		src:  "services:\n  a:\n    image: x:1 # berth:disable-line BR301 -- x\n",
		cfg:  &Config{Severity: map[string]Severity{"BR091": Error}},
		want: []string{"3:37 BR091"},
	}, {
		name: "a # inside quotes is not a comment",
		src:  "services:\n  a:\n    image: x:1\n    command: \"echo # berth:disable-line BR301 -- no\"\n    privileged: true\n",
		want: []string{"5:17 BR301"},
	}, {
		name: "plain notes are not directives",
		src:  "# berth: this file is linted in CI\nservices:\n  a:\n    image: x:1\n",
		want: nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := loadSrc(t, tt.src)
			var diags []Diagnostic
			if tt.cfg == nil {
				diags = Run(p, testRules, Config{Known: elsewhere})
			} else {
				tt.cfg.Known = elsewhere
				diags = Run(p, testRules, *tt.cfg)
				slices.SortStableFunc(diags, func(a, b Diagnostic) int {
					return cmp.Or(cmp.Compare(a.Pos.Line, b.Pos.Line), cmp.Compare(a.Pos.Column, b.Pos.Column), cmp.Compare(a.Rule.Code, b.Rule.Code))
				})
				for _, d := range diags {
					if d.Rule.Code == "BR091" && tt.cfg.Severity["BR091"] != 0 && d.Severity != tt.cfg.Severity["BR091"] {
						t.Errorf("BR091 severity %v, want %v", d.Severity, tt.cfg.Severity["BR091"])
					}
				}
			}
			if got := summary(diags); !slices.Equal(got, tt.want) {
				t.Errorf("got  %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestSuppressKnownRegistry(t *testing.T) {
	// A rule registered as known but not run is not unknown, and its
	// suppression is not unused either.
	p := loadSrc(t, "services:\n  a:\n    image: x:1 # berth:disable-line BR499 registered-elsewhere -- fine\n")
	if got := summary(Run(p, testRules, Config{Known: elsewhere})); len(got) != 0 {
		t.Errorf("got %q, want nothing", got)
	}
}

func TestSuppressMessages(t *testing.T) {
	p := loadSrc(t, "services:\n  a:\n    image: x:1 # berth:disable-line BR3O1\n")
	diags := Run(p, testRules, Config{Known: elsewhere})
	var msgs []string
	for _, d := range diags {
		msgs = append(msgs, d.Rule.Code+": "+d.Message)
	}
	want := []string{
		"BR092: berth:disable-line without a reason: end the comment with `-- why this is fine`",
		`BR090: "BR3O1" is not a berth rule: name a rule by code (BR301) or name (privileged); ` + "`berth rules` lists them",
	}
	if !slices.Equal(msgs, want) {
		t.Errorf("got  %q\nwant %q", msgs, want)
	}
}

func TestCommentStart(t *testing.T) {
	for line, want := range map[string]int{
		"# x":                 0,
		"a: b # x":            5,
		"a: b#x":              -1,
		`a: "b # x"`:          -1,
		`a: "b \" # x" # y`:   14,
		`a: 'it''s # x' # y`:  15,
		"a: it's # x":         8,
		"- 'a' # x":           6,
		"\ta: b\t# x":         6,
		`a: [ "x # y", z ] #`: 18,
	} {
		if got := commentStart(line); got != want {
			t.Errorf("commentStart(%q) = %d, want %d", line, got, want)
		}
	}
}
