package apply

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/api/types/volume"
)

// killCompose is six services over two networks and a named volume, with
// healthchecks and depends_on chains, so that an apply has many points to be
// killed at: networks and volume created, containers created but not
// started, started but not healthy, dependents waiting, and proxy stopped
// while api is recreated (restart: true).
const killCompose = `services:
  db:
    image: berth-e2e-app:test
    command: ["kv"]
    environment:
      GEN: "${GEN}"
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 500ms
      retries: 60
    volumes:
      - data:/data
    networks: [back]
  cache:
    image: berth-e2e-app:test
    command: ["kv"]
    environment:
      GEN: "${GEN}"
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 500ms
      retries: 60
    networks: [back]
  api:
    image: berth-e2e-app:test
    command: ["web"]
    environment:
      GEN: "${GEN}"
      API_GEN: "${API_GEN}"
      KV_ADDR: db:6379
    depends_on:
      db:
        condition: service_healthy
      cache:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/health"]
      interval: 500ms
      retries: 60
    networks: [back, front]
  worker:
    image: berth-e2e-app:test
    command: ["web"]
    environment:
      GEN: "${GEN}"
      KV_ADDR: cache:6379
    depends_on:
      cache:
        condition: service_healthy
      api:
        condition: service_started
    networks: [back]
  proxy:
    image: berth-e2e-app:test
    command: ["proxy"]
    environment:
      GEN: "${GEN}"
      UPSTREAM: http://api:8000
    depends_on:
      api:
        condition: service_healthy
        restart: true
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:80"]
      interval: 500ms
      retries: 60
    networks: [front]
  admin:
    image: berth-e2e-app:test
    command: ["web"]
    environment:
      GEN: "${GEN}"
      KV_ADDR: db:6379
    depends_on:
      proxy:
        condition: service_started
    networks: [front]
networks:
  front:
    labels:
      gen: "${NET_GEN:-1}"
  back: {}
volumes:
  data: {}
`

var (
	killServices = []string{"admin", "api", "cache", "db", "proxy", "worker"}
	killHealthy  = []string{"api", "cache", "db", "proxy"} // the services with a healthcheck
)

var (
	berthOnce sync.Once
	berthPath string
	berthErr  error
)

// berthBinary builds cmd/berth once per test process: the kill tests need a
// process to kill.
func berthBinary(t *testing.T) string {
	t.Helper()
	berthOnce.Do(func() {
		dir, err := os.MkdirTemp("", "berth-kill")
		if err != nil {
			berthErr = err
			return
		}
		berthPath = filepath.Join(dir, "berth")
		out, err := exec.Command("go", "build", "-o", berthPath, "../cmd/berth").CombinedOutput()
		if err != nil {
			berthErr = fmt.Errorf("go build ../cmd/berth: %v\n%s", err, out)
		}
	})
	if berthErr != nil {
		t.Fatal(berthErr)
	}
	return berthPath
}

// TestMain removes the berth binary the kill tests built.
func TestMain(m *testing.M) {
	code := m.Run()
	if err := removeE2EImage(); err != nil {
		fmt.Fprintln(os.Stderr, "cleanup:", err)
		code = 1
	}
	if berthPath != "" {
		os.RemoveAll(filepath.Dir(berthPath))
	}
	os.Exit(code)
}

// killProject is the kill tests' project: its directory, its name, and
// the berth binary run in it.
type killProject struct {
	*e2eProject
	bin string
}

func newKillProject(t *testing.T, d *Engine) *killProject {
	t.Helper()
	kp := &killProject{e2eProject: newE2EProject(t, d, "GEN=1\nAPI_GEN=1\n"), bin: berthBinary(t)}
	if err := os.WriteFile(filepath.Join(kp.dir, "compose.yaml"), []byte(killCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	// Removes what a half-done recreate may leave without the project's
	// labels, should the test fail before apply cleans it up.
	t.Cleanup(func() { kp.removeNamed() })
	return kp
}

// setGen changes GEN, which every service reads (all are recreated), and
// API_GEN, which only api reads.
func (kp *killProject) setGen(gen, apiGen int) {
	kp.t.Helper()
	if err := os.WriteFile(filepath.Join(kp.dir, ".env"), fmt.Appendf(nil, "GEN=%d\nAPI_GEN=%d\n", gen, apiGen), 0o644); err != nil {
		kp.t.Fatal(err)
	}
}

func (kp *killProject) command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, kp.bin, append([]string{"-p", kp.name}, args...)...)
	cmd.Dir = kp.dir
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		cmd.Env = append(cmd.Env, "DOCKER_HOST="+h)
	}
	return cmd
}

// run runs berth to the end and returns its exit code and output.
func (kp *killProject) run(args ...string) (int, string) {
	kp.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := kp.command(ctx, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if ctx.Err() != nil {
		kp.t.Fatalf("berth %v did not finish within 2 minutes:\n%s", args, out.String())
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String()
	} else if err != nil {
		kp.t.Fatalf("running berth %v: %v", args, err)
	}
	return 0, out.String()
}

// progressEvent is one line of apply --progress json.
type progressEvent struct {
	Resource string `json:"resource"`
	Status   string `json:"status"`
}

// applyKilled starts `berth apply --progress json` and SIGKILLs it when
// killAt returns true for the n-th progress event (1-based), or when
// killNow is closed. It fails the test when apply ends before the kill
// point: the point was not reached, so the test would prove nothing.
func (kp *killProject) applyKilled(killAt func(n int, e progressEvent) bool, killNow <-chan struct{}) []progressEvent {
	kp.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := kp.command(ctx, "apply", "--progress", "json")
	// Events are read from stdout and stderr alike: the plan is text, the
	// events are the lines that are JSON objects.
	stdout, pw := io.Pipe()
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		kp.t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() {
		err := cmd.Wait()
		pw.Close()
		waited <- err
	}()
	var (
		mu     sync.Mutex
		killed bool
		seen   []progressEvent
	)
	kill := func() {
		mu.Lock()
		defer mu.Unlock()
		if !killed {
			killed = true
			_ = cmd.Process.Kill() // SIGKILL: no chance to clean up
		}
	}
	if killNow != nil {
		go func() {
			select {
			case <-killNow:
				kill()
			case <-ctx.Done():
			}
		}()
	}
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		line := sc.Bytes()
		output.Write(line)
		output.WriteByte('\n')
		var e progressEvent
		if !bytes.HasPrefix(line, []byte("{")) || json.Unmarshal(line, &e) != nil || e.Status == "" {
			continue // the plan printed before the progress
		}
		mu.Lock()
		seen = append(seen, e)
		n := len(seen)
		mu.Unlock()
		if killAt != nil && killAt(n, e) {
			kill()
			break
		}
	}
	_, _ = io.Copy(&output, stdout)
	err := <-waited
	mu.Lock()
	defer mu.Unlock()
	if !killed {
		kp.t.Fatalf("apply ended (%v) before the kill point; events %v\n%s", err, seen, output.String())
	}
	return seen
}

// assertConverged runs apply again and checks that Docker holds exactly
// the project: one running (and healthy, where there is a healthcheck)
// container per service under its final name, no container left under a
// temporary name, each network and the volume once, and a plan with no
// changes after it.
func (kp *killProject) assertConverged(what string) {
	kp.t.Helper()
	t := kp.t
	code, out := kp.run("apply", "--progress", "quiet", "--wait-timeout", "60")
	if code != 0 {
		t.Fatalf("%s: apply after the kill exited %d:\n%s", what, code, out)
	}
	t.Logf("%s: the converging apply:\n%s", what, out)
	ctx := context.Background()
	obs := kp.observe()
	var names []string
	for _, c := range obs.Containers {
		names = append(names, c.Name)
		if c.State != "running" {
			t.Errorf("%s: %s is %s", what, c.Name, c.State)
		}
		if slices.Contains(killHealthy, c.Service) && c.Health != "healthy" {
			t.Errorf("%s: %s health %q", what, c.Name, c.Health)
		}
		if c.Labels[LabelConfigHash] == "" || c.Number != 1 {
			t.Errorf("%s: %s labels %v", what, c.Name, c.Labels)
		}
	}
	var want []string
	for _, s := range killServices {
		want = append(want, kp.name+"-"+s+"-1")
	}
	if !slices.Equal(names, want) {
		t.Errorf("%s: project containers %v, want %v", what, names, want)
	}
	// Every container whose name mentions the project, labelled or not:
	// a recreate's temporary "<id>_<name>" would show here.
	all, err := kp.d.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("name", kp.name))})
	if err != nil {
		t.Fatal(err)
	}
	var allNames []string
	for _, c := range all {
		for _, n := range c.Names {
			allNames = append(allNames, strings.TrimPrefix(n, "/"))
		}
	}
	slices.Sort(allNames)
	if !slices.Equal(allNames, want) {
		t.Errorf("%s: containers named after the project %v, want %v", what, allNames, want)
	}
	// Networks by name, not by label: Docker 20.10 lets two networks share
	// a name, and a duplicate must show up here.
	nets, err := kp.d.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", kp.name))})
	if err != nil {
		t.Fatal(err)
	}
	var netNames []string
	for _, n := range nets {
		netNames = append(netNames, n.Name)
		if n.Labels[LabelProject] != kp.name {
			t.Errorf("%s: network %s (%.12s) lacks the project label: %v", what, n.Name, n.ID, n.Labels)
		}
	}
	slices.Sort(netNames)
	if want := []string{kp.name + "_back", kp.name + "_front"}; !slices.Equal(netNames, want) {
		t.Errorf("%s: networks %v, want %v", what, netNames, want)
	}
	vols, err := kp.d.VolumeList(ctx, volume.ListOptions{Filters: filters.NewArgs(filters.Arg("name", kp.name))})
	if err != nil {
		t.Fatal(err)
	}
	if len(vols.Volumes) != 1 || vols.Volumes[0].Name != kp.name+"_data" {
		t.Errorf("%s: volumes %v, want %s_data", what, vols.Volumes, kp.name)
	}
	if code, out := kp.run("plan", "--detailed-exitcode"); code != 0 {
		t.Errorf("%s: plan after the converging apply exited %d (want 0, no changes):\n%s", what, code, out)
	}
}

// down removes everything of the project, so the next case starts from
// nothing.
func (kp *killProject) down() {
	kp.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	kp.removeNamed()
	obs, err := Observe(ctx, kp.d, kp.name)
	if err != nil {
		kp.t.Fatal(err)
	}
	if err := Execute(ctx, kp.d, DownPlan(obs, DownOptions{Volumes: true}), ExecOptions{}); err != nil {
		kp.t.Fatal(err)
	}
}

// removeNamed force-removes every container whose name mentions the
// project (temporary names included).
func (kp *killProject) removeNamed() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	list, err := kp.d.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("name", kp.name))})
	if err != nil {
		return
	}
	for _, c := range list {
		_ = kp.d.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true})
	}
}

func isContainer(e progressEvent) bool { return strings.HasPrefix(e.Resource, "container:") }

// TestE2EKillFromNothing kills `berth apply` of a six-service project at
// several points of a first apply, each time from nothing, and checks that
// the next apply converges.
func TestE2EKillFromNothing(t *testing.T) {
	d := e2eDocker(t)
	kp := newKillProject(t, d)
	cases := []struct {
		name   string
		killAt func(n int, e progressEvent) bool
	}{
		{"after the first event", func(n int, _ progressEvent) bool { return n == 1 }},
		{"at the first container create", func(_ int, e progressEvent) bool { return isContainer(e) && e.Status == "Creating" }},
		{"after the first container is created", func(_ int, e progressEvent) bool { return isContainer(e) && e.Status == "Created" }},
		{"after the first container started", func(_ int, e progressEvent) bool { return isContainer(e) && e.Status == "Started" }},
		{"while waiting for health", func(_ int, e progressEvent) bool { return e.Status == "Waiting" }},
		{"when api is being created", func(_ int, e progressEvent) bool {
			return e.Resource == "container:"+kp.name+"-api-1" && e.Status == "Creating"
		}},
		{"while waiting for api", func(_ int, e progressEvent) bool { return e.Resource == "service:api" && e.Status == "Waiting" }},
		{"after proxy started", func(_ int, e progressEvent) bool {
			return e.Resource == "container:"+kp.name+"-proxy-1" && e.Status == "Started"
		}},
	}
	for _, c := range cases {
		ok := t.Run(c.name, func(t *testing.T) {
			kp.t = t
			kp.down()
			kp.applyKilled(c.killAt, nil)
			kp.assertConverged("killed " + c.name)
		})
		if !ok {
			return
		}
	}
}

// TestE2EKillDuringRecreate kills apply while it recreates every service
// (the environment changed), at points chosen from the progress and from
// Docker itself (a replacement under its temporary name exists), then
// recreates the half-done states directly, and checks each time that the
// next apply converges with no container left under a temporary name.
func TestE2EKillDuringRecreate(t *testing.T) {
	d := e2eDocker(t)
	kp := newKillProject(t, d)
	if code, out := kp.run("apply", "--progress", "plain"); code != 0 {
		t.Fatalf("first apply exited %d:\n%s", code, out)
	}
	gen, apiGen := 1, 1
	next := func() { gen++; kp.setGen(gen, apiGen) }

	next()
	kp.applyKilled(func(_ int, e progressEvent) bool { return isContainer(e) && e.Status == "Creating" }, nil)
	kp.assertConverged("killed at the first recreate")

	next()
	kp.applyKilled(func(_ int, e progressEvent) bool { return isContainer(e) && e.Status == "Recreated" }, nil)
	kp.assertConverged("killed after the first rename")

	// Kill as soon as Docker shows a replacement under its temporary name:
	// the old container is then still there, or stopped, or removed.
	next()
	found := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(found)
		for ctx.Err() == nil {
			list, err := d.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("name", "_"+kp.name+"-"))})
			if err == nil && len(list) > 0 {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	kp.applyKilled(nil, found)
	cancel()
	kp.assertConverged("killed when a temporary container appeared")

	// The three states a recreate passes through before the rename, made
	// directly: replacement created; old one also stopped; old one removed.
	// Only api changes.
	for _, state := range []string{"created", "stopped", "removed"} {
		apiGen++
		kp.setGen(gen, apiGen)
		p := kp.load(killCompose)
		plan := kp.plan(p)
		var step Step
		for _, s := range plan.Steps {
			if s.Action == Recreate && s.Service == "api" {
				step = s
			}
		}
		if step.OldID == "" {
			t.Fatalf("no recreate of api in %v", summary(plan))
		}
		x := &executor{d: d, plan: plan}
		tmp := fmt.Sprintf("%.12s_%s", step.OldID, step.Name)
		if _, err := x.create(context.Background(), step, tmp); err != nil {
			t.Fatal(err)
		}
		switch state {
		case "stopped":
			if err := d.ContainerStop(context.Background(), step.OldID, container.StopOptions{}); err != nil {
				t.Fatal(err)
			}
		case "removed":
			if err := x.stopRemove(context.Background(), step.OldID); err != nil {
				t.Fatal(err)
			}
		}
		kp.assertConverged("recreate interrupted with the replacement " + state)
		if t.Failed() {
			return
		}
	}

	// Only api changes: proxy (restart: true) is stopped before api is
	// recreated and started after. Killed with proxy stopped, before and
	// after api's recreate, the next apply starts it.
	proxy := "container:" + kp.name + "-proxy-1"
	for _, c := range []struct {
		what   string
		killAt func(e progressEvent) bool
	}{
		{"after proxy stopped", func(e progressEvent) bool { return e.Resource == proxy && e.Status == "Stopped" }},
		{"after api was recreated, proxy stopped", func(e progressEvent) bool {
			return e.Resource == "container:"+kp.name+"-api-1" && e.Status == "Recreated"
		}},
	} {
		apiGen++
		kp.setGen(gen, apiGen)
		seen := kp.applyKilled(func(_ int, e progressEvent) bool { return c.killAt(e) }, nil)
		if !slices.ContainsFunc(seen, func(e progressEvent) bool { return e.Resource == proxy && e.Status == "Stopped" }) {
			t.Errorf("killed %s: proxy was not stopped first; events %v", c.what, seen)
		}
		// The next plan shows the start that did not happen.
		_, out := kp.run("plan")
		if !slices.ContainsFunc(strings.Split(out, "\n"), func(l string) bool {
			return strings.Contains(l, proxy+" ") && strings.HasSuffix(strings.TrimSpace(l), " start")
		}) {
			t.Errorf("killed %s: the next plan does not start proxy:\n%s", c.what, out)
		}
		kp.assertConverged("killed " + c.what)
		if t.Failed() {
			return
		}
	}
}

// TestE2EKillDuringNetworkRecreate changes the front network's labels
// (api, proxy and admin are attached to it, and are disconnected and
// connected again, not recreated) and kills apply at each point of the
// network's recreate; the next apply converges each time.
func TestE2EKillDuringNetworkRecreate(t *testing.T) {
	d := e2eDocker(t)
	kp := newKillProject(t, d)
	if code, out := kp.run("apply", "--progress", "plain"); code != 0 {
		t.Fatalf("first apply exited %d:\n%s", code, out)
	}
	front := "network:" + kp.name + "_front"
	for i, c := range []struct {
		what   string
		killAt func(e progressEvent) bool
	}{
		{"after the first container stopped", func(e progressEvent) bool { return isContainer(e) && e.Status == "Stopped" }},
		{"after the first disconnect", func(e progressEvent) bool { return e.Status == "Disconnected" }},
		{"after the network was removed", func(e progressEvent) bool { return e.Resource == front && e.Status == "Removed" }},
		{"after the network was created", func(e progressEvent) bool { return e.Resource == front && e.Status == "Created" }},
		{"after the first connect", func(e progressEvent) bool { return e.Status == "Connected" }},
	} {
		if err := os.WriteFile(filepath.Join(kp.dir, ".env"), fmt.Appendf(nil, "GEN=1\nAPI_GEN=1\nNET_GEN=%d\n", i+2), 0o644); err != nil {
			t.Fatal(err)
		}
		kp.applyKilled(func(_ int, e progressEvent) bool { return c.killAt(e) }, nil)
		kp.assertConverged("network recreate killed " + c.what)
		if t.Failed() {
			return
		}
	}
}

// TestE2EDuplicateNetwork makes a second network with the name of one of
// the project's (Docker before API 1.44 allows it; two applies racing can
// do it), before and after the containers exist, and checks that apply
// keeps one and removes the other.
func TestE2EDuplicateNetwork(t *testing.T) {
	d := e2eDocker(t)
	if v := d.ClientVersion(); versions.GreaterThanOrEqualTo(v, "1.44") {
		t.Skipf("the engine (API %s) refuses duplicate network names", v)
	}
	kp := newKillProject(t, d)
	dup := func() string {
		t.Helper()
		body := map[string]any{
			"Name": kp.name + "_front", "CheckDuplicate": false,
			"Labels": map[string]string{LabelProject: kp.name, LabelNetwork: "front", LabelVersion: ComposeVersion},
		}
		return createNetworkRaw(t, d, body)
	}
	// Before the containers: two networks named <project>_front, no
	// endpoints on either.
	kp.applyKilled(func(_ int, e progressEvent) bool {
		return e.Resource == "network:"+kp.name+"_front" && e.Status == "Created"
	}, nil)
	dup()
	kp.assertConverged("a duplicate network before the containers")

	// After: the duplicate has no endpoints, so it goes and the network the
	// containers are attached to stays.
	frontIDs := func() []string {
		t.Helper()
		nets, err := d.NetworkList(context.Background(), network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", kp.name+"_front"))})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, n := range nets {
			ids = append(ids, n.ID)
		}
		return ids
	}
	kept := frontIDs()
	if extra := dup(); slices.Contains(kept, extra) {
		t.Fatalf("duplicate network has the ID of the original")
	}
	kp.assertConverged("a duplicate network next to a running project")
	if got := frontIDs(); !slices.Equal(got, kept) {
		t.Errorf("front network %v after apply, want the original %v", got, kept)
	}
}

// TestE2ELeftoverUnderFinalName: a container of the project holds a final
// name but is not in the observed state (an apply killed while its create
// was in flight: the engine reserves the name before it lists the
// container). The create that meets it removes it and goes on.
func TestE2ELeftoverUnderFinalName(t *testing.T) {
	d := e2eDocker(t)
	kp := newKillProject(t, d)
	cfg := &container.Config{Image: e2eImage, Cmd: []string{"kv"}, Labels: map[string]string{LabelProject: kp.name, LabelService: "admin"}}
	if _, err := d.ContainerCreate(context.Background(), cfg, &container.HostConfig{}, nil, nil, kp.name+"-admin-1"); err != nil {
		t.Fatal(err)
	}
	kp.assertConverged("a leftover under admin's final name")
}

// createNetworkRaw sends POST /networks/create with body as it is, through
// the client's own transport: the client always asks an engine before API
// 1.44 to check for duplicates, and this test needs one that does not.
func createNetworkRaw(t *testing.T, d *Engine, body any) string {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	// The transport dials the engine's socket whatever the URL's host.
	req, err := http.NewRequest(http.MethodPost, "http://docker/v"+d.ClientVersion()+"/networks/create", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := d.HTTPClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out network.CreateResponse
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating network: %s (%v)", resp.Status, err)
	}
	return out.ID
}
