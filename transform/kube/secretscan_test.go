package kube_test

import (
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/berth-compose/berth/internal/sensitive"
	"github.com/berth-compose/berth/transform/kube"
)

// TestNoSecretLeftInWorkloads scans the conversion of every seed project,
// every golden fixture and every loadable corpus file: no workload or
// ConfigMap holds a secret-looking variable's value, nor any value that a
// Secret of the same output holds. The count across all of them must be 0.
func TestNoSecretLeftInWorkloads(t *testing.T) {
	root := filepath.Join("..", "..", "testdata")
	var files []string
	for _, seed := range []string{"flask-redis", "nginx-lb", "healthcheck"} {
		files = append(files, filepath.Join(root, "seed", seed, "docker-compose.yml"))
	}
	files = append(files, filepath.Join(root, "kube", "features", "compose.yaml"))
	samples, err := filepath.Glob(filepath.Join(root, "kube", "corpus", "*", "compose.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	files = append(files, samples...)
	files = append(files, corpusFiles(t)...)
	leaks, scanned := 0, 0
	for _, f := range files {
		dir, err := filepath.Abs(filepath.Dir(f))
		if err != nil {
			t.Fatal(err)
		}
		res, err := kube.Convert(loadDir(t, dir, filepath.Base(f)), kube.Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, leak := range secretLeaks(t, res.Objects) {
			t.Errorf("%s: %s", f, leak)
			leaks++
		}
		scanned++
	}
	t.Logf("%d conversions scanned, %d secret-looking values outside Secrets", scanned, leaks)
}

// minLeakLen is the shortest Secret value looked for elsewhere: a shorter
// one ("1", "yes") turns up by chance.
const minLeakLen = 4

// secretLeaks are the secret-looking values written where a value is used
// (environment, command, args, probe and hook commands, ConfigMap data) of
// a workload or ConfigMap: a variable named like a secret with a plain
// value, or the value of one of the output's Secrets (not a file path,
// which says where a secret is; not a name or label, which only equal it).
func secretLeaks(t *testing.T, objs []kube.Object) []string {
	secrets := map[string]string{} // value -> Secret/key, named in a failure (never the value)
	for _, o := range objs {
		if s, ok := o.Obj.(*corev1.Secret); ok {
			for k, v := range s.Data {
				if len(v) >= minLeakLen && !strings.HasPrefix(string(v), "/") {
					secrets[string(v)] = s.Name + "/" + k
				}
			}
		}
	}
	var leaks []string
	check := func(o kube.Object, where, text string) {
		for v, ref := range secrets {
			if strings.Contains(text, v) {
				leaks = append(leaks, o.Kind+" "+o.Name+" "+where+" holds the value of Secret "+ref)
			}
		}
	}
	for _, o := range objs {
		var pod *corev1.PodSpec
		switch obj := o.Obj.(type) {
		case *appsv1.Deployment:
			pod = &obj.Spec.Template.Spec
		case *appsv1.StatefulSet:
			pod = &obj.Spec.Template.Spec
		case *appsv1.DaemonSet:
			pod = &obj.Spec.Template.Spec
		case *batchv1.Job:
			pod = &obj.Spec.Template.Spec
		case *corev1.ConfigMap:
			for k, v := range obj.Data {
				if sensitive.Name(k) {
					leaks = append(leaks, o.Kind+" "+o.Name+" holds "+k)
				}
				check(o, "data "+k, v)
			}
		}
		if pod == nil {
			continue
		}
		for _, c := range pod.Containers {
			for _, e := range c.Env {
				if sensitive.Name(e.Name) && e.Value != "" {
					leaks = append(leaks, o.Kind+" "+o.Name+" sets "+e.Name+" in plain text")
				}
				check(o, "env "+e.Name, e.Value)
			}
			check(o, "command", strings.Join(c.Command, " "))
			check(o, "args", strings.Join(c.Args, " "))
			for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe, c.StartupProbe} {
				if p != nil && p.Exec != nil {
					check(o, "probe", strings.Join(p.Exec.Command, " "))
				}
			}
			if l := c.Lifecycle; l != nil {
				for _, h := range []*corev1.LifecycleHandler{l.PostStart, l.PreStop} {
					if h != nil && h.Exec != nil {
						check(o, "lifecycle hook", strings.Join(h.Exec.Command, " "))
					}
				}
			}
		}
	}
	return leaks
}
