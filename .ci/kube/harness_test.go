package kubetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"

	"github.com/berth-compose/berth/transform/kube"
)

// fieldManager is the field manager of every apply, as `berth` would be.
const fieldManager = "berth"

// cluster is a connection to the API server the tests run against.
type cluster struct {
	dyn    dynamic.Interface
	core   kubernetes.Interface
	mapper meta.RESTMapper
}

// connect reaches the API server that scripts/kube-apiserver.sh started
// (BERTH_TEST_KUBE_SERVER, BERTH_TEST_KUBE_TOKEN). Without one the test
// skips and says why, except under CI=true, where it fails.
func connect(t *testing.T) *cluster {
	t.Helper()
	server, token := os.Getenv("BERTH_TEST_KUBE_SERVER"), os.Getenv("BERTH_TEST_KUBE_TOKEN")
	if server == "" || token == "" {
		msg := "no kube-apiserver: BERTH_TEST_KUBE_SERVER and BERTH_TEST_KUBE_TOKEN are not set (start one with scripts/kube-apiserver.sh start DIR)"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	// The server's certificate is self-signed, made at its start.
	cfg := &rest.Config{Host: server, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{Insecure: true}, QPS: 200, Burst: 400}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	core, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := core.Discovery().RESTClient().Get().AbsPath("/readyz").DoRaw(ctx); err != nil {
		t.Fatalf("kube-apiserver at %s is not ready: %v", server, err)
	}
	return &cluster{dyn: dyn, core: core, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(disc))}
}

// unstructuredOf is o as the API server receives it.
func unstructuredOf(o kube.Object, namespace string) (*unstructured.Unstructured, error) {
	b, err := json.Marshal(o.Obj)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		return nil, err
	}
	u.SetNamespace(namespace)
	return u, nil
}

func (c *cluster) resource(u *unstructured.Unstructured) (dynamic.ResourceInterface, error) {
	gvk := u.GroupVersionKind()
	m, err := c.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", gvk, err)
	}
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		return c.dyn.Resource(m.Resource).Namespace(u.GetNamespace()), nil
	}
	return c.dyn.Resource(m.Resource), nil
}

// apply server-side-applies u (as a dry run when dryRun) without forcing:
// a conflict with another field manager is an error too.
func (c *cluster) apply(ctx context.Context, u *unstructured.Unstructured, dryRun bool) (*unstructured.Unstructured, error) {
	ri, err := c.resource(u)
	if err != nil {
		return nil, err
	}
	opts := metav1.ApplyOptions{FieldManager: fieldManager}
	if dryRun {
		opts.DryRun = []string{metav1.DryRunAll}
	}
	return ri.Apply(ctx, u.GetName(), u, opts)
}

// withNamespace creates namespace for the duration of the test; at its end
// every object in objs is deleted (finalizers first: no controller runs to
// remove them), then the namespace, finalized by hand for the same reason.
func (c *cluster) withNamespace(t *testing.T, namespace string, created *[]*unstructured.Unstructured) {
	t.Helper()
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: map[string]string{"app.kubernetes.io/managed-by": "berth-tests"}}}
	if _, err := c.core.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{FieldManager: fieldManager}); err != nil {
		t.Fatalf("creating namespace %s: %v", namespace, err)
	}
	t.Cleanup(func() {
		if err := c.removeNamespace(ctx, namespace, *created); err != nil {
			t.Errorf("cleaning up namespace %s: %v", namespace, err)
		}
	})
}

func (c *cluster) removeNamespace(ctx context.Context, namespace string, objs []*unstructured.Unstructured) error {
	var errs []error
	for _, u := range objs {
		ri, err := c.resource(u)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if _, err := ri.Patch(ctx, u.GetName(), types.MergePatchType, []byte(`{"metadata":{"finalizers":null}}`), metav1.PatchOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err))
		}
		if err := ri.Delete(ctx, u.GetName(), metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("%s %s: %w", u.GetKind(), u.GetName(), err))
		}
	}
	nss := c.core.CoreV1().Namespaces()
	if err := nss.Delete(ctx, namespace, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return errors.Join(append(errs, err)...)
	}
	// No namespace controller runs: empty its finalizers so that it goes.
	ns, err := nss.Get(ctx, namespace, metav1.GetOptions{})
	if err == nil {
		ns.Spec.Finalizers = nil
		if _, err := nss.Finalize(ctx, ns, metav1.UpdateOptions{}); err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, err)
		}
	} else if !apierrors.IsNotFound(err) {
		errs = append(errs, err)
	}
	for i := 0; i < 50; i++ {
		if _, err := nss.Get(ctx, namespace, metav1.GetOptions{}); apierrors.IsNotFound(err) {
			return errors.Join(errs...)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return errors.Join(append(errs, fmt.Errorf("namespace %s is still there", namespace))...)
}
