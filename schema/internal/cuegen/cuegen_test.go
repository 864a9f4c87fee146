package cuegen_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	composeschema "github.com/compose-spec/compose-go/v2/schema"

	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/schema/internal/cuegen"
	"github.com/berth-compose/berth/schema/spec"
)

// schemas are the compose-spec JSON Schemas the generator must handle: the
// one of the compose-go berth requires (v2.15.0, whose output is committed
// as schema/compose.cue, byte for byte) and the newest release's.
func schemas(t *testing.T) map[string]string {
	t.Helper()
	v217, err := os.ReadFile("testdata/compose-spec-v2.17.0.json")
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"v2.15.0": composeschema.Schema, "v2.17.0": string(v217)}
}

// cases are files every compose-spec release accepts or refuses.
var cases = []struct {
	name, src string
	ok        bool
}{
	{"minimal", "services:\n  web:\n    image: nginx\n    ports: ['80:80']\n", true},
	{"extensive", "services:\n  web:\n    image: nginx\n    restart: always\n    healthcheck: {test: [CMD, 'true'], interval: 10s}\n    depends_on: {db: {condition: service_healthy}}\n    environment: [A=1]\n    x-note: 1\n  db:\n    image: postgres\nnetworks:\n  front: {}\nvolumes:\n  data: {}\nx-top: 1\n", true},
	{"unknown service key", "services:\n  web:\n    image: nginx\n    portz: 1\n", false},
	{"unknown healthcheck key", "services:\n  web:\n    image: nginx\n    healthcheck: {intervall: 1s}\n", false},
	{"unknown top key", "servicez: {}\n", false},
	{"wrong type", "services:\n  web:\n    image: 5\n", false},
	{"bad enum", "services:\n  web:\n    image: x\n    pull_policy: sometimes\n", false},
	{"missing required", "services:\n  web:\n    image: x\n    extends: {file: other.yaml}\n", false},
	{"bad service name", "services:\n  \"a b\":\n    image: x\n", false},
	{"range", "services:\n  web:\n    image: x\n    oom_score_adj: 5000\n", false},
}

// TestGenerateFromBothReleases generates CUE from both schemas, checks that
// it compiles and gives the expected verdict on every case, the same verdict
// as jsonschema/v6 on that release's JSON Schema; the v2.15.0 output must be
// the committed compose.cue.
func TestGenerateFromBothReleases(t *testing.T) {
	committed, err := os.ReadFile("../../compose.cue")
	if err != nil {
		t.Fatal(err)
	}
	for rel, src := range schemas(t) {
		t.Run(rel, func(t *testing.T) {
			out, err := cuegen.GenerateFrom([]byte(src))
			if err != nil {
				t.Fatalf("generating CUE: %v", err)
			}
			if rel == "v2.15.0" && !bytes.Equal(out, committed) {
				t.Error("the v2.15.0 output differs from schema/compose.cue: run go generate ./schema")
			}
			ctx := cuecontext.New()
			s := ctx.CompileBytes(out, cue.Filename("compose.cue"))
			if err := s.Err(); err != nil {
				t.Fatalf("generated CUE does not compile: %v", err)
			}
			js, err := spec.Compile(src)
			if err != nil {
				t.Fatalf("compiling the JSON Schema: %v", err)
			}
			for _, c := range cases {
				f, err := load.ParseFile(c.name+".yaml", []byte(c.src))
				if err != nil {
					t.Fatal(err)
				}
				data := spec.Data(f.Docs, spec.Options{})
				b, err := json.Marshal(data[0])
				if err != nil {
					t.Fatal(err)
				}
				cueErr := s.Unify(ctx.CompileBytes(b)).Validate(cue.Concrete(true))
				jsVs := spec.Validate(c.name, f.Docs, spec.Options{Schema: js})
				if (cueErr == nil) != c.ok {
					t.Errorf("%s: CUE says %v, want ok=%v", c.name, cueErr, c.ok)
				}
				if (len(jsVs) == 0) != c.ok {
					t.Errorf("%s: jsonschema/v6 says %v, want ok=%v", c.name, jsVs, c.ok)
				}
			}
		})
	}
}

// TestNewerReleaseClosesServices: v2.16 and later build services with
// allOf + unevaluatedProperties, which CUE's encoder leaves open unless
// rewritten; a key of none of the parts must still be refused (the
// canary), and keys of both parts accepted.
func TestNewerReleaseClosesServices(t *testing.T) {
	out, err := cuegen.GenerateFrom([]byte(schemas(t)["v2.17.0"]))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "unevaluatedProperties") {
		t.Error("generated CUE mentions unevaluatedProperties")
	}
}

func TestFixUnevaluated(t *testing.T) {
	// The shape newer compose-go releases use for services, with a pattern
	// both parts define (as container_spec and workload_spec both allow x-).
	in := []byte(`{"$defs": {
  "a": {"type": "object", "properties": {"x": {"type": "string"}}, "patternProperties": {"^z-": {}}},
  "b": {"type": "object", "properties": {"y": {"type": "string"}, "x": {"minLength": 1}}, "patternProperties": {"^z-": {}}},
  "svc": {"allOf": [{"$ref": "#/$defs/a"}, {"$ref": "#/$defs/b"}], "properties": {"own": {}}, "unevaluatedProperties": false}
}}`)
	out, err := cuegen.FixUnevaluated(in)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Defs map[string]map[string]any `json:"$defs"`
	}
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	svc := doc.Defs["svc"]
	if svc["additionalProperties"] != false || svc["allOf"] != nil || svc["unevaluatedProperties"] != nil {
		t.Errorf("svc not closed: %v", svc)
	}
	props, _ := svc["properties"].(map[string]any)
	for _, k := range []string{"x", "y", "own"} {
		if props[k] == nil {
			t.Errorf("property %s not inlined: %v", k, props)
		}
	}
	if x, _ := props["x"].(map[string]any); x["allOf"] == nil {
		t.Errorf("x, defined differently by both parts, must satisfy both: %v", props["x"])
	}
	if pats, _ := svc["patternProperties"].(map[string]any); len(pats) != 1 {
		t.Errorf("the shared pattern must appear once: %v", svc["patternProperties"])
	}
	for name, bad := range map[string]string{
		"closed allOf":   `{"$defs": {"a": {"additionalProperties": false}, "s": {"allOf": [{"$ref": "#/$defs/a"}], "unevaluatedProperties": false}}}`,
		"inline allOf":   `{"$defs": {"s": {"allOf": [{"type": "object"}], "unevaluatedProperties": false}}}`,
		"nested keyword": `{"properties": {"p": {"unevaluatedProperties": false}}}`,
		"schema value":   `{"$defs": {"s": {"unevaluatedProperties": {"type": "string"}}}}`,
	} {
		if _, err := cuegen.FixUnevaluated([]byte(bad)); err == nil {
			t.Errorf("%s: want an error (fail closed)", name)
		}
	}
}
