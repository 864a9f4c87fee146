// Package multinode holds berth's end-to-end test on a swarm of two nodes:
// the engine the tests use as manager, and a second engine that
// scripts/swarm-worker.sh starts in a network namespace of its own, which
// joins as a worker. It has a package of its own because the swarm it needs
// (advertised on the address the worker reaches, images from a registry)
// differs from the single-node one the other Swarm tests share.
package multinode

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	swarmtypes "github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/pkg/stdcopy"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/swarm"
	"github.com/berth-compose/berth/internal/swarmtest"
	"github.com/berth-compose/berth/load"
)

// twoNodes sets up the swarm of two, or skips (fails under CI=true) when
// scripts/swarm-worker.sh has not started the worker.
func twoNodes(t *testing.T) *swarmtest.Env {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	n := swarmtest.TwoNodes{
		Worker:      os.Getenv("BERTH_TEST_SWARM_WORKER"),
		ManagerAddr: os.Getenv("BERTH_TEST_SWARM_MANAGER_ADDR"),
		Registry:    os.Getenv("BERTH_TEST_SWARM_REGISTRY"),

		RegistryAuth: os.Getenv("BERTH_TEST_SWARM_REGISTRY_AUTH"),
	}
	if n.Worker == "" || n.ManagerAddr == "" || n.Registry == "" || n.RegistryAuth == "" {
		msg := "two-node swarm test: BERTH_TEST_SWARM_WORKER, BERTH_TEST_SWARM_MANAGER_ADDR, BERTH_TEST_SWARM_REGISTRY and BERTH_TEST_SWARM_REGISTRY_AUTH are unset (start the worker with scripts/swarm-worker.sh start DIR and source DIR/env)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env, err := swarmtest.SetupTwoNodes(ctx, "../../..", n)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := env.Teardown(ctx); err != nil {
			t.Errorf("teardown: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("two-node swarm setup: %v", err)
	}
	return env
}

// TestTwoNodes deploys a service of two replicas at most one per node, on an
// overlay network, from images both nodes pull from a registry that asks for
// a login (sent with the service, --with-registry-auth): one task
// runs on each node, and each task reaches the other, on the other node,
// over the overlay network, by address and by the service's name.
func TestTwoNodes(t *testing.T) {
	env := twoNodes(t)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	stack := "berthtwo" + hex.EncodeToString(b)
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	content := fmt.Sprintf(`services:
  web:
    image: %s
    command: [web]
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/health"]
      interval: 1s
      retries: 30
    networks: [mesh]
    deploy:
      replicas: 2
      endpoint_mode: dnsrr
      placement:
        max_replicas_per_node: 1
networks:
  mesh:
    driver: overlay
`, env.Image)
	if err := os.WriteFile(file, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := load.Load(ctx, swarm.LoadOptions(load.Options{Files: []string{file}, ProjectName: stack}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { down(t, env, stack) })

	// Swarm does not build: on two nodes, a service berth would build is
	// refused, at its build: key, unless its image is in the registry.
	built := filepath.Join(dir, "built.yaml")
	unpushed := strings.Replace(env.Image, "berth-swarm-app", "berth-swarm-unpushed", 1)
	if err := os.WriteFile(built, []byte(fmt.Sprintf("services:\n  app:\n    image: %s\n    build: .\n  pushed:\n    image: %s\n    build: .\n", unpushed, env.Image)), 0o644); err != nil {
		t.Fatal(err)
	}
	bp, err := load.Load(ctx, swarm.LoadOptions(load.Options{Files: []string{built}, ProjectName: stack}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = swarm.PlanFor(ctx, env.Engine, bp, swarm.Options{})
	var errs load.Errors
	if !errors.As(err, &errs) || len(errs) != 1 || !strings.HasPrefix(errs[0].Error(), built+":4:5: service app: the swarm has 2 nodes and Swarm does not build: "+unpushed+" must be in a registry") {
		t.Errorf("plan of an unpushed build on two nodes: %v, want one error at built.yaml:4:5 for app", err)
	}

	plan, err := swarm.PlanFor(ctx, env.Engine, p, swarm.Options{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	// The registry asks for a login that only the manager's Docker config
	// holds: the worker pulls with the credential sent with the service.
	err = swarm.Execute(ctx, env.Engine, plan, swarm.ExecOptions{WaitTimeout: 2 * time.Minute, WithRegistryAuth: true, Progress: func(e apply.Event) {
		t.Logf("%s %s %s", e.Resource, e.Status, e.Detail)
	}})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}

	service := stack + "_web"
	tasks, err := env.Engine.TaskList(ctx, swarmtypes.TaskListOptions{Filters: filters.NewArgs(
		filters.Arg("service", service), filters.Arg("desired-state", "running"))})
	if err != nil {
		t.Fatal(err)
	}
	nodes := map[string]string{} // node ID → the task's overlay address
	for _, task := range tasks {
		if task.Status.State != swarmtypes.TaskStateRunning {
			t.Errorf("task %s on node %s is %s, want running", task.ID, task.NodeID, task.Status.State)
		}
		for _, att := range task.NetworksAttachments {
			if att.Network.Spec.Name == stack+"_mesh" && len(att.Addresses) > 0 {
				ip, _, err := net.ParseCIDR(att.Addresses[0])
				if err != nil {
					t.Fatalf("task %s address %q: %v", task.ID, att.Addresses[0], err)
				}
				nodes[task.NodeID] = ip.String()
			}
		}
	}
	winfo, err := env.Worker.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	minfo, err := env.Engine.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	workerIP, managerIP := nodes[winfo.Swarm.NodeID], nodes[minfo.Swarm.NodeID]
	if len(tasks) != 2 || len(nodes) != 2 || workerIP == "" || managerIP == "" {
		t.Fatalf("tasks of %s: %d on nodes %v, want one on the manager (%s) and one on the worker (%s)",
			service, len(tasks), nodes, minfo.Swarm.NodeID, winfo.Swarm.NodeID)
	}

	onManager := serviceContainer(t, env.Engine, service)
	onWorker := serviceContainer(t, env.Worker, service)
	for _, c := range []struct {
		name   string
		d      *apply.Engine
		id     string
		target string
	}{
		{"manager → worker by address", env.Engine, onManager, "http://" + workerIP + ":8000/health"},
		{"worker → manager by address", env.Worker, onWorker, "http://" + managerIP + ":8000/health"},
		{"worker → service name", env.Worker, onWorker, "http://web:8000/health"},
	} {
		if out, code := execProbe(t, c.d, c.id, c.target); code != 0 {
			t.Errorf("%s: probe %s exited %d: %s", c.name, c.target, code, out)
		}
	}

	// The files and the swarm agree: a second plan has nothing to do.
	again, err := swarm.PlanFor(ctx, env.Engine, p, swarm.Options{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	if !again.Empty() {
		t.Errorf("plan after apply: %d steps, want none: %v", len(again.Steps), again.Steps)
	}
}

// serviceContainer is the ID of the one container of service on engine d.
func serviceContainer(t *testing.T, d *apply.Engine, service string) string {
	t.Helper()
	cs, err := d.ContainerList(context.Background(), container.ListOptions{Filters: filters.NewArgs(
		filters.Arg("label", "com.docker.swarm.service.name="+service))})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("%d containers of %s on this node, want 1", len(cs), service)
	}
	return cs[0].ID
}

// execProbe runs the test program's probe in container id and returns its
// output and exit code.
func execProbe(t *testing.T, d *apply.Engine, id, target string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ex, err := d.ContainerExecCreate(ctx, id, container.ExecOptions{Cmd: []string{"/app", "probe", target}, AttachStdout: true, AttachStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	att, err := d.ContainerExecAttach(ctx, ex.ID, container.ExecAttachOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer att.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, att.Reader); err != nil {
		t.Fatal(err)
	}
	st, err := d.ContainerExecInspect(ctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(out.String()), st.ExitCode
}

// down removes the stack and waits until its tasks' containers are gone
// from both nodes, so that the swarm can be left clean.
func down(t *testing.T, env *swarmtest.Env, stack string) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	d := env.Engine
	obs, err := swarm.Observe(ctx, d, stack)
	if err != nil {
		t.Errorf("cleanup: %v", err)
		return
	}
	if !obs.Empty() {
		if err := swarm.Execute(ctx, d, swarm.DownPlan(obs), swarm.ExecOptions{}); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
	f := filters.NewArgs(filters.Arg("label", swarm.LabelNamespace+"="+stack))
	for _, e := range []*apply.Engine{env.Engine, env.Worker} {
		for ctx.Err() == nil {
			cs, err := e.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
			if err != nil {
				t.Errorf("cleanup: %v", err)
				return
			}
			if len(cs) == 0 {
				break
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
}
