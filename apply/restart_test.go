package apply

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/container"
)

func TestDiffStopsDependentsOfRecreatedService(t *testing.T) {
	compose := strings.Replace(shopCompose, "        condition: service_healthy\n", "        condition: service_healthy\n        restart: true\n", 1)
	obs := converged(t, mustDiff(t, loadProject(t, compose), &Observed{Project: "shop", Images: images()}, Options{}), &Observed{Project: "shop", Images: images()})
	redisChanged := func(c string) string {
		return strings.Replace(c, "REDIS_PASSWORD: ${REDIS_PASSWORD}\n    healthcheck", "REDIS_PASSWORD: ${REDIS_PASSWORD}\n      MAXMEM: 1g\n    healthcheck", 1)
	}

	// redis changes: web, which depends on it with restart: true, is
	// stopped before redis is recreated and started after, once redis is
	// healthy again.
	plan := mustDiff(t, loadProject(t, redisChanged(compose)), obs, Options{})
	got := summary(plan)
	want := []string{
		"stop container:shop-web-1 dependency_recreated",
		"recreate container:shop-redis-1 config_changed services.redis.environment.MAXMEM",
		"start container:shop-web-1 dependency_recreated",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if err := plan.Validate(); err != nil {
		t.Fatal(err)
	}
	stop, recreate, start := plan.Steps[0], plan.Steps[1], plan.Steps[2]
	webID := obs.Containers[slices.IndexFunc(obs.Containers, func(c Container) bool { return c.Name == "shop-web-1" })].ID
	if stop.OldID != webID || start.OldID != webID {
		t.Errorf("stop %q and start %q do not name web's container %q", stop.OldID, start.OldID, webID)
	}
	if !slices.Contains(recreate.After, stop.ID) {
		t.Errorf("recreate %v does not wait for the stop (step %d)", recreate.After, stop.ID)
	}
	if !slices.Contains(start.After, recreate.ID) || !slices.Contains(start.After, stop.ID) {
		t.Errorf("start %v does not wait for the stop and the recreate", start.After)
	}
	if !slices.Equal(start.Waits, []Wait{{Service: "redis", Condition: "service_healthy", Required: true}}) {
		t.Errorf("start waits %+v, want redis healthy", start.Waits)
	}
	if !slices.Equal(stop.Actions, []string{"stop"}) || !slices.Equal(start.Actions, []string{"start"}) {
		t.Errorf("wire actions %q, %q", stop.Actions, start.Actions)
	}
	var buf bytes.Buffer
	if err := WriteHuman(&buf, plan); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"| container:shop-web-1    stop (dependency redis recreated)",
		"> container:shop-web-1    start (dependency redis recreated)",
	} {
		if !strings.Contains(buf.String(), line) {
			t.Errorf("human plan has no line %q:\n%s", line, buf.String())
		}
	}
	buf.Reset()
	if err := WriteJSON(&buf, plan); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(summary(back), want) || back.Steps[0].Action != Stop {
		t.Errorf("plan read back from JSON: %v", summary(back))
	}

	// berth killed after the stop: web is down, redis not yet recreated.
	// The next plan recreates redis and starts web after it.
	stopped := *obs
	stopped.Containers = slices.Clone(obs.Containers)
	for i := range stopped.Containers {
		if stopped.Containers[i].ID == webID {
			stopped.Containers[i].State, stopped.Containers[i].ExitCode = "exited", 143
		}
	}
	plan = mustDiff(t, loadProject(t, redisChanged(compose)), &stopped, Options{})
	if got := summary(plan); !slices.Equal(got, []string{
		"recreate container:shop-redis-1 config_changed services.redis.environment.MAXMEM",
		"start container:shop-web-1 not_running state",
	}) || !slices.Contains(plan.Steps[1].After, plan.Steps[0].ID) {
		t.Errorf("plan after a kill between the stop and the recreate: %v (start after %v)", got, plan.Steps[1].After)
	}
	// Killed after the recreate: only the start is left.
	plan = mustDiff(t, loadProject(t, compose), &stopped, Options{})
	if got := summary(plan); !slices.Equal(got, []string{"start container:shop-web-1 not_running state"}) {
		t.Errorf("plan after a kill between the recreate and the start: %v", got)
	}

	// web is recreated too: its recreate follows redis's, nothing else.
	both := strings.Replace(redisChanged(compose), "GREETING: hello", "GREETING: hi", 1)
	if got := summary(mustDiff(t, loadProject(t, both), obs, Options{})); !slices.Equal(got, []string{
		"recreate container:shop-redis-1 config_changed services.redis.environment.MAXMEM",
		"recreate container:shop-web-1 config_changed services.web.environment.GREETING",
	}) {
		t.Errorf("plan when both change: %v", got)
	}

	// Without restart: true nothing happens to web.
	if got := summary(mustDiff(t, loadProject(t, redisChanged(shopCompose)), obs, Options{})); len(got) != 1 {
		t.Errorf("plan without restart: true %v, want only the recreate", got)
	}
}

func TestDiffWarnsAboutMissingOptionalDependency(t *testing.T) {
	p := loadProject(t, `name: shop
services:
  web:
    image: berth-e2e-app:test
    depends_on:
      cache:
        condition: service_started
        required: false
  cache:
    image: berth-e2e-app:test
    profiles: [cache]
`)
	plan := mustDiff(t, p, &Observed{Project: "shop", Images: images()}, Options{})
	if len(plan.Warnings) != 1 || !strings.Contains(plan.Warnings[0], "optional dependency cache (required: false) is not enabled") {
		t.Errorf("warnings %q", plan.Warnings)
	}
	for _, s := range plan.Steps {
		if s.Service == "cache" {
			t.Errorf("disabled optional dependency planned: %+v", s)
		}
		if len(s.Waits) > 0 {
			t.Errorf("step waits for a service that is not there: %+v", s.Waits)
		}
	}
}

// restartObserved is a project of three services as Observe reads it:
// web depends on db with restart: true, worker on web without.
func restartObserved() *Observed {
	c := func(svc, deps string) Container {
		return Container{ID: "id-" + svc, Name: "p-" + svc + "-1", Service: svc, Number: 1, State: "running",
			Labels: map[string]string{LabelDependsOn: deps}}
	}
	return &Observed{Project: "p", Containers: []Container{
		c("db", ""),
		c("web", "db:service_healthy:true"),
		c("worker", "web:service_started:false"),
	}}
}

func TestRestartPlan(t *testing.T) {
	ten := 10
	plan, err := RestartPlan(restartObserved(), RestartOptions{Timeout: &ten})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(plan), []string{
		"restart container:p-db-1 requested",
		"restart container:p-web-1 requested",
		"restart container:p-worker-1 requested",
	}; !slices.Equal(got, want) {
		t.Fatalf("restart all: %v, want %v", got, want)
	}
	if !slices.Equal(plan.Steps[1].After, []int{1}) || !slices.Equal(plan.Steps[2].After, []int{2}) {
		t.Errorf("not in dependency order: %+v", plan.Steps)
	}
	if plan.Steps[0].Timeout == nil || *plan.Steps[0].Timeout != 10 {
		t.Error("timeout not carried")
	}
	if err := plan.Validate(); err != nil {
		t.Error(err)
	}

	// Restarting db also restarts web (restart: true), not worker.
	plan, err = RestartPlan(restartObserved(), RestartOptions{Services: []string{"db"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := summary(plan), []string{"restart container:p-db-1 requested", "restart container:p-web-1 requested"}; !slices.Equal(got, want) {
		t.Errorf("restart db: %v, want %v", got, want)
	}
	plan, err = RestartPlan(restartObserved(), RestartOptions{Services: []string{"db"}, NoDeps: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(plan); len(got) != 1 {
		t.Errorf("restart --no-deps db: %v", got)
	}
	if _, err := RestartPlan(restartObserved(), RestartOptions{Services: []string{"nope"}}); err == nil || !strings.Contains(err.Error(), `service "nope" has no container`) {
		t.Errorf("unknown service: %v", err)
	}
}

func TestDiffStopsDependentsOfSeveralRecreatedServices(t *testing.T) {
	compose := `name: shop
services:
  a:
    image: berth-e2e-app:test
    environment: {GEN: "1"}
  b:
    image: berth-e2e-app:test
    environment: {GEN: "1"}
    depends_on: [a]
  both:
    image: berth-e2e-app:test
    depends_on:
      a: {condition: service_started, restart: true}
      b: {condition: service_started, restart: true}
  onb:
    image: berth-e2e-app:test
    scale: 2
    depends_on:
      b: {condition: service_started, restart: true}
  plain:
    image: berth-e2e-app:test
    depends_on: [a, b]
`
	empty := &Observed{Project: "shop", Images: images()}
	obs := converged(t, mustDiff(t, loadProject(t, compose), empty, Options{}), empty)
	for i := range obs.Containers { // converged numbers every replica 1
		if obs.Containers[i].Name == "shop-onb-2" {
			obs.Containers[i].Number = 2
		}
	}
	changed := strings.ReplaceAll(compose, `GEN: "1"`, `GEN: "2"`)
	changed = strings.Replace(changed, "services:\n", "networks:\n  extra: {}\nservices:\n", 1)
	changed = strings.Replace(changed, "  a:\n    image: berth-e2e-app:test\n", "  a:\n    image: berth-e2e-app:test\n    networks: [default, extra]\n", 1)
	plan := mustDiff(t, loadProject(t, changed), obs, Options{})
	if err := plan.Validate(); err != nil {
		t.Fatalf("%v\n%v", err, summary(plan))
	}
	got := summary(plan)
	want := []string{
		"create-network network:shop_extra missing",
		"stop container:shop-both-1 dependency_recreated dependency_recreated",
		"recreate container:shop-a-1 config_changed services.a.environment.GEN config_changed services.a.networks.extra",
		"stop container:shop-onb-1 dependency_recreated",
		"stop container:shop-onb-2 dependency_recreated",
		"recreate container:shop-b-1 config_changed services.b.environment.GEN",
		"start container:shop-both-1 dependency_recreated dependency_recreated",
		"start container:shop-onb-1 dependency_recreated",
		"start container:shop-onb-2 dependency_recreated",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan\n%v\nwant\n%v", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	byName := func(action Action, name string) Step {
		return plan.Steps[slices.IndexFunc(plan.Steps, func(s Step) bool { return s.Action == action && s.Name == name })]
	}
	a, b := byName(Recreate, "shop-a-1"), byName(Recreate, "shop-b-1")
	net := byName(CreateNetwork, "shop_extra")
	if !slices.Contains(a.After, net.ID) || !slices.Contains(byName(Stop, "shop-both-1").After, net.ID) {
		t.Errorf("a's recreate %v and both's stop %v do not both wait for the network %d", a.After, byName(Stop, "shop-both-1").After, net.ID)
	}
	if !slices.Contains(b.After, a.ID) {
		t.Errorf("b's recreate %v does not follow a's (%d) after renumbering", b.After, a.ID)
	}
	for name, deps := range map[string][]Step{"shop-both-1": {a, b}, "shop-onb-1": {b}, "shop-onb-2": {b}} {
		stop, start := byName(Stop, name), byName(Start, name)
		for _, r := range deps {
			if !slices.Contains(r.After, stop.ID) || !slices.Contains(start.After, r.ID) {
				t.Errorf("%s: recreate %s waits for %v, start waits for %v; want stop %d → recreate %d → start", name, r.Name, r.After, start.After, stop.ID, r.ID)
			}
		}
	}
}

// fakeStops is fakeImages that also stops and starts containers.
type fakeStops struct {
	*fakeImages
	calls []string
}

func (f *fakeStops) ContainerStop(_ context.Context, id string, _ container.StopOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "stop "+id)
	return nil
}

func (f *fakeStops) ContainerStart(_ context.Context, id string, _ container.StartOptions) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "start "+id)
	return nil
}

func TestStopDependentsOnlyWhenPulledImageChanges(t *testing.T) {
	compose := strings.Replace(shopCompose, "        condition: service_healthy\n", "        condition: service_started\n        restart: true\n", 1)
	compose = strings.Replace(compose, "  web:\n    image: berth-e2e-app:test\n", "  web:\n    image: berth-e2e-web:test\n", 1)
	imgs := map[string]string{"berth-e2e-app:test": "sha256:aaaa", "berth-e2e-web:test": "sha256:cccc"}
	obs := converged(t, mustDiff(t, loadProject(t, compose), &Observed{Project: "shop", Images: imgs}, Options{}), &Observed{Project: "shop", Images: imgs})
	always := strings.Replace(compose, "  redis:\n    image: berth-e2e-app:test\n", "  redis:\n    image: berth-e2e-app:test\n    pull_policy: always\n", 1)
	plan := mustDiff(t, loadProject(t, always), obs, Options{})
	var stop, start Step
	for _, s := range plan.Steps {
		switch s.Action {
		case Stop:
			stop = s
		case Start:
			start = s
		}
	}
	want := &ImageCheck{Ref: "berth-e2e-app:test", ID: "sha256:aaaa"}
	if stop.IfImageChanged == nil || *stop.IfImageChanged != *want || start.IfImageChanged == nil || *start.IfImageChanged != *want {
		t.Fatalf("stop and start of web not conditional on redis's image: %v, %+v, %+v", summary(plan), stop.IfImageChanged, start.IfImageChanged)
	}
	// The pull leaves the image as it was: web is neither stopped nor
	// started. A new image: web is stopped before redis's replacement is
	// created (the fake's create fails, so nothing starts).
	for _, tc := range []struct {
		id   string
		want []string
	}{{"sha256:aaaa", nil}, {"sha256:bbbb", []string{"stop " + stop.OldID}}} {
		f := &fakeStops{fakeImages: &fakeImages{t: t, pullBody: `{"status":"Downloaded newer image"}`, ids: map[string]string{"berth-e2e-app:test": tc.id}}}
		err := Execute(context.Background(), f, plan, ExecOptions{})
		if !slices.Equal(f.calls, tc.want) || (err == nil) != (tc.want == nil) {
			t.Errorf("image %s: calls %q, error %v; want calls %q", tc.id, f.calls, err, tc.want)
		}
	}
}
