package kube_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform/kube"
)

// FuzzConvert: whatever compose file loads, its conversion must not panic,
// and what it writes must encode (go test -fuzz FuzzConvert ./transform/kube).
func FuzzConvert(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "kube", "*", "*", "compose.y*ml"))
	more, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "kube", "features", "compose.yaml"))
	for _, s := range append(seeds, more...) {
		if b, err := os.ReadFile(s); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("services:\n  a:\n    image: a\n    healthcheck: {}\n    deploy: {}\n    ports: ['1-3:1-3/udp']\n    expose: ['9-1']\n"))
	path := filepath.Join(f.TempDir(), "compose.yaml")
	f.Fuzz(func(t *testing.T, compose []byte) {
		if err := os.WriteFile(path, compose, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := load.Load(context.Background(), load.Options{
			Files: []string{path}, ProjectName: "fuzz", Env: testEnv, KeepEnvFile: true, NoEnvResolution: true,
		})
		if err != nil {
			return // not a project: load reports it
		}
		res, err := kube.Convert(p, kube.Options{})
		if err != nil {
			return
		}
		if _, err := kube.Encode(res.Objects); err != nil {
			t.Fatalf("encoding: %v", err)
		}
	})
}
