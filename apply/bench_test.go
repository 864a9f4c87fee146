package apply

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/berth-compose/berth/load"
)

// BenchmarkDiffApply20 times Diff on the 20-service benchmark project
// (testdata/bench/apply20, the one scripts/bench-apply.sh applies): from
// nothing (every network, volume and container to create) and converged
// (the no-op plan that `berth plan` computes after an apply).
func BenchmarkDiffApply20(b *testing.B) {
	file, err := filepath.Abs(filepath.Join("..", "testdata", "bench", "apply20", "compose.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	lp, err := load.Load(context.Background(), load.Options{Files: []string{file}, ProjectName: "bench", NoEnvResolution: true, KeepEnvFile: true})
	if err != nil {
		b.Fatal(err)
	}
	p := lp.Project
	empty := &Observed{Project: "bench", Images: images()}
	first, err := Diff(p, empty, Options{Wait: true})
	if err != nil {
		b.Fatal(err)
	}
	if len(first.Steps) != 20+5+4 {
		b.Fatalf("plan from nothing has %d steps, want 29", len(first.Steps))
	}
	var t testing.T
	up := converged(&t, first, empty)
	if next, err := Diff(p, up, Options{Wait: true}); err != nil || !next.Empty() {
		b.Fatalf("converged plan not empty: %v %v", err, summary(next))
	}
	b.Run("from-nothing", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Diff(p, empty, Options{Wait: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("no-op", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Diff(p, up, Options{Wait: true}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
