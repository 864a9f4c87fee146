package kubetest

import (
	"context"
	"reflect"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/berth-compose/berth/transform/kube"
)

// TestHelmChart writes the chart of each seed project with `--to helm`'s
// writer and holds it to Helm itself: `helm lint` finds nothing above INFO,
// `helm template` with the default values renders exactly the objects of
// `--to kubernetes`, values given at install time reach the objects, and
// the rendered objects pass the API server (when one is running).
func TestHelmChart(t *testing.T) {
	for _, p := range seeds(t) {
		t.Run(p.name(), func(t *testing.T) {
			res := convert(t, p)
			dir := t.TempDir()
			if err := kube.WriteChart(dir, res, kube.ChartOptions{}); err != nil {
				t.Fatal(err)
			}
			l := lint.RunAll(dir, nil, "default")
			for _, m := range l.Messages {
				if m.Severity > support.InfoSev {
					t.Errorf("helm lint: %s", m)
				} else {
					t.Logf("helm lint: %s", m)
				}
			}

			want, got := renderMatches(t, res, dir)

			// The values are the chart's knobs: each must reach its object.
			svc := firstWorkloadService(t, res)
			set := map[string]any{"services": map[string]any{svc: map[string]any{
				"image":     map[string]any{"repository": "registry.example/app", "tag": "9.9", "digest": ""},
				"replicas":  3,
				"resources": map[string]any{"limits": map[string]any{"memory": "64Mi"}},
				"service":   map[string]any{"type": "LoadBalancer"},
			}}}
			changed := render(t, dir, set)
			kind, name := kindOf(res, svc), nameOf(res, svc)
			m := changed[kind+"/"+name]
			ctrs, _, _ := unstructured.NestedSlice(m, "spec", "template", "spec", "containers")
			if len(ctrs) != 1 {
				t.Fatalf("rendered %s/%s has %d containers", kind, name, len(ctrs))
			}
			ctr, _ := ctrs[0].(map[string]any)
			if ctr["image"] != "registry.example/app:9.9" {
				t.Errorf("values image: rendered %v", ctr["image"])
			}
			if mem, _, _ := unstructured.NestedString(ctr, "resources", "limits", "memory"); mem != "64Mi" {
				t.Errorf("values resources: rendered limits.memory %q", mem)
			}
			if r, _, _ := unstructured.NestedFieldNoCopy(m, "spec", "replicas"); r != float64(3) {
				t.Errorf("values replicas: rendered %v (%T)", r, r)
			}
			if _, ok := want["Service/"+name]; ok {
				if typ, _, _ := unstructured.NestedString(changed["Service/"+name], "spec", "type"); typ != "LoadBalancer" {
					t.Errorf("values service.type: rendered %q", typ)
				}
			}

			// What helm install would send: accepted by the API server.
			if c := connectIfAny(t); c != nil {
				ns := namespaceFor(project{"helm", p.dir, p.file})
				var none []*unstructured.Unstructured
				c.withNamespace(t, ns, &none)
				for _, id := range sortedKeys(got) {
					u := &unstructured.Unstructured{Object: got[id]}
					u.SetNamespace(ns)
					if _, err := c.apply(context.Background(), u, true); err != nil {
						t.Errorf("dry run: rendered %s rejected: %v", id, err)
					}
				}
			}
		})
	}
}

// TestHelmChartEveryProject: for every golden fixture and corpus file
// too, the chart renders exactly the objects of --to kubernetes.
func TestHelmChartEveryProject(t *testing.T) {
	for _, p := range allProjects(t) {
		t.Run(p.name(), func(t *testing.T) {
			res := convert(t, p)
			dir := t.TempDir()
			if err := kube.WriteChart(dir, res, kube.ChartOptions{}); err != nil {
				t.Fatal(err)
			}
			renderMatches(t, res, dir)
		})
	}
}

// renderMatches renders the chart in dir with its default values and
// compares the objects with res's; it returns both, by kind/name.
func renderMatches(t *testing.T, res kube.Result, dir string) (want, got map[string]map[string]any) {
	t.Helper()
	want = map[string]map[string]any{}
	for _, o := range res.Objects {
		b, err := kube.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		want[o.Kind+"/"+o.Name] = parse(t, string(b))
	}
	got = render(t, dir, nil)
	for _, id := range sortedKeys(want) {
		if !reflect.DeepEqual(got[id], want[id]) {
			g, _ := yaml.Marshal(got[id])
			w, _ := yaml.Marshal(want[id])
			t.Errorf("helm template renders %s differently:\n--- --to kubernetes\n%s\n--- helm template\n%s", id, w, g)
		}
	}
	for _, id := range sortedKeys(got) {
		if _, ok := want[id]; !ok {
			t.Errorf("helm template renders %s, which --to kubernetes does not write", id)
		}
	}
	return want, got
}

// connectIfAny is connect, except that outside CI a missing server only
// leaves out the part of a test that needs it (connect skips the test).
func connectIfAny(t *testing.T) *cluster {
	var c *cluster
	t.Run("apiserver", func(t *testing.T) { c = connect(t) })
	return c
}

// render is `helm template` of the chart in dir with values over its own.
func render(t *testing.T, dir string, values map[string]any) map[string]map[string]any {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatalf("loading the chart: %v", err)
	}
	vals, err := util.ToRenderValues(ch, values, common.ReleaseOptions{Name: "berth", Namespace: "default", IsInstall: true}, nil)
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		t.Fatalf("helm template: %v", err)
	}
	out := map[string]map[string]any{}
	for name, text := range files {
		if !strings.HasSuffix(name, ".yaml") || strings.TrimSpace(text) == "" {
			continue
		}
		m := parse(t, text)
		u := unstructured.Unstructured{Object: m}
		out[u.GetKind()+"/"+u.GetName()] = m
	}
	return out
}

func parse(t *testing.T, text string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := yaml.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("%v:\n%s", err, text)
	}
	return m
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// firstWorkloadService is the first compose service with a workload and a
// Service, whose values the test changes.
func firstWorkloadService(t *testing.T, res kube.Result) string {
	t.Helper()
	for _, o := range res.Objects {
		if o.Kind == "Deployment" && o.Service != "" {
			return o.Service
		}
	}
	t.Fatal("no Deployment in the conversion")
	return ""
}

func kindOf(res kube.Result, service string) string {
	for _, o := range res.Objects {
		if o.Service == service && o.Kind != "Service" && o.Kind != "Secret" {
			return o.Kind
		}
	}
	return ""
}

func nameOf(res kube.Result, service string) string {
	for _, o := range res.Objects {
		if o.Service == service && o.Kind != "Service" && o.Kind != "Secret" {
			return o.Name
		}
	}
	return ""
}
