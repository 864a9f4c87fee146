package main

import (
	"context"
	"io"
	"testing"

	"github.com/berth-compose/berth/internal/cli"
)

// BenchmarkVersion is the work main does for `berth --version` after the
// runtime and package initialisation: building the command tree and
// dispatching.
func BenchmarkVersion(b *testing.B) {
	for b.Loop() {
		if code := run(context.Background(), []string{"--version"}, cli.Streams{Out: io.Discard, Err: io.Discard}, nil); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
