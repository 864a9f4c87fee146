package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestSeedGolden runs berth config on the tutorial's examples
// (testdata/seed) and compares with reviewed golden outputs. Absolute paths
// are written as @DIR@ in the goldens.
func TestSeedGolden(t *testing.T) {
	seed, err := filepath.Abs(filepath.Join("..", "..", "testdata", "seed"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, dir, golden string
		args              []string
	}{
		{"flask-redis", "flask-redis", "config.golden.yaml", nil},
		{"nginx-lb with .env", "nginx-lb", "config.golden.yaml", nil},
		{"nginx-lb with --env-file ./myenv", "nginx-lb", "config.myenv.golden.yaml", []string{"--env-file", "./myenv"}},
		{"healthcheck", "healthcheck", "config.golden.yaml", nil},
		{"healthcheck json", "healthcheck", "config.golden.json", []string{"--format", "json"}},
		{"healthcheck resolve-defaults", "healthcheck", "config.defaults.golden.yaml", []string{"--resolve-defaults"}},
		{"nginx-lb services", "nginx-lb", "services.golden.txt", []string{"--services"}},
	}
	env := []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(seed, c.dir)
			args := append([]string{"config", "-f", "docker-compose.yml"}, c.args...)
			r := runBerth(t, dir, env, args...)
			if r.code != 0 {
				t.Fatalf("exit %d\n%s", r.code, r.stderr)
			}
			got := strings.ReplaceAll(r.stdout, dir, "@DIR@")
			golden := filepath.Join(dir, c.golden)
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestSeedGolden -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n%s", golden, lineDiff(string(want), got))
			}
		})
	}
}

// TestConfigRoundTrip feeds berth config's output back to berth config: the
// canonical form must be a fixed point, for the seed and the corpus.
func TestConfigRoundTrip(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "seed", "*"))
	for _, s := range corpusSamples(t) {
		if s.name != "plex" { // plex does not load at all (see TestCorpusParity)
			dirs = append(dirs, s.dir)
		}
	}
	env := []string{"HOME=" + oracleHome, "PATH=/usr/bin:/bin"}
	for _, dir := range dirs {
		dir, _ = filepath.Abs(dir)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			first := runBerth(t, dir, env, "config")
			if first.code != 0 {
				t.Fatalf("exit %d: %s", first.code, first.stderr)
			}
			canon := filepath.Join(t.TempDir(), "canonical.yaml")
			if err := os.WriteFile(canon, []byte(first.stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			second := runBerth(t, dir, env, "config", "-f", canon, "--project-directory", dir)
			if second.code != 0 {
				t.Fatalf("canonical output does not load: exit %d: %s", second.code, second.stderr)
			}
			if second.stdout != first.stdout {
				t.Errorf("config of config differs:\n%s", lineDiff(first.stdout, second.stdout))
			}
		})
	}
}
