package apply

import (
	"slices"
	"strings"
	"testing"
)

const netRecreateCompose = `name: shop
services:
  web:
    image: berth-e2e-app:test
    networks:
      front:
        aliases: [www]
  api:
    image: berth-e2e-app:test
    environment:
      GEN: "1"
    networks: [front, back]
networks:
  front:
    labels:
      team: web
  back: {}
`

// A network whose configuration changed is recreated with the containers
// attached to it kept: stopped and disconnected before it goes, connected
// with the file's endpoint settings and started after it is created again.
// A container recreated in the same plan is only stopped and disconnected:
// its replacement is created on the new network.
func TestDiffNetworkRecreateKeepsContainers(t *testing.T) {
	p := loadProject(t, netRecreateCompose)
	obs := converged(t, mustDiff(t, p, &Observed{Project: "shop", Images: images()}, Options{}), &Observed{Project: "shop", Images: images()})
	if again := mustDiff(t, p, obs, Options{}); !again.Empty() {
		t.Fatalf("second plan: %v", summary(again))
	}

	changed := loadProject(t, strings.Replace(netRecreateCompose, "team: web", "team: shop", 1))
	plan := mustDiff(t, changed, obs, Options{})
	want := []string{
		"stop container:shop-api-1 network_recreated",                                 // 1
		"disconnect container:shop-api-1 network_recreated",                           // 2
		"stop container:shop-web-1 network_recreated",                                 // 3
		"disconnect container:shop-web-1 network_recreated",                           // 4
		"remove-network network:shop_front config_changed networks.front.labels.team", // 5
		"create-network network:shop_front config_changed networks.front.labels.team", // 6
		"connect container:shop-api-1 network_recreated",                              // 7
		"start container:shop-api-1 network_recreated",                                // 8
		"connect container:shop-web-1 network_recreated",                              // 9
		"start container:shop-web-1 network_recreated",                                // 10
	}
	if got := summary(plan); !slices.Equal(got, want) {
		t.Fatalf("plan\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	after := map[int][]int{2: {1}, 4: {3}, 5: {2, 4}, 6: {5}, 8: {7}, 10: {9}}
	for id, deps := range after {
		for _, dep := range deps {
			if !slices.Contains(plan.Steps[id-1].After, dep) {
				t.Errorf("step %d (%s) does not wait for step %d: after %v", id, plan.Steps[id-1].Action, dep, plan.Steps[id-1].After)
			}
		}
	}
	for _, id := range []int{7, 9} {
		if !slices.Contains(plan.Steps[id-1].After, 6) {
			t.Errorf("connect step %d does not wait for the network: after %v", id, plan.Steps[id-1].After)
		}
	}
	for _, s := range plan.Steps {
		switch s.Action {
		case Disconnect, Connect:
			if s.Endpoint == nil || s.Endpoint.Network != "shop_front" || s.OldID == "" {
				t.Errorf("%s step %d: endpoint %+v, old id %q", s.Action, s.ID, s.Endpoint, s.OldID)
			}
		}
		if s.Action == Connect && s.Name == "shop-web-1" && (s.Endpoint.Endpoint == nil || !slices.Contains(s.Endpoint.Endpoint.Aliases, "www")) {
			t.Errorf("web connected without its alias: %+v", s.Endpoint.Endpoint)
		}
	}
	if err := plan.Validate(); err != nil {
		t.Fatal(err)
	}

	// api changes too: it is stopped and disconnected, then recreated on
	// the new network (no connect, no start of its own).
	both := loadProject(t, strings.Replace(strings.Replace(netRecreateCompose, "team: web", "team: shop", 1), `GEN: "1"`, `GEN: "2"`, 1))
	plan = mustDiff(t, both, obs, Options{})
	want = []string{
		"stop container:shop-api-1 network_recreated",
		"disconnect container:shop-api-1 network_recreated",
		"stop container:shop-web-1 network_recreated",
		"disconnect container:shop-web-1 network_recreated",
		"remove-network network:shop_front config_changed networks.front.labels.team",
		"create-network network:shop_front config_changed networks.front.labels.team",
		"recreate container:shop-api-1 config_changed services.api.environment.GEN",
		"connect container:shop-web-1 network_recreated",
		"start container:shop-web-1 network_recreated",
	}
	if got := summary(plan); !slices.Equal(got, want) {
		t.Fatalf("plan\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if !slices.Contains(plan.Steps[6].After, 6) {
		t.Errorf("recreate does not wait for the network: after %v", plan.Steps[6].After)
	}

	// An interrupted apply left web off the network (killed between
	// disconnect and connect): web is recreated, which attaches it.
	off := *converged(t, mustDiff(t, changed, obs, Options{}), obs)
	off.Containers = slices.Clone(off.Containers)
	for i, c := range off.Containers {
		if c.Name == "shop-web-1" {
			c.Networks = nil
			off.Containers[i] = c
		}
	}
	off.Networks = slices.DeleteFunc(slices.Clone(off.Networks), func(n Network) bool { return n.Name == "shop_front" && n.Labels["team"] == "web" })
	if got := summary(mustDiff(t, changed, &off, Options{})); !slices.Equal(got, []string{"recreate container:shop-web-1 network_changed services.web.networks"}) {
		t.Errorf("plan after a kill between disconnect and connect: %v", got)
	}
}
