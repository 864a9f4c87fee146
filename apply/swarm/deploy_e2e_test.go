package swarm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"

	"github.com/berth-compose/berth/apply"
)

// stackFiles is a three-service project: a key-value store, a web service
// depending on its health, and a proxy depending on the web service's, on
// an overlay network, with a secret and a config, reached through the
// proxy's host-mode port (the routing mesh does not carry traffic here).
func stackFiles(port int) string {
	return fmt.Sprintf(`services:
  kv:
    image: %[1]s
    command: [kv]
    privileged: true
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 1s
      timeout: 2s
      retries: 30
    networks: [back]
    deploy:
      endpoint_mode: dnsrr
  web:
    image: %[1]s
    command: [web]
    environment:
      KV_ADDR: kv:6379
      GREETING: ${GREETING}
    depends_on:
      kv:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/health"]
      interval: 1s
      timeout: 2s
      retries: 30
    secrets: [pw]
    configs: [cfg]
    networks: [back]
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      update_config:
        parallelism: 1
        delay: 1s
        order: start-first
        failure_action: rollback
        monitor: 3s
      rollback_config:
        parallelism: 0
        order: stop-first
  proxy:
    image: %[1]s
    command: [proxy]
    environment:
      UPSTREAM: http://web:8000
    depends_on:
      web:
        condition: service_healthy
    ports:
      - target: 80
        published: %[2]d
        mode: host
    networks: [back]
    deploy:
      endpoint_mode: dnsrr
networks:
  back:
    driver: overlay
secrets:
  pw:
    file: ./pw.txt
configs:
  cfg:
    file: ./cfg.txt
`, testImage, port)
}

// TestSwarmLifecycle deploys the project, holds it to what docker stack
// shows, updates one service with start-first while a client counts failed
// requests, rolls a failing version back, prunes a removed service and
// takes the stack down.
func TestSwarmLifecycle(t *testing.T) {
	d := swarmEngine(t)
	st := newTestStack(t, d)
	port := freePort(t)
	st.write("compose.yaml", stackFiles(port))
	st.write(".env", "GREETING=hello\n")
	st.write("pw.txt", "s3cret\n")
	st.write("cfg.txt", "setting=1\n")

	plan := st.plan()
	want := map[apply.Action]int{apply.CreateNetwork: 1, apply.CreateSecret: 1, apply.CreateConfig: 1, apply.CreateService: 3}
	if got := countActions(plan); !maps.Equal(got, want) {
		t.Fatalf("first plan: %v, want %v", got, want)
	}
	if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "compose.yaml:5:5: service kv: privileged is ignored by Swarm") {
		t.Errorf("warnings = %q, want the ignored privileged at its position", plan.Warnings)
	}
	if err := st.execute(plan); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	if body := get(t, url); !strings.Contains(body, "I have been seen 1 times") {
		t.Errorf("GET through the proxy: %q", body)
	}
	services := dockerCLI(t, "stack", "services", "--format", "{{.Name}} {{.Replicas}}", st.name)
	for _, line := range []string{st.name + "_kv 1/1", st.name + "_web 2/2", st.name + "_proxy 1/1"} {
		if !strings.Contains(services, line) {
			t.Errorf("docker stack services lacks %q:\n%s", line, services)
		}
	}
	if ps := dockerCLI(t, "stack", "ps", "--filter", "desired-state=running", "--format", "{{.Name}} {{.CurrentState}}", st.name); strings.Count(ps, "Running") != 4 {
		t.Errorf("docker stack ps shows not 4 running tasks:\n%s", ps)
	}
	if again := st.plan(); !again.Empty() {
		t.Fatalf("plan after apply is not empty: %+v", again.Steps)
	}

	// An environment change updates web alone, start-first: the proxy
	// keeps answering.
	st.write(".env", "GREETING=bonjour\n")
	plan = st.plan()
	if len(plan.Steps) != 1 || plan.Steps[0].Action != apply.UpdateService || plan.Steps[0].Service != "web" {
		t.Fatalf("plan after the env change: %+v", plan.Steps)
	}
	if r := plan.Steps[0].Reasons; len(r) != 1 || r[0].Field != "services.web.environment.GREETING" || r[0].Old != "hello" || r[0].New != "bonjour" {
		t.Errorf("reasons = %+v, want GREETING hello → bonjour", r)
	}
	stop := make(chan struct{})
	var requests, failures atomic.Int64
	var loop sync.WaitGroup
	loop.Add(1)
	go func() {
		defer loop.Done()
		cl := http.Client{Timeout: 5 * time.Second}
		for {
			select {
			case <-stop:
				return
			default:
			}
			requests.Add(1)
			resp, err := cl.Get(url)
			if err != nil {
				failures.Add(1)
			} else {
				if resp.StatusCode != http.StatusOK {
					failures.Add(1)
				}
				resp.Body.Close()
			}
			time.Sleep(20 * time.Millisecond)
		}
	}()
	err := st.execute(plan)
	close(stop)
	loop.Wait()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("during the update: %d requests, %d failed", requests.Load(), failures.Load())
	if failures.Load() > 0 || requests.Load() < 10 {
		t.Errorf("during the start-first update: %d of %d requests failed", failures.Load(), requests.Load())
	}
	if again := st.plan(); !again.Empty() {
		t.Fatalf("plan after the update is not empty: %+v", again.Steps)
	}

	// A version whose tasks fail is rolled back by Swarm, per
	// update_config.failure_action, and apply fails naming the service,
	// the node and the task error.
	st.write("compose.yaml", strings.Replace(stackFiles(port), "    command: [web]\n", "    command: [exit, \"3\"]\n", 1))
	err = st.execute(st.plan())
	var ce *ConvergeError
	if !errors.As(err, &ce) {
		t.Fatalf("apply of a failing version: %v, want a ConvergeError", err)
	}
	if ce.Service != st.name+"_web" || !strings.Contains(ce.Reason, "rolled back") || ce.Node == "" || !strings.Contains(ce.TaskErr, "exit") {
		t.Errorf("error = %q, want web rolled back with the node and the task's exit", err)
	}
	t.Logf("failing version: %v", err)
	if body := get(t, url); !strings.Contains(body, "Hello") {
		t.Errorf("after the rollback, GET through the proxy: %q", body)
	}

	// A service removed from the files is pruned.
	files := stackFiles(port)
	st.write("compose.yaml", files[:strings.Index(files, "  proxy:")]+files[strings.Index(files, "networks:\n  back:"):])
	plan = st.plan()
	if got := countActions(plan); got[apply.RemoveService] != 1 || got[apply.CreateService] != 0 {
		t.Fatalf("plan without proxy: %v", got)
	}
	if err := st.execute(plan); err != nil {
		t.Fatal(err)
	}
	obs, err := Observe(context.Background(), d, st.name)
	if err != nil {
		t.Fatal(err)
	}
	if len(obs.Services) != 2 {
		t.Errorf("after the prune: %d services, want 2", len(obs.Services))
	}

	// Down leaves nothing of the stack.
	if err := st.execute(DownPlan(obs)); err != nil {
		t.Fatal(err)
	}
	if obs, err := Observe(context.Background(), d, st.name); err != nil || !obs.Empty() {
		t.Errorf("after down: %+v, %v", obs, err)
	}
}

func countActions(p *apply.Plan) map[apply.Action]int {
	m := map[apply.Action]int{}
	for _, s := range p.Steps {
		m[s.Action]++
	}
	return m
}

func get(t *testing.T, url string) string {
	t.Helper()
	cl := http.Client{Timeout: 5 * time.Second}
	var last error
	for range 20 {
		resp, err := cl.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(b)
			}
			err = fmt.Errorf("%s: %s", resp.Status, b)
		}
		last = err
		time.Sleep(250 * time.Millisecond)
	}
	t.Errorf("GET %s: %v", url, last)
	return ""
}

// TestSwarmInterop holds berth to docker stack deploy: a stack docker stack
// deploy made from the files plans with no changes, and docker stack
// deploy over berth's deployment of the same files restarts no task.
func TestSwarmInterop(t *testing.T) {
	d := swarmEngine(t)
	// docker stack deploy reads the version 3 format: no variables from
	// .env, depends_on as a list.
	v3 := strings.NewReplacer("${GREETING}", "hello",
		"depends_on:\n      kv:\n        condition: service_healthy\n", "depends_on: [kv]\n",
		"depends_on:\n      web:\n        condition: service_healthy\n", "depends_on: [web]\n")
	files := v3.Replace(stackFiles(freePort(t)))

	st := newTestStack(t, d)
	st.write("compose.yaml", files)
	st.write("pw.txt", "s3cret\n")
	st.write("cfg.txt", "setting=1\n")
	dockerCLI(t, "stack", "deploy", "--detach=true", "--resolve-image", "never", "-c", filepath.Join(st.dir, "compose.yaml"), st.name)
	plan := st.plan()
	if !plan.Empty() {
		var b strings.Builder
		_ = apply.WriteHuman(&b, plan)
		t.Errorf("berth plans changes to the stack docker stack deploy made:\n%s", b.String())
	}
	if !slices.ContainsFunc(plan.Warnings, func(w string) bool {
		return strings.Contains(w, "secret pw") && strings.Contains(w, "does not return its content")
	}) {
		t.Errorf("warnings = %q, want one about the secret whose content Swarm does not return", plan.Warnings)
	}

	other := newTestStack(t, d)
	other.write("compose.yaml", v3.Replace(stackFiles(freePort(t))))
	other.write("pw.txt", "s3cret\n")
	other.write("cfg.txt", "setting=1\n")
	if err := other.execute(other.plan()); err != nil {
		t.Fatal(err)
	}
	before := runningTasks(t, d, other.name)
	dockerCLI(t, "stack", "deploy", "--detach=true", "--resolve-image", "never", "-c", filepath.Join(other.dir, "compose.yaml"), other.name)
	time.Sleep(2 * time.Second) // a restart, if any, would begin at once
	if after := runningTasks(t, d, other.name); !slices.Equal(before, after) {
		t.Errorf("docker stack deploy over berth's deployment changed the tasks:\nbefore %v\nafter  %v", before, after)
	}
	if again := other.plan(); !again.Empty() {
		t.Errorf("plan after docker stack deploy over berth's deployment: %+v", again.Steps)
	}
	if out := dockerCLI(t, "stack", "rm", other.name); !strings.Contains(out, "Removing service "+other.name+"_web") {
		t.Errorf("docker stack rm on berth's deployment: %s", out)
	}
}

// runningTasks lists the IDs of the stack's tasks that should be running.
func runningTasks(t *testing.T, d Docker, stack string) []string {
	t.Helper()
	tasks, err := d.TaskList(context.Background(), swarm.TaskListOptions{Filters: filters.NewArgs(
		filters.Arg("label", LabelNamespace+"="+stack), filters.Arg("desired-state", "running"))})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, task := range tasks {
		ids = append(ids, task.ID)
	}
	slices.Sort(ids)
	return ids
}

// TestSwarmDependsOnConditions holds the deploy order to each condition:
// a service_started dependent is created once its dependency's task has
// started, before that task is healthy; a service_healthy one only once it
// is healthy.
func TestSwarmDependsOnConditions(t *testing.T) {
	d := swarmEngine(t)
	st := newTestStack(t, d)
	st.write("compose.yaml", fmt.Sprintf(`services:
  slow:
    image: %[1]s
    command: [web]
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/health"]
      interval: 4s
      retries: 30
    deploy: {endpoint_mode: dnsrr}
  started:
    image: %[1]s
    command: [web]
    depends_on:
      slow: {condition: service_started}
    deploy: {endpoint_mode: dnsrr}
  healthy:
    image: %[1]s
    command: [web]
    depends_on:
      slow: {condition: service_healthy}
    deploy: {endpoint_mode: dnsrr}
`, testImage))
	if err := st.execute(st.plan()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	created := map[string]time.Time{}
	for _, name := range []string{"slow", "started", "healthy"} {
		svc, _, err := d.ServiceInspectWithRaw(ctx, st.name+"_"+name, swarm.ServiceInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		created[name] = svc.CreatedAt
	}
	// The engine runs the first probe one interval (4 s) after the start.
	if gap := created["started"].Sub(created["slow"]); gap >= 3*time.Second {
		t.Errorf("the service_started dependent was created %s after its dependency, want before the first probe (4 s)", gap)
	}
	if gap := created["healthy"].Sub(created["slow"]); gap < 4*time.Second {
		t.Errorf("the service_healthy dependent was created %s after its dependency, before its first probe (4 s)", gap)
	}
}
