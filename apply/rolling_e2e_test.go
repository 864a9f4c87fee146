package apply

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// rollingCompose puts proxy in front of web, as the tutorial berth grew
// from puts nginx in front of flask: web can run twice (no host port, no
// volume), so a change to it is applied start-first behind the proxy.
// PROBE changes web's healthcheck; a probe of a closed port never passes.
const rollingCompose = `services:
  kv:
    image: berth-e2e-app:test
    command: ["kv"]
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 300ms
      retries: 30
  web:
    image: berth-e2e-app:test
    command: ["web"]
    environment:
      KV_ADDR: kv:6379
      GEN: "${GEN}"
    healthcheck:
      test: ["CMD", "/app", "probe", "${PROBE}"]
      interval: 300ms
      retries: 5
    depends_on:
      kv:
        condition: service_healthy
  proxy:
    image: berth-e2e-app:test
    command: ["proxy"]
    environment:
      UPSTREAM: http://web:8000
    ports:
      - "127.0.0.1:${PORT}:80"
    depends_on:
      web:
        condition: service_healthy
`

const goodProbe = "http://127.0.0.1:8000/health"

// requestLoop sends GET / through the proxy every 20 ms until stopped, and
// counts the requests that did not get a 200.
type requestLoop struct {
	sent, failed atomic.Int64
	mu           sync.Mutex
	firstFailure string
	stop         chan struct{}
	done         chan struct{}
}

func startRequests(url string) *requestLoop {
	l := &requestLoop{stop: make(chan struct{}), done: make(chan struct{})}
	cl := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		defer close(l.done)
		for {
			select {
			case <-l.stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			l.sent.Add(1)
			resp, err := cl.Get(url)
			why := ""
			if err != nil {
				why = err.Error()
			} else {
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					why = resp.Status
				}
			}
			if why != "" {
				l.failed.Add(1)
				l.mu.Lock()
				if l.firstFailure == "" {
					l.firstFailure = why
				}
				l.mu.Unlock()
			}
		}
	}()
	return l
}

func (l *requestLoop) finish() (sent, failed int64, first string) {
	close(l.stop)
	<-l.done
	return l.sent.Load(), l.failed.Load(), l.firstFailure
}

// TestE2ERollingRecreate applies an environment change of web behind the
// proxy while a client sends requests: start-first, no request fails. Then
// a change whose replacement never becomes healthy: no request fails
// either, apply exits 1 and says it rolled back, the old container still
// serves, and the next plan still shows the change.
func TestE2ERollingRecreate(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	kp := &killProject{e2eProject: pr, bin: berthBinary(t)}
	t.Cleanup(func() { kp.removeNamed() })
	port := freePort(t)
	setEnv := func(gen int, probe string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(pr.dir, ".env"), fmt.Appendf(nil, "GEN=%d\nPROBE=%s\nPORT=%d\n", gen, probe, port), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(pr.dir, "compose.yaml"), []byte(rollingCompose), 0o644); err != nil {
		t.Fatal(err)
	}
	setEnv(1, goodProbe)
	if code, out := kp.run("apply", "--progress", "plain", "--wait-timeout", "60"); code != 0 {
		t.Fatalf("first apply exited %d:\n%s", code, out)
	}
	url := fmt.Sprintf("http://127.0.0.1:%d/", port)
	hit(t, url)
	webName := pr.name + "-web-1"

	// A change of web's environment: start-first, and no failed request.
	setEnv(2, goodProbe)
	if code, out := kp.run("plan"); code != 0 || !strings.Contains(out, "order start-first: two containers of web can run at once") {
		t.Fatalf("plan exited %d, want web start-first:\n%s", code, out)
	}
	loop := startRequests(url)
	time.Sleep(300 * time.Millisecond)
	code, out := kp.run("apply", "--progress", "plain", "--wait-timeout", "60")
	time.Sleep(300 * time.Millisecond)
	sent, failed, first := loop.finish()
	if code != 0 {
		t.Fatalf("start-first apply exited %d:\n%s", code, out)
	}
	t.Logf("start-first apply: %d requests, %d failed\n%s", sent, failed, out)
	if failed != 0 || sent < 10 {
		t.Errorf("%d of %d requests failed during the start-first recreate (first: %s)", failed, sent, first)
	}
	web := pr.observe().byService()["web"]
	if web.Name != webName || web.Health != "healthy" || !containsEnv(web.Env, "GEN=2") {
		t.Errorf("web after the recreate: %s %s %v", web.Name, web.Health, web.Env)
	}
	assertOnlyProjectContainers(t, pr, 3)

	// A replacement that never becomes healthy: rolled back.
	oldID := web.ID
	setEnv(2, "http://127.0.0.1:9/health")
	loop = startRequests(url)
	time.Sleep(300 * time.Millisecond)
	code, out = kp.run("apply", "--progress", "plain", "--wait-timeout", "60")
	sent, failed, first = loop.finish()
	t.Logf("failing apply: %d requests, %d failed\n%s", sent, failed, out)
	if code != 1 {
		t.Errorf("apply of a replacement that never becomes healthy exited %d, want 1", code)
	}
	for _, want := range []string{"service web did not become healthy", "rolled back", "FAILED", "last health probe:", ": 1 failed."} {
		if !strings.Contains(out, want) {
			t.Errorf("apply output lacks %q", want)
		}
	}
	if failed != 0 || sent < 10 {
		t.Errorf("%d of %d requests failed during the rolled-back recreate (first: %s)", failed, sent, first)
	}
	web = pr.observe().byService()["web"]
	if web.ID != oldID || web.State != "running" || web.Health != "healthy" {
		t.Errorf("web after the rollback: %.12s %s %s, want the old %.12s running and healthy", web.ID, web.State, web.Health, oldID)
	}
	hit(t, url)
	assertOnlyProjectContainers(t, pr, 3)
	if code, out := kp.run("plan", "--detailed-exitcode"); code != 2 || !strings.Contains(out, "container:"+webName) {
		t.Errorf("plan after the rollback exited %d (want 2, the change pending):\n%s", code, out)
	}
}

func containsEnv(env []string, kv string) bool {
	for _, e := range env {
		if e == kv {
			return true
		}
	}
	return false
}

// assertOnlyProjectContainers checks that exactly n containers are named
// after the project: none left under a temporary name.
func assertOnlyProjectContainers(t *testing.T, pr *e2eProject, n int) {
	t.Helper()
	list, err := pr.d.ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("name", pr.name))})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != n {
		var names []string
		for _, c := range list {
			names = append(names, c.Names...)
		}
		t.Errorf("containers named after the project: %v, want %d", names, n)
	}
}
