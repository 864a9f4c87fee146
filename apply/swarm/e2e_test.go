package swarm

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/volume"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/internal/swarmtest"
	"github.com/berth-compose/berth/load"
)

const testImage = swarmtest.Image

var (
	setupOnce sync.Once
	setupErr  error
	env       *swarmtest.Env
)

func TestMain(m *testing.M) {
	code := m.Run()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	if err := env.Teardown(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	cancel()
	os.Exit(code)
}

// swarmEngine is the engine of a single-node swarm with testImage (see
// swarmtest). Without an engine the test is skipped, and fails under
// CI=true.
func swarmEngine(t *testing.T) *apply.Engine {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	setupOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		env, setupErr = swarmtest.Setup(ctx, "../..")
	})
	if setupErr != nil {
		if os.Getenv("CI") == "true" || env != nil && env.Engine != nil {
			t.Fatalf("swarm end-to-end setup: %v", setupErr)
		}
		t.Skipf("swarm end-to-end test skipped: %v", setupErr)
	}
	return env.Engine
}

// testStack is one stack's files in a temporary directory; its cleanup
// removes everything the stack has in the swarm and the volumes its tasks
// made.
type testStack struct {
	t    *testing.T
	d    *apply.Engine
	dir  string
	name string
}

func newTestStack(t *testing.T, d *apply.Engine) *testStack {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	st := &testStack{t: t, d: d, dir: t.TempDir(), name: "berthsw" + hex.EncodeToString(b)}
	t.Cleanup(st.cleanup)
	return st
}

func (st *testStack) write(name, content string) {
	st.t.Helper()
	if err := os.WriteFile(filepath.Join(st.dir, name), []byte(content), 0o644); err != nil {
		st.t.Fatal(err)
	}
}

func (st *testStack) load() *load.Project {
	st.t.Helper()
	p, err := load.Load(context.Background(), LoadOptions(load.Options{Files: []string{filepath.Join(st.dir, "compose.yaml")}, ProjectName: st.name}))
	if err != nil {
		st.t.Fatal(err)
	}
	return p
}

func (st *testStack) plan() *apply.Plan {
	st.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	plan, err := PlanFor(ctx, st.d, st.load(), Options{Wait: true})
	if err != nil {
		st.t.Fatal(err)
	}
	return plan
}

func (st *testStack) execute(plan *apply.Plan) error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	return Execute(ctx, st.d, plan, ExecOptions{WaitTimeout: 2 * time.Minute, Progress: func(e apply.Event) {
		st.t.Logf("%s %s %s", e.Resource, e.Status, e.Detail)
	}})
}

func (st *testStack) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	obs, err := Observe(ctx, st.d, st.name)
	if err != nil {
		st.t.Errorf("cleanup: %v", err)
		return
	}
	if !obs.Empty() {
		if err := Execute(ctx, st.d, DownPlan(obs), ExecOptions{}); err != nil {
			st.t.Errorf("cleanup: %v", err)
		}
	}
	// A removed service's containers go a moment later; their volumes
	// after them.
	f := filters.NewArgs(filters.Arg("label", LabelNamespace+"="+st.name))
	for ctx.Err() == nil {
		cs, err := st.d.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
		if err != nil {
			st.t.Errorf("cleanup: %v", err)
			return
		}
		if len(cs) == 0 {
			break
		}
		time.Sleep(300 * time.Millisecond)
	}
	vols, err := st.d.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		st.t.Errorf("cleanup: %v", err)
		return
	}
	for _, v := range vols.Volumes {
		if err := st.d.VolumeRemove(ctx, v.Name, true); err != nil {
			st.t.Errorf("cleanup: removing volume %s: %v", v.Name, err)
		}
	}
}

// freePort is a TCP port nothing listens on at the moment.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// dockerCLI runs the docker command, for what users run on a berth stack.
func dockerCLI(t *testing.T, args ...string) string {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the docker command is needed under CI=true: %v", err)
		}
		t.Skipf("the docker command is not installed: %v", err)
	}
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %v: %v\n%s", args, err, out)
	}
	return string(out)
}
