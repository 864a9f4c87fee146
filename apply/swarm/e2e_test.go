package swarm

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/load"
)

// testImage is built FROM scratch with testdata/e2e/app; Swarm runs it
// from the local image store of this single node.
const testImage = "berth-swarm-app:test"

// The swarm and the image the test process made, undone by TestMain.
var (
	setupOnce   sync.Once
	setupErr    error
	initialized bool // this process ran swarm init: it leaves the swarm at the end
	builtImage  bool
	testEngine  *apply.Engine
)

func TestMain(m *testing.M) {
	code := m.Run()
	if testEngine != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		if builtImage {
			if _, err := testEngine.ImageRemove(ctx, testImage, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil {
				fmt.Fprintln(os.Stderr, "removing the test image:", err)
				code = 1
			}
		}
		if initialized {
			if err := testEngine.SwarmLeave(ctx, true); err != nil {
				fmt.Fprintln(os.Stderr, "leaving the swarm this test initialised:", err)
				code = 1
			}
		}
		cancel()
		testEngine.Close()
	}
	os.Exit(code)
}

// swarmEngine connects to the engine, makes it a swarm manager if it is
// not part of a swarm (and leaves again at the end of the test process),
// and builds the test image. Without an engine the test is skipped, and
// fails under CI=true.
func swarmEngine(t *testing.T) *apply.Engine {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	setupOnce.Do(func() { setupErr = setup() })
	if setupErr != nil {
		if os.Getenv("CI") == "true" || testEngine != nil {
			t.Fatalf("swarm end-to-end setup: %v", setupErr)
		}
		t.Skipf("swarm end-to-end test skipped: %v", setupErr)
	}
	return testEngine
}

func setup() error {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	d, err := apply.ConnectEngine(ctx, apply.ConnectOptions{Env: os.Environ()})
	if err != nil {
		return fmt.Errorf("docker is unreachable: %w", err)
	}
	if _, err := d.Ping(ctx); err != nil {
		d.Close()
		return fmt.Errorf("docker is unreachable: %w", err)
	}
	testEngine = d
	info, err := d.Info(ctx)
	if err != nil {
		return err
	}
	if info.Swarm.LocalNodeState == swarm.LocalNodeStateInactive {
		if _, err := d.SwarmInit(ctx, swarm.InitRequest{ListenAddr: "127.0.0.1:2377", AdvertiseAddr: "127.0.0.1"}); err != nil {
			return fmt.Errorf("docker swarm init: %w", err)
		}
		initialized = true
	}
	if err := CheckManager(ctx, d); err != nil {
		return err
	}
	return buildTestImage(ctx, d)
}

func buildTestImage(ctx context.Context, d *apply.Engine) error {
	dir, err := os.MkdirTemp("", "berth-swarm-e2e")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "app")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./testdata/e2e/app")
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	app, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		body []byte
	}{
		{"Dockerfile", 0o644, []byte("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n")},
		{"app", 0o755, app},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := tw.Write(f.body); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	resp, err := d.ImageBuild(ctx, &buf, build.ImageBuildOptions{Tags: []string{testImage}, Remove: true, ForceRemove: true})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	builtImage = true
	dec := json.NewDecoder(resp.Body)
	for {
		var msg struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			return nil
		} else if err != nil {
			return err
		}
		if msg.Error != "" {
			return fmt.Errorf("docker build: %s", msg.Error)
		}
	}
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
