package kube_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-compose/berth/transform/kube"
)

// TestGolden converts the seed's examples, a fixture that exercises the
// mapping table, and samples of the corpus (copied under testdata/kube so
// that the test runs everywhere), and compares the stream and the warnings
// with reviewed golden files (go test -run TestGolden -update rewrites them).
func TestGolden(t *testing.T) {
	root := filepath.Join("..", "..", "testdata")
	type tc struct{ dir, file string }
	cases := []tc{
		{filepath.Join(root, "seed", "flask-redis"), "docker-compose.yml"},
		{filepath.Join(root, "seed", "nginx-lb"), "docker-compose.yml"},
		{filepath.Join(root, "seed", "healthcheck"), "docker-compose.yml"},
		{filepath.Join(root, "kube", "features"), "compose.yaml"},
	}
	samples, err := filepath.Glob(filepath.Join(root, "kube", "corpus", "*", "compose.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) < 10 {
		t.Fatalf("%d corpus samples under testdata/kube/corpus, want at least 10", len(samples))
	}
	for _, s := range samples {
		cases = append(cases, tc{filepath.Dir(s), filepath.Base(s)})
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.dir), func(t *testing.T) {
			dir, err := filepath.Abs(c.dir)
			if err != nil {
				t.Fatal(err)
			}
			res, err := kube.Convert(loadDir(t, dir, c.file), kube.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkObjects(t, res.Objects)
			stream, err := kube.Encode(res.Objects)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, dir, filepath.Join(dir, "kubernetes.golden.yaml"), string(stream))
			golden(t, dir, filepath.Join(dir, "kubernetes.warnings.golden.txt"), warningText(append(res.Warnings, res.Notices...)))
		})
	}
}

func golden(t *testing.T, dir, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run TestGolden -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- want\n%s\n--- got\n%s", path, want, got)
	}
	if strings.Contains(got, dir) {
		t.Errorf("%s holds a host path", path)
	}
}
