package swarm

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/internal/corpustest"
	"github.com/berth-compose/berth/load"
)

// loadFiles writes files into a temporary directory and loads compose.yaml
// as the Swarm target loads it, as project "shop".
func loadFiles(t *testing.T, files map[string]string) *load.Project {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p, err := load.Load(context.Background(), LoadOptions(load.Options{Files: []string{filepath.Join(dir, "compose.yaml")}, ProjectName: "shop"}))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConvertMakesDockerStackSpecs(t *testing.T) {
	p := loadFiles(t, map[string]string{
		"compose.yaml": `services:
  web:
    image: app:1
    environment:
      GREETING: ${GREETING}
      LITERAL: "$$HOME"
    depends_on:
      db:
        condition: service_healthy
    secrets: [pw]
    ports: ["8080:80"]
    deploy:
      replicas: 3
      update_config: {order: start-first}
  db:
    image: db:1
    secrets:
      - source: pw
        target: /etc/pw
secrets:
  pw:
    file: ./pw.txt
`,
		".env":   "GREETING=hello\n",
		"pw.txt": "s3cret",
	})
	st, err := Convert(p, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	if names := []string{st.Services[0].Name, st.Services[1].Name}; !slices.Equal(names, []string{"db", "web"}) {
		t.Errorf("deploy order = %v, want db before web", names)
	}
	web := st.Services[1].Spec
	if web.Name != "shop_web" || web.Labels[LabelNamespace] != "shop" || web.Labels["com.docker.stack.image"] != "app:1" {
		t.Errorf("service name and labels = %q %v", web.Name, web.Labels)
	}
	cs := web.TaskTemplate.ContainerSpec
	if !slices.Contains(cs.Env, "GREETING=hello") || !slices.Contains(cs.Env, "LITERAL=$HOME") {
		t.Errorf("env = %v, want .env interpolated and $$ unescaped once", cs.Env)
	}
	if cs.Labels[LabelNamespace] != "shop" {
		t.Errorf("container labels = %v", cs.Labels)
	}
	if len(cs.Secrets) != 1 || cs.Secrets[0].SecretName != "shop_pw" || cs.Secrets[0].File.Name != "pw" {
		t.Errorf("web's secret = %+v, want shop_pw mounted as pw (as docker stack deploy sends it)", cs.Secrets[0])
	}
	if f := st.Services[0].Spec.TaskTemplate.ContainerSpec.Secrets[0].File; f.Name != "/etc/pw" {
		t.Errorf("db's secret target = %q, want the one written", f.Name)
	}
	if *web.Mode.Replicated.Replicas != 3 || web.UpdateConfig.Order != "start-first" {
		t.Errorf("mode %+v update %+v", web.Mode, web.UpdateConfig)
	}
	if len(web.EndpointSpec.Ports) != 1 || web.EndpointSpec.Ports[0].PublishedPort != 8080 {
		t.Errorf("ports = %+v", web.EndpointSpec.Ports)
	}
	if w := st.Services[1].DependsOn; len(w) != 1 || w[0].Service != "db" || w[0].Condition != "service_healthy" {
		t.Errorf("depends_on = %+v", w)
	}
	if n, ok := st.Networks["shop_default"]; !ok || n.Driver != "overlay" || n.Labels[LabelNamespace] != "shop" {
		t.Errorf("networks = %+v, want shop_default, overlay, labelled", st.Networks)
	}
	if len(st.Secrets) != 1 || string(st.Secrets[0].Data) != "s3cret" || st.Secrets[0].Name != "shop_pw" {
		t.Errorf("secrets = %+v", st.Secrets)
	}
}

func TestCheckPositions(t *testing.T) {
	p := loadFiles(t, map[string]string{"compose.yaml": `services:
  web:
    image: app:1
    privileged: true
    pull_policy: always
    deploy:
      replicas: 1
      x-note: kept quietly
    x-owner: me
  built:
    build: .
  linked:
    image: app:1
    links: [web]
  sidecar:
    image: app:1
    network_mode: service:web
  named:
    image: app:1
    container_name: fixed
networks:
  default:
    enable_ipv6: true
`})
	warns, errs := check(p)
	var got []string
	for _, w := range warns {
		got = append(got, filepath.Base(w.Pos.String())+" "+w.Msg)
	}
	want := []string{
		"compose.yaml:4:5 service web: privileged is ignored by Swarm",
		"compose.yaml:5:5 service web: pull_policy is ignored by Swarm",
		"compose.yaml:20:5 service named: container_name is ignored by Swarm",
		"compose.yaml:23:5 network default: enable_ipv6 is ignored by Swarm",
	}
	if !slices.Equal(got, want) {
		t.Errorf("warnings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	got = nil
	for _, e := range errs {
		got = append(got, filepath.Base(e.Pos.String())+" "+strings.SplitN(e.Msg, ":", 2)[0])
	}
	want = []string{
		"compose.yaml:11:5 service built",
		"compose.yaml:14:5 service linked",
		"compose.yaml:17:5 service sidecar",
	}
	if !slices.Equal(got, want) {
		t.Errorf("errors:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := Convert(p, "1.41"); !errors.As(err, new(load.Errors)) {
		t.Errorf("Convert = %v, want the load.Errors of check", err)
	}
}

// observedOf is what the swarm would hold after deploying st with no
// changes by the engine.
func observedOf(st *Stack) *Observed {
	obs := &Observed{Stack: st.Name, NetworkNames: map[string]string{}}
	for name := range st.Networks {
		obs.Networks = append(obs.Networks, network.Summary{Name: name, ID: "net-" + name, Scope: "swarm"})
		obs.NetworkNames["net-"+name] = name
	}
	for _, o := range st.Secrets {
		obs.Secrets = append(obs.Secrets, swarm.Secret{ID: "sec-" + o.Name, Spec: swarm.SecretSpec{Annotations: swarm.Annotations{Name: o.Name, Labels: map[string]string{LabelContent: o.Digest()}}}})
	}
	for _, s := range st.Services {
		spec := s.Spec
		nets := slices.Clone(spec.TaskTemplate.Networks)
		for i := range nets {
			nets[i].Target = "net-" + nets[i].Target // the engine stores IDs
		}
		spec.TaskTemplate.Networks = nets
		obs.Services = append(obs.Services, swarm.Service{ID: "svc-" + s.Name, Spec: spec})
	}
	return obs
}

func TestDiff(t *testing.T) {
	files := map[string]string{
		"compose.yaml": `services:
  web:
    image: app:1
    environment: {GREETING: hello, API_TOKEN: t1}
    secrets: [pw]
  db:
    image: db:1
secrets:
  pw:
    file: ./pw.txt
`,
		"pw.txt": "s3cret",
	}
	st, err := Convert(loadFiles(t, files), "1.41")
	if err != nil {
		t.Fatal(err)
	}
	obs := observedOf(st)
	if plan := Diff(st, obs, Options{}); !plan.Empty() {
		t.Fatalf("plan against what it deployed: %+v", plan.Steps)
	}

	// Changed environment and secret, a removed service.
	files["compose.yaml"] = strings.Replace(strings.Replace(files["compose.yaml"], "hello", "bonjour", 1), "  db:\n    image: db:1\n", "", 1)
	files["pw.txt"] = "n3w"
	st2, err := Convert(loadFiles(t, files), "1.41")
	if err != nil {
		t.Fatal(err)
	}
	plan := Diff(st2, obs, Options{Wait: true})
	var lines []string
	for _, s := range plan.Steps {
		lines = append(lines, string(s.Action)+" "+s.Name)
	}
	versioned := st2.Secrets[0].Versioned()
	want := []string{"create-secret " + versioned, "update-service shop_web", "remove-service shop_db", "remove-secret shop_pw"}
	if !slices.Equal(lines, want) {
		t.Fatalf("steps = %q, want %q", lines, want)
	}
	upd := plan.Steps[1]
	var fields []string
	for _, r := range upd.Reasons {
		fields = append(fields, r.Field+": "+r.Old+" → "+r.New)
	}
	wantFields := []string{
		"services.web.environment.GREETING: hello → bonjour",
		`services.web.TaskTemplate.ContainerSpec.Secrets[0].SecretName: shop_pw → ` + versioned,
	}
	if !slices.Equal(fields, wantFields) {
		t.Errorf("reasons:\n%s\nwant:\n%s", strings.Join(fields, "\n"), strings.Join(wantFields, "\n"))
	}
	if !slices.Contains(upd.After, 1) || len(plan.Wait) != 1 {
		t.Errorf("update after %v, wait %v: want it after the secret's creation and waited for", upd.After, plan.Wait)
	}
	if got := plan.Steps[3].After; !slices.Contains(got, 2) || !slices.Contains(got, 3) {
		t.Errorf("secret removal after %v, want after the update and the service removal", got)
	}

	// The saved form reads back, and its masked form hides the secret.
	var buf bytes.Buffer
	if err := apply.WriteJSON(&buf, plan); err != nil {
		t.Fatal(err)
	}
	back, err := apply.ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.Target != apply.TargetSwarm || string(back.Steps[0].SecretSpec.Data) != "n3w" {
		t.Errorf("read back: target %q, secret %q", back.Target, back.Steps[0].SecretSpec.Data)
	}
	masked := plan.Masked()
	if string(masked.Steps[0].SecretSpec.Data) != apply.Masked || !slices.Contains(masked.Steps[1].ServiceSpec.TaskTemplate.ContainerSpec.Env, "API_TOKEN="+apply.Masked) {
		t.Errorf("masked plan shows secrets: %q %v", masked.Steps[0].SecretSpec.Data, masked.Steps[1].ServiceSpec.TaskTemplate.ContainerSpec.Env)
	}
	if string(plan.Steps[0].SecretSpec.Data) != "n3w" {
		t.Errorf("masking changed the plan itself")
	}

	// Drift: the fingerprint tells.
	obs.Services[0].Version.Index++
	if why := apply.StaleSummary(plan, obs.Stack, obs.Summary()); !strings.Contains(why, "service:shop_") {
		t.Errorf("stale = %q, want the service whose version moved", why)
	}
}

func TestSpecDiffIgnoresEngineDefaults(t *testing.T) {
	one := uint64(1)
	sent := swarm.ServiceSpec{TaskTemplate: swarm.TaskSpec{ContainerSpec: &swarm.ContainerSpec{Image: "app:1"}},
		Mode: swarm.ServiceMode{Replicated: &swarm.ReplicatedService{}}, RollbackConfig: &swarm.UpdateConfig{Parallelism: 1}}
	stored := sent
	cs := *sent.TaskTemplate.ContainerSpec
	cs.Isolation = "default"
	stored.TaskTemplate.ContainerSpec = &cs
	stored.TaskTemplate.Runtime = "container"
	stored.Mode = swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &one}}
	stored.RollbackConfig = &swarm.UpdateConfig{Parallelism: 1, FailureAction: "pause", Order: "stop-first"}
	if r := SpecDiff("services.web", stored, sent); len(r) != 0 {
		t.Errorf("defaults count as changes: %+v", r)
	}
	two := uint64(2)
	sent.Mode = swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &two}}
	if r := SpecDiff("services.web", stored, sent); len(r) != 1 || r[0].Field != "services.web.Mode.Replicated.Replicas" || r[0].Old != "1" || r[0].New != "2" {
		t.Errorf("replicas 1 → 2: %+v", r)
	}
}

func TestNotManagerError(t *testing.T) {
	for state, want := range map[swarm.LocalNodeState]string{
		swarm.LocalNodeStateInactive: `run "docker swarm init"`,
		swarm.LocalNodeStateActive:   "worker, not a manager",
	} {
		if got := (&NotManagerError{State: state}).Error(); !strings.Contains(got, want) {
			t.Errorf("%s: %q lacks %q", state, got, want)
		}
	}
}

// TestConvertCorpus converts every awesome-compose file: each either
// converts or is refused with positioned errors, never another failure.
func TestConvertCorpus(t *testing.T) {
	converted, refused := 0, 0
	for _, file := range corpustest.Files(t) {
		p, err := load.Load(context.Background(), LoadOptions(load.Options{Files: []string{file}, ProjectName: "corpus"}))
		if err != nil {
			continue // the loader's verdict, tested elsewhere
		}
		_, err = Convert(p, "1.41")
		var errs load.Errors
		var le *load.Error
		switch {
		case err == nil:
			converted++
		case errors.As(err, &errs):
			refused++
			for _, e := range errs {
				if e.Pos.Line == 0 {
					t.Errorf("%s: refusal without a position: %v", file, e)
				}
			}
		case errors.As(err, &le) && le.Pos.Line > 0:
			refused++
		default:
			t.Errorf("%s: %v", file, err)
		}
	}
	t.Logf("%d converted, %d refused", converted, refused)
	if converted == 0 {
		t.Error("no corpus file converted")
	}
}

// notManager is an engine in no swarm: every other call would be a bug.
type notManager struct{ Docker }

// SwarmInspect answers as an engine that is no manager does.
func (notManager) SwarmInspect(context.Context) (swarm.Swarm, error) {
	return swarm.Swarm{}, errors.New("this node is not a swarm manager")
}

func (notManager) Info(context.Context) (system.Info, error) {
	return system.Info{Swarm: swarm.Info{LocalNodeState: swarm.LocalNodeStateInactive}}, nil
}

func TestPlanForRefusesNonManager(t *testing.T) {
	p := loadFiles(t, map[string]string{"compose.yaml": "services:\n  web:\n    image: app:1\n"})
	_, err := PlanFor(context.Background(), notManager{}, p, Options{})
	if !IsNotManager(err) || !strings.Contains(err.Error(), "docker swarm init") {
		t.Errorf("PlanFor on an engine in no swarm: %v", err)
	}
}

// twoNodes is a swarm of two nodes whose registry answers each image's
// distribution inspect with inspect[image].
type twoNodes struct {
	Docker
	inspect map[string]error
}

func (twoNodes) NodeList(context.Context, swarm.NodeListOptions) ([]swarm.Node, error) {
	return make([]swarm.Node, 2), nil
}

func (twoNodes) RegistryAuth(string) (string, error) { return "", nil }

func (d twoNodes) DistributionInspect(_ context.Context, img, _ string) (registry.DistributionInspect, error) {
	return registry.DistributionInspect{}, d.inspect[img]
}

// TestCheckPushedSaysWhy: on more than one node a built image must be in a
// registry; the refusal says what to do by the class of the registry's
// answer (push, log in, or neither), at the service's build: key.
func TestCheckPushedSaysWhy(t *testing.T) {
	p := loadFiles(t, map[string]string{"compose.yaml": `services:
  ok:
    image: reg.test/ok:1
    build: .
  missing:
    image: reg.test/missing:1
    build: .
  private:
    image: reg.test/private:1
    build: .
  down:
    image: reg.test/down:1
    build: .
`})
	d := twoNodes{inspect: map[string]error{
		"reg.test/missing:1": errdefs.ErrNotFound.WithMessage("manifest unknown"),
		"reg.test/private:1": errdefs.ErrUnauthenticated.WithMessage("authentication required"),
		"reg.test/down:1":    errors.New("dial tcp: connection refused"),
	}}
	err := checkPushed(context.Background(), d, p)
	var errs load.Errors
	if !errors.As(err, &errs) || len(errs) != 3 {
		t.Fatalf("checkPushed: %v, want 3 errors", err)
	}
	for i, want := range []string{
		"compose.yaml:13:5: service down: ", "could not ask the registry",
		"compose.yaml:7:5: service missing: ", "build and push it",
		"compose.yaml:10:5: service private: ", "log in to it",
	} {
		if msg := errs[i/2].Error(); !strings.Contains(msg, want) {
			t.Errorf("error %d: %s\nwant %q in it", i/2, msg, want)
		}
	}
}
