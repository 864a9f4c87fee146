package schema

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzValidate asserts that no input panics and that every violation is
// positioned (line and column at least 1), which lint relies on.
func FuzzValidate(f *testing.F) {
	for _, pattern := range []string{"testdata/invalid/*.yaml", "testdata/valid/*.yaml"} {
		files, _ := filepath.Glob(pattern)
		for _, file := range files {
			if b, err := os.ReadFile(file); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte(""))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("services: {web: {<<: [*x]}}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		for _, v := range Validate("fuzz.yaml", src) {
			if v.Line < 1 || v.Col < 1 {
				t.Fatalf("unpositioned violation %+v", v)
			}
			if v.Rule.Code == "" || v.Message == "" {
				t.Fatalf("incomplete violation %+v", v)
			}
		}
	})
}
