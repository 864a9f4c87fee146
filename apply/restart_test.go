package apply

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func TestDiffRestartsDependentsOfRecreatedService(t *testing.T) {
	compose := strings.Replace(shopCompose, "        condition: service_healthy\n", "        condition: service_healthy\n        restart: true\n", 1)
	obs := converged(t, mustDiff(t, loadProject(t, compose), &Observed{Project: "shop", Images: images()}, Options{}), &Observed{Project: "shop", Images: images()})

	// redis changes: it is recreated and web, which depends on it with
	// restart: true, is restarted after it.
	changed := loadProject(t, strings.Replace(compose, "REDIS_PASSWORD: ${REDIS_PASSWORD}\n    healthcheck", "REDIS_PASSWORD: ${REDIS_PASSWORD}\n      MAXMEM: 1g\n    healthcheck", 1))
	plan := mustDiff(t, changed, obs, Options{})
	got := summary(plan)
	want := []string{
		"recreate container:shop-redis-1 config_changed services.redis.environment.MAXMEM",
		"restart container:shop-web-1 dependency_recreated",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("plan %v, want %v", got, want)
	}
	if plan.Steps[1].OldID == "" || !slices.Contains(plan.Steps[1].After, plan.Steps[0].ID) {
		t.Errorf("restart step %+v does not follow the recreate", plan.Steps[1])
	}
	var buf bytes.Buffer
	if err := WriteHuman(&buf, plan); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "> container:shop-web-1    restart (dependency redis recreated)") {
		t.Errorf("human plan does not say why web restarts:\n%s", buf.String())
	}

	// Without restart: true nothing happens to web.
	plain := loadProject(t, strings.Replace(shopCompose, "REDIS_PASSWORD: ${REDIS_PASSWORD}\n    healthcheck", "REDIS_PASSWORD: ${REDIS_PASSWORD}\n      MAXMEM: 1g\n    healthcheck", 1))
	if got := summary(mustDiff(t, plain, obs, Options{})); len(got) != 1 {
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
