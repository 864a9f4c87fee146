package kube_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-compose/berth/transform/kube"
)

// TestKustomizeBuilds hands the -o DIR/ layout of the feature fixture to
// kubectl's own kustomize, which must build it into the same objects. It
// needs kubectl (no cluster): without it the test skips and says so.
func TestKustomizeBuilds(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skip("kubectl not found: the kustomization.yaml of -o DIR/ is not built by kustomize here")
	}
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "kube", "features"))
	if err != nil {
		t.Fatal(err)
	}
	res, err := kube.Convert(loadDir(t, dir, "compose.yaml"), kube.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := kube.WriteDir(out, res.Objects); err != nil {
		t.Fatal(err)
	}
	built, err := exec.Command(kubectl, "kustomize", out).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize: %v\n%s", err, built)
	}
	var kinds []string
	for _, line := range strings.Split(string(built), "\n") {
		if k, ok := strings.CutPrefix(line, "kind: "); ok {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != len(res.Objects) {
		t.Errorf("kustomize built %d objects, berth wrote %d", len(kinds), len(res.Objects))
	}
	for _, o := range res.Objects {
		if !strings.Contains(string(built), "kind: "+o.Kind+"\nmetadata:") || !strings.Contains(string(built), "name: "+o.Name+"\n") {
			t.Errorf("%s %s missing from kustomize's build", o.Kind, o.Name)
		}
	}
}

// TestWriteDirReplaces: a second conversion into the same directory leaves
// exactly its own files (and the user's other files alone).
func TestWriteDirReplaces(t *testing.T) {
	out := t.TempDir()
	first := convertText(t, "services:\n  a: {image: a, ports: ['80:80']}\n  b: {image: b}\n")
	if err := kube.WriteDir(out, first.Objects); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(out, "notes.md"), []byte("mine"), 0o644); err != nil {
		t.Fatal(err)
	}
	second := convertText(t, "services:\n  a: {image: a}\n")
	if err := kube.WriteDir(out, second.Objects); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(out)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{"deployment-a.yaml", "kustomization.yaml", "networkpolicy-network-default.yaml", "notes.md"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("directory holds %v, want %v", got, want)
	}
}
