package fast

import (
	"bytes"
	"os"
	"testing"

	composeschema "github.com/compose-spec/compose-go/v2/schema"
	yaml "go.yaml.in/yaml/v4"
)

// BenchmarkCompile measures what the first Validate of a process pays:
// decoding compose-spec.json and building the validator tree (patterns
// compile lazily, so they are not included).
func BenchmarkCompile(b *testing.B) {
	raw := []byte(composeschema.Schema)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := compileSchema(raw); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkValidate validates testdata/large.yaml (about 800 lines of real
// services) with the schema already compiled: the per-file cost of `berth
// config`/`lint` once the process is warm.
func BenchmarkValidate(b *testing.B) {
	src, err := os.ReadFile("testdata/large.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader(src)).Decode(&doc); err != nil {
		b.Fatal(err)
	}
	if vs := Validate("large.yaml", &doc); len(vs) > 0 {
		b.Fatalf("large.yaml is not valid: %v", vs)
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate("large.yaml", &doc)
	}
}
