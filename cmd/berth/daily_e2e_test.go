package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// dailyCompose is kv, web depending on it healthy, and talker, which
// writes three lines (the last to stderr). Every service runs one image,
// built by berth from the test program.
func dailyCompose(image string) string {
	return `services:
  kv:
    build: ./app
    image: ` + image + `
    pull_policy: never
    command: ["kv"]
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 500ms
      retries: 60
  web:
    image: ` + image + `
    pull_policy: never
    command: ["web"]
    environment:
      KV_ADDR: kv:6379
    depends_on:
      kv:
        condition: service_healthy
  talker:
    image: ` + image + `
    pull_policy: never
    command: ["log", "hello from talker", "second line", "to stderr"]
`
}

// dailyProject is a project directory with the daily compose file and the
// image built; cleanup removes the containers, networks, image and lock.
type dailyProject struct {
	t     *testing.T
	dir   string
	name  string
	image string
	env   []string
}

func newDailyProject(t *testing.T, prefix string) *dailyProject {
	t.Helper()
	needDocker(t)
	p := &dailyProject{t: t, dir: t.TempDir(), name: uniqueName(prefix)}
	p.image = p.name + "-app:1"
	ctxDir := appContext(t, p.dir)
	if err := os.WriteFile(filepath.Join(ctxDir, "Dockerfile"), []byte("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "compose.yaml"), []byte(dailyCompose(p.image)), 0o644); err != nil {
		t.Fatal(err)
	}
	p.env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		p.env = append(p.env, "DOCKER_HOST="+h)
	}
	t.Cleanup(func() {
		runBerth(t, p.dir, p.env, "-p", p.name, "down", "--rmi", "all", "--progress", "quiet", "--lock-timeout", "0")
		_ = exec.Command("docker", "volume", "rm", "-f", "berth-lock."+p.name).Run()
		_ = exec.Command("docker", "rmi", "-f", p.image).Run()
		removeProjectImages(t, p.name)
	})
	if r := p.berth("build"); r.code != 0 {
		t.Fatalf("berth build: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	return p
}

func (p *dailyProject) berth(args ...string) result {
	p.t.Helper()
	return runBerth(p.t, p.dir, p.env, append([]string{"-p", p.name}, args...)...)
}

// states is every container of the project as service=state, sorted.
func (p *dailyProject) states() []string {
	p.t.Helper()
	out, err := exec.Command("docker", "ps", "-a", "--filter", "label=com.docker.compose.project="+p.name, "--format", `{{.Label "com.docker.compose.service"}}={{.State}}`).Output()
	if err != nil {
		p.t.Fatal(err)
	}
	lines := strings.Fields(string(out))
	slices.Sort(lines)
	return lines
}

// TestDailyCommandsOnComposeProject runs ps, logs, stop and start on a
// project that Docker Compose v5.5.1's "up -d --wait" created.
func TestDailyCommandsOnComposeProject(t *testing.T) {
	p := newDailyProject(t, "berthdaily")
	compose := need(t, "Docker Compose v5.5.1", "BERTH_TEST_COMPOSE", "/var/cache/berth-ci/compose-v5.5.1/docker-compose")
	runCmd(t, p.env, "", compose, "-p", p.name, "--project-directory", p.dir, "-f", filepath.Join(p.dir, "compose.yaml"), "up", "-d", "--wait")

	// ps: the table, -q, --services, json.
	r := p.berth("ps")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "NAME") {
		t.Fatalf("ps: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	header := strings.Fields(strings.SplitN(r.stdout, "\n", 2)[0])
	if want := []string{"NAME", "IMAGE", "SERVICE", "CREATED", "STATUS", "PORTS"}; !slices.Equal(header, want) {
		t.Errorf("ps header %v, want %v", header, want)
	}
	for _, svc := range []string{"kv", "web", "talker"} {
		if !slices.ContainsFunc(strings.Split(r.stdout, "\n"), func(l string) bool {
			f := strings.Fields(l)
			return len(f) > 5 && f[0] == p.name+"-"+svc+"-1" && f[1] == p.image && f[2] == svc && strings.Contains(l, " ago   Up ")
		}) {
			t.Errorf("ps lacks %s's row:\n%s", svc, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "(healthy)") || !strings.Contains(r.stdout, "ago") {
		t.Errorf("ps shows no health or creation time:\n%s", r.stdout)
	}
	if r := p.berth("ps", "-q"); len(strings.Fields(r.stdout)) != 3 || len(strings.Fields(r.stdout)[0]) != 64 {
		t.Errorf("ps -q: %q, want three IDs", r.stdout)
	}
	if r := p.berth("ps", "--services"); r.stdout != "kv\ntalker\nweb\n" {
		t.Errorf("ps --services: %q", r.stdout)
	}
	var js struct {
		Containers []struct {
			Service, Image, Health string
			Created                time.Time
		} `json:"containers"`
	}
	if r := p.berth("ps", "--format", "json"); json.Unmarshal([]byte(r.stdout), &js) != nil || len(js.Containers) != 3 || js.Containers[0].Created.IsZero() {
		t.Errorf("ps --format json: %s", r.stdout)
	}

	// logs: every line of talker, prefixed, stdout and stderr; --tail.
	r = p.berth("logs")
	for _, want := range []string{"talker-1 | hello from talker\n", "talker-1 | second line\n", "talker-1 | to stderr\n"} {
		if r.code != 0 || !strings.Contains(r.stdout, want) {
			t.Errorf("logs lacks %q: exit %d\n%s%s", want, r.code, r.stdout, r.stderr)
		}
	}
	// The engine keeps stdout and stderr apart: which of the last two
	// lines it stored last is its choice.
	if r := p.berth("logs", "--tail", "1", "--no-log-prefix", "talker"); r.stdout != "to stderr\n" && r.stdout != "second line\n" {
		t.Errorf("logs --tail 1 --no-log-prefix talker: %q", r.stdout)
	}
	if r := p.berth("logs", "-t", "talker"); !strings.Contains(r.stdout, "talker-1 | 20") {
		t.Errorf("logs -t shows no timestamps:\n%s", r.stdout)
	}
	if r := p.berth("logs", "nosuch"); r.code != 2 {
		t.Errorf("logs nosuch: exit %d, want 2", r.code)
	}

	// stop one service, then all; start them again.
	if r := p.berth("stop", "web"); r.code != 0 || !strings.Contains(r.stdout, "1 stopped") {
		t.Fatalf("stop web: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := p.states(), []string{"kv=running", "talker=running", "web=exited"}; !slices.Equal(got, want) {
		t.Errorf("after stop web: %v, want %v", got, want)
	}
	if r := p.berth("ps", "--services"); r.stdout != "kv\ntalker\n" {
		t.Errorf("ps without -a lists stopped containers: %q", r.stdout)
	}
	if r := p.berth("ps", "-a", "--services"); r.stdout != "kv\ntalker\nweb\n" {
		t.Errorf("ps -a --services: %q", r.stdout)
	}
	if r := p.berth("ps", "--status", "exited", "--services"); r.stdout != "web\n" {
		t.Errorf("ps --status exited: %q", r.stdout)
	}
	if r := p.berth("stop", "-t", "2s"); r.code != 0 || !strings.Contains(r.stdout, "2 stopped") {
		t.Fatalf("stop: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := p.states(), []string{"kv=exited", "talker=exited", "web=exited"}; !slices.Equal(got, want) {
		t.Errorf("after stop: %v, want %v", got, want)
	}
	r = p.berth("start", "--progress", "plain", "--wait-timeout", "60")
	if r.code != 0 || !strings.Contains(r.stdout, "3 started") {
		t.Fatalf("start: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// web waits for kv to be healthy, as its depends_on says.
	if i, j := strings.Index(r.stderr, "service:kv  Healthy"), strings.Index(r.stderr, "container:"+p.name+"-web-1  Started"); i < 0 || j < i {
		t.Errorf("start did not wait for kv to be healthy before web:\n%s", r.stderr)
	}
	if got, want := p.states(), []string{"kv=running", "talker=running", "web=running"}; !slices.Equal(got, want) {
		t.Errorf("after start: %v, want %v", got, want)
	}
	// Docker Compose still sees its project as it left it.
	if out := runCmd(t, p.env, "", compose, "-p", p.name, "ps", "--services"); strings.Fields(out) == nil {
		t.Errorf("docker compose ps after berth start: %q", out)
	}
}

// TestProjectLock: two applies started together on one project, one
// waiting for the other; a lock another host holds (fail fast, time out,
// berth unlock); a stale lock of a process of this host that is gone.
func TestProjectLock(t *testing.T) {
	p := newDailyProject(t, "berthlock")
	var wg sync.WaitGroup
	results := make([]result, 2)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = p.berth("apply", "--progress", "plain", "--wait-timeout", "60")
		}()
	}
	wg.Wait()
	waited := 0
	for i, r := range results {
		if r.code != 0 {
			t.Errorf("apply %d: exit %d\n%s%s", i, r.code, r.stdout, r.stderr)
		}
		if strings.Contains(r.stderr, "Waiting up to 5m0s for the lock of project "+p.name+", held by \"berth apply\"") {
			waited++
		}
		if strings.Contains(r.stdout+r.stderr, "Error response from daemon") || strings.Contains(r.stdout+r.stderr, "No such container") {
			t.Errorf("apply %d printed an engine error:\n%s%s", i, r.stdout, r.stderr)
		}
	}
	if waited != 1 {
		t.Errorf("%d applies waited for the lock, want 1:\n%s%s\n%s%s", waited, results[0].stdout, results[0].stderr, results[1].stdout, results[1].stderr)
	}
	if r := p.berth("plan", "--detailed-exitcode"); r.code != 0 {
		t.Errorf("plan after two applies: exit %d (want 0, converged)\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := p.states(), []string{"kv=running", "talker=running", "web=running"}; !slices.Equal(got, want) {
		t.Errorf("after two applies: %v, want %v", got, want)
	}
	if out, _ := exec.Command("docker", "volume", "ls", "-q", "--filter", "name=berth-lock."+p.name).Output(); strings.TrimSpace(string(out)) != "" {
		t.Errorf("the lock is left after the applies: %s", out)
	}

	lock := func(host, pid string) {
		t.Helper()
		runCmd(t, p.env, "", "docker", "volume", "create", "--label", "dev.berth.lock="+p.name, "--label", "dev.berth.lock.host="+host,
			"--label", "dev.berth.lock.pid="+pid, "--label", "dev.berth.lock.command=berth apply", "--label", "dev.berth.lock.since=2026-01-02T03:04:05Z",
			"--label", "dev.berth.lock.token=t0", "berth-lock."+p.name)
	}
	// Held by a berth on another machine: cannot be checked from here.
	lock("ci-runner-7", "4242")
	began := time.Now()
	r := p.berth("restart", "--lock-timeout", "0")
	if r.code != 1 || !strings.Contains(r.stderr, `project `+p.name+` is locked by "berth apply" (pid 4242 on ci-runner-7) since 2026-01-02T03:04:05Z`) || time.Since(began) > 5*time.Second {
		t.Errorf("restart --lock-timeout 0 on a locked project: exit %d after %s\n%s", r.code, time.Since(began), r.stderr)
	}
	began = time.Now()
	r = p.berth("stop", "--lock-timeout", "1s")
	if took := time.Since(began); r.code != 1 || !strings.Contains(r.stderr, "is still locked after 1s") || took < time.Second {
		t.Errorf("stop --lock-timeout 1s: exit %d after %s\n%s", r.code, took, r.stderr)
	}
	// Reading commands do not lock.
	if r := p.berth("plan"); r.code != 0 {
		t.Errorf("plan on a locked project: exit %d\n%s", r.code, r.stderr)
	}
	if r := p.berth("ps"); r.code != 0 {
		t.Errorf("ps on a locked project: exit %d\n%s", r.code, r.stderr)
	}
	if r := p.berth("unlock"); r.code != 0 || !strings.Contains(r.stdout, "Broke the lock of project "+p.name+`, held by "berth apply" (pid 4242 on ci-runner-7)`) {
		t.Errorf("unlock: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := p.berth("unlock"); r.code != 0 || !strings.Contains(r.stdout, "is not locked") {
		t.Errorf("unlock of an unlocked project: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// Held by a process of this host that is gone: stale, broken.
	gone := exec.Command("true")
	if err := gone.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	lock(host, strconv.Itoa(gone.Process.Pid))
	r = p.berth("down", "--lock-timeout", "0")
	if r.code != 0 || !strings.Contains(r.stderr, "Broke the stale lock of project "+p.name) {
		t.Errorf("down with a stale lock: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := p.states(); len(got) != 0 {
		t.Errorf("after down: %v", got)
	}
}
