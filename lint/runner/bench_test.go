package runner

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// The benchmarks time one Run as `berth lint FILE...` does it, without the
// process start-up that scripts/bench.sh adds: one small file, the 788-line
// large file, and the corpus in one call.

// benchFlask is shaped like the corpus's flask-redis file, the one
// scripts/bench.sh lints against dclint: two services, a build with a
// target, ports, a bind mount and depends_on.
const benchFlask = `services:
  redis:
    image: redislabs/redismod
    ports:
      - '6379:6379'
  web:
    build:
      context: .
      target: builder
    # flask requires SIGINT to stop gracefully
    stop_signal: SIGINT
    ports:
      - '8000:8000'
    volumes:
      - .:/code
    depends_on:
      - redis
`

func benchRun(b *testing.B, files []string) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		res, err := Runner{}.Run(context.Background(), files)
		if err != nil {
			b.Fatal(err)
		}
		if len(res.Errors) != 0 {
			b.Fatal(res.Err())
		}
	}
}

func BenchmarkRunOne(b *testing.B) {
	dir := b.TempDir()
	if err := os.Mkdir(filepath.Join(dir, ".git"), 0o755); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(benchFlask), 0o644); err != nil {
		b.Fatal(err)
	}
	benchRun(b, []string{file})
}

func BenchmarkRunLarge(b *testing.B) {
	file, err := filepath.Abs("../../testdata/bench/large/compose.yaml")
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, []string{file})
}

// BenchmarkRunCorpus lints the corpus compose files ($BERTH_CORPUS, the
// folder holding awesome/; else the shared corpus beside the checkout) in
// one Run, as `berth lint` of all 39 does.
func BenchmarkRunCorpus(b *testing.B) {
	dir := os.Getenv("BERTH_CORPUS")
	if dir == "" {
		dir = "../../../shared/corpus"
	}
	files, err := filepath.Glob(filepath.Join(dir, "awesome", "*", "*.y*ml"))
	if err != nil {
		b.Fatal(err)
	}
	if len(files) == 0 {
		b.Skipf("no corpus compose files under %s/awesome: set BERTH_CORPUS to the folder holding awesome/", dir)
	}
	benchRun(b, files)
}
