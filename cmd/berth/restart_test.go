package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSelectServicesCLI: plan SERVICE selects it with its dependencies, as
// docker compose up SERVICE; --no-deps leaves them out; restart of a service
// without containers is a usage error; --progress is checked.
func TestSelectServicesCLI(t *testing.T) {
	needDocker(t)
	project := "berthe2esel" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	dir := t.TempDir()
	compose := `services:
  db:
    image: berth-cli-test-absent:1
  web:
    image: berth-cli-test-absent:1
    depends_on: [db]
  other:
    image: berth-cli-test-absent:1
`
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		env = append(env, "DOCKER_HOST="+h)
	}
	containers := func(args ...string) []string {
		t.Helper()
		r := runBerth(t, dir, env, append([]string{"-p", project, "plan", "--format", "json"}, args...)...)
		var wire struct {
			Steps []struct {
				Action string `json:"action"`
				Name   string `json:"name"`
			} `json:"steps"`
		}
		if err := json.Unmarshal([]byte(r.stdout), &wire); err != nil || r.code != 0 {
			t.Fatalf("plan %v: code %d, %v\n%s%s", args, r.code, err, r.stdout, r.stderr)
		}
		var out []string
		for _, s := range wire.Steps {
			if s.Action == "create" {
				out = append(out, strings.TrimPrefix(s.Name, project+"-"))
			}
		}
		slices.Sort(out)
		return out
	}
	if got := containers("web"); !slices.Equal(got, []string{"db-1", "web-1"}) {
		t.Errorf("plan web creates %v, want db and web", got)
	}
	if got := containers("--no-deps", "web"); !slices.Equal(got, []string{"web-1"}) {
		t.Errorf("plan --no-deps web creates %v, want web only", got)
	}
	if got := containers(); !slices.Equal(got, []string{"db-1", "other-1", "web-1"}) {
		t.Errorf("plan creates %v, want all three", got)
	}
	if r := runBerth(t, dir, env, "-p", project, "restart", "web"); r.code != 2 || !strings.Contains(r.stderr, `service "web" has no container`) {
		t.Errorf("restart of a service without containers: code %d\n%s", r.code, r.stderr)
	}
	if r := runBerth(t, dir, env, "-p", project, "down", "--progress", "fancy"); r.code != 2 || !strings.Contains(r.stderr, "auto, tty, plain, json or quiet") {
		t.Errorf("down --progress fancy: code %d\n%s", r.code, r.stderr)
	}
}
