package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"

	"github.com/berth-compose/berth/apply/swarm"
	"github.com/berth-compose/berth/internal/swarmtest"
)

var (
	swarmOnce sync.Once
	swarmEnv  *swarmtest.Env
	swarmErr  error
)

// needSwarm gives the test a single-node swarm with swarmtest.Image (see
// swarmtest); without an engine it skips, and fails under CI=true.
func needSwarm(t *testing.T) *swarmtest.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	swarmOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		swarmEnv, swarmErr = swarmtest.Setup(ctx, "../..")
	})
	if swarmErr != nil {
		if os.Getenv("CI") == "true" || swarmEnv != nil && swarmEnv.Engine != nil {
			t.Fatalf("swarm setup: %v", swarmErr)
		}
		t.Skipf("skipped: %v", swarmErr)
	}
	return swarmEnv
}

func teardownSwarm() error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return swarmEnv.Teardown(ctx)
}

// TestSwarmCommandsE2E runs plan, apply, ps and down with --swarm as users
// do: exit codes, the saved plan refused after drift, JSON output.
func TestSwarmCommandsE2E(t *testing.T) {
	env := needSwarm(t)
	dir := t.TempDir()
	name := uniqueName("berthswcli")
	write := func(file, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("compose.yaml", `services:
  kv:
    image: `+swarmtest.Image+`
    command: [kv]
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 1s
    volumes: [data:/data]
    deploy:
      endpoint_mode: dnsrr
  web:
    image: `+swarmtest.Image+`
    command: [web]
    environment:
      KV_ADDR: kv:6379
      GREETING: ${GREETING}
    depends_on:
      kv:
        condition: service_healthy
    configs: [cfg]
    deploy:
      endpoint_mode: dnsrr
volumes:
  data:
configs:
  cfg:
    content: "setting=1"
`)
	write(".env", "GREETING=hello\n")
	environ := os.Environ()
	berth := func(args ...string) result {
		t.Helper()
		return runBerth(t, dir, environ, append([]string{"-p", name}, args...)...)
	}
	t.Cleanup(func() {
		if r := berth("down", "--swarm", "-v", "--progress", "quiet"); r.code != 0 {
			t.Errorf("cleanup: berth down --swarm: %d %s", r.code, r.stderr)
		}
	})

	r := berth("plan", "--swarm", "--detailed-exitcode", "-o", "first.json")
	if r.code != 2 || !strings.Contains(r.stdout, "create-service") || !strings.Contains(r.stdout, "Plan: 4 to create, 0 to update, 0 to remove.") {
		t.Fatalf("plan --swarm --detailed-exitcode: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = berth("apply", "--swarm", "--progress", "plain")
	if r.code != 0 || !strings.Contains(r.stderr, "service:"+name+"_web  Waiting") || !strings.Contains(r.stdout, "Apply complete") {
		t.Fatalf("apply --swarm: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "1/1 running") {
		t.Errorf("apply --swarm shows no progress per service:\n%s", r.stderr)
	}
	// The saved plan was made before the apply: the stack drifted.
	r = berth("apply", "first.json")
	if r.code != 1 || !strings.Contains(r.stderr, "is stale") || !strings.Contains(r.stderr, "service:"+name+"_web") {
		t.Errorf("apply of a stale plan: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = berth("plan", "--swarm", "--detailed-exitcode"); r.code != 0 || !strings.Contains(r.stdout, "No changes.") {
		t.Errorf("plan after apply: %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// A current saved plan applies; JSON says what it is.
	write(".env", "GREETING=bonjour\n")
	r = berth("plan", "--swarm", "--format", "json", "-o", "second.json")
	var plan struct {
		Target string `json:"target"`
		Steps  []struct {
			Action  string `json:"action"`
			Service string `json:"service"`
			Reasons []struct{ Path, Old, New string }
		} `json:"steps"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &plan); err != nil || plan.Target != "swarm" || len(plan.Steps) != 1 ||
		plan.Steps[0].Action != "update-service" || plan.Steps[0].Reasons[0].Path != "services.web.environment.GREETING" {
		t.Fatalf("plan --format json: %v %+v\n%s%s", err, plan, r.stdout, r.stderr)
	}
	if r = berth("apply", "second.json", "--progress", "quiet"); r.code != 0 {
		t.Fatalf("apply of a current saved plan: %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	r = berth("ps", "--swarm", "--format", "json")
	var ps struct {
		Tasks []swarm.Task `json:"tasks"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &ps); err != nil || len(ps.Tasks) != 2 {
		t.Fatalf("ps --swarm: %v\n%s%s", err, r.stdout, r.stderr)
	}
	for _, task := range ps.Tasks {
		if task.State != "running" || task.Node == "" {
			t.Errorf("task %+v is not running on a named node", task)
		}
	}

	// target: swarm in .berth.yaml makes --swarm the default; the flag
	// still decides when given.
	write(".berth.yaml", "target: swarm\n")
	if r = berth("plan", "--detailed-exitcode"); r.code != 0 || !strings.Contains(r.stdout, "No changes.") {
		t.Errorf("plan with target: swarm: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = berth("ps", "--format", "json"); r.code != 0 || !strings.Contains(r.stdout, `"tasks"`) {
		t.Errorf("ps with target: swarm: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = berth("plan", "--swarm=false", "--detailed-exitcode"); r.code != 2 || !strings.Contains(r.stdout, "container:") {
		t.Errorf("plan --swarm=false with target: swarm plans no containers: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	write(".berth.yaml", "target: kubernetes\n")
	if r = berth("plan"); r.code != 2 || !strings.Contains(r.stderr, ".berth.yaml:1:9: target: use containers") {
		t.Errorf("plan with a bad target: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// With --detailed-exitcode 2 means changes: a bad configuration is 1.
	if r = berth("plan", "--detailed-exitcode"); r.code != 1 || !strings.Contains(r.stderr, ".berth.yaml:1:9: target: use containers") {
		t.Errorf("plan --detailed-exitcode with a bad target: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	write(".berth.yaml", "target: swarm\n")

	if r = berth("down", "-v"); r.code != 0 || !strings.Contains(r.stdout, "Down complete") {
		t.Fatalf("down --swarm: %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	obs, err := swarm.Observe(context.Background(), env.Engine, name)
	if err != nil || !obs.Empty() {
		t.Errorf("after down --swarm: %+v %v", obs, err)
	}
	vols, err := env.Engine.VolumeList(context.Background(), volumeFilter(name))
	if err != nil || len(vols.Volumes) != 0 {
		t.Errorf("after down --swarm -v: volumes %+v %v", vols.Volumes, err)
	}
}

// TestSwarmRefusalsE2E: what Swarm cannot do is refused with positions
// before anything changes (exit 2), as are flags of the container target.
func TestSwarmRefusalsE2E(t *testing.T) {
	needSwarm(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    build: .\n  side:\n    image: x\n    network_mode: service:web\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBerth(t, dir, os.Environ(), "-p", "berthswrefused", "apply", "--swarm")
	if r.code != 2 || !strings.Contains(r.stderr, "compose.yaml:3:5") || !strings.Contains(r.stderr, "compose.yaml:6:5") || !strings.Contains(r.stderr, "Swarm does not build images") {
		t.Errorf("apply --swarm of a file Swarm cannot run: %d\n%s", r.code, r.stderr)
	}
	if r := runBerth(t, dir, os.Environ(), "plan", "--swarm", "--force-recreate"); r.code != 2 || !strings.Contains(r.stderr, "--force-recreate does not apply to --swarm") {
		t.Errorf("plan --swarm --force-recreate: %d\n%s", r.code, r.stderr)
	}
}

func volumeFilter(stack string) volume.ListOptions {
	return volume.ListOptions{Filters: filters.NewArgs(filters.Arg("label", swarm.LabelNamespace+"="+stack))}
}
