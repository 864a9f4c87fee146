package spec_test

import (
	"encoding/json"
	"os"
	"testing"

	composeschema "github.com/compose-spec/compose-go/v2/schema"
	yaml "go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/schema"
	"github.com/berth-compose/berth/schema/spec"
)

var benchFiles = map[string]string{
	"small": "../../testdata/bench/small/compose.yaml",
	"large": "../../testdata/bench/large/compose.yaml",
}

// benchFiles are the two files the choice of validator was measured on: a
// 51-line corpus file and the 788-line, 57-service file of testdata/bench.
func benchSrc(b *testing.B, name string) ([]byte, *load.File) {
	src, err := os.ReadFile(benchFiles[name])
	if err != nil {
		b.Fatal(err)
	}
	f, err := load.ParseFile(name, src)
	if err != nil {
		b.Fatal(err)
	}
	return src, f
}

// BenchmarkCUE is the CUE reference's evaluation of the same data the
// run-time validator checks (compose.cue compiled once, outside the loop).
func BenchmarkCUE(b *testing.B) {
	for _, n := range []string{"small", "large"} {
		b.Run(n, func(b *testing.B) {
			_, f := benchSrc(b, n)
			data := spec.Data(f.Docs, spec.Options{Interpolate: true})
			for _, d := range data {
				if err := schema.Check(d); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				for _, d := range data {
					_ = schema.Check(d)
				}
			}
		})
	}
}

func BenchmarkSpec(b *testing.B) {
	for _, n := range []string{"small", "large"} {
		b.Run(n, func(b *testing.B) {
			_, f := benchSrc(b, n)
			if vs := spec.Validate(n, f.Docs, spec.Options{Interpolate: true}); len(vs) > 0 {
				b.Fatal(vs)
			}
			for b.Loop() {
				spec.Validate(n, f.Docs, spec.Options{Interpolate: true})
			}
		})
	}
}

// BenchmarkComposeGo is compose-go's own schema.Validate on the decoded
// file, as its loader calls it (it marshals to JSON and back first).
func BenchmarkComposeGo(b *testing.B) {
	for _, n := range []string{"small", "large"} {
		b.Run(n, func(b *testing.B) {
			src, _ := benchSrc(b, n)
			var m map[string]any
			if err := yaml.Unmarshal(src, &m); err != nil {
				b.Fatal(err)
			}
			bs, _ := json.Marshal(m)
			var dict map[string]any
			_ = json.Unmarshal(bs, &dict)
			if err := composeschema.Validate(dict); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				_ = composeschema.Validate(dict)
			}
		})
	}
}

func BenchmarkCompileSpec(b *testing.B) {
	for b.Loop() {
		if _, err := spec.Compile(composeschema.Schema); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode is spec.Decode, the per-node check of what compose-go
// refuses after the schema (every value decoded on its own).
func BenchmarkDecode(b *testing.B) {
	for _, n := range []string{"small", "large"} {
		b.Run(n, func(b *testing.B) {
			_, f := benchSrc(b, n)
			if vs := spec.Decode(n, f.Docs, spec.Options{Interpolate: true}); len(vs) > 0 {
				b.Fatal(vs)
			}
			for b.Loop() {
				spec.Decode(n, f.Docs, spec.Options{Interpolate: true})
			}
		})
	}
}
