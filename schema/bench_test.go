package schema

import (
	"os"
	"testing"
)

// BenchmarkValidate validates a medium (about 50 lines) valid file; the
// schema is compiled once, outside the timed loop, as in a long-running
// process that validates many files.
func BenchmarkValidate(b *testing.B) {
	src, err := os.ReadFile("testdata/valid/extensive.yaml")
	if err != nil {
		b.Fatal(err)
	}
	if vs := Validate("extensive.yaml", src); len(vs) > 0 {
		b.Fatal(vs)
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate("extensive.yaml", src)
	}
}

// BenchmarkValidateInvalid measures the re-validation rounds on a file with
// errors in several subtrees.
func BenchmarkValidateInvalid(b *testing.B) {
	src, err := os.ReadFile("testdata/invalid/same-service-many.yaml")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate("same-service-many.yaml", src)
	}
}
