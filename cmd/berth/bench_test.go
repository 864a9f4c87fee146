package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-compose/berth/internal/cli"
)

// The benchmarks run whole berth commands in-process, through the same
// run() that main calls, so that a CPU profile of one
// (go test -run '^$' -bench ConfigQuiet -cpuprofile cpu.out ./cmd/berth)
// shows the command's own time without process start-up and package
// initialisation, which scripts/bench.sh measures on top.

// benchCommand runs `berth args...` b.N times in dir and fails on an exit
// status other than want.
func benchCommand(b *testing.B, want int, dir string, args ...string) {
	b.Helper()
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + b.TempDir(), "PWD=" + dir}
	s := cli.Streams{In: eofReader{}, Out: io.Discard, Err: io.Discard}
	b.ReportAllocs()
	for b.Loop() {
		if code := run(context.Background(), args, s, env); code != want {
			b.Fatalf("berth %v exited %d, want %d", args, code, want)
		}
	}
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// benchFiles returns the absolute paths of the large bench file and of a
// small two-service project written for the benchmark.
func benchFiles(b *testing.B) (small, large string) {
	b.Helper()
	large, err := filepath.Abs("../../testdata/bench/large/compose.yaml")
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		b.Fatal(err)
	}
	small = filepath.Join(dir, "compose.yaml")
	content := "services:\n  redis:\n    image: redis:7\n    ports: ['6379:6379']\n" +
		"  web:\n    build:\n      context: .\n      target: builder\n    stop_signal: SIGINT\n" +
		"    ports: ['8000:8000']\n    volumes: ['.:/code']\n    depends_on: [redis]\n"
	if err := os.WriteFile(small, []byte(content), 0o644); err != nil {
		b.Fatal(err)
	}
	return small, large
}

func BenchmarkConfigQuiet(b *testing.B) {
	small, large := benchFiles(b)
	b.Run("small", func(b *testing.B) { benchCommand(b, 0, filepath.Dir(small), "config", "-q", "-f", small) })
	b.Run("large", func(b *testing.B) { benchCommand(b, 0, filepath.Dir(large), "config", "-q", "-f", large) })
}

func BenchmarkLint(b *testing.B) {
	small, large := benchFiles(b)
	b.Run("small", func(b *testing.B) { benchCommand(b, 0, filepath.Dir(small), "lint", "--no-color", small) })
	// The large file has findings at the default fail-on severity.
	b.Run("large", func(b *testing.B) { benchCommand(b, 1, filepath.Dir(large), "lint", "--no-color", large) })
}
