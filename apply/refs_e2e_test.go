package apply

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// refsE2ECompose: web shares db's network namespace (it reaches kv on
// 127.0.0.1, which only works inside db's namespace), reader mounts db's
// volumes, side does both with a container outside the project, and cache
// is stopped while db is recreated and started after (restart: true).
const refsE2ECompose = `services:
  db:
    image: berth-e2e-app:test
    command: ["kv"]
    environment:
      GEN: "1"
    volumes:
      - dbdata:/data
  web:
    image: berth-e2e-app:test
    command: ["web"]
    network_mode: service:db
    environment:
      KV_ADDR: 127.0.0.1:6379
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/"]
      interval: 1s
      retries: 30
  reader:
    image: berth-e2e-app:test
    command: ["proxy"]
    environment:
      UPSTREAM: http://127.0.0.1:1
    volumes_from:
      - db:ro
  side:
    image: berth-e2e-app:test
    command: ["web"]
    network_mode: container:${OUTSIDE}
    volumes_from:
      - container:${OUTSIDE}:ro
    environment:
      KV_ADDR: 127.0.0.1:6379
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/"]
      interval: 1s
      retries: 30
  cache:
    image: berth-e2e-app:test
    command: ["kv"]
    depends_on:
      db:
        condition: service_started
        restart: true
volumes:
  dbdata: {}
`

func inspect(t *testing.T, d *Engine, name string) container.InspectResponse {
	t.Helper()
	in, err := d.ContainerInspect(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestE2EServiceReferencesAndRestart(t *testing.T) {
	d := e2eDocker(t)
	outside := startOutside(t, d)
	pr := newE2EProject(t, d, "OUTSIDE="+outside+"\n")
	p := pr.load(refsE2ECompose)
	if err := pr.execute(pr.plan(p), time.Minute); err != nil {
		t.Fatal(err)
	}
	name := func(svc string) string { return pr.name + "-" + svc + "-1" }
	db, web, reader := inspect(t, d, name("db")), inspect(t, d, name("web")), inspect(t, d, name("reader"))
	if got := string(web.HostConfig.NetworkMode); got != "container:"+db.ID {
		t.Errorf("web network mode %q, want container:%s", got, db.ID)
	}
	if web.State.Health == nil || web.State.Health.Status != "healthy" {
		t.Errorf("web (reaching kv on 127.0.0.1 through db's namespace) is not healthy: %+v", web.State.Health)
	}
	if got := reader.HostConfig.VolumesFrom; !slices.Equal(got, []string{db.ID + ":ro"}) {
		t.Errorf("reader volumes_from %q", got)
	}
	if !slices.ContainsFunc(reader.Mounts, func(m container.MountPoint) bool {
		return m.Destination == "/data" && m.Name == pr.name+"_dbdata" && !m.RW
	}) {
		t.Errorf("reader does not mount db's volume read-only: %+v", reader.Mounts)
	}
	side := inspect(t, d, name("side"))
	// The engine keeps the ID a container name in a network mode resolves to.
	if string(side.HostConfig.NetworkMode) != "container:"+inspect(t, d, outside).ID || !slices.Equal(side.HostConfig.VolumesFrom, []string{outside + ":ro"}) {
		t.Errorf("side: network mode %q, volumes_from %q", side.HostConfig.NetworkMode, side.HostConfig.VolumesFrom)
	}
	if side.State.Health == nil || side.State.Health.Status != "healthy" {
		t.Errorf("side (reaching kv on 127.0.0.1 in %s's namespace) is not healthy: %+v", outside, side.State.Health)
	}
	if plan := pr.plan(p); !plan.Empty() {
		t.Fatalf("plan after apply is not empty: %v", summary(plan))
	}

	// Changing db recreates it, recreates web and reader (their hashes
	// follow db's ID) and restarts cache (restart: true).
	cacheBefore := inspect(t, d, name("cache"))
	changed := pr.load(strings.Replace(refsE2ECompose, `GEN: "1"`, `GEN: "2"`, 1))
	plan := pr.plan(changed)
	want := []string{
		"stop container:" + name("cache") + " dependency_recreated",
		"recreate container:" + name("db") + " config_changed services.db.environment.GEN",
		"recreate container:" + name("reader") + " dependency_recreated",
		"recreate container:" + name("web") + " dependency_recreated",
		"start container:" + name("cache") + " dependency_recreated",
	}
	if got := summary(plan); !slices.Equal(got, want) {
		t.Fatalf("plan after db changed: %v, want %v", got, want)
	}
	if err := pr.execute(plan, time.Minute); err != nil {
		t.Fatal(err)
	}
	db2, web2 := inspect(t, d, name("db")), inspect(t, d, name("web"))
	if db2.ID == db.ID || web2.ID == web.ID || string(web2.HostConfig.NetworkMode) != "container:"+db2.ID {
		t.Errorf("after the recreate: db %.12s→%.12s, web %.12s→%.12s on %s", db.ID, db2.ID, web.ID, web2.ID, web2.HostConfig.NetworkMode)
	}
	cacheAfter := inspect(t, d, name("cache"))
	if cacheAfter.ID != cacheBefore.ID || cacheAfter.State.StartedAt == cacheBefore.State.StartedAt || !cacheAfter.State.Running {
		t.Errorf("cache not restarted in place: id %.12s→%.12s, started %s→%s", cacheBefore.ID, cacheAfter.ID, cacheBefore.State.StartedAt, cacheAfter.State.StartedAt)
	}
	// cache was down while db was replaced: stopped before db's new
	// container was created, started after it started.
	stopped, created := engineTime(t, cacheAfter.State.FinishedAt), engineTime(t, db2.Created)
	dbStarted, cacheStarted := engineTime(t, db2.State.StartedAt), engineTime(t, cacheAfter.State.StartedAt)
	if !stopped.After(engineTime(t, cacheBefore.State.StartedAt)) || !stopped.Before(created) || !cacheStarted.After(dbStarted) {
		t.Errorf("cache stopped %s, db created %s, db started %s, cache started %s: want stop < create < db start < cache start",
			cacheAfter.State.FinishedAt, db2.Created, db2.State.StartedAt, cacheAfter.State.StartedAt)
	}
	if plan := pr.plan(changed); !plan.Empty() {
		t.Fatalf("plan after the second apply is not empty: %v", summary(plan))
	}

	// berth restart db: db, then the services that depend on it with
	// restart: true: cache, and web (network_mode: service:db implies it,
	// and web must rejoin db's new namespace); same containers.
	ten := 10
	rp, err := RestartPlan(pr.observe(), RestartOptions{Services: []string{"db"}, Timeout: &ten})
	if err != nil {
		t.Fatal(err)
	}
	if got := summary(rp); !slices.Equal(got, []string{"restart container:" + name("db") + " requested", "restart container:" + name("cache") + " requested", "restart container:" + name("web") + " requested"}) {
		t.Fatalf("restart plan %v", got)
	}
	var order []string
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = Execute(ctx, d, rp, ExecOptions{Progress: func(e Event) {
		if e.Status == "Started" {
			order = append(order, e.Resource)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(order) != 3 || order[0] != "container:"+name("db") {
		t.Errorf("restart order %v", order)
	}
	db3, cache3, web3 := inspect(t, d, name("db")), inspect(t, d, name("cache")), inspect(t, d, name("web"))
	if !web3.State.Running || string(web3.HostConfig.NetworkMode) != "container:"+db3.ID {
		t.Errorf("web after the restart: running %t on %s", web3.State.Running, web3.HostConfig.NetworkMode)
	}
	if db3.ID != db2.ID || db3.State.StartedAt == db2.State.StartedAt || !db3.State.Running || cache3.State.StartedAt == cacheAfter.State.StartedAt {
		t.Errorf("restart: db %.12s started %s→%s, cache started %s→%s", db3.ID, db2.State.StartedAt, db3.State.StartedAt, cacheAfter.State.StartedAt, cache3.State.StartedAt)
	}
}

// engineTime parses a timestamp of docker inspect.
func engineTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("engine timestamp %q: %v", s, err)
	}
	return v
}

// startOutside runs a kv container that belongs to no project, for
// network_mode and volumes_from container:NAME; removed after the test.
func startOutside(t *testing.T, d *Engine) string {
	t.Helper()
	ctx := context.Background()
	name := "berthe2e-outside-" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	c, err := d.ContainerCreate(ctx, &container.Config{Image: e2eImage, Cmd: []string{"kv"}, Volumes: map[string]struct{}{"/outside": {}}},
		&container.HostConfig{}, nil, nil, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = d.ContainerRemove(context.Background(), c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
	})
	if err := d.ContainerStart(ctx, c.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestE2ENetworkConfigHash(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	compose := `services:
  web:
    image: berth-e2e-app:test
    command: ["web"]
    networks: [front]
networks:
  front:
    labels:
      team: web
`
	if err := pr.execute(pr.plan(pr.load(compose)), time.Minute); err != nil {
		t.Fatal(err)
	}
	before := pr.observe().Networks
	if len(before) != 1 || before[0].Labels[LabelConfigHash] == "" || before[0].Labels["team"] != "web" {
		t.Fatalf("networks %+v", before)
	}

	// The network changes while a container of no project is attached: a
	// conflict that names it, nothing done.
	outside := startOutside(t, d)
	if err := d.NetworkConnect(context.Background(), before[0].Name, outside, nil); err != nil {
		t.Fatal(err)
	}
	changed := strings.Replace(compose, "team: web", "team: shop", 1)
	_, err := PlanFor(context.Background(), d, pr.load(changed), Options{})
	var conflict *NetworkConflictError
	if !errors.As(err, &conflict) || !slices.Equal(conflict.Containers, []string{outside}) {
		t.Fatalf("plan with a changed network in use by another container: %v", err)
	}
	if err := d.NetworkDisconnect(context.Background(), before[0].Name, outside, true); err != nil {
		t.Fatal(err)
	}

	// Without web (an orphan, removed first), the network is recreated.
	alone := pr.load(strings.Replace(changed, "services:\n  web:", "services:\n  api:", 1))
	if err := pr.execute(pr.plan(alone), time.Minute); err != nil {
		t.Fatal(err)
	}
	after := pr.observe()
	if len(after.Networks) != 1 || after.Networks[0].ID == before[0].ID || after.Networks[0].Labels["team"] != "shop" ||
		after.Networks[0].Labels[LabelConfigHash] == before[0].Labels[LabelConfigHash] {
		t.Errorf("network not recreated: before %+v after %+v", before, after.Networks)
	}
	if svc := after.byService(); svc["api"].State != "running" || len(after.Containers) != 1 {
		t.Errorf("containers after: %v", after.Summary())
	}
	if plan := pr.plan(alone); !plan.Empty() {
		t.Errorf("plan after the network was recreated: %v", summary(plan))
	}
}

// A network whose configuration changes is recreated while the project's
// containers stay: they are disconnected, connected to the new network with
// their aliases and started again, not recreated.
func TestE2ENetworkRecreateKeepsContainers(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	compose := `services:
  web:
    image: berth-e2e-app:test
    command: ["web"]
    networks:
      front:
        aliases: [www]
  api:
    image: berth-e2e-app:test
    command: ["kv"]
    networks:
      front:
        aliases: [store]
networks:
  front:
    labels:
      team: web
`
	if err := pr.execute(pr.plan(pr.load(compose)), time.Minute); err != nil {
		t.Fatal(err)
	}
	before := pr.observe()
	if len(before.Networks) != 1 || len(before.Containers) != 2 {
		t.Fatalf("before: %v", before.Summary())
	}

	changed := pr.load(strings.Replace(compose, "team: web", "team: shop", 1))
	plan := pr.plan(changed)
	if n := plan.Summary(); n.Create != 1 || n.Recreate != 0 {
		t.Fatalf("plan: %v", summary(plan))
	}
	if err := pr.execute(plan, time.Minute); err != nil {
		t.Fatal(err)
	}
	after := pr.observe()
	if len(after.Networks) != 1 || after.Networks[0].ID == before.Networks[0].ID || after.Networks[0].Labels["team"] != "shop" ||
		after.Networks[0].Labels[LabelConfigHash] == before.Networks[0].Labels[LabelConfigHash] {
		t.Errorf("network not recreated: before %+v after %+v", before.Networks, after.Networks)
	}
	was, is := before.byService(), after.byService()
	aliases := map[string]string{"web": "www", "api": "store"}
	for svc, alias := range aliases {
		c := is[svc]
		if c.ID != was[svc].ID || c.State != "running" {
			t.Errorf("%s: id %.12s (was %.12s), state %s: want the same container, running", svc, c.ID, was[svc].ID, c.State)
		}
		in := inspect(t, d, c.ID)
		ep := in.NetworkSettings.Networks[after.Networks[0].Name]
		if ep == nil || ep.NetworkID != after.Networks[0].ID || !slices.Contains(ep.Aliases, alias) {
			t.Errorf("%s: endpoint on the new network %+v, want network %.12s with alias %s", svc, ep, after.Networks[0].ID, alias)
		}
	}
	if plan := pr.plan(changed); !plan.Empty() {
		t.Errorf("plan after the network was recreated: %v", summary(plan))
	}
}
