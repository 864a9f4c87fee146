package kube_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/berth-compose/berth/transform/kube"
)

// The tests in this file show berth's answer to each fault users report in
// the Kubernetes conversions they used before: keys dropped silently, no
// Service for port-less services, wrong healthcheck commands, invalid
// names, output that differs between runs.

func find[T any](t *testing.T, res kube.Result, kind, name string) T {
	t.Helper()
	for _, o := range res.Objects {
		if o.Kind == kind && o.Name == name {
			v, ok := o.Obj.(T)
			if !ok {
				t.Fatalf("%s %s is a %T", kind, name, o.Obj)
			}
			return v
		}
	}
	var names []string
	for _, o := range res.Objects {
		names = append(names, o.Kind+"/"+o.Name)
	}
	t.Fatalf("no %s %s in %v", kind, name, names)
	panic("unreachable")
}

func podSpec(t *testing.T, res kube.Result, name string) corev1.PodSpec {
	t.Helper()
	return find[*appsv1.Deployment](t, res, "Deployment", name).Spec.Template.Spec
}

// wantWarning asserts a warning about path whose message contains msg.
func wantWarning(t *testing.T, res kube.Result, path, msg string) kube.Warning {
	t.Helper()
	for _, w := range res.Warnings {
		if w.Path == path && strings.Contains(w.Msg, msg) {
			if w.Pos.Line == 0 || w.Pos.File != "compose.yaml" {
				t.Errorf("warning without a position in compose.yaml: %s", w)
			}
			return w
		}
	}
	t.Fatalf("no warning on %s containing %q; warnings:\n%s", path, msg, warningText(res.Warnings))
	return kube.Warning{}
}

func noWarning(t *testing.T, res kube.Result, prefix string) {
	t.Helper()
	for _, w := range res.Warnings {
		if strings.HasPrefix(w.Path, prefix) {
			t.Errorf("unexpected warning: %s", w)
		}
	}
}

func TestDependsOn(t *testing.T) {
	res := convertText(t, `
services:
  web:
    image: web
    depends_on:
      db: {condition: service_healthy}
      seed: {condition: service_completed_successfully}
      cache: {condition: service_started}
  db:
    image: postgres
    healthcheck: {test: ["CMD", "pg_isready"]}
  cache:
    image: redis
  seed:
    image: seed
    restart: "no"
`)
	w := wantWarning(t, res, "services.web.depends_on.db", "start order not converted")
	if w.Pos.Line != 6 {
		t.Errorf("position %s, want line 6", w.Pos)
	}
	wantWarning(t, res, "services.web.depends_on.db", "once its readiness probe passes")
	wantWarning(t, res, "services.web.depends_on.seed", "seed runs as a Job")
	wantWarning(t, res, "services.web.depends_on.cache", "cache gets a Service")
	// Every dependency that others reach keeps a name in the cluster.
	for _, dep := range []string{"db", "cache"} {
		svc := find[*corev1.Service](t, res, "Service", dep)
		if svc.Spec.ClusterIP != corev1.ClusterIPNone {
			t.Errorf("Service %s is not headless", dep)
		}
	}
	find[interface{}](t, res, "Job", "seed")
	if ready := podSpec(t, res, "db").Containers[0].ReadinessProbe; ready == nil {
		t.Error("db has no readiness probe to gate its Service")
	}
}

func TestDNS(t *testing.T) {
	res := convertText(t, `
services:
  app:
    image: app
    dns: [1.1.1.1, 8.8.8.8]
    dns_search: [corp.example]
    dns_opt: ["ndots:1", "rotate"]
`)
	dc := podSpec(t, res, "app").DNSConfig
	if dc == nil || !reflect.DeepEqual(dc.Nameservers, []string{"1.1.1.1", "8.8.8.8"}) || !reflect.DeepEqual(dc.Searches, []string{"corp.example"}) {
		t.Fatalf("dnsConfig = %+v", dc)
	}
	if len(dc.Options) != 2 || dc.Options[0].Name != "ndots" || *dc.Options[0].Value != "1" || dc.Options[1].Name != "rotate" || dc.Options[1].Value != nil {
		t.Errorf("dns options = %+v", dc.Options)
	}
	noWarning(t, res, "services.app.dns")
}

func TestExtraHosts(t *testing.T) {
	res := convertText(t, `
services:
  app:
    image: app
    extra_hosts:
      - "db.legacy=10.0.0.5"
      - "cache.legacy:10.0.0.5"
      - "ldap=10.0.0.9"
      - "docker=host-gateway"
`)
	got := podSpec(t, res, "app").HostAliases
	want := []corev1.HostAlias{{IP: "10.0.0.5", Hostnames: []string{"cache.legacy", "db.legacy"}}, {IP: "10.0.0.9", Hostnames: []string{"ldap"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("hostAliases = %+v, want %+v", got, want)
	}
	wantWarning(t, res, "services.app.extra_hosts.docker", "host-gateway")
}

func TestSysctls(t *testing.T) {
	res := convertText(t, `
services:
  app:
    image: app
    sysctls:
      net.ipv4.ip_local_port_range: "1024 65000"
      net.core.somaxconn: 4096
`)
	sc := podSpec(t, res, "app").SecurityContext
	if sc == nil || len(sc.Sysctls) != 2 || sc.Sysctls[0].Name != "net.core.somaxconn" || sc.Sysctls[1].Value != "1024 65000" {
		t.Fatalf("sysctls = %+v", sc)
	}
	wantWarning(t, res, `services.app.sysctls["net.core.somaxconn"]`, "--allowed-unsafe-sysctls=net.core.somaxconn")
	for _, w := range res.Warnings {
		if strings.Contains(w.Path, "ip_local_port_range") {
			t.Errorf("safe sysctl warned: %s", w)
		}
	}
}

func TestUlimits(t *testing.T) {
	res := convertText(t, `
services:
  app:
    image: app
    ulimits:
      nofile: {soft: 1024, hard: 4096}
`)
	w := wantWarning(t, res, "services.app.ulimits", "not converted: Kubernetes has no per-pod ulimits")
	if w.Pos.Line != 5 || w.Pos.Column != 5 {
		t.Errorf("position %s, want compose.yaml:5:5", w.Pos)
	}
}

func TestNetworkModeHost(t *testing.T) {
	res := convertText(t, `
services:
  agent:
    image: agent
    network_mode: host
    ports: ["9100:9100"]
  sidecar:
    image: sidecar
    network_mode: "service:agent"
`)
	spec := podSpec(t, res, "agent")
	if !spec.HostNetwork || spec.DNSPolicy != corev1.DNSClusterFirstWithHostNet {
		t.Errorf("hostNetwork %v, dnsPolicy %q", spec.HostNetwork, spec.DNSPolicy)
	}
	wantWarning(t, res, "services.sidecar.network_mode", "not converted: sharing the network of service:agent")
	// The Service still reaches the pod (at its node's address); network
	// policies do not apply to host-network pods, so none is written.
	if svc := find[*corev1.Service](t, res, "Service", "agent"); len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Port != 9100 {
		t.Errorf("agent Service: %+v", svc.Spec)
	}
	for _, o := range res.Objects {
		if o.Kind == "NetworkPolicy" && strings.Contains(o.Name, "agent") {
			t.Errorf("NetworkPolicy %s for a host-network pod", o.Name)
		}
	}
}

func TestPullPolicy(t *testing.T) {
	res := convertText(t, `
services:
  a: {image: a, pull_policy: always}
  b: {image: b, pull_policy: never}
  c: {image: c, pull_policy: missing}
  d: {image: d, pull_policy: build, build: .}
  e: {image: e, pull_policy: missing, labels: {kompose.image-pull-policy: Always}}
`)
	for name, want := range map[string]corev1.PullPolicy{"a": corev1.PullAlways, "b": corev1.PullNever, "c": corev1.PullIfNotPresent, "d": "", "e": corev1.PullAlways} {
		if got := podSpec(t, res, name).Containers[0].ImagePullPolicy; got != want {
			t.Errorf("%s: imagePullPolicy %q, want %q", name, got, want)
		}
	}
	wantWarning(t, res, "services.d.pull_policy", "does not build images")
}

func TestServiceWithoutPorts(t *testing.T) {
	res := convertText(t, `
services:
  web:
    image: web
    environment:
      DATABASE_URL: postgres://app@db:5432/app
      CACHE: cache
      UNRELATED: queue.example.com
  db: {image: postgres}
  cache: {image: redis}
  queue: {image: rabbitmq}
  api: {image: api, expose: ["8000"]}
`)
	for _, name := range []string{"db", "cache"} {
		svc := find[*corev1.Service](t, res, "Service", name)
		if svc.Spec.ClusterIP != corev1.ClusterIPNone || len(svc.Spec.Ports) != 0 {
			t.Errorf("%s: want a headless Service without ports, got %+v", name, svc.Spec)
		}
	}
	api := find[*corev1.Service](t, res, "Service", "api")
	if len(api.Spec.Ports) != 1 || api.Spec.Ports[0].Port != 8000 || api.Spec.ClusterIP != "" {
		t.Errorf("api: want a ClusterIP Service on 8000 from expose, got %+v", api.Spec)
	}
	for _, o := range res.Objects {
		if o.Kind == "Service" && (o.Name == "queue" || o.Name == "web") {
			t.Errorf("Service %s: nobody reaches it by name", o.Name)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	res := convertText(t, `
services:
  shell:
    image: a
    healthcheck:
      test: curl -fs http://localhost/ || exit 1
      interval: 15s
      timeout: 1500ms
      retries: 4
      start_period: 1m
  exec:
    image: b
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "$$USER"]
  off:
    image: c
    healthcheck: {disable: true}
  inherit:
    image: d
    healthcheck: {interval: 5s}
`)
	shell := podSpec(t, res, "shell").Containers[0]
	live := shell.LivenessProbe
	if live == nil || !reflect.DeepEqual(live.Exec.Command, []string{"sh", "-c", "curl -fs http://localhost/ || exit 1"}) {
		t.Fatalf("CMD-SHELL not wrapped in sh -c: %+v", live)
	}
	if live.PeriodSeconds != 15 || live.TimeoutSeconds != 2 || live.FailureThreshold != 4 || live.InitialDelaySeconds != 60 {
		t.Errorf("timings: %+v", live)
	}
	if !reflect.DeepEqual(shell.ReadinessProbe, live) {
		t.Errorf("readiness %+v differs from liveness", shell.ReadinessProbe)
	}
	exec := podSpec(t, res, "exec").Containers[0].LivenessProbe
	// Docker's defaults, not Kubernetes' (10s, 1s); "$USER" stays literal
	// for the kubelet, which would expand $(...) and $$.
	if !reflect.DeepEqual(exec.Exec.Command, []string{"pg_isready", "-U", "$USER"}) || exec.PeriodSeconds != 30 || exec.TimeoutSeconds != 30 || exec.FailureThreshold != 3 {
		t.Errorf("CMD probe: %+v", exec)
	}
	if c := podSpec(t, res, "off").Containers[0]; c.LivenessProbe != nil || c.ReadinessProbe != nil {
		t.Error("disabled healthcheck produced a probe")
	}
	wantWarning(t, res, "services.inherit.healthcheck", "image's HEALTHCHECK")
}

func TestInvalidNames(t *testing.T) {
	long := strings.Repeat("very_long_service_name_", 4)
	res := convertText(t, `
services:
  Web_Frontend:
    image: web
    environment: {API: "http://API.v2:80"}
  API.v2:
    image: api
    ports: ["80:80"]
  `+long+`a:
    image: x
  `+long+`b:
    image: x
  9lives:
    image: x
    env_file: [{path: .Env.Local_Settings, required: false}]
`)
	for _, o := range res.Objects {
		if errs := validation.IsDNS1123Subdomain(o.Name); len(errs) > 0 {
			t.Errorf("%s %q: %v", o.Kind, o.Name, errs)
		}
	}
	find[*appsv1.Deployment](t, res, "Deployment", "web-frontend")
	find[*corev1.Service](t, res, "Service", "api-v2")
	find[*appsv1.Deployment](t, res, "Deployment", "x-9lives")
	wantWarning(t, res, "services.Web_Frontend", `renamed to "web-frontend"`)
	var longNames []string
	for _, o := range res.Objects {
		if o.Kind == "Deployment" && strings.HasPrefix(o.Name, "very-long") {
			longNames = append(longNames, o.Name)
			if len(o.Name) > 63 {
				t.Errorf("%s is %d characters long", o.Name, len(o.Name))
			}
		}
	}
	if len(longNames) != 2 || longNames[0] == longNames[1] {
		t.Errorf("long names not shortened to two distinct names: %v", longNames)
	}
}

func TestReproducible(t *testing.T) {
	compose := `
services:
  z: {image: z, ports: ["1:1"], networks: [n2, n1], environment: {B: "2", A: "1"}}
  a: {image: a, volumes: [data:/d], labels: {y: "1", x: "2"}, networks: [n1]}
  m: {image: m, depends_on: [z, a], networks: [n2]}
volumes: {data: {}}
networks: {n1: {}, n2: {}}
`
	var first []byte
	var firstWarnings string
	for i := 0; i < 5; i++ {
		res := convertText(t, compose)
		out, err := kube.Encode(res.Objects)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first, firstWarnings = out, warningText(res.Warnings)
			continue
		}
		if !bytes.Equal(out, first) || warningText(res.Warnings) != firstWarnings {
			t.Fatalf("run %d differs from run 0", i)
		}
	}
	for _, forbidden := range []string{"creationTimestamp", "status:", "berth-dev", "/tmp/"} {
		if bytes.Contains(first, []byte(forbidden)) {
			t.Errorf("output contains %q", forbidden)
		}
	}
}

// TestEveryKeyHasADisposition: the mapping table covers every service key
// compose-go knows, so a key added by a compose-go upgrade cannot pass
// through unreported.
func TestEveryKeyHasADisposition(t *testing.T) {
	known := map[string]bool{}
	for _, k := range kube.ServiceKeys() {
		known[k.Key] = true
		if k.Target == "" && k.Reason == "" {
			t.Errorf("%s: neither a target nor a reason", k.Key)
		}
	}
	typ := reflect.TypeOf(types.ServiceConfig{})
	for i := 0; i < typ.NumField(); i++ {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" || tag == "name" || strings.HasPrefix(tag, "#") {
			continue
		}
		if !known[tag] {
			t.Errorf("service key %s has no entry in the mapping table", tag)
		}
	}
}

// TestControllers: the workload kind follows the compose file (a restart:
// "no" one-shot that others wait for is a Job; a named volume with several
// replicas a StatefulSet; global mode a DaemonSet) or a label.
func TestControllers(t *testing.T) {
	res := convertText(t, `
services:
  app:
    image: app
    depends_on: {init: {condition: service_completed_successfully}}
  init: {image: init, restart: "no"}
  retry: {image: retry, restart: "on-failure:4", labels: {berth.kubernetes/controller: job}}
  db: {image: db, volumes: [data:/data], deploy: {replicas: 3}}
  agent: {image: agent, deploy: {mode: global}}
  pinned: {image: pinned, labels: {kompose.controller.type: statefulset}}
  odd: {image: odd, labels: {berth.kubernetes/controller: cronjob}}
volumes: {data: {}}
`)
	init := find[*batchv1.Job](t, res, "Job", "init")
	if init.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || *init.Spec.BackoffLimit != 0 {
		t.Errorf("init: %+v", init.Spec)
	}
	retry := find[*batchv1.Job](t, res, "Job", "retry")
	if retry.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyOnFailure || *retry.Spec.BackoffLimit != 4 {
		t.Errorf("retry: %+v", retry.Spec)
	}
	db := find[*appsv1.StatefulSet](t, res, "StatefulSet", "db")
	if *db.Spec.Replicas != 3 || len(db.Spec.VolumeClaimTemplates) != 1 || db.Spec.VolumeClaimTemplates[0].Name != "data" || db.Spec.ServiceName != "db" {
		t.Errorf("db: %+v", db.Spec)
	}
	if svc := find[*corev1.Service](t, res, "Service", "db"); svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Error("a StatefulSet's governing Service must be headless")
	}
	for _, o := range res.Objects {
		if o.Kind == "PersistentVolumeClaim" {
			t.Errorf("claim %s written beside the StatefulSet's claim template", o.Name)
		}
	}
	find[*appsv1.DaemonSet](t, res, "DaemonSet", "agent")
	find[*appsv1.StatefulSet](t, res, "StatefulSet", "pinned")
	find[*appsv1.Deployment](t, res, "Deployment", "odd")
	wantWarning(t, res, `services.odd.labels["berth.kubernetes/controller"]`, `"cronjob" is not one of`)
}

// TestNameClash: two compose names that clean to the same object name are
// an error, not an object silently replaced.
func TestNameClash(t *testing.T) {
	dir := t.TempDir()
	compose := "services:\n  web:\n    image: web\n    env_file: [web.env]\n    configs: [web-env]\nconfigs:\n  web-env: {content: x}\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "web.env"), []byte("A=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := kube.Convert(loadDir(t, dir, "compose.yaml"), kube.Options{})
	if err == nil || !strings.Contains(err.Error(), "ConfigMap web-env") {
		t.Errorf("err = %v", err)
	}
}

// TestDependsOnOutsideTheProject: a dependency that is not converted (an
// optional one in a profile that is off) is reported as such.
func TestDependsOnOutsideTheProject(t *testing.T) {
	res := convertText(t, `
services:
  web:
    image: web
    depends_on:
      debug: {condition: service_started, required: false}
  debug:
    image: debug
    profiles: [debug]
`)
	wantWarning(t, res, "services.web.depends_on.debug", "debug is not among the converted services")
	for _, o := range res.Objects {
		if o.Name == "debug" {
			t.Errorf("%s debug written for a disabled service", o.Kind)
		}
	}
}
