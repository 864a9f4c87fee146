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
