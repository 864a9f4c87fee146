package fast

import (
	"encoding/json"
	"github.com/berth-compose/berth/schema/internal/specfix"
	"reflect"
	"regexp"
	"testing"

	"github.com/berth-compose/berth/schema/internal/cuegen"
	composeschema "github.com/compose-spec/compose-go/v2/schema"
)

// TestSchemaKeywords fails when compose-spec.json uses a keyword (or a
// format) this package does not interpret, so a compose-go bump cannot
// silently weaken validation. compileSchema enforces it; this test makes
// the failure visible in CI rather than at the first validation.
func TestSchemaKeywords(t *testing.T) {
	if _, err := compileSchema([]byte(composeschema.Schema)); err != nil {
		t.Fatalf("compose-go's schema does not compile: %v", err)
	}
	for _, bad := range []string{
		`{"type": "object", "dependentRequired": {}}`,
		`{"properties": {"a": {"if": {}}}}`,
		`{"type": "string", "format": "email"}`,
		`{"$ref": "#/$defs/missing"}`,
		`{"type": "objekt"}`,
	} {
		if _, err := compileSchema([]byte(bad)); err == nil {
			t.Errorf("%s: want a compile error", bad)
		}
	}
}

// TestPatternsCompile: patterns compile lazily at run time, so prove here
// that every pattern of the schema is valid RE2.
func TestPatternsCompile(t *testing.T) {
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "pattern" {
					if s, ok := x.(string); ok {
						if _, err := regexp.Compile(s); err != nil {
							t.Errorf("pattern %q: %v", s, err)
						}
					}
				}
				if k == "patternProperties" {
					if m, ok := x.(map[string]any); ok {
						for p := range m {
							if _, err := regexp.Compile(p); err != nil {
								t.Errorf("patternProperties %q: %v", p, err)
							}
						}
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var doc any
	if err := json.Unmarshal([]byte(composeschema.Schema), &doc); err != nil {
		t.Fatal(err)
	}
	walk(doc)
}

// TestFixUnevaluatedMatchesCuegen: the in-memory rewrite gives the same
// schema as the one compose.cue is generated from, for compose-go's schema
// and for the shapes cuegen's own tests use (accepted and rejected).
func TestFixUnevaluatedMatchesCuegen(t *testing.T) {
	inputs := []string{
		composeschema.Schema,
		`{"$defs": {
  "a": {"type": "object", "properties": {"x": {"type": "string"}}},
  "b": {"type": "object", "properties": {"y": {"type": "string"}}, "patternProperties": {"^z-": {}}},
  "svc": {"allOf": [{"$ref": "#/$defs/a"}, {"$ref": "#/$defs/b"}], "properties": {"own": {}}, "unevaluatedProperties": false}
}}`,
		`{"$defs": {"a": {"properties": {"x": {}}}, "s": {"allOf": [{"$ref": "#/$defs/a"}], "properties": {"x": {}}, "unevaluatedProperties": false}}}`,
		`{"$defs": {"a": {"additionalProperties": false}, "s": {"allOf": [{"$ref": "#/$defs/a"}], "unevaluatedProperties": false}}}`,
		`{"$defs": {"s": {"allOf": [{"type": "object"}], "unevaluatedProperties": false}}}`,
		`{"properties": {"p": {"unevaluatedProperties": false}}}`,
		`{"$defs": {"s": {"unevaluatedProperties": {"type": "string"}}}}`,
	}
	for i, in := range inputs {
		want, wantErr := cuegen.FixUnevaluated([]byte(in))
		var doc map[string]any
		if err := json.Unmarshal([]byte(in), &doc); err != nil {
			t.Fatal(err)
		}
		gotErr := specfix.Fix(doc)
		if (gotErr != nil) != (wantErr != nil) {
			t.Errorf("input %d: error %v, cuegen error %v", i, gotErr, wantErr)
			continue
		}
		if wantErr != nil {
			continue
		}
		var wantDoc map[string]any
		if err := json.Unmarshal(want, &wantDoc); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(doc, wantDoc) {
			t.Errorf("input %d: rewritten schema differs from cuegen's", i)
		}
	}
}
