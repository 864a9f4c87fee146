package kube_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-compose/berth/transform/kube"
)

// TestChartGolden writes the chart of each seed project and compares its
// files with reviewed goldens (go test -run TestChartGolden -update).
// Rendering it with Helm is tested where Helm is linked: .ci/kube.
func TestChartGolden(t *testing.T) {
	for _, seed := range []string{"flask-redis", "nginx-lb", "healthcheck"} {
		t.Run(seed, func(t *testing.T) {
			dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "seed", seed))
			if err != nil {
				t.Fatal(err)
			}
			res, err := kube.Convert(loadDir(t, dir, "docker-compose.yml"), kube.Options{})
			if err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			if err := kube.WriteChart(out, res, kube.ChartOptions{}); err != nil {
				t.Fatal(err)
			}
			golden(t, dir, filepath.Join(dir, "helm.golden.txt"), chartText(t, out))
		})
	}
}

// TestChartRemovesStaleTemplates: a template berth wrote for an object that
// is gone is removed; a file of the user's is kept.
func TestChartRemovesStaleTemplates(t *testing.T) {
	res := convertText(t, "services:\n  web:\n    image: nginx:1.27\n    ports: [\"80\"]\n")
	out := t.TempDir()
	if err := kube.WriteChart(out, res, kube.ChartOptions{}); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(out, "templates", "mine.yaml")
	if err := os.WriteFile(mine, []byte("kind: ConfigMap\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = convertText(t, "services:\n  web:\n    image: nginx:1.27\n")
	if err := kube.WriteChart(out, res, kube.ChartOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(out, "templates", "service-web.yaml")); err == nil {
		t.Error("templates/service-web.yaml is left from the earlier conversion")
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the user's template is gone: %v", err)
	}
}

// chartText is every file of a chart, in path order, under a header line.
func chartText(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		b.WriteString("==> " + filepath.ToSlash(rel) + " <==\n")
		b.Write(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
