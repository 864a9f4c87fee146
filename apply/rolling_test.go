package apply

import (
	"fmt"
	"strings"
	"testing"
)

const rollingOrders = `name: shop
services:
  plain:
    image: berth-e2e-app:test
  hostport:
    image: berth-e2e-app:test
    ports: ["8080:80"]
  anyport:
    image: berth-e2e-app:test
    ports: ["80"]
  named:
    image: berth-e2e-app:test
    container_name: fixed
  writer:
    image: berth-e2e-app:test
    volumes: [data:/data]
  reader:
    image: berth-e2e-app:test
    volumes: [data:/data:ro]
  forced:
    image: berth-e2e-app:test
    ports: ["8081:80"]
    deploy:
      update_config:
        order: start-first
  careful:
    image: berth-e2e-app:test
    deploy:
      update_config:
        order: stop-first
  hostnet:
    image: berth-e2e-app:test
    network_mode: host
  fleet:
    image: berth-e2e-app:test
    deploy:
      replicas: 3
      update_config:
        parallelism: 2
        delay: 2s
        failure_action: pause
volumes:
  data: {}
`

// staleObserved is every container of p (one per replica) with a config
// hash that no longer matches, so that Diff recreates them all.
func staleObserved(t *testing.T, compose string) (*Plan, error) {
	t.Helper()
	p := loadProject(t, compose)
	obs := &Observed{Project: p.Name, Images: images(), Networks: []Network{{ID: "n1", Name: "shop_default", Key: "default"}},
		Volumes: []Volume{{Name: "shop_data", Key: "data"}}}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		for n := 1; n <= scaleOf(s); n++ {
			c := Container{ID: fmt.Sprintf("%s%d", name, n), Name: ContainerName(p.Name, s, n), Service: name, Number: n, ConfigHash: "stale", State: "running"}
			if s.NetworkMode == "" {
				c.Networks, c.NetworkIDs = []string{"shop_default"}, []string{"n1"}
			}
			obs.Containers = append(obs.Containers, c)
		}
	}
	return Diff(p, obs, Options{})
}

func TestRolloutOrder(t *testing.T) {
	plan, err := staleObserved(t, rollingOrders)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	byName := map[string]Step{}
	for _, s := range plan.Steps {
		if s.Action != Recreate {
			continue
		}
		if s.Rollout == nil {
			t.Fatalf("recreate %s has no rollout", s.Name)
		}
		got[s.Name] = s.Rollout.String()
		byName[s.Name] = s
	}
	want := map[string]string{
		"shop-plain-1":    "order start-first: two containers of plain can run at once; on failure: rollback",
		"shop-hostport-1": "order stop-first: it publishes host port 8080",
		"shop-anyport-1":  "order start-first: two containers of anyport can run at once; on failure: rollback",
		"fixed":           "order stop-first: container_name fixed is fixed",
		"shop-writer-1":   "order stop-first: it writes to volume data (one writer at a time)",
		"shop-reader-1":   "order start-first: two containers of reader can run at once; on failure: rollback",
		"shop-forced-1":   "order start-first: deploy.update_config.order is start-first; on failure: rollback",
		"shop-careful-1":  "order stop-first: deploy.update_config.order is stop-first",
		"shop-hostnet-1":  "order stop-first: network_mode is host",
		"shop-fleet-1":    "order start-first: two containers of fleet can run at once; on failure: pause",
		"shop-fleet-2":    "order start-first: two containers of fleet can run at once; on failure: pause",
		"shop-fleet-3":    "order start-first: two containers of fleet can run at once; on failure: pause; after a delay of 2s",
	}
	for name, w := range want {
		if got[name] != w {
			t.Errorf("%s: %q, want %q", name, got[name], w)
		}
	}
	if len(got) != len(want) {
		t.Errorf("recreates %v, want %d", got, len(want))
	}
	// parallelism 2: replicas 1 and 2 together, 3 after 1.
	f1, f2, f3 := byName["shop-fleet-1"], byName["shop-fleet-2"], byName["shop-fleet-3"]
	if hasAfter(f2, f1.ID) || !hasAfter(f3, f1.ID) || hasAfter(f3, f2.ID) {
		t.Errorf("fleet batches: replica 2 after %v, replica 3 after %v (replica 1 is step %d, 2 is %d)", f2.After, f3.After, f1.ID, f2.ID)
	}
	var human strings.Builder
	if err := WriteHuman(&human, plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(human.String(), "\n      order stop-first: it publishes host port 8080\n") {
		t.Errorf("the plan does not say which order a recreate uses:\n%s", human.String())
	}
	if err := plan.Validate(); err != nil {
		t.Errorf("plan with batches: %v", err)
	}
}

func hasAfter(s Step, id int) bool {
	for _, a := range s.After {
		if a == id {
			return true
		}
	}
	return false
}
