package apply

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"

	"github.com/berth-compose/berth/internal/jsonstream"
	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform"
)

const e2eImage = "berth-e2e-app:test"

// e2eDocker connects to the engine, or skips the test with the reason;
// under CI=true an unreachable engine fails instead.
func e2eDocker(t *testing.T) *Engine {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test: skipped with -short")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	d, err := ConnectEngine(ctx, ConnectOptions{Env: os.Environ()})
	cancel()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("docker is unreachable under CI=true: %v", err)
		}
		t.Skipf("end-to-end test skipped: docker is unreachable: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	buildE2EImage(t, d)
	return d
}

var (
	imageOnce  sync.Once
	imageErr   error
	imageBuilt bool // this process built the image: removeE2EImage removes it
)

// buildE2EImage builds testdata/e2e/app statically and sends it with a
// FROM scratch Dockerfile as a build context, once per test process.
func buildE2EImage(t *testing.T, d *Engine) {
	t.Helper()
	imageOnce.Do(func() {
		imageErr = buildImage(d)
		imageBuilt = true
	})
	if imageErr != nil {
		t.Fatalf("building %s: %v", e2eImage, imageErr)
	}
}

// removeE2EImage removes the test image and its build steps, if this test
// process built it.
func removeE2EImage() error {
	if !imageBuilt {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	d, err := ConnectEngine(ctx, ConnectOptions{Env: os.Environ()})
	if err != nil {
		return err
	}
	defer d.Close()
	if _, err := d.ImageRemove(ctx, e2eImage, image.RemoveOptions{PruneChildren: true}); err != nil && !isNotFound(err) {
		return fmt.Errorf("removing %s: %w", e2eImage, err)
	}
	return nil
}

func buildImage(d *Engine) error {
	dir, err := os.MkdirTemp("", "berth-e2e")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "app")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./testdata/e2e/app")
	cmd.Dir = ".."
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
	files := []struct {
		name string
		mode int64
		body []byte
	}{
		// The label first: no other package's FROM scratch build shares a
		// cached step with this image, so removing it at the end of the
		// run (removeE2EImage) never finds another package's image on it.
		{"Dockerfile", 0o644, []byte("FROM scratch\nLABEL berth.test=apply\nCOPY app /app\nENTRYPOINT [\"/app\"]\n")},
		{"app", 0o755, app},
	}
	for _, f := range files {
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
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	resp, err := d.ImageBuild(ctx, &buf, build.ImageBuildOptions{Tags: []string{e2eImage}, Remove: true, ForceRemove: true})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return jsonstream.Err(resp.Body, "docker build")
}

// e2eProject is one compose project in a temporary directory.
type e2eProject struct {
	t    *testing.T
	d    *Engine
	dir  string
	name string
}

func newE2EProject(t *testing.T, d *Engine, env string) *e2eProject {
	t.Helper()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	pr := &e2eProject{t: t, d: d, dir: t.TempDir(), name: "berthe2e" + hex.EncodeToString(b)}
	if err := os.WriteFile(filepath.Join(pr.dir, ".env"), []byte(env), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		// A failed apply can leave a create in flight in the engine (the
		// client gave up, the engine did not): what it creates shows up
		// after the first look. Look again until about a second passes with
		// nothing left, or each test run would leak a network, and the
		// engine's address pools run out after a few dozen runs.
		// A berth killed by a test leaves the project's lock behind.
		if err := d.VolumeRemove(ctx, LockName(pr.name), true); err != nil && !isNotFound(err) {
			t.Errorf("cleanup: removing the lock: %v", err)
		}
		quiet := 0
		for quiet < 3 && ctx.Err() == nil {
			obs, err := Observe(ctx, d, pr.name)
			if err != nil {
				t.Errorf("cleanup: %v", err)
				return
			}
			if len(obs.Containers)+len(obs.Networks)+len(obs.Volumes) == 0 {
				quiet++
				time.Sleep(300 * time.Millisecond)
				continue
			}
			quiet = 0
			if err := Execute(ctx, d, DownPlan(obs, DownOptions{Volumes: true}), ExecOptions{}); err != nil {
				t.Errorf("cleanup: %v", err)
				return
			}
		}
		if err := removeProjectImages(ctx, d, pr.name); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return pr
}

// removeProjectImages removes every image built for the project, the
// dangling ones too: a rebuild under the same tag, or a tag removed while a
// container still used the image, leaves an untagged image that still
// carries the project label. The list holds the top-level images only (not
// their build steps, which carry the label too); removing one prunes its
// untagged build steps, up to a step another image still builds on, which
// goes with that image.
func removeProjectImages(ctx context.Context, d *Engine, project string) error {
	images, err := d.ImageList(ctx, image.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+project))})
	if err != nil {
		return fmt.Errorf("listing the images of %s: %w", project, err)
	}
	for _, img := range images {
		if _, err := d.ImageRemove(ctx, img.ID, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil && !isNotFound(err) {
			return fmt.Errorf("removing image %.19s of %s: %w", img.ID, project, err)
		}
	}
	return nil
}

func (pr *e2eProject) load(compose string) *types.Project {
	pr.t.Helper()
	path := filepath.Join(pr.dir, "compose.yaml")
	if err := os.WriteFile(path, []byte(compose), 0o644); err != nil {
		pr.t.Fatal(err)
	}
	p, err := load.Load(context.Background(), load.Options{Files: []string{path}, ProjectName: pr.name, NoEnvResolution: true, KeepEnvFile: true})
	if err != nil {
		pr.t.Fatal(err)
	}
	return p.Project
}

func (pr *e2eProject) plan(p *types.Project) *Plan {
	pr.t.Helper()
	plan, err := PlanFor(context.Background(), pr.d, p, Options{Wait: true})
	if err != nil {
		pr.t.Fatal(err)
	}
	return plan
}

func (pr *e2eProject) execute(plan *Plan, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	return Execute(ctx, pr.d, plan, ExecOptions{WaitTimeout: timeout, PollEvery: 200 * time.Millisecond})
}

func (pr *e2eProject) observe() *Observed {
	pr.t.Helper()
	obs, err := Observe(context.Background(), pr.d, pr.name)
	if err != nil {
		pr.t.Fatal(err)
	}
	return obs
}

func (o *Observed) byService() map[string]Container {
	m := map[string]Container{}
	for _, c := range o.Containers {
		m[c.Service] = c
	}
	return m
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// seedCompose re-enacts the seed's flask + redis + nginx example with the
// test image: kv stands in for redis, web for flask, proxy for nginx.
const seedCompose = `services:
  redis:
    image: berth-e2e-app:test
    command: ["kv"]
    environment:
      REDIS_PASSWORD: ${REDIS_PASSWORD}
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 1s
      retries: 30
    volumes:
      - data:/data
  web:
    image: berth-e2e-app:test
    command: ["web"]
    environment:
      REDIS_PASSWORD: ${REDIS_PASSWORD}
      KV_ADDR: redis:6379
      GREETING: hello
    depends_on:
      redis:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/health"]
      interval: 1s
      retries: 30
  nginx:
    image: berth-e2e-app:test
    command: ["proxy"]
    environment:
      UPSTREAM: http://web:8000
    depends_on:
      web:
        condition: service_healthy
    ports:
      - "127.0.0.1:${PORT}:80"
volumes:
  data: {}
`

func hit(t *testing.T, url string) string {
	t.Helper()
	var last error
	for range 50 {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(b)
			}
			err = fmt.Errorf("%s: %s", resp.Status, b)
		}
		last = err
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("GET %s: %v", url, last)
	return ""
}

func TestE2ESeed(t *testing.T) {
	d := e2eDocker(t)
	port := freePort(t)
	pr := newE2EProject(t, d, fmt.Sprintf("REDIS_PASSWORD=pa55-from-dotenv\nPORT=%d\n", port))
	p := pr.load(seedCompose)

	// apply from nothing
	if err := pr.execute(pr.plan(p), time.Minute); err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	first, second := hit(t, url), hit(t, url)
	if !strings.Contains(first, "seen 1 times") || !strings.Contains(second, "seen 2 times") {
		t.Errorf("counter does not increase:\n%s%s", first, second)
	}
	obs := pr.observe()
	svc := obs.byService()
	if len(obs.Containers) != 3 {
		t.Fatalf("containers %v", obs.Summary())
	}
	if h := svc["web"].Health; h != "healthy" {
		t.Errorf("web health %q, want healthy", h)
	}
	for _, s := range []string{"redis", "web"} {
		if !slices.Contains(svc[s].Env, "REDIS_PASSWORD=pa55-from-dotenv") {
			t.Errorf("%s env %v lacks REDIS_PASSWORD from .env", s, svc[s].Env)
		}
	}

	// labels are Compose's
	hashes, err := transform.ServiceHashes(p, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	imageID := obs.Images[e2eImage]
	if imageID == "" {
		in, _ := d.ImageInspect(context.Background(), e2eImage)
		imageID = in.ID
	}
	for _, h := range hashes {
		c := svc[h[0]]
		want := map[string]string{
			LabelProject: pr.name, LabelService: h[0], LabelNumber: "1", LabelOneOff: "False",
			LabelVersion: ComposeVersion, LabelConfigHash: h[1], LabelWorkingDir: pr.dir,
			LabelConfigFiles: filepath.Join(pr.dir, "compose.yaml"), LabelImage: imageID,
			LabelDependsOn: map[string]string{"redis": "", "web": "redis:service_healthy:false", "nginx": "web:service_healthy:false"}[h[0]],
		}
		for k, v := range want {
			if got, ok := c.Labels[k]; !ok || got != v {
				t.Errorf("%s: label %s = %q, want %q", c.Name, k, got, v)
			}
		}
		if c.Name != pr.name+"-"+h[0]+"-1" {
			t.Errorf("container name %s", c.Name)
		}
	}
	if len(obs.Networks) != 1 || obs.Networks[0].Name != pr.name+"_default" || obs.Networks[0].Key != "default" || obs.Networks[0].Labels[LabelVersion] != ComposeVersion {
		t.Errorf("networks %+v", obs.Networks)
	}
	if len(obs.Volumes) != 1 || obs.Volumes[0].Name != pr.name+"_data" || obs.Volumes[0].Key != "data" {
		t.Errorf("volumes %+v", obs.Volumes)
	}

	// a second apply is a no-op
	if plan := pr.plan(p); !plan.Empty() {
		t.Fatalf("plan after apply is not empty: %v", summary(plan))
	}

	// changing one service's environment recreates exactly that service
	changed := pr.load(strings.Replace(seedCompose, "GREETING: hello", "GREETING: bonjour", 1))
	plan := pr.plan(changed)
	if got := summary(plan); !slices.Equal(got, []string{"recreate container:" + pr.name + "-web-1 config_changed services.web.environment.GREETING"}) {
		t.Fatalf("plan after an env change: %v", got)
	}
	// a saved plan refuses once Docker changed behind berth's back
	if err := d.ContainerStop(context.Background(), svc["nginx"].ID, container.StopOptions{}); err != nil {
		t.Fatal(err)
	}
	if why := Stale(plan, pr.observe()); !strings.Contains(why, pr.name+"-nginx-1") {
		t.Errorf("stale plan not refused, reason %q", why)
	}
	plan = pr.plan(changed) // now recreates web and starts nginx again
	if err := pr.execute(plan, time.Minute); err != nil {
		t.Fatal(err)
	}
	after := pr.observe().byService()
	if after["web"].ID == svc["web"].ID || after["redis"].ID != svc["redis"].ID || after["nginx"].ID != svc["nginx"].ID {
		t.Errorf("recreated the wrong containers: before %v after %v", svc, after)
	}
	if !strings.Contains(hit(t, url), "seen 3 times") {
		t.Error("counter lost across the recreate")
	}
	if plan := pr.plan(changed); !plan.Empty() {
		t.Fatalf("plan after the second apply is not empty: %v", summary(plan))
	}

	// removing a service removes its container as an orphan
	i := strings.Index(seedCompose, "  nginx:")
	j := strings.Index(seedCompose, "volumes:\n  data")
	without := pr.load(strings.Replace(seedCompose[:i]+seedCompose[j:], "GREETING: hello", "GREETING: bonjour", 1))
	plan = pr.plan(without)
	if got := summary(plan); !slices.Equal(got, []string{"remove container:" + pr.name + "-nginx-1 orphan"}) {
		t.Fatalf("plan after removing nginx: %v", got)
	}
	if err := pr.execute(plan, time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, ok := pr.observe().byService()["nginx"]; ok {
		t.Error("orphan nginx container is still there")
	}

	// down leaves only the named volume
	if err := pr.execute(DownPlan(pr.observe(), DownOptions{}), 0); err != nil {
		t.Fatal(err)
	}
	left := pr.observe()
	if len(left.Containers) != 0 || len(left.Networks) != 0 || len(left.Volumes) != 1 {
		t.Errorf("after down: %v", left.Summary())
	}
}

func TestE2EFailingHealthcheck(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	p := pr.load(`services:
  db:
    image: berth-e2e-app:test
    command: ["kv"]
    healthcheck:
      test: ["CMD", "/app", "exit", "1"]
      interval: 1s
      retries: 100
  app:
    image: berth-e2e-app:test
    command: ["web"]
    depends_on:
      db:
        condition: service_healthy
`)
	began := time.Now()
	err := pr.execute(pr.plan(p), 3*time.Second)
	if err == nil || !strings.Contains(err.Error(), "service db") {
		t.Fatalf("apply with a failing healthcheck: %v", err)
	}
	if took := time.Since(began); took > 20*time.Second {
		t.Errorf("apply took %s to fail with a 3s wait timeout", took)
	}
	if st := pr.observe().byService()["app"].State; st == "running" {
		t.Error("the dependent of an unhealthy service was started")
	}
}
