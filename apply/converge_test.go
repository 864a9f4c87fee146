package apply

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// orderCompose has what makes Diff's output long: services over two
// networks with depends_on chains, several environment variables (so a
// config change gives several reasons), a volume and a scaled service.
const orderCompose = `name: shop
services:
  db:
    image: berth-e2e-app:test
    command: ["kv"]
    environment: {A: "1", B: "2", C: "3", D: "4"}
    volumes: [data:/data]
    networks: [back]
  cache:
    image: berth-e2e-app:test
    command: ["kv"]
    environment: {A: "1", B: "2"}
    networks: [back]
  api:
    image: berth-e2e-app:test
    command: ["web"]
    environment: {A: "1", B: "2", C: "3"}
    depends_on:
      db: {condition: service_healthy}
      cache: {condition: service_started}
    networks: [back, front]
  worker:
    image: berth-e2e-app:test
    command: ["web"]
    scale: 3
    depends_on: [api]
    networks: [back]
  proxy:
    image: berth-e2e-app:test
    command: ["proxy"]
    depends_on: [api, worker]
    networks: [front]
networks:
  front: {}
  back: {}
volumes:
  data: {}
`

// messyState is the project applied, then disturbed in every way Diff
// has to handle at once: changed config with several reasons, a stopped
// container, an orphan, a replica above the scale, a replica with a second
// container left by an interrupted recreate, a replacement left under its
// temporary name, a duplicate network, a missing network.
func messyState(t *testing.T, p *types.Project) *Observed {
	t.Helper()
	empty := &Observed{Project: "shop", Images: images()}
	first, err := Diff(p, empty, Options{})
	if err != nil {
		t.Fatal(err)
	}
	obs := converged(t, first, empty)
	for i := range obs.Networks {
		obs.Networks[i].Created = time.Unix(int64(1000+i), 0)
	}
	netID := map[string]string{}
	for _, n := range obs.Networks {
		netID[n.Name] = n.ID
	}
	workers := 0
	for i := range obs.Containers {
		c := &obs.Containers[i]
		for _, n := range c.Networks {
			c.NetworkIDs = append(c.NetworkIDs, netID[n])
		}
		switch c.Service {
		case "db":
			c.ConfigHash = "0000"
			c.Env = []string{"PATH=/bin", "A=0", "B=0", "C=3", "D=0"}
			cfg := *c.Config
			cfg.Env = []string{"A=0", "B=0", "C=3", "D=0"}
			c.Config = &cfg
		case "cache":
			c.State = "exited"
		case "worker":
			workers++
			c.Number = workers
			c.Name = fmt.Sprintf("shop-worker-%d", workers)
			c.ID = "id-" + c.Name
		}
	}
	api := obs.containerOf("api")
	// An interrupted recreate of api: the replacement exists next to the
	// out-of-date container.
	tmp := api
	tmp.ID, tmp.Name, tmp.State = "fe01", "idapi000000_shop-api-1", "created"
	for i, c := range obs.Containers {
		if c.Service == "api" {
			obs.Containers[i].ConfigHash = "1111"
		}
	}
	// A replica went missing.
	obs.Containers = slices.DeleteFunc(obs.Containers, func(c Container) bool { return c.Name == "shop-worker-3" })
	// An interrupted recreate of proxy got further: only the replacement is left.
	proxy := obs.containerOf("proxy")
	obs.Containers = slices.DeleteFunc(obs.Containers, func(c Container) bool { return c.Service == "proxy" })
	proxy.Name = "0123456789ab_shop-proxy-1"
	extraWorker := obs.containerOf("worker")
	extraWorker.Number, extraWorker.Name, extraWorker.ID = 4, "shop-worker-4", "id-w4"
	extraWorker5 := extraWorker
	extraWorker5.Number, extraWorker5.Name, extraWorker5.ID = 5, "shop-worker-5", "id-w5"
	orphan := api
	orphan.Service, orphan.Name, orphan.ID = "old", "shop-old-1", "id-old"
	orphan2 := orphan
	orphan2.Name, orphan2.ID, orphan2.Number = "shop-old-2", "id-old2", 2
	orphan3 := orphan
	orphan3.Service, orphan3.Name, orphan3.ID = "legacy", "shop-legacy-1", "id-legacy"
	obs.Containers = append(obs.Containers, tmp, proxy, extraWorker, extraWorker5, orphan, orphan2, orphan3)
	// A second shop_back, newer, with nothing attached; shop_front is gone.
	obs.Networks = append(obs.Networks, Network{ID: "net-dup", Name: "shop_back", Key: "back", Created: time.Unix(5000, 0)})
	obs.Networks = slices.DeleteFunc(obs.Networks, func(n Network) bool { return n.Name == "shop_front" })
	return obs
}

func (o *Observed) containerOf(service string) Container {
	for _, c := range o.Containers {
		if c.Service == service {
			return c
		}
	}
	return Container{}
}

// shuffled is a deep copy of obs with every list in a random order.
func shuffled(obs *Observed, r *rand.Rand) *Observed {
	o := *obs
	o.Containers = slices.Clone(obs.Containers)
	for i := range o.Containers {
		c := &o.Containers[i]
		c.Env = slices.Clone(c.Env)
		c.Networks = slices.Clone(c.Networks)
		c.NetworkIDs = slices.Clone(c.NetworkIDs)
		r.Shuffle(len(c.Env), func(i, j int) { c.Env[i], c.Env[j] = c.Env[j], c.Env[i] })
		r.Shuffle(len(c.Networks), func(i, j int) { c.Networks[i], c.Networks[j] = c.Networks[j], c.Networks[i] })
		r.Shuffle(len(c.NetworkIDs), func(i, j int) { c.NetworkIDs[i], c.NetworkIDs[j] = c.NetworkIDs[j], c.NetworkIDs[i] })
	}
	o.Networks = slices.Clone(obs.Networks)
	o.Volumes = slices.Clone(obs.Volumes)
	r.Shuffle(len(o.Containers), func(i, j int) { o.Containers[i], o.Containers[j] = o.Containers[j], o.Containers[i] })
	r.Shuffle(len(o.Networks), func(i, j int) { o.Networks[i], o.Networks[j] = o.Networks[j], o.Networks[i] })
	r.Shuffle(len(o.Volumes), func(i, j int) { o.Volumes[i], o.Volumes[j] = o.Volumes[j], o.Volumes[i] })
	return &o
}

// TestDiffIgnoresOrder: the plan (steps, their order and IDs, reasons,
// waits) depends on the state, not on the order in which the state is
// listed, nor on Go's map order in the project.
func TestDiffIgnoresOrder(t *testing.T) {
	p := loadProject(t, strings.Replace(orderCompose, `{A: "1", B: "2", C: "3", D: "4"}`, `{A: "9", B: "8", C: "3", D: "7"}`, 1))
	obs := messyState(t, loadProject(t, orderCompose))
	base, err := Diff(p, obs, Options{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(base)
	// The state holds every kind of step and several reasons per step, so
	// that a shuffle has something to disturb.
	kinds := map[Action]bool{}
	reasons := 0
	for _, s := range base.Steps {
		kinds[s.Action] = true
		reasons = max(reasons, len(s.Reasons))
	}
	for _, a := range []Action{Create, Recreate, Start, Remove, CreateNetwork, RemoveNetwork} {
		if !kinds[a] {
			t.Errorf("the messy state plans no %s step: %v", a, summary(base))
		}
	}
	if reasons < 3 {
		t.Errorf("no step has several reasons: %v", summary(base))
	}
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 200 {
		got, err := Diff(p, shuffled(obs, r), Options{Wait: true})
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := json.Marshal(got); !bytes.Equal(b, want) {
			t.Fatalf("shuffle %d changed the plan:\n%s\nwant:\n%s", i, strings.Join(summary(got), "\n"), strings.Join(summary(base), "\n"))
		}
	}
}

// TestDiffInterrupted checks the plan for each state an interrupted apply
// leaves, and that carrying it out converges.
func TestDiffInterrupted(t *testing.T) {
	p := loadProject(t, orderCompose)
	obs := messyState(t, p)
	plan, err := Diff(p, obs, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(plan)
	for _, want := range []string{
		"remove container:shop-old-1 orphan",
		"remove container:shop-worker-4 scale_down",
		"remove-network network:shop_back duplicate id=net-dup",
		"create-network network:shop_front missing",
		"remove container:idapi000000_shop-api-1 duplicate com.docker.compose.container-number=1",
		"recreate container:shop-db-1 config_changed services.db.environment.A config_changed services.db.environment.B config_changed services.db.environment.D",
		"start container:shop-cache-1 not_running state",
		"create container:shop-worker-3 missing",
		"recreate container:shop-api-1 config_changed services.api", // the hash alone differs
		"recreate container:shop-proxy-1 name_changed name",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("plan lacks %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
	// The duplicate goes before api is recreated under the temporary name
	// the duplicate holds.
	var dup, rec Step
	for _, s := range plan.Steps {
		switch {
		case s.Action == Remove && s.Name == "idapi000000_shop-api-1":
			dup = s
		case s.Resource == "container:shop-api-1":
			rec = s
		}
	}
	if !slices.Contains(rec.After, dup.ID) {
		t.Errorf("step %d (%s %s) does not wait for the duplicate's removal (step %d)", rec.ID, rec.Action, rec.Resource, dup.ID)
	}
	if err := plan.Validate(); err != nil {
		t.Fatal(err)
	}

	// A container attached to the network that goes is removed first and
	// created again.
	attached := messyState(t, p)
	for i, c := range attached.Containers {
		if c.Service == "cache" {
			attached.Containers[i].NetworkIDs = []string{"net-dup"}
		}
	}
	plan, err = Diff(p, attached, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got = summary(plan)
	rm := slices.Index(got, "remove container:shop-cache-1 duplicate networks.shop_back id=net-dup")
	net := slices.Index(got, "remove-network network:shop_back duplicate id=net-dup")
	if rm < 0 || net < rm || !slices.Contains(got, "create container:shop-cache-1 missing") {
		t.Errorf("plan with a container on the duplicate network:\n%s", strings.Join(got, "\n"))
	}
	if !slices.Contains(plan.Steps[net].After, plan.Steps[rm].ID) {
		t.Errorf("the network removal does not wait for its container's")
	}
}

// TestDuplicateNetworksKeep: the network kept is the one with containers,
// then the oldest, then the lowest ID.
func TestDuplicateNetworksKeep(t *testing.T) {
	old, mid, young := time.Unix(1, 0), time.Unix(2, 0), time.Unix(3, 0)
	nets := []Network{{ID: "c", Name: "p_x", Created: young}, {ID: "b", Name: "p_x", Created: old}, {ID: "a", Name: "p_x", Created: mid}, {ID: "z", Name: "p_y"}}
	ids := func(ns []Network) []string {
		var out []string
		for _, n := range ns {
			out = append(out, n.ID)
		}
		slices.Sort(out)
		return out
	}
	if got := ids(duplicateNetworks(nets, nil)); !slices.Equal(got, []string{"a", "c"}) {
		t.Errorf("without containers removes %v, want [a c] (b is the oldest)", got)
	}
	if got := ids(duplicateNetworks(nets, []Container{{NetworkIDs: []string{"c"}}})); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("with a container on c removes %v, want [a b]", got)
	}
	same := []Network{{ID: "d", Name: "p_x", Created: old}, {ID: "e", Name: "p_x", Created: old}}
	if got := ids(duplicateNetworks(same, nil)); !slices.Equal(got, []string{"e"}) {
		t.Errorf("same age removes %v, want [e]", got)
	}
}
