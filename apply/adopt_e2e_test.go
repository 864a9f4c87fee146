package apply

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/network"
)

// TestE2EAdoptNetworkCreatedAfterObserve: an apply killed while its network
// create was in flight leaves the engine to finish that create after the
// next apply has observed. The next apply's own create then meets a name
// that is taken; a network with this project's labels is adopted, anything
// else is not berth's to take.
func TestE2EAdoptNetworkCreatedAfterObserve(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	p := pr.load(`services:
  app:
    image: ` + e2eImage + `
    command: ["kv"]
    networks: [front]
networks:
  front: {}
`)
	plan := pr.plan(p) // observed before the network exists
	createBehind := func(labels map[string]string) {
		t.Helper()
		if _, err := d.NetworkCreate(context.Background(), pr.name+"_front", network.CreateOptions{Labels: labels}); err != nil {
			t.Fatal(err)
		}
	}
	createBehind(map[string]string{LabelProject: pr.name, LabelNetwork: "front", LabelVersion: ComposeVersion})
	if err := pr.execute(plan, 30*time.Second); err != nil {
		t.Fatalf("apply after a network appeared behind its back: %v", err)
	}
	list, err := sameName(context.Background(), d, pr.name+"_front")
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 {
		t.Fatalf("%d networks named %s_front, want 1", len(list), pr.name)
	}

	// A network of that name that is not the project's is refused.
	other := newE2EProject(t, d, "")
	p = other.load(`services:
  app:
    image: ` + e2eImage + `
    command: ["kv"]
    networks: [front]
networks:
  front: {}
`)
	plan = other.plan(p)
	out, err := d.NetworkCreate(context.Background(), other.name+"_front", network.CreateOptions{Labels: map[string]string{"team": "someone-else"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.NetworkRemove(context.Background(), out.ID) })
	err = other.execute(plan, 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Fatalf("apply over a foreign network of the same name: %v, want the engine's conflict", err)
	}
}
