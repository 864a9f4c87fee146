package kube_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/berth-compose/berth/internal/corpustest"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metavalidation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform/kube"
)

var update = flag.Bool("update", false, "rewrite golden files")

// testEnv is the whole environment of a conversion in tests: nothing of the
// machine running the tests leaks into interpolation.
var testEnv = []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}

// loadDir loads the compose files of dir the way berth-kube does.
func loadDir(t testing.TB, dir string, files ...string) *load.Project {
	t.Helper()
	var paths []string
	for _, f := range files {
		paths = append(paths, filepath.Join(dir, f))
	}
	p, err := load.Load(context.Background(), load.Options{
		Files:           paths,
		ProjectDir:      dir,
		Env:             testEnv,
		KeepEnvFile:     true,
		NoEnvResolution: true,
	})
	if err != nil {
		t.Fatalf("loading %s: %v", dir, err)
	}
	return p
}

// convertText converts a compose file given as text, in a fresh directory
// named after the project.
func convertText(t *testing.T, compose string) kube.Result {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := kube.Convert(loadDir(t, dir, "compose.yaml"), kube.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, res.Objects)
	return res
}

func warningText(ws []kube.Warning) string {
	var b strings.Builder
	for _, w := range ws {
		b.WriteString(w.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// newOf returns a new zero value of the type of obj.
func newOf(obj any) any {
	return reflect.New(reflect.TypeOf(obj).Elem()).Interface()
}

// checkObjects is what a cluster would check first: the stream splits back
// into the objects, each decodes strictly (unknown or duplicate fields are
// errors) into its k8s.io/api type, and names, labels, annotations and the
// names inside pod templates pass apimachinery's validation.
func checkObjects(t *testing.T, objs []kube.Object) {
	t.Helper()
	stream, err := kube.Encode(objs)
	if err != nil {
		t.Fatal(err)
	}
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(stream)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		docs = append(docs, doc)
	}
	if len(docs) != len(objs) {
		t.Fatalf("stream has %d documents for %d objects", len(docs), len(objs))
	}
	seen := map[string]bool{}
	for i, o := range objs {
		id := o.Kind + "/" + o.Name
		if seen[id] {
			t.Errorf("%s written twice", id)
		}
		seen[id] = true
		typed := newOf(o.Obj)
		if err := yaml.UnmarshalStrict(docs[i], typed); err != nil {
			t.Errorf("%s does not decode strictly: %v\n%s", id, err, docs[i])
			continue
		}
		for _, e := range validate(o.Kind, typed) {
			t.Errorf("%s: %v", id, e)
		}
	}
}

func validate(kind string, obj any) field.ErrorList {
	var errs field.ErrorList
	meta := reflect.ValueOf(obj).Elem().FieldByName("ObjectMeta").Addr().Interface().(*metav1.ObjectMeta)
	nameFn := apivalidation.NameIsDNSSubdomain
	if kind == "Service" {
		nameFn = apivalidation.NameIsDNS1035Label
	}
	// Every kind berth writes is namespaced but the Namespace itself; an
	// object carries one only under Options.Namespace.
	namespaced := kind != "Namespace" && meta.Namespace != ""
	errs = append(errs, apivalidation.ValidateObjectMeta(meta, namespaced, nameFn, field.NewPath("metadata"))...)
	errs = append(errs, metavalidation.ValidateLabels(meta.Labels, field.NewPath("metadata", "labels"))...)
	var tmpl *corev1.PodTemplateSpec
	var selector *metav1.LabelSelector
	switch o := obj.(type) {
	case *appsv1.Deployment:
		tmpl, selector = &o.Spec.Template, o.Spec.Selector
	case *appsv1.StatefulSet:
		tmpl, selector = &o.Spec.Template, o.Spec.Selector
		if o.Spec.ServiceName == "" {
			errs = append(errs, field.Required(field.NewPath("spec", "serviceName"), ""))
		}
	case *appsv1.DaemonSet:
		tmpl, selector = &o.Spec.Template, o.Spec.Selector
	case *batchv1.Job:
		tmpl = &o.Spec.Template
		if p := tmpl.Spec.RestartPolicy; p != corev1.RestartPolicyNever && p != corev1.RestartPolicyOnFailure {
			errs = append(errs, field.Invalid(field.NewPath("spec", "template", "spec", "restartPolicy"), p, "a Job's pods must not restart always"))
		}
	case *corev1.Service:
		for i, p := range o.Spec.Ports {
			fp := field.NewPath("spec", "ports").Index(i)
			if len(o.Spec.Ports) > 1 || p.Name != "" {
				for _, m := range validation.IsValidPortName(p.Name) {
					errs = append(errs, field.Invalid(fp.Child("name"), p.Name, m))
				}
			}
			for _, m := range validation.IsValidPortNum(int(p.Port)) {
				errs = append(errs, field.Invalid(fp.Child("port"), p.Port, m))
			}
		}
		if len(o.Spec.Ports) == 0 && o.Spec.ClusterIP != corev1.ClusterIPNone {
			errs = append(errs, field.Required(field.NewPath("spec", "ports"), "only a headless Service may have no ports"))
		}
		errs = append(errs, metavalidation.ValidateLabels(o.Spec.Selector, field.NewPath("spec", "selector"))...)
	case *corev1.ConfigMap:
		for k := range o.Data {
			for _, m := range validation.IsConfigMapKey(k) {
				errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, m))
			}
		}
	case *corev1.Secret:
		for k := range o.Data {
			for _, m := range validation.IsConfigMapKey(k) {
				errs = append(errs, field.Invalid(field.NewPath("data").Key(k), k, m))
			}
		}
	case *networkingv1.NetworkPolicy:
		errs = append(errs, metavalidation.ValidateLabelSelector(&o.Spec.PodSelector, metavalidation.LabelSelectorValidationOptions{}, field.NewPath("spec", "podSelector"))...)
	}
	if tmpl == nil {
		return errs
	}
	tp := field.NewPath("spec", "template")
	errs = append(errs, metavalidation.ValidateLabels(tmpl.Labels, tp.Child("metadata", "labels"))...)
	errs = append(errs, apivalidation.ValidateAnnotations(tmpl.Annotations, tp.Child("metadata", "annotations"))...)
	if selector != nil {
		for k, v := range selector.MatchLabels {
			if tmpl.Labels[k] != v {
				errs = append(errs, field.Invalid(field.NewPath("spec", "selector"), k, "does not match the template's labels"))
			}
		}
	}
	names := map[string]bool{}
	for i, v := range tmpl.Spec.Volumes {
		for _, m := range validation.IsDNS1123Label(v.Name) {
			errs = append(errs, field.Invalid(tp.Child("spec", "volumes").Index(i).Child("name"), v.Name, m))
		}
		names[v.Name] = true
	}
	claims := map[string]bool{}
	if ss, ok := obj.(*appsv1.StatefulSet); ok {
		for _, c := range ss.Spec.VolumeClaimTemplates {
			claims[c.Name] = true
		}
	}
	for i, c := range tmpl.Spec.Containers {
		cp := tp.Child("spec", "containers").Index(i)
		for _, m := range validation.IsDNS1123Label(c.Name) {
			errs = append(errs, field.Invalid(cp.Child("name"), c.Name, m))
		}
		if c.Image == "" {
			errs = append(errs, field.Required(cp.Child("image"), ""))
		}
		mounts := map[string]bool{}
		for j, m := range c.VolumeMounts {
			if !names[m.Name] && !claims[m.Name] {
				errs = append(errs, field.NotFound(cp.Child("volumeMounts").Index(j).Child("name"), m.Name))
			}
			if mounts[m.MountPath] {
				errs = append(errs, field.Duplicate(cp.Child("volumeMounts").Index(j).Child("mountPath"), m.MountPath))
			}
			mounts[m.MountPath] = true
		}
		for j, p := range c.Ports {
			for _, m := range validation.IsValidPortNum(int(p.ContainerPort)) {
				errs = append(errs, field.Invalid(cp.Child("ports").Index(j), p.ContainerPort, m))
			}
		}
	}
	return errs
}

// corpusDir finds the shared corpus (see internal/corpustest).
func corpusDir(t testing.TB) string { return corpustest.Dir(t) }

// corpusFiles are the corpus files that load (see internal/corpustest).
func corpusFiles(t testing.TB) []string { return corpustest.Loadable(t) }

// TestCorpus converts every loadable corpus file: no error, every object
// passes checkObjects, and the output is the same on a second run. It logs
// the warnings per key across the corpus (go test -v -run TestCorpus).
func TestCorpus(t *testing.T) {
	files := corpusFiles(t)
	if len(files) != 38 {
		t.Errorf("%d loadable corpus files, want 38", len(files))
	}
	counts := map[string]int{}
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f))
		t.Run(name, func(t *testing.T) {
			p := loadDir(t, filepath.Dir(f), filepath.Base(f))
			res, err := kube.Convert(p, kube.Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkObjects(t, res.Objects)
			for _, w := range res.Warnings {
				counts[w.Key]++
				if w.Pos.Line == 0 || strings.HasPrefix(w.Pos.File, "/") {
					t.Errorf("warning without a relative file:line:col: %s", w)
				}
			}
			again, err := kube.Convert(loadDir(t, filepath.Dir(f), filepath.Base(f)), kube.Options{})
			if err != nil {
				t.Fatal(err)
			}
			a, _ := kube.Encode(res.Objects)
			b, _ := kube.Encode(again.Objects)
			if !bytes.Equal(a, b) || warningText(res.Warnings) != warningText(again.Warnings) {
				t.Error("two conversions differ")
			}
			if bytes.Contains(a, []byte(filepath.Dir(f))) {
				t.Error("the output contains a host path")
			}
		})
	}
	keys := slices.Sorted(maps.Keys(counts))
	sort.SliceStable(keys, func(i, j int) bool { return counts[keys[i]] > counts[keys[j]] })
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%5d  %s\n", counts[k], k)
	}
	t.Logf("warnings per key across %d corpus files:\n%s", len(files), b.String())
}

// BenchmarkConvert converts the largest corpus file (already loaded) and
// encodes the stream: the work berth-kube adds to loading.
func BenchmarkConvert(b *testing.B) {
	dir := filepath.Join(corpusDir(b), "awesome", "pihole-cloudflared-DoH")
	p := loadDir(b, dir, "compose.yaml")
	b.ReportAllocs()
	for b.Loop() {
		res, err := kube.Convert(p, kube.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := kube.Encode(res.Objects); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadAndConvert is the whole conversion of the largest corpus file
// from the file on disk, as berth-kube does it.
func BenchmarkLoadAndConvert(b *testing.B) {
	dir := filepath.Join(corpusDir(b), "awesome", "pihole-cloudflared-DoH")
	b.ReportAllocs()
	for b.Loop() {
		res, err := kube.Convert(loadDir(b, dir, "compose.yaml"), kube.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := kube.Encode(res.Objects); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLargeProject converts the 57-service benchmark project: every object
// passes the checks.
func TestLargeProject(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "bench", "large"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := kube.Convert(loadDir(t, dir, "compose.yaml"), kube.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) < 57 {
		t.Errorf("%d objects for 57 services", len(res.Objects))
	}
	checkObjects(t, res.Objects)
}
