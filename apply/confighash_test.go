package apply

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
)

const netCompose = `name: shop
services:
  web:
    image: berth-e2e-app:test
    networks: [front]
    volumes:
      - data:/data
networks:
  front:
    driver: bridge
    labels:
      team: web
volumes:
  data: {}
`

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// The hashes are Compose's: sha256 of compose-go's JSON of the declared
// network or volume. The JSON here is written out by hand so that a change
// in the fields (a new compose-go field without omitempty, a label Compose
// adds ending up in the JSON) fails the test.
func TestNetworkAndvolumeHash(t *testing.T) {
	p := loadProject(t, netCompose)
	got, err := networkHash(p.Networks["front"])
	if err != nil {
		t.Fatal(err)
	}
	if want := sha(`{"name":"shop_front","driver":"bridge","ipam":{},"labels":{"team":"web"}}`); got != want {
		t.Errorf("network hash %s, want %s", got, want)
	}
	got, err = volumeHash(p.Volumes["data"])
	if err != nil {
		t.Fatal(err)
	}
	if want := sha(`{"name":"shop_data","driver":"local"}`); got != want {
		t.Errorf("volume hash %s, want %s", got, want)
	}
	if p.Volumes["data"].Driver != "" {
		t.Error("VolumeHash changed the project's volume")
	}
}

func TestDiffNetworkConfigHash(t *testing.T) {
	p := loadProject(t, netCompose)
	netHash, _ := networkHash(p.Networks["front"])
	volHash, _ := volumeHash(p.Volumes["data"])
	plan := mustDiff(t, p, &Observed{Project: "shop", Images: images()}, Options{})
	for _, s := range plan.Steps {
		switch s.Action {
		case CreateNetwork:
			if s.Network.Labels[LabelConfigHash] != netHash {
				t.Errorf("network created with config-hash %q, want %s", s.Network.Labels[LabelConfigHash], netHash)
			}
		case CreateVolume:
			if s.Volume.Labels[LabelConfigHash] != volHash {
				t.Errorf("volume created with config-hash %q, want %s", s.Volume.Labels[LabelConfigHash], volHash)
			}
		}
	}

	obs := converged(t, plan, &Observed{Project: "shop", Images: images()})
	if again := mustDiff(t, p, obs, Options{}); !again.Empty() {
		t.Fatalf("second plan: %v", summary(again))
	}

	// The network's configuration changes while web is attached: web is
	// stopped, disconnected, and connected to the new network and started
	// again, not recreated.
	changed := loadProject(t, strings.Replace(netCompose, "team: web", "team: shop", 1))
	plan = mustDiff(t, changed, obs, Options{})
	if got, want := summary(plan), []string{
		"stop container:shop-web-1 network_recreated",
		"disconnect container:shop-web-1 network_recreated",
		"remove-network network:shop_front config_changed networks.front.labels.team",
		"create-network network:shop_front config_changed networks.front.labels.team",
		"connect container:shop-web-1 network_recreated",
		"start container:shop-web-1 network_recreated",
	}; !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}

	// A container that is not the project's, or that no service runs (a
	// one-off), is not stopped: a conflict that names it.
	foreign := *obs
	foreign.Networks = slices.Clone(obs.Networks)
	for i := range foreign.Networks {
		foreign.Networks[i].Foreign = []string{"someone-else"}
	}
	_, err := Diff(changed, &foreign, Options{})
	var conflict *NetworkConflictError
	if !errors.As(err, &conflict) || conflict.Network != "shop_front" || !slices.Equal(conflict.Containers, []string{"someone-else"}) ||
		!strings.Contains(err.Error(), "does not stop") {
		t.Fatalf("changed network with a foreign container attached: %v", err)
	}
	oneOff := *obs
	oneOff.Containers = append(slices.Clone(obs.Containers), Container{ID: "run1", Name: "shop-web-run-1", Service: "web", OneOff: true, State: "running", Networks: []string{"shop_front"}})
	if _, err := Diff(changed, &oneOff, Options{}); !errors.As(err, &conflict) || !slices.Equal(conflict.Containers, []string{"shop-web-run-1"}) {
		t.Fatalf("changed network with a one-off container attached: %v", err)
	}

	// Nothing attached (web is an orphan now): the network is removed and
	// created again, after the orphan goes, before anything uses it.
	alone := loadProject(t, strings.Replace(strings.Replace(netCompose, "team: web", "team: shop", 1), "services:\n  web:", "services:\n  api:", 1))
	plan = mustDiff(t, alone, obs, Options{})
	got := summary(plan)
	want := []string{
		"remove container:shop-web-1 orphan",
		"remove-network network:shop_front config_changed networks.front.labels.team",
		"create-network network:shop_front config_changed networks.front.labels.team",
		"create container:shop-api-1 missing",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if !slices.Contains(plan.Steps[1].After, 1) || !slices.Equal(plan.Steps[2].After, []int{2}) || !slices.Contains(plan.Steps[3].After, 3) {
		t.Errorf("order: %+v", plan.Steps)
	}

	// A network without the label (made by an older Compose or berth) is
	// left alone, and so is a volume; a volume whose hash differs is only a
	// warning: berth never removes a named volume.
	for i := range obs.Networks {
		delete(obs.Networks[i].Labels, LabelConfigHash)
	}
	for i := range obs.Volumes {
		obs.Volumes[i].Labels = map[string]string{LabelConfigHash: "0123456789abcdef"}
	}
	plan = mustDiff(t, changed, obs, Options{})
	if !plan.Empty() || len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "volume shop_data does not match") {
		t.Errorf("plan %v, warnings %q", summary(plan), plan.Warnings)
	}
}
