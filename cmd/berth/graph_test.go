package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGraphCommand runs berth graph as users do: the default Mermaid output
// is the reviewed golden of transform/graph, --format dot -o FILE writes
// the DOT golden to the file and nothing to stdout, SERVICE arguments keep
// those services and their dependencies, a bad --format is a usage error
// and a broken file a load error with file:line:col (both exit 2).
func TestGraphCommand(t *testing.T) {
	seed, err := filepath.Abs(filepath.Join("..", "..", "testdata", "seed", "nginx-lb"))
	if err != nil {
		t.Fatal(err)
	}
	goldens := filepath.Join("..", "..", "transform", "graph", "testdata", "seed")
	readGolden := func(name string) string {
		b, err := os.ReadFile(filepath.Join(goldens, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	env := []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}

	r := runBerth(t, seed, env, "graph", "-f", "docker-compose.yml")
	if r.code != 0 || r.stdout != readGolden("nginx-lb.mmd") {
		t.Errorf("graph: exit %d, stdout differs from nginx-lb.mmd:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}

	out := filepath.Join(t.TempDir(), "g.dot")
	r = runBerth(t, seed, env, "graph", "-f", "docker-compose.yml", "--format", "dot", "-o", out)
	got, err := os.ReadFile(out)
	if r.code != 0 || err != nil || string(got) != readGolden("nginx-lb.dot") || r.stdout != "" {
		t.Errorf("graph --format dot -o: exit %d, read %v, stdout %q, file:\n%s", r.code, err, r.stdout, got)
	}

	r = runBerth(t, seed, env, "graph", "-f", "docker-compose.yml", "nginx")
	if r.code != 0 || !strings.Contains(r.stdout, "s_nginx[") || !strings.Contains(r.stdout, "s_flask_2dredis[") || strings.Contains(r.stdout, "s_redis_2dserver") {
		t.Errorf("graph nginx: exit %d, want nginx and flask-redis (its dependency) without redis-server:\n%s", r.code, r.stdout)
	}

	r = runBerth(t, seed, env, "graph", "-f", "docker-compose.yml", "--format", "svg")
	if r.code != 2 || !strings.Contains(r.stderr, `unknown format "svg" (want mermaid or dot)`) {
		t.Errorf("graph --format svg: exit %d, stderr %q; want 2 and the allowed formats", r.code, r.stderr)
	}

	errs, err := filepath.Abs(filepath.Join("..", "..", "testdata", "errors"))
	if err != nil {
		t.Fatal(err)
	}
	r = runBerth(t, errs, env, "graph", "-f", "readme.yaml")
	if r.code != 2 || r.stdout != "" || !strings.Contains(r.stderr, "readme.yaml:5:5: unknown key \"portz\"") ||
		!strings.Contains(r.stderr, "readme.yaml:9:12: services.db.image") {
		t.Errorf("graph of a broken file: exit %d, stdout %q, stderr:\n%s\nwant exit 2 and each problem at file:line:col", r.code, r.stdout, r.stderr)
	}
}

// TestReadmeGraph holds the Mermaid block of the README's berth graph
// section to the command's output on the README's own example; run with
// -update to rewrite the block.
func TestReadmeGraph(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	r := runBerth(t, root, []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}, "graph", "-f", "testdata/seed/nginx-lb/docker-compose.yml")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	readmePath := filepath.Join(root, "README.md")
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	const section, fence = "## `berth graph`", "```mermaid\n"
	at := strings.Index(readme, section)
	if at < 0 {
		t.Fatalf("README.md has no %q section", section)
	}
	start := strings.Index(readme[at:], fence)
	if start < 0 {
		t.Fatalf("README.md: no %q block in the berth graph section", fence)
	}
	start += at + len(fence)
	end := strings.Index(readme[start:], "```\n")
	if end < 0 {
		t.Fatal("README.md: the mermaid block is not closed")
	}
	end += start
	if *update {
		readme = readme[:start] + r.stdout + readme[end:]
		if err := os.WriteFile(readmePath, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got := readme[start:end]; got != r.stdout {
		t.Errorf("README.md's graph (got) differs from berth graph's output (want) (go test ./cmd/berth -run TestReadmeGraph -update rewrites it):\n%s", lineDiff(r.stdout, got))
	}
}
