package load

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoad feeds arbitrary bytes through the whole load path (parse, CUE
// schema, compose-go): it must never panic or hang, and every error that
// names a line must name a column too.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(benchCompose))
	f.Add([]byte("services:\n  web:\n    image: nginx\n    portz: 1\n"))
	f.Add([]byte("x: &a [*a]\n"))
	f.Add([]byte("services: {a: {image: x, depends_on: [b]}, b: {image: y, depends_on: [a]}}\n"))
	f.Add([]byte("services:\n\tweb:\n"))
	f.Add([]byte("services:\n  web:\n    image: ${X:?boom}\n"))
	dir := f.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		start := time.Now()
		_, err := Load(ctx, Options{Files: []string{path}, Env: []string{"PWD=" + dir}})
		if d := time.Since(start); d > 5*time.Second {
			t.Fatalf("load took %v", d)
		}
		var list Errors
		if errors.As(err, &list) {
			for _, e := range list {
				if e.Pos.Line > 0 && e.Pos.Column < 1 {
					t.Fatalf("error with a line but no column: %v", e)
				}
			}
		}
	})
}
