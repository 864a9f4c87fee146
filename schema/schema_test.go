package schema_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/schema"
	"github.com/berth-compose/berth/schema/internal/cuegen"
	"github.com/berth-compose/berth/schema/spec"
)

// TestGeneratedSchemaUpToDate fails when compose.cue no longer matches what
// go generate would write, e.g. after a compose-go bump.
func TestGeneratedSchemaUpToDate(t *testing.T) {
	b, err := cuegen.Generate()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("compose.cue")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b, src) {
		t.Fatal("schema/compose.cue is stale: run `go generate ./schema` and commit the result")
	}
}

// TestCheckFixtures: the CUE schema accepts the data of every valid fixture
// and agrees with the run-time validator (jsonschema/v6) on every invalid
// one. Fixtures whose problem lies outside the JSON Schema (conflicting
// keys, parse errors) are accepted by both.
func TestCheckFixtures(t *testing.T) {
	files, _ := filepath.Glob("testdata/*/*.yaml")
	if len(files) < 40 {
		t.Fatalf("only %d fixtures", len(files))
	}
	opts := spec.Options{Interpolate: true}
	refused := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		pf, err := load.ParseFile(f, src)
		if err != nil {
			continue // a parse error: nothing to validate
		}
		for i, d := range spec.Data(pf.Docs, opts) {
			js, cue := spec.Accepts(d), schema.Check(d)
			if (js == nil) != (cue == nil) {
				t.Errorf("%s document %d: jsonschema/v6 says %v, CUE says %v", f, i, js, cue)
			}
			if filepath.Base(filepath.Dir(f)) == "valid" && cue != nil {
				t.Errorf("%s: CUE refuses a valid fixture: %v", f, cue)
			}
			if cue != nil {
				refused++
			}
		}
	}
	if refused < 30 {
		t.Errorf("CUE refused only %d fixture documents; the fixtures or the check are broken", refused)
	}
}

func TestRulesTable(t *testing.T) {
	seen := map[string]bool{}
	for i, r := range schema.Rules {
		if want := fmt.Sprintf("BR%03d", i+1); r.Code != want {
			t.Errorf("Rules[%d].Code = %s, want %s (codes are stable and in order)", i, r.Code, want)
		}
		if seen[r.Name] || r.Name == "" || r.Title == "" {
			t.Errorf("bad rule %+v", r)
		}
		seen[r.Name] = true
	}
}

func TestViolationString(t *testing.T) {
	v := schema.Violation{File: "c.yaml", Line: 4, Col: 5, Message: `unknown key "portz" in service "web"`, Rule: schema.RuleUnknownKey}
	if got, want := v.String(), `c.yaml:4:5: unknown key "portz" in service "web" (BR002 unknown-key)`; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}
