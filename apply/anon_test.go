package apply

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
)

// anonCompose has a volume entry without a source (/scratch), a named
// volume and a tmpfs at paths the image also declares as VOLUME, and a
// bind; the image (anonImageVolumes) declares /var/lib/db as well.
const anonCompose = `name: shop
services:
  db:
    image: berth-e2e-app:test
    command: ["kv"]
    environment:
      GREETING: hello
    volumes:
      - /scratch
      - data:/named
      - type: tmpfs
        target: /shadowed
      - ./host:/host
volumes:
  data: {}
`

var anonImageVolumes = map[string][]string{"berth-e2e-app:test": {"/named", "/shadowed", "/var/lib/db"}}

// withEngineMounts gives the containers the plan creates or recreates the
// mounts the engine would: those of the spec, a new anonymous volume for
// each volume mount without a source, and one for each image VOLUME path
// nothing else is mounted at (obs.ImageVolumes, set to imageVolumes).
func withEngineMounts(plan *Plan, obs *Observed, imageVolumes map[string][]string) *Observed {
	obs.ImageVolumes = imageVolumes
	for _, s := range plan.Steps {
		if s.Action != Create && s.Action != Recreate {
			continue
		}
		i := slices.IndexFunc(obs.Containers, func(c Container) bool { return c.Name == s.Name })
		c := &obs.Containers[i]
		c.Mounts = nil
		taken := map[string]bool{}
		fresh := func(target string) string { return "new-" + c.ID + strings.ReplaceAll(target, "/", "-") }
		for _, m := range s.Container.HostConfig.Mounts {
			name := m.Source
			if m.Type == mount.TypeVolume && name == "" {
				name = fresh(m.Target)
			}
			c.Mounts = append(c.Mounts, Mount{Type: string(m.Type), Name: name, Target: m.Target, RW: !m.ReadOnly})
			taken[m.Target] = true
		}
		for _, b := range s.Container.HostConfig.Binds {
			parts := strings.Split(b, ":")
			c.Mounts = append(c.Mounts, Mount{Type: "bind", Source: parts[0], Target: parts[1], RW: true})
			taken[parts[1]] = true
		}
		for _, t := range obs.ImageVolumes[s.Container.Config.Image] {
			if !taken[t] {
				c.Mounts = append(c.Mounts, Mount{Type: "volume", Name: fresh(t), Target: t, RW: true})
			}
		}
	}
	return obs
}

func mountAt(spec *ContainerSpec, target string) (mount.Mount, bool) {
	i := slices.IndexFunc(spec.HostConfig.Mounts, func(m mount.Mount) bool { return m.Target == target })
	if i < 0 {
		return mount.Mount{}, false
	}
	return spec.HostConfig.Mounts[i], true
}

func TestDiffKeepsAnonymousVolumes(t *testing.T) {
	p := loadProject(t, anonCompose)
	empty := &Observed{Project: "shop", Images: images(), ImageVolumes: anonImageVolumes}
	first := mustDiff(t, p, empty, Options{})
	if got := first.Steps[len(first.Steps)-1].KeepVolumes; got != nil {
		t.Errorf("a create keeps volumes %v", got)
	}
	up := withEngineMounts(first, converged(t, first, empty), anonImageVolumes)
	old := up.byService()["db"]
	// The previous container also had a volume at a path that is neither
	// an image VOLUME nor declared any more: it is not carried over.
	up.Containers[0].Mounts = append(up.Containers[0].Mounts, Mount{Type: "volume", Name: "vol-gone", Target: "/gone", RW: true})
	oldName := func(target string) string {
		for _, m := range old.Mounts {
			if m.Target == target {
				return m.Name
			}
		}
		t.Fatalf("the first container has no mount at %s: %+v", target, old.Mounts)
		return ""
	}

	changed := loadProject(t, strings.Replace(anonCompose, "GREETING: hello", "GREETING: bonjour", 1))
	plan := mustDiff(t, changed, up, Options{})
	if got, want := summary(plan), []string{"recreate container:shop-db-1 config_changed services.db.environment.GREETING"}; !slices.Equal(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	step := plan.Steps[0]
	wantKept := []KeptVolume{{Target: "/scratch", Volume: oldName("/scratch")}, {Target: "/var/lib/db", Volume: oldName("/var/lib/db")}}
	if !slices.Equal(step.KeepVolumes, wantKept) {
		t.Errorf("kept volumes %+v, want %+v", step.KeepVolumes, wantKept)
	}
	spec := step.Container
	for target, want := range map[string]string{
		"/scratch":    oldName("/scratch"),    // entry without a source: the old volume
		"/var/lib/db": oldName("/var/lib/db"), // image VOLUME, nothing declared: the old volume
		"/named":      "shop_data",            // declared named volume wins over the image VOLUME
	} {
		if m, ok := mountAt(spec, target); !ok || m.Type != mount.TypeVolume || m.Source != want {
			t.Errorf("mount at %s: %+v (found %t), want volume %s", target, m, ok, want)
		}
	}
	if m, ok := mountAt(spec, "/shadowed"); !ok || m.Type != mount.TypeTmpfs {
		t.Errorf("mount at /shadowed: %+v (found %t), want the declared tmpfs", m, ok)
	}
	if m, ok := mountAt(spec, "/gone"); ok {
		t.Errorf("a volume no longer asked for is mounted: %+v", m)
	}
	if got := spec.Config.Labels[LabelReplace]; got != "db-1" {
		t.Errorf("%s=%q, want db-1", LabelReplace, got)
	}

	var text, js bytes.Buffer
	if err := WriteHuman(&text, plan); err != nil {
		t.Fatal(err)
	}
	wantLine := "keeps anonymous volumes: /scratch (" + short(oldName("/scratch")) + "), /var/lib/db (" + short(oldName("/var/lib/db")) + ")\n"
	if !strings.Contains(text.String(), wantLine) {
		t.Errorf("text plan lacks %q:\n%s", wantLine, text.String())
	}
	if err := WriteJSON(&js, plan); err != nil {
		t.Fatal(err)
	}
	var wire struct {
		Steps []struct {
			Kept []KeptVolume `json:"keeps_anonymous_volumes"`
		} `json:"steps"`
	}
	if err := json.Unmarshal(js.Bytes(), &wire); err != nil {
		t.Fatal(err)
	}
	if len(wire.Steps) != 1 || !slices.Equal(wire.Steps[0].Kept, wantKept) {
		t.Errorf("JSON plan steps %+v, want the kept volumes %+v", wire.Steps, wantKept)
	}

	// Converged: the replacement's mounts are not drift.
	after := withEngineMounts(plan, converged(t, plan, up), anonImageVolumes)
	if next := mustDiff(t, changed, after, Options{}); !next.Empty() {
		t.Errorf("plan after the recreate is not empty: %v", summary(next))
	}
	// The next recreate carries the same volumes over again.
	again := mustDiff(t, p, after, Options{})
	if len(again.Steps) != 1 || !slices.Equal(again.Steps[0].KeepVolumes, wantKept) {
		t.Errorf("second recreate keeps %+v, want %+v", again.Steps, wantKept)
	}
}

func TestDiffRenewAnonVolumes(t *testing.T) {
	p := loadProject(t, anonCompose)
	empty := &Observed{Project: "shop", Images: images(), ImageVolumes: anonImageVolumes}
	first := mustDiff(t, p, empty, Options{})
	up := withEngineMounts(first, converged(t, first, empty), anonImageVolumes)

	// Nothing changed: -V recreates anyway, as Compose's force strategy.
	plan := mustDiff(t, p, up, Options{RenewAnonVolumes: true})
	if got, want := summary(plan), []string{"recreate container:shop-db-1 config_changed --renew-anon-volumes"}; !slices.Equal(got, want) {
		t.Fatalf("steps %v, want %v", got, want)
	}
	step := plan.Steps[0]
	if step.KeepVolumes != nil {
		t.Errorf("kept volumes %+v with RenewAnonVolumes", step.KeepVolumes)
	}
	if m, ok := mountAt(step.Container, "/scratch"); !ok || m.Source != "" {
		t.Errorf("mount at /scratch: %+v (found %t), want a new anonymous volume", m, ok)
	}
	if m, ok := mountAt(step.Container, "/var/lib/db"); ok {
		t.Errorf("image VOLUME mounted explicitly: %+v", m)
	}
	if v, ok := step.Container.Config.Labels[LabelReplace]; ok {
		t.Errorf("%s=%q: Docker Compose writes it only when it keeps anonymous volumes", LabelReplace, v)
	}
	var text bytes.Buffer
	if err := WriteHuman(&text, plan); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text.String(), "keeps anonymous volumes") {
		t.Errorf("text plan says volumes are kept:\n%s", text.String())
	}

	// With a config change too, both reasons are given.
	changed := loadProject(t, strings.Replace(anonCompose, "GREETING: hello", "GREETING: bonjour", 1))
	if got, want := summary(mustDiff(t, changed, up, Options{RenewAnonVolumes: true})),
		[]string{"recreate container:shop-db-1 config_changed --renew-anon-volumes config_changed services.db.environment.GREETING"}; !slices.Equal(got, want) {
		t.Errorf("steps %v, want %v", got, want)
	}
}

// TestInheritVolumesRules checks one old mount at a time against what the
// replacement declares at its target.
func TestInheritVolumesRules(t *testing.T) {
	anon := mount.Mount{Type: mount.TypeVolume, Target: "/data"}
	tests := []struct {
		name   string
		old    Mount
		mounts []mount.Mount     // the replacement's spec
		tmpfs  map[string]string // its tmpfs: entries
		image  []string          // image VOLUME paths
		want   *mount.Mount      // the mount at /data afterwards; nil: none
	}{
		{"source-less entry takes the old volume, keeps read_only",
			Mount{Type: "volume", Name: "v1", Target: "/data", RW: true},
			[]mount.Mount{{Type: mount.TypeVolume, Target: "/data", ReadOnly: true}}, nil, nil,
			&mount.Mount{Type: mount.TypeVolume, Source: "v1", Target: "/data", ReadOnly: true}},
		{"image VOLUME path gets the old volume",
			Mount{Type: "volume", Name: "v1", Target: "/data", RW: true}, nil, nil, []string{"/data"},
			&mount.Mount{Type: mount.TypeVolume, Source: "v1", Target: "/data"}},
		{"a path neither declared nor an image VOLUME is dropped",
			Mount{Type: "volume", Name: "v1", Target: "/data", RW: true}, nil, nil, []string{"/other"}, nil},
		{"a declared named volume wins",
			Mount{Type: "volume", Name: "v1", Target: "/data", RW: true},
			[]mount.Mount{{Type: mount.TypeVolume, Source: "p_named", Target: "/data"}}, nil, []string{"/data"},
			&mount.Mount{Type: mount.TypeVolume, Source: "p_named", Target: "/data"}},
		{"a declared tmpfs wins",
			Mount{Type: "volume", Name: "v1", Target: "/data", RW: true}, nil, map[string]string{"/data": ""}, []string{"/data"}, nil},
		{"an old bind is not carried over",
			Mount{Type: "bind", Source: "/host", Target: "/data", RW: true}, []mount.Mount{anon}, nil, []string{"/data"}, &anon},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := &ContainerSpec{Config: &container.Config{}, HostConfig: &container.HostConfig{Mounts: slices.Clone(tt.mounts), Tmpfs: tt.tmpfs}}
			kept := inheritVolumes(spec, types.ServiceConfig{}, Container{Mounts: []Mount{tt.old}}, tt.image)
			got, ok := mountAt(spec, "/data")
			switch {
			case tt.want == nil && ok:
				t.Errorf("mount at /data %+v, want none", got)
			case tt.want != nil && (!ok || !reflect.DeepEqual(got, *tt.want)):
				t.Errorf("mount at /data %+v (found %t), want %+v", got, ok, *tt.want)
			}
			if wantKept := tt.want != nil && tt.old.Name != "" && tt.want.Source == tt.old.Name; wantKept != (len(kept) == 1) {
				t.Errorf("kept %+v", kept)
			}
		})
	}
}
