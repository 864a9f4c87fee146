package schema

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/berth-compose/berth/schema/internal/cuegen"
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

func got(vs []Violation) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%d:%d %s", v.Line, v.Col, v.Rule.Code))
	}
	sort.Strings(out)
	return out
}

// TestInvalid checks every file under testdata/invalid: the set of
// (line:col, code) reported must equal the file's `# want` comments exactly,
// so both a missed problem and follow-on noise fail the test.
func TestInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
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
			vs := Validate(f, src)
			if g := got(vs); !slices.Equal(g, want) {
				var b strings.Builder
				for _, v := range vs {
					fmt.Fprintf(&b, "\n  %s", v)
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
	files, err := filepath.Glob("testdata/valid/*.yaml")
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
			if vs := Validate(f, src); len(vs) > 0 {
				t.Errorf("want no violations, got %v", vs)
			}
		})
	}
}

// TestCorpus validates the real-world compose files of the shared corpus
// (docker/awesome-compose). They are all accepted by Docker Compose, so any
// violation is a false positive.
func TestCorpus(t *testing.T) {
	dir := os.Getenv("BERTH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "shared", "corpus")
	}
	files, _ := filepath.Glob(filepath.Join(dir, "awesome", "*", "compose.y*ml"))
	if len(files) == 0 {
		msg := fmt.Sprintf("corpus not found under %s (set BERTH_CORPUS)", dir)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if len(files) != 39 {
		t.Errorf("found %d corpus files, want 39", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(filepath.Dir(f)), func(t *testing.T) {
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if vs := Validate(f, src); len(vs) > 0 {
				t.Errorf("want no violations, got %v", vs)
			}
		})
	}
}

// TestGeneratedSchemaUpToDate fails when compose.cue no longer matches what
// go generate would write, e.g. after a compose-go bump.
func TestGeneratedSchemaUpToDate(t *testing.T) {
	b, err := cuegen.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, composeCUE) {
		t.Fatal("schema/compose.cue is stale: run `go generate ./schema` and commit the result")
	}
}

func TestViolationString(t *testing.T) {
	v := Violation{File: "c.yaml", Line: 4, Col: 5, Message: `unknown key "portz" in service "web"`, Rule: RuleUnknownKey}
	if got, want := v.String(), `c.yaml:4:5: unknown key "portz" in service "web" (BR002 unknown-key)`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestRulesTable(t *testing.T) {
	seen := map[string]bool{}
	for i, r := range Rules {
		if want := fmt.Sprintf("BR%03d", i+1); r.Code != want {
			t.Errorf("Rules[%d].Code = %s, want %s (codes are stable and in order)", i, r.Code, want)
		}
		if seen[r.Name] || r.Name == "" || r.Title == "" {
			t.Errorf("bad rule %+v", r)
		}
		seen[r.Name] = true
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
	}
	for _, c := range cases {
		vs := Validate("m.yaml", []byte(c.src))
		if len(vs) != 1 || vs[0].Message != c.want {
			t.Errorf("%q: got %v, want one violation %q", c.src, vs, c.want)
		}
	}
}

func TestPathQuoting(t *testing.T) {
	vs := Validate("p.yaml", []byte("services:\n  my.app:\n    ports:\n      - true\n"))
	if len(vs) != 1 || vs[0].Path != `services."my.app".ports[0]` {
		t.Fatalf("got %+v", vs)
	}
}

func TestFixUnevaluated(t *testing.T) {
	// The shape newer compose-go releases use for services.
	in := []byte(`{"$defs": {
  "a": {"type": "object", "properties": {"x": {"type": "string"}}},
  "b": {"type": "object", "properties": {"y": {"type": "string"}}, "patternProperties": {"^z-": {}}},
  "svc": {"allOf": [{"$ref": "#/$defs/a"}, {"$ref": "#/$defs/b"}], "properties": {"own": {}}, "unevaluatedProperties": false}
}}`)
	out, err := cuegen.FixUnevaluated(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"additionalProperties": false`, `"x"`, `"y"`, `"own"`, `"^z-"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("rewritten schema lacks %s:\n%s", want, out)
		}
	}
	if bytes.Contains(out, []byte("unevaluatedProperties")) || bytes.Contains(out, []byte("allOf")) {
		t.Errorf("rewritten schema still has unevaluatedProperties/allOf:\n%s", out)
	}
	for name, bad := range map[string]string{
		"duplicate property": `{"$defs": {"a": {"properties": {"x": {}}}, "s": {"allOf": [{"$ref": "#/$defs/a"}], "properties": {"x": {}}, "unevaluatedProperties": false}}}`,
		"closed allOf":       `{"$defs": {"a": {"additionalProperties": false}, "s": {"allOf": [{"$ref": "#/$defs/a"}], "unevaluatedProperties": false}}}`,
		"inline allOf":       `{"$defs": {"s": {"allOf": [{"type": "object"}], "unevaluatedProperties": false}}}`,
		"nested keyword":     `{"properties": {"p": {"unevaluatedProperties": false}}}`,
		"schema value":       `{"$defs": {"s": {"unevaluatedProperties": {"type": "string"}}}}`,
	} {
		if _, err := cuegen.FixUnevaluated([]byte(bad)); err == nil {
			t.Errorf("%s: want an error (fail closed)", name)
		}
	}
}

func TestEmptyAndSyntax(t *testing.T) {
	for _, src := range []string{"", "\n\n", "# only a comment\n", "---\n", "---\n---\n"} {
		vs := Validate("e.yaml", []byte(src))
		if len(vs) != 1 || vs[0].Rule != RuleEmptyFile || vs[0].Line != 1 || vs[0].Col != 1 {
			t.Errorf("%q: got %v, want one BR008 at 1:1", src, vs)
		}
	}
	vs := Validate("s.yaml", []byte("services:\n  web:\n    image: [x\n"))
	if len(vs) != 1 || vs[0].Rule != RuleYAMLSyntax || vs[0].Line < 3 {
		t.Errorf("got %v, want one BR001 on line >= 3", vs)
	}
}

func TestConcurrentValidate(t *testing.T) {
	src := []byte("services:\n  web:\n    image: 5\n    portz: 1\n")
	done := make(chan []Violation)
	for range 8 {
		go func() { done <- Validate("c.yaml", src) }()
	}
	for range 8 {
		if vs := <-done; len(vs) != 2 {
			t.Errorf("got %v", vs)
		}
	}
}

// TestMergeBomb: nested merge keys must be refused quickly, not expanded.
func TestMergeBomb(t *testing.T) {
	var b strings.Builder
	b.WriteString("x0: &a0 {k: v}\n")
	for i := 1; i < 12; i++ {
		fmt.Fprintf(&b, "x%d: &a%d\n  <<: [", i, i)
		for j := range 8 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*a%d", i-1)
		}
		b.WriteString("]\n")
	}
	b.WriteString("services:\n  web:\n    <<: *a11\n")
	vs := Validate("bomb.yaml", []byte(b.String()))
	if len(vs) != 1 || vs[0].Rule != RuleYAMLSyntax {
		t.Fatalf("got %v, want one BR001", vs)
	}
}

func TestWrongTypeWording(t *testing.T) {
	cases := map[string]string{
		"- a\n":                               "the document: expected mapping, got list",
		"services:\n  web:\n    image: [a]\n": "services.web.image: expected string, got list",
		"services:\n  web: true\n":            "services.web: expected mapping, got boolean true",
	}
	for src, want := range cases {
		vs := Validate("w.yaml", []byte(src))
		if len(vs) != 1 || vs[0].Message != want {
			t.Errorf("%q: got %v, want %q", src, vs, want)
		}
	}
}
