package apply

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/transform"
)

const refsCompose = `name: shop
services:
  db:
    image: berth-e2e-app:test
    command: ["kv"]
    environment:
      MODE: one
    volumes:
      - /data
  web:
    image: berth-e2e-app:test
    command: ["web"]
    network_mode: service:db
  reader:
    image: berth-e2e-app:test
    command: ["web"]
    volumes_from:
      - db:ro
      - container:outside
  side:
    image: berth-e2e-app:test
    command: ["web"]
    network_mode: container:outside
`

// executeRefs completes converged() for steps with references: it computes
// the config hash the way Execute does, from the IDs the fake state gave
// the referenced containers.
func executeRefs(t *testing.T, plan *Plan, obs *Observed) *Observed {
	t.Helper()
	ids := map[string]string{}
	for _, c := range obs.Containers {
		ids[c.Name] = c.ID
	}
	for i, c := range obs.Containers {
		for _, s := range plan.Steps {
			if s.Name != c.Name || len(s.Refs) == 0 {
				continue
			}
			in := s.HashInput
			for _, r := range s.Refs {
				in = strings.ReplaceAll(in, refPlaceholder(r), ids[r])
			}
			sum := sha256.Sum256([]byte(in))
			obs.Containers[i].ConfigHash = hex.EncodeToString(sum[:])
		}
	}
	return obs
}

func TestDiffServiceReferences(t *testing.T) {
	p := loadProject(t, refsCompose)
	empty := &Observed{Project: "shop", Images: images()}
	plan := mustDiff(t, p, empty, Options{})
	byName := map[string]Step{}
	for _, s := range plan.Steps {
		byName[s.Name] = s
	}
	db, web, reader, side := byName["shop-db-1"], byName["shop-web-1"], byName["shop-reader-1"], byName["shop-side-1"]
	ph := refPlaceholder("shop-db-1")
	if got := string(web.Container.HostConfig.NetworkMode); got != "container:"+ph {
		t.Errorf("web network mode %q", got)
	}
	if len(web.Container.Networks) != 0 {
		t.Errorf("web shares db's network namespace but joins networks %+v", web.Container.Networks)
	}
	if got := reader.Container.HostConfig.VolumesFrom; !slices.Equal(got, []string{ph + ":ro", "outside"}) {
		t.Errorf("reader volumes_from %q", got)
	}
	if got := string(side.Container.HostConfig.NetworkMode); got != "container:outside" || len(side.Refs) != 0 || side.Container.Config.Labels[LabelConfigHash] == "" {
		t.Errorf("side: network mode %q, refs %v, hash %q", got, side.Refs, side.Container.Config.Labels[LabelConfigHash])
	}
	for _, s := range []Step{web, reader} {
		if !slices.Equal(s.Refs, []string{"shop-db-1"}) || !strings.Contains(s.HashInput, ph) || !slices.Contains(s.After, db.ID) {
			t.Errorf("%s: refs %v, after %v (db is %d), hash input has the placeholder: %t", s.Name, s.Refs, s.After, db.ID, strings.Contains(s.HashInput, ph))
		}
	}
	if err := plan.Validate(); err != nil {
		t.Fatal(err)
	}
	if m := plan.Masked(); strings.Contains(m.Steps[web.ID-1].HashInput, "MODE") {
		t.Error("masked plan shows the hash input (it holds the environment)")
	}

	// After the plan ran, a second plan has nothing to do: the hash
	// Execute writes equals the one Diff computes from the observed IDs.
	for _, s := range plan.Steps {
		if len(s.Refs) > 0 { // converged() names containers after their hash
			s.Container.Config.Labels[LabelConfigHash] = "unknown-until-executed"
		}
	}
	obs := executeRefs(t, plan, converged(t, plan, empty))
	if again := mustDiff(t, p, obs, Options{}); !again.Empty() {
		t.Fatalf("second plan not empty: %v", summary(again))
	}
	// That hash is Compose's: the service with its reference resolved to
	// the container ID, hashed.
	q, err := Prepare(p)
	if err != nil {
		t.Fatal(err)
	}
	svc := q.Services["web"]
	dbID := ""
	for _, c := range obs.Containers {
		if c.Name == "shop-db-1" {
			dbID = c.ID
		}
	}
	svc.NetworkMode = "container:" + dbID
	want, err := transform.ServiceHash(svc)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range obs.Containers {
		if c.Name == "shop-web-1" && c.ConfigHash != want {
			t.Errorf("web config hash %s, want %s", c.ConfigHash, want)
		}
	}

	// db changes: it is recreated, and so are the containers that refer to
	// it, not the one that refers to an outside container.
	changed := loadProject(t, strings.Replace(refsCompose, "MODE: one", "MODE: two", 1))
	got := summary(mustDiff(t, changed, obs, Options{}))
	want2 := []string{
		"recreate container:shop-db-1 config_changed services.db.environment.MODE",
		"recreate container:shop-reader-1 dependency_recreated",
		"recreate container:shop-web-1 dependency_recreated",
	}
	if !slices.Equal(got, want2) {
		t.Errorf("plan after db changed: %v, want %v", got, want2)
	}

	// web alone (--no-deps): db is not selected but its container is
	// there, and web's reference resolves to it.
	only, err := p.WithSelectedServices([]string{"web"}, types.IgnoreDependencies)
	if err != nil {
		t.Fatal(err)
	}
	if again := mustDiff(t, only, obs, Options{}); !again.Empty() {
		t.Errorf("plan of web alone: %v", summary(again))
	}

	// db replaced behind berth's back: the dependents' hashes no longer
	// match and they are recreated.
	for i, c := range obs.Containers {
		if c.Name == "shop-db-1" {
			obs.Containers[i].ID = "id-replaced"
		}
	}
	got = summary(mustDiff(t, p, obs, Options{}))
	if len(got) != 2 || !strings.HasPrefix(got[0], "recreate container:shop-reader-1 config_changed") || !strings.HasPrefix(got[1], "recreate container:shop-web-1 config_changed") {
		t.Errorf("plan after db was replaced outside berth: %v", got)
	}
}
