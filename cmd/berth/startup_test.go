package main

import (
	"context"
	"io"
	"testing"
)

// BenchmarkVersion is the work main does for `berth --version` after the
// runtime and package initialisation: building the command tree and
// dispatching.
func BenchmarkVersion(b *testing.B) {
	for b.Loop() {
		if code := run(context.Background(), []string{"--version"}, streams{in: nil, out: io.Discard, err: io.Discard}, nil); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
