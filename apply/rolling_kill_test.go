package apply

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
)

// TestE2EKillDuringRollingRecreate kills apply at each point of a
// start-first recreate of api (only API_GEN changes; api can run twice):
// replacement being created, started, healthy next to the old one, old one
// stopping, and done. Each time at most one container more than the
// project's six is left, and the next apply removes it and converges.
func TestE2EKillDuringRollingRecreate(t *testing.T) {
	d := e2eDocker(t)
	kp := newKillProject(t, d)
	if code, out := kp.run("apply", "--progress", "plain"); code != 0 {
		t.Fatalf("first apply exited %d:\n%s", code, out)
	}
	api := "container:" + kp.name + "-api-1"
	apiGen := 1
	next := func() {
		apiGen++
		kp.setGen(1, apiGen)
	}
	next()
	if _, out := kp.run("plan"); !strings.Contains(out, "order start-first") {
		t.Fatalf("api is not recreated start-first:\n%s", out)
	}
	kp.setGen(1, 1)
	for _, c := range []struct {
		what   string
		killAt func(e progressEvent) bool
	}{
		{"while the replacement is created", func(e progressEvent) bool { return e.Resource == api && e.Status == "Creating" }},
		{"once the replacement started", func(e progressEvent) bool { return e.Resource == api && e.Status == "Started" }},
		{"while the replacement is waited for", func(e progressEvent) bool { return e.Resource == api && e.Status == "Waiting" }},
		{"while the old container stops", func(e progressEvent) bool { return e.Resource == api && e.Status == "Stopping" }},
		{"after the recreate", func(e progressEvent) bool { return e.Resource == api && e.Status == "Recreated" }},
	} {
		next()
		kp.applyKilled(func(_ int, e progressEvent) bool { return c.killAt(e) }, nil)
		kp.assertAtMostOneExtra("killed " + c.what)
		kp.assertConverged("rolling recreate killed " + c.what)
		if t.Failed() {
			return
		}
	}

	// Killed once Docker shows the replacement healthy beside the old
	// container: both serve.
	next()
	found := make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(found)
		for ctx.Err() == nil {
			list, err := d.ContainerList(ctx, container.ListOptions{Filters: filters.NewArgs(
				filters.Arg("name", "_"+kp.name+"-api-1"), filters.Arg("health", "healthy"))})
			if err == nil && len(list) > 0 {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	kp.applyKilled(nil, found)
	cancel()
	kp.assertAtMostOneExtra("killed with the replacement healthy")
	kp.assertConverged("rolling recreate killed with the replacement healthy")
}

// assertAtMostOneExtra checks, right after a kill, that Docker holds at
// most one container more than the project's services (the replacement of
// an interrupted rolling recreate).
func (kp *killProject) assertAtMostOneExtra(what string) {
	kp.t.Helper()
	list, err := kp.d.ContainerList(context.Background(), container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("name", kp.name))})
	if err != nil {
		kp.t.Fatal(err)
	}
	if len(list) > len(killServices)+1 {
		var names []string
		for _, c := range list {
			names = append(names, c.Names...)
		}
		kp.t.Errorf("%s: %d containers %v, want at most %d", what, len(list), names, len(killServices)+1)
	}
}
