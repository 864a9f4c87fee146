package kubetest

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-compose/berth/internal/corpustest"
	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform/kube"
)

// testdata is berth's testdata folder, two levels up.
var testdata = filepath.Join("..", "..", "testdata")

// testEnv is the whole environment of a conversion: nothing of the machine
// running the tests leaks into interpolation (as in transform/kube's tests).
var testEnv = []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}

// project is one compose project the tests convert.
type project struct {
	kind string // seed, golden, corpus
	dir  string // absolute
	file string
}

func (p project) name() string { return p.kind + "-" + filepath.Base(p.dir) }

// seeds are the three seed projects.
func seeds(t *testing.T) []project {
	var out []project
	for _, s := range []string{"flask-redis", "nginx-lb", "healthcheck"} {
		out = append(out, project{"seed", abs(t, filepath.Join(testdata, "seed", s)), "docker-compose.yml"})
	}
	return out
}

// allProjects are the seeds, every golden fixture of transform/kube and
// every corpus file that loads.
func allProjects(t *testing.T) []project {
	out := seeds(t)
	out = append(out, project{"golden", abs(t, filepath.Join(testdata, "kube", "features")), "compose.yaml"})
	samples, err := filepath.Glob(filepath.Join(testdata, "kube", "corpus", "*", "compose.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) < 10 {
		t.Fatalf("%d golden corpus samples under testdata/kube/corpus, want at least 10", len(samples))
	}
	for _, s := range samples {
		out = append(out, project{"golden", abs(t, filepath.Dir(s)), filepath.Base(s)})
	}
	corpus := corpustest.Loadable(t)
	if len(corpus) != 38 {
		t.Fatalf("%d loadable corpus files, want 38", len(corpus))
	}
	for _, f := range corpus {
		out = append(out, project{"corpus", filepath.Dir(f), filepath.Base(f)})
	}
	return out
}

func abs(t *testing.T, p string) string {
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// convert converts p as `berth convert --to kubernetes` does.
func convert(t *testing.T, p project) kube.Result {
	t.Helper()
	lp, err := load.Load(context.Background(), load.Options{
		Files:           []string{filepath.Join(p.dir, p.file)},
		ProjectDir:      p.dir,
		Env:             testEnv,
		KeepEnvFile:     true,
		NoEnvResolution: true,
	})
	if err != nil {
		t.Fatalf("loading %s: %v", p.dir, err)
	}
	res, err := kube.Convert(lp, kube.Options{})
	if err != nil {
		t.Fatalf("converting %s: %v", p.dir, err)
	}
	return res
}

// namespaceFor is a namespace name of its own for p: a DNS label.
func namespaceFor(p project) string {
	n := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return '-'
	}, "berth-"+p.name())
	if len(n) > 63 {
		n = n[:63]
	}
	return strings.TrimRight(n, "-")
}
