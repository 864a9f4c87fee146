package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/berth-compose/berth/apply"
)

// needDocker skips without a reachable engine, except under CI=true.
func needDocker(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	d, err := apply.ConnectEngine(ctx, apply.ConnectOptions{Env: os.Environ()})
	cancel()
	if err == nil {
		d.Close()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("docker is unreachable under CI=true: %v", err)
		}
		t.Skipf("skipped: docker is unreachable: %v", err)
	}
}

func TestPlanCLI(t *testing.T) {
	needDocker(t)
	project := "berthclitest" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	dir := t.TempDir()
	compose := "services:\n  web:\n    image: berth-cli-test-absent:1\n    environment:\n      API_TOKEN: ${API_TOKEN}\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("API_TOKEN=tok-123\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		env = append(env, "DOCKER_HOST="+h)
	}

	r := runBerth(t, dir, env, "-p", project, "plan", "--detailed-exitcode", "-o", "plan.json")
	if r.code != 2 || !strings.Contains(r.stdout, "+ container:"+project+"-web-1") ||
		!strings.Contains(r.stdout, "Plan: 1 to pull, 2 to create, 0 to recreate, 0 to remove.") {
		t.Fatalf("plan --detailed-exitcode: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = runBerth(t, dir, env, "-p", project, "plan", "--format", "json")
	var wire struct {
		FormatVersion int `json:"format_version"`
		Steps         []struct {
			Action  string   `json:"action"`
			Actions []string `json:"actions"`
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &wire); err != nil || r.code != 0 || wire.FormatVersion != 2 || len(wire.Steps) != 3 {
		t.Fatalf("plan --format json: code %d, %v\n%s", r.code, err, r.stdout)
	}
	if strings.Contains(r.stdout, "tok-123") {
		t.Error("plan --format json shows API_TOKEN without --show-sensitive")
	}
	if r = runBerth(t, dir, env, "-p", project, "plan", "--format", "json", "--show-sensitive"); !strings.Contains(r.stdout, "API_TOKEN=tok-123") {
		t.Error("--show-sensitive hides API_TOKEN")
	}
	saved, err := os.ReadFile(filepath.Join(dir, "plan.json"))
	if err != nil || !strings.Contains(string(saved), "API_TOKEN=tok-123") {
		t.Fatalf("saved plan lacks the real values (needed to apply it): %v", err)
	}

	// Docker changes behind berth's back: the saved plan refuses.
	net := project + "_default"
	out, err := exec.Command("docker", "network", "create", "--label", "com.docker.compose.project="+project, "--label", "com.docker.compose.network=default", net).CombinedOutput()
	if err != nil {
		t.Fatalf("docker network create: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "network", "rm", net).Run() })
	r = runBerth(t, dir, env, "apply", "plan.json")
	if r.code != 1 || !strings.Contains(r.stderr, "stale") || !strings.Contains(r.stderr, "network "+net) {
		t.Fatalf("apply of a stale plan: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	if r = runBerth(t, dir, env, "-p", project, "ps", "--format", "json"); r.code != 0 || !strings.Contains(r.stdout, `"format_version": 1`) {
		t.Errorf("ps --format json: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = runBerth(t, dir, env, "-p", project, "down"); r.code != 0 {
		t.Errorf("down: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if out, _ := exec.Command("docker", "network", "ls", "-q", "--filter", "name=^"+net+"$").Output(); len(strings.TrimSpace(string(out))) != 0 {
		t.Error("down left the network behind")
	}
}
