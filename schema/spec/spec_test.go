package spec_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	yaml "go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/schema/rules"
	"github.com/berth-compose/berth/schema/spec"
)

// wantRe matches an expectation comment in a testdata file:
//
//	# want 4:5 BR002
var wantRe = regexp.MustCompile(`#\s*want\s+(\d+):(\d+)\s+(BR\d{3})`)

func expectations(src []byte) []string {
	var out []string
	for _, m := range wantRe.FindAllSubmatch(src, -1) {
		out = append(out, fmt.Sprintf("%s:%s %s", m[1], m[2], m[3]))
	}
	sort.Strings(out)
	return out
}

func keys(vs []rules.Violation) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%d:%d %s", v.Line, v.Col, v.Rule.Code))
	}
	sort.Strings(out)
	return out
}

// validate parses src as berth does and validates it as compose-go would
// see it with no variables set. A file ParseFile refuses gives that error as
// the one violation, with the rule lint gives it (BR008 empty, BR009
// duplicate key, BR001 otherwise), so the fixtures pin parse errors too.
func validate(t testing.TB, name string, src []byte) []rules.Violation {
	t.Helper()
	f, err := load.ParseFile(name, src)
	if err != nil {
		var e *load.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: unpositioned parse error %v", name, err)
		}
		r := rules.RuleYAMLSyntax
		switch {
		case errors.Is(err, load.ErrEmptyFile):
			r = rules.RuleEmptyFile
		case errors.Is(err, load.ErrDuplicateKey):
			r = rules.RuleDuplicateKey
		}
		return []rules.Violation{{File: name, Line: e.Pos.Line, Col: e.Pos.Column, Rule: r, Message: e.Msg}}
	}
	return spec.Validate(name, f.Docs, spec.Options{Interpolate: true})
}

// TestInvalid checks every file under testdata/invalid: the set of
// (line:col, code) reported must equal the file's `# want` comments exactly,
// so both a missed problem and follow-on noise fail the test.
func TestInvalid(t *testing.T) {
	files, err := filepath.Glob("../testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 40 {
		t.Fatalf("only %d invalid fixtures, want at least 40", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := expectations(src)
			if len(want) == 0 {
				t.Fatal("fixture has no # want lines")
			}
			vs := validate(t, f, src)
			if g := keys(vs); !slices.Equal(g, want) {
				var b strings.Builder
				for _, v := range vs {
					fmt.Fprintf(&b, "\n  %s [%s]", v, v.Path)
				}
				t.Errorf("got %v, want %v%s", g, want, b.String())
			}
			for _, v := range vs {
				if v.Message == "" || v.File != f || v.Rule.Code == "" {
					t.Errorf("incomplete violation %+v", v)
				}
			}
		})
	}
}

func TestValid(t *testing.T) {
	files, err := filepath.Glob("../testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no valid fixtures")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if vs := validate(t, f, src); len(vs) > 0 {
				t.Errorf("want no violations, got %v", vs)
			}
		})
	}
}

// TestMessages pins the wording of the common cases users see most.
func TestMessages(t *testing.T) {
	cases := []struct{ src, want string }{
		{"services:\n  web:\n    image: x\n    portz: [1]\n", `unknown key "portz" in service "web"; did you mean "ports"?`},
		{"servces: {}\n", `unknown top-level key "servces" (extensions must start with "x-"); did you mean "services"?`},
		{"services:\n  web:\n    image: 5\n", `services.web.image: expected string, got integer 5`},
		{"services:\n  web:\n    extends: {file: x}\n", `missing required key "service" in services.web.extends`},
		{"services:\n  \"a b\":\n    image: x\n", `invalid service name "a b": only letters, digits, '.', '_' and '-' are allowed`},
		{"services:\n  my.app:\n    image: x\n    x: 1\n", `unknown key "x" in service "my.app"`},
		{"services:\n  web:\n    image: x\n    pull_policy: sometimes\n", `services.web.pull_policy: invalid value "sometimes": must match "^(always|never|build|if_not_present|missing|refresh|daily|weekly|every_([0-9]+[wdhms])+)$"`},
		{"services:\n  web:\n    image: x\n    depends_on: {db: {condition: started}}\n  db:\n    image: x\n", `services.web.depends_on.db.condition: invalid value "started", allowed: "service_started", "service_healthy", "service_completed_successfully"`},
		{"- a\n", "the document: expected mapping, got list"},
		{"services:\n  web:\n    image: [a]\n", "services.web.image: expected string, got list"},
		{"services:\n  web: true\n", "services.web: expected mapping, got boolean true"},
		{"services:\n  web:\n    image: x\n    cpus: .inf\n", "services.web.cpus: invalid value .inf, compose only accepts finite numbers"},
	}
	for _, c := range cases {
		f, err := load.ParseFile("m.yaml", []byte(c.src))
		var vs []rules.Violation
		if err == nil {
			vs = spec.Validate("m.yaml", f.Docs, spec.Options{Interpolate: true})
		} else if c.src != "- a\n" {
			t.Fatal(err)
		} else {
			// ParseFile refuses a top-level list first; validate the
			// document as the library would see it.
			vs = spec.Validate("m.yaml", mustDocs(t, c.src), spec.Options{})
		}
		if len(vs) != 1 || vs[0].Message != c.want {
			t.Errorf("%q: got %v, want one violation %q", c.src, vs, c.want)
		}
	}
}

func mustDocs(t *testing.T, src string) []*yaml.Node {
	t.Helper()
	docs, err := parseDocs([]byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return docs
}

func TestPathQuoting(t *testing.T) {
	vs := validate(t, "p.yaml", []byte("services:\n  my.app:\n    image: x\n    ports:\n      - true\n"))
	if len(vs) != 1 || vs[0].Path != `services."my.app".ports[0]` {
		t.Fatalf("got %+v", vs)
	}
}

// TestEnvironmentDecides: the same file is valid or not depending on the
// variables, as compose-go substitutes them before validating.
func TestEnvironmentDecides(t *testing.T) {
	src := []byte("services:\n  web:\n    image: x\n    pull_policy: ${P}\n    cpu_count: ${N:-2}\n")
	f, err := load.ParseFile("e.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	env := func(kv map[string]string) spec.Options {
		return spec.Options{Interpolate: true, Lookup: func(k string) (string, bool) { v, ok := kv[k]; return v, ok }}
	}
	if vs := spec.Validate("e.yaml", f.Docs, env(map[string]string{"P": "always"})); len(vs) != 0 {
		t.Errorf("P=always: got %v", vs)
	}
	if vs := spec.Validate("e.yaml", f.Docs, env(map[string]string{"P": "sometimes"})); len(vs) != 1 || vs[0].Line != 4 || vs[0].Col != 18 {
		t.Errorf("P=sometimes: got %v, want one violation at 4:18", vs)
	}
	// A cast that fails is compose-go's interpolation error, not a schema one.
	if vs := spec.Validate("e.yaml", f.Docs, env(map[string]string{"P": "always", "N": "two"})); len(vs) != 0 {
		t.Errorf("N=two: got %v", vs)
	}
	// --no-interpolate: compose-go validates the text as written
	// (cpu_count may be a string).
	if vs := spec.Validate("e.yaml", f.Docs, spec.Options{}); len(vs) != 1 || vs[0].Line != 4 {
		t.Errorf("not interpolated: got %v, want one violation on line 4", vs)
	}
}

func TestConcurrentValidate(t *testing.T) {
	f, err := load.ParseFile("c.yaml", []byte("services:\n  web:\n    image: 5\n    portz: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan []rules.Violation)
	for range 8 {
		go func() { done <- spec.Validate("c.yaml", f.Docs, spec.Options{}) }()
	}
	for range 8 {
		if vs := <-done; len(vs) != 2 {
			t.Errorf("got %v", vs)
		}
	}
}
