package kubetest

import (
	"context"
	"reflect"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/berth-compose/berth/transform/kube"
)

// TestAPIServerAcceptsConversions hands every converted seed project,
// golden fixture and corpus file to a real kube-apiserver: a server-side
// apply in dry run of each object (admission, defaulting and validation
// happen there, not in the Go types), in a namespace per project; then an
// apply for real, a second conversion and a second apply, which must
// change nothing (the same fields, owners and generation: the output is
// stable and berth's field manager does not fight the server's defaults).
func TestAPIServerAcceptsConversions(t *testing.T) {
	c := connect(t)
	projects := allProjects(t)
	rejected, changed, objects := 0, 0, 0
	for _, p := range projects {
		t.Run(p.name(), func(t *testing.T) {
			ctx := context.Background()
			ns := namespaceFor(p)
			var created []*unstructured.Unstructured
			c.withNamespace(t, ns, &created)
			objs := toApply(t, convert(t, p).Objects, ns)
			for _, u := range objs {
				if _, err := c.apply(ctx, u, true); err != nil {
					t.Errorf("dry run: %s %s rejected: %v", u.GetKind(), u.GetName(), err)
					rejected++
				}
			}
			if t.Failed() {
				return
			}
			// What the first apply stored, without what every write renews:
			// a PersistentVolumeClaim gets a new resourceVersion on every
			// update even when nothing in it changes (the server's write).
			stored := map[string]map[string]any{}
			for _, u := range objs {
				got, err := c.apply(ctx, u, false)
				if err != nil {
					t.Errorf("apply: %s %s rejected: %v", u.GetKind(), u.GetName(), err)
					rejected++
					continue
				}
				created = append(created, u)
				stored[u.GetKind()+"/"+u.GetName()] = content(got)
			}
			for _, u := range toApply(t, convert(t, p).Objects, ns) {
				got, err := c.apply(ctx, u, false)
				if err != nil {
					t.Errorf("second apply: %s %s: %v", u.GetKind(), u.GetName(), err)
					changed++
					continue
				}
				id := u.GetKind() + "/" + u.GetName()
				if before, ok := stored[id]; !ok || !reflect.DeepEqual(before, content(got)) {
					t.Errorf("second apply changed %s:\n%v\nthen\n%v", id, before, content(got))
					changed++
				}
			}
			objects += len(objs)
		})
	}
	t.Logf("%d projects, %d objects: %d rejected, %d changed by the second apply", len(projects), objects, rejected, changed)
}

// content is an object as stored, less its resourceVersion and the times
// of its managedFields: a change in fields, owners or generation shows.
func content(u *unstructured.Unstructured) map[string]any {
	c := u.DeepCopy()
	c.SetResourceVersion("")
	mf := c.GetManagedFields()
	for i := range mf {
		mf[i].Time = nil
	}
	c.SetManagedFields(mf)
	return c.Object
}

func toApply(t *testing.T, objs []kube.Object, namespace string) []*unstructured.Unstructured {
	t.Helper()
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.Kind == "Namespace" {
			continue // each project gets a namespace of its own
		}
		u, err := unstructuredOf(o, namespace)
		if err != nil {
			t.Fatalf("%s %s: %v", o.Kind, o.Name, err)
		}
		out = append(out, u)
	}
	return out
}
