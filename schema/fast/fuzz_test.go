package fast_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-compose/berth/schema/fast"
)

// FuzzValidate: any document yaml/v4 accepts must validate without a panic
// or a hang, and every violation must carry a usable position.
func FuzzValidate(f *testing.F) {
	for _, src := range edgeCases {
		f.Add([]byte(src))
	}
	seeds, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*.yaml"))
	for _, s := range seeds {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("x: &a {<<: *a}\nservices: {web: {<<: [*a, *a]}}\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		docs, err := parseDocs(src)
		if err != nil {
			return
		}
		for _, v := range fast.ValidateDocs("f.yaml", docs) {
			if v.Line < 1 || v.Col < 1 || v.Rule.Code == "" || v.Message == "" {
				t.Fatalf("bad violation %+v for %q", v, src)
			}
		}
	})
}
