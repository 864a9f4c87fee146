package apply

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/network"

	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform"
)

const shopCompose = `name: shop
services:
  redis:
    image: berth-e2e-app:test
    command: ["kv"]
    environment:
      REDIS_PASSWORD: ${REDIS_PASSWORD}
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 1s
    volumes:
      - data:/data
  web:
    image: berth-e2e-app:test
    command: ["web"]
    environment:
      REDIS_PASSWORD: ${REDIS_PASSWORD}
      GREETING: hello
    depends_on:
      redis:
        condition: service_healthy
    ports:
      - "127.0.0.1:8080:8000"
volumes:
  data: {}
`

// loadProject loads compose text the way the apply command does.
// projectDirs keeps one project directory per test, so that the projects
// a test loads one after another have the same bind sources.
var projectDirs sync.Map

func loadProject(t *testing.T, compose string) *types.Project {
	t.Helper()
	d, loaded := projectDirs.LoadOrStore(t, t.TempDir())
	if !loaded {
		t.Cleanup(func() { projectDirs.Delete(t) })
	}
	dir := d.(string)
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("REDIS_PASSWORD=s3cret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := load.Load(context.Background(), load.Options{ProjectDir: dir, Files: []string{filepath.Join(dir, "compose.yaml")}, NoEnvResolution: true, KeepEnvFile: true})
	if err != nil {
		t.Fatal(err)
	}
	return p.Project
}

// converged is the state Docker would be in after executing plan on obs:
// what Execute creates, read back the way Observe reads it.
func converged(t *testing.T, plan *Plan, obs *Observed) *Observed {
	t.Helper()
	out := &Observed{Project: obs.Project, Images: obs.Images}
	gone := map[string]bool{}
	for _, s := range plan.Steps {
		if s.Action == Remove || s.Action == Recreate {
			gone[s.OldID] = true
		}
	}
	for _, c := range obs.Containers {
		if !gone[c.ID] {
			if slices.ContainsFunc(plan.Steps, func(s Step) bool { return s.Action == Start && s.OldID == c.ID }) {
				c.State = "running"
			}
			out.Containers = append(out.Containers, c)
		}
	}
	out.Networks, out.Volumes = obs.Networks, obs.Volumes
	for _, s := range plan.Steps {
		switch s.Action {
		case CreateNetwork:
			driver := cmp.Or(s.Network.Driver, "bridge")
			out.Networks = append(out.Networks, Network{ID: "net-" + s.Name, Name: s.Name, Key: s.Network.Labels[LabelNetwork], Labels: s.Network.Labels,
				Driver: driver, Options: s.Network.DriverOpts, IPAMDriver: "default", Internal: s.Network.Internal, Attachable: s.Network.Attachable, EnableIPv6: s.Network.EnableIPv6})
		case CreateVolume:
			out.Volumes = append(out.Volumes, Volume{Name: s.Name, Key: s.Volume.Labels[LabelVolume], Labels: s.Volume.Labels, Driver: cmp.Or(s.Volume.Driver, "local"), Options: s.Volume.DriverOpts})
		case Create, Recreate:
			l := s.Container.Config.Labels
			c := Container{ID: "id-" + s.Name + "-" + l[LabelConfigHash][:8], Name: s.Name, Service: l[LabelService], ConfigHash: l[LabelConfigHash],
				ImageLabel: l[LabelImage], Labels: l, State: "running", Env: append([]string{"PATH=/bin"}, s.Container.Config.Env...), Image: s.Container.Config.Image}
			c.Number = 1
			// What the engine stores at create time, as inspect reports it.
			cfg, hc := *s.Container.Config, *s.Container.HostConfig
			c.Config, c.HostConfig = &cfg, &hc
			c.Endpoints = map[string]*network.EndpointSettings{}
			for _, ep := range s.Container.Networks {
				c.Networks = append(c.Networks, ep.Network)
				c.Endpoints[ep.Network] = ep.Endpoint
			}
			out.Containers = append(out.Containers, c)
		}
	}
	slices.SortFunc(out.Containers, func(a, b Container) int { return strings.Compare(a.Name, b.Name) })
	return out
}

func images() map[string]string { return map[string]string{"berth-e2e-app:test": "sha256:aaaa"} }

func summary(p *Plan) []string {
	var out []string
	for _, s := range p.Steps {
		line := string(s.Action) + " " + s.Resource
		for _, r := range s.Reasons {
			line += " " + string(r.Code)
			if r.Field != "" {
				line += " " + r.Field
			}
		}
		out = append(out, line)
	}
	return out
}

func TestDiff(t *testing.T) {
	p := loadProject(t, shopCompose)
	empty := &Observed{Project: "shop", Images: images()}
	first, err := Diff(p, empty, Options{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	up := converged(t, first, empty)

	changed := loadProject(t, strings.Replace(shopCompose, "GREETING: hello", "GREETING: bonjour", 1))
	removed := loadProject(t, strings.Replace(shopCompose, "  web:", "  web2:", 1))
	exited := converged(t, first, empty)
	for i := range exited.Containers {
		if exited.Containers[i].Service == "web" {
			exited.Containers[i].State = "exited"
		}
	}
	newImage := converged(t, first, empty)
	newImage.Images = map[string]string{"berth-e2e-app:test": "sha256:bbbb"}

	tests := []struct {
		name    string
		p       *types.Project
		obs     *Observed
		opts    Options
		want    []string
		warning string
	}{
		{"from nothing", p, empty, Options{}, []string{
			"create-network network:shop_default missing",
			"create-volume volume:shop_data missing",
			"create container:shop-redis-1 missing",
			"create container:shop-web-1 missing",
		}, ""},
		{"converged is a no-op", p, up, Options{}, nil, ""},
		{"env change recreates one service", changed, up, Options{}, []string{
			"recreate container:shop-web-1 config_changed services.web.environment.GREETING",
		}, ""},
		{"removed service is an orphan", removed, up, Options{}, []string{
			"remove container:shop-web-1 orphan",
			"create container:shop-web2-1 missing",
		}, "1 orphan container(s) of services not in the compose files will be removed: shop-web-1 (--keep-orphans keeps them)"},
		{"keep orphans", removed, up, Options{KeepOrphans: true}, []string{
			"create container:shop-web2-1 missing",
		}, "shop-web-1"},
		{"exited container is started", p, exited, Options{}, []string{
			"start container:shop-web-1 not_running state",
		}, ""},
		{"new image recreates", p, newImage, Options{}, []string{
			"recreate container:shop-redis-1 image_changed services.redis.image",
			"recreate container:shop-web-1 image_changed services.web.image",
		}, ""},
		{"force recreate", p, up, Options{ForceRecreate: true}, []string{
			"recreate container:shop-redis-1 config_changed --force-recreate",
			"recreate container:shop-web-1 config_changed --force-recreate",
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Diff(tt.p, tt.obs, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(plan); !slices.Equal(got, tt.want) {
				t.Errorf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if err := plan.Validate(); err != nil {
				t.Error(err)
			}
			if w := strings.Join(plan.Warnings, "\n"); !strings.Contains(w, tt.warning) || tt.warning == "" && w != "" {
				t.Errorf("warnings %q, want %q", w, tt.warning)
			}
			again, _ := Diff(tt.p, tt.obs, tt.opts)
			a, _ := json.Marshal(plan)
			b, _ := json.Marshal(again)
			if !bytes.Equal(a, b) {
				t.Error("Diff is not deterministic")
			}
			if len(plan.Steps) > 0 && plan.Fingerprint != tt.obs.Fingerprint() {
				t.Error("plan fingerprint differs from the observed state's")
			}
			// Executing the plan converges: the next plan is empty.
			if next, err := Diff(tt.p, converged(t, plan, tt.obs), Options{KeepOrphans: tt.opts.KeepOrphans}); err != nil || !next.Empty() {
				t.Errorf("plan after converging is not empty: %v %v", summary(next), err)
			}
		})
	}
}

func TestDiffDependenciesAndLabels(t *testing.T) {
	p := loadProject(t, shopCompose)
	plan, err := Diff(p, &Observed{Project: "shop", Images: images()}, Options{Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	byRes := map[string]Step{}
	for _, s := range plan.Steps {
		byRes[s.Resource] = s
	}
	web, redis := byRes["container:shop-web-1"], byRes["container:shop-redis-1"]
	if !slices.Contains(web.After, redis.ID) || !slices.Contains(web.After, byRes["network:shop_default"].ID) {
		t.Errorf("web waits for %v, want redis %d and the network", web.After, redis.ID)
	}
	if !slices.Contains(redis.After, byRes["volume:shop_data"].ID) {
		t.Errorf("redis waits for %v, want the volume", redis.After)
	}
	if want := []Wait{{Service: "redis", Condition: "service_healthy", Required: true}}; !slices.Equal(web.Waits, want) {
		t.Errorf("web waits %v, want %v", web.Waits, want)
	}
	hashes, err := transform.ServiceHashes(p, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	l := web.Container.Config.Labels
	want := map[string]string{
		LabelProject:     "shop",
		LabelService:     "web",
		LabelNumber:      "1",
		LabelOneOff:      "False",
		LabelVersion:     ComposeVersion,
		LabelConfigHash:  hashes[1][1],
		LabelWorkingDir:  p.WorkingDir,
		LabelConfigFiles: strings.Join(p.ComposeFiles, ","),
		LabelDependsOn:   "redis:service_healthy:false",
		LabelImage:       "sha256:aaaa",
	}
	if hashes[1][0] != "web" {
		t.Fatalf("hash order %v", hashes)
	}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("label %s = %q, want %q", k, l[k], v)
		}
	}
	if _, ok := l[LabelEnvFile]; ok {
		t.Error("environment_file label set without --env-file")
	}
	if !slices.Contains(web.Container.Config.Env, "REDIS_PASSWORD=s3cret") {
		t.Errorf("env %v lacks REDIS_PASSWORD from .env", web.Container.Config.Env)
	}
	if got := web.Container.HostConfig.PortBindings["8000/tcp"]; len(got) != 1 || got[0].HostIP != "127.0.0.1" || got[0].HostPort != "8080" {
		t.Errorf("port bindings %v", got)
	}
	if got := web.Container.Networks; len(got) != 1 || got[0].Network != "shop_default" || !slices.Equal(got[0].Endpoint.Aliases, []string{"shop-web-1", "web"}) {
		t.Errorf("networks %+v", got)
	}
	if got := byRes["network:shop_default"].Network.Labels; got[LabelNetwork] != "default" || got[LabelProject] != "shop" {
		t.Errorf("network labels %v", got)
	}
	if want := []Wait{{"redis", "running_or_healthy", true}, {"web", "running_or_healthy", true}}; !slices.Equal(plan.Wait, want) {
		t.Errorf("final wait %v, want %v", plan.Wait, want)
	}
}

func TestMaskedAndRendering(t *testing.T) {
	p := loadProject(t, shopCompose)
	empty := &Observed{Project: "shop", Images: images()}
	first, _ := Diff(p, empty, Options{})
	changed := loadProject(t, strings.Replace(shopCompose, "REDIS_PASSWORD: ${REDIS_PASSWORD}\n      GREETING", "REDIS_PASSWORD: other\n      GREETING", 1))
	plan, err := Diff(changed, converged(t, first, empty), Options{})
	if err != nil {
		t.Fatal(err)
	}
	var human, js bytes.Buffer
	if err := WriteHuman(&human, plan.Masked()); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, plan.Masked()); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{human.String(), js.String()} {
		if strings.Contains(out, "s3cret") || strings.Contains(out, "other") {
			t.Errorf("secret leaked:\n%s", out)
		}
	}
	wantHuman := `berth will perform these actions on project shop:

  ~ container:shop-web-1  recreate
      ~ services.web.environment.REDIS_PASSWORD: (sensitive value changed)
      order stop-first: it publishes host port 8080

Plan: 0 to create, 1 to recreate, 0 to remove.
`
	if human.String() != wantHuman {
		t.Errorf("human:\n%s\nwant:\n%s", human.String(), wantHuman)
	}
	var unmasked bytes.Buffer
	_ = WriteHuman(&unmasked, plan)
	if !strings.Contains(unmasked.String(), `"s3cret" → "other"`) {
		t.Errorf("unmasked plan hides the values:\n%s", unmasked.String())
	}
	if !strings.Contains(js.String(), `"actions": [
        "remove",
        "create"
      ]`) || !strings.Contains(js.String(), `"format_version": 2`) || !strings.Contains(js.String(), `"change": "changed"`) || !strings.Contains(js.String(), `"recreate": 1`) {
		t.Errorf("json lacks the wire spelling:\n%s", js.String())
	}
	// The saved form reads back as the same plan.
	var saved bytes.Buffer
	_ = WriteJSON(&saved, plan)
	back, err := ReadJSON(&saved)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := json.Marshal(plan)
	b, _ := json.Marshal(back)
	if !bytes.Equal(a, b) {
		t.Error("saved plan does not read back unchanged")
	}
	var none bytes.Buffer
	_ = WriteHuman(&none, &Plan{Project: "shop"})
	if none.String() != "No changes. Project shop matches the compose files.\n" {
		t.Errorf("empty plan: %q", none.String())
	}
}

func TestStale(t *testing.T) {
	p := loadProject(t, shopCompose)
	empty := &Observed{Project: "shop", Images: images()}
	plan, _ := Diff(p, empty, Options{})
	if why := Stale(plan, empty); why != "" {
		t.Errorf("fresh plan is stale: %s", why)
	}
	now := converged(t, plan, empty)
	why := Stale(plan, now)
	if !strings.Contains(why, "container shop-web-1") {
		t.Errorf("stale reason %q does not name the container", why)
	}
}

func TestValidateRejects(t *testing.T) {
	for name, p := range map[string]*Plan{
		"version":      {FormatVersion: 1},
		"forward dep":  {FormatVersion: FormatVersion, Steps: []Step{{ID: 1, Action: Remove, Name: "x", After: []int{2}}, {ID: 2, Action: Remove, Name: "y"}}},
		"no spec":      {FormatVersion: FormatVersion, Steps: []Step{{ID: 1, Action: Create, Name: "x"}}},
		"unknown verb": {FormatVersion: FormatVersion, Steps: []Step{{ID: 1, Action: "explode", Name: "x"}}},
		"duplicate id": {FormatVersion: FormatVersion, Steps: []Step{{ID: 1, Action: Remove, Name: "x"}, {ID: 1, Action: Remove, Name: "y"}}},
	} {
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := ReadJSON(strings.NewReader("{not json")); err == nil {
		t.Error("bad JSON accepted")
	}
}

func TestDownPlan(t *testing.T) {
	obs := &Observed{Project: "shop",
		Containers: []Container{
			{ID: "r", Name: "shop-redis-1", Service: "redis", Labels: map[string]string{LabelDependsOn: ""}},
			{ID: "w", Name: "shop-web-1", Service: "web", Labels: map[string]string{LabelDependsOn: "redis:service_healthy:false"}},
		},
		Networks: []Network{{ID: "n", Name: "shop_default"}},
		Volumes:  []Volume{{Name: "shop_data"}},
	}
	got := summary(DownPlan(obs, DownOptions{}))
	want := []string{"remove container:shop-web-1 down", "remove container:shop-redis-1 down", "remove-network network:shop_default down"}
	if !slices.Equal(got, want) {
		t.Errorf("down:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	plan := DownPlan(obs, DownOptions{Volumes: true})
	if plan.Steps[1].After[0] != plan.Steps[0].ID {
		t.Error("redis is not removed after web")
	}
	if last := plan.Steps[len(plan.Steps)-1]; last.Action != RemoveVolume {
		t.Errorf("--volumes: last step %v", last)
	}
}
