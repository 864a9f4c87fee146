package kube_test

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-compose/berth/transform/kube"
)

// TestNamespace: with Options.Namespace every object is in it, and the
// stream begins with the Namespace itself, so that `kubectl apply -f`
// creates it before what goes into it.
func TestNamespace(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "kube", "features"))
	if err != nil {
		t.Fatal(err)
	}
	p := loadDir(t, dir, "compose.yaml")
	plain, err := kube.Convert(p, kube.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := kube.Convert(p, kube.Options{Namespace: "shop"})
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, res.Objects)
	if len(res.Objects) != len(plain.Objects)+1 {
		t.Fatalf("%d objects with a namespace, %d without: want one more, the Namespace", len(res.Objects), len(plain.Objects))
	}
	if first := res.Objects[0]; first.Kind != "Namespace" || first.Name != "shop" {
		t.Fatalf("first object is %s %s, want Namespace shop", first.Kind, first.Name)
	}
	for _, o := range res.Objects[1:] {
		if ns := o.Obj.(v1.Object).GetNamespace(); ns != "shop" {
			t.Errorf("%s %s: namespace %q, want shop", o.Kind, o.Name, ns)
		}
	}
	for _, o := range plain.Objects {
		if ns := o.Obj.(v1.Object).GetNamespace(); ns != "" {
			t.Errorf("without Options.Namespace, %s %s has namespace %q", o.Kind, o.Name, ns)
		}
	}
	for _, bad := range []string{"Shop", "shop_1", "-shop", strings.Repeat("a", 64)} {
		if _, err := kube.Convert(p, kube.Options{Namespace: bad}); err == nil || !strings.Contains(err.Error(), "namespace") {
			t.Errorf("namespace %q: err %v, want a refusal naming the namespace", bad, err)
		}
	}
}
