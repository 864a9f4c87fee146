package kube

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"
)

// Marshal renders one object as YAML: keys sorted, the empty status and
// empty structs of the Go types left out (except where an empty value means
// something: emptyDir: {}, podSelector: {}).
func Marshal(o Object) ([]byte, error) {
	j, err := json.Marshal(o.Obj)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
	}
	var m map[string]any
	if err := json.Unmarshal(j, &m); err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
	}
	prune(m)
	out, err := yaml.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", o.Kind, o.Name, err)
	}
	return out, nil
}

// keepEmpty are the keys whose empty mapping is meaningful.
var keepEmpty = map[string]bool{"emptyDir": true, "podSelector": true, "namespaceSelector": true}

// prune removes the status of objects and empty mappings, bottom-up.
func prune(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		if _, isObject := t["metadata"]; isObject {
			delete(t, "status") // of an object or a claim template, never a user's key
		}
		for k, child := range t {
			if prune(child) && !keepEmpty[k] {
				delete(t, k)
			}
		}
		return len(t) == 0
	case []any:
		for _, child := range t {
			prune(child)
		}
	}
	return false
}

// Encode renders objs as one multi-document YAML stream.
func Encode(objs []Object) ([]byte, error) {
	var buf bytes.Buffer
	for i, o := range objs {
		b, err := Marshal(o)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString("---\n")
		}
		buf.Write(b)
	}
	return buf.Bytes(), nil
}

// FileName is the file an object is written to by WriteDir.
func FileName(o Object) string {
	return strings.ToLower(o.Kind) + "-" + o.Name + ".yaml"
}

// WriteDir writes one file per object into dir (created if missing) plus a
// kustomization.yaml that lists them in order. Files an earlier WriteDir
// listed in its kustomization.yaml that are no longer written are removed,
// so that the directory holds exactly the conversion; no other file is
// touched.
func WriteDir(dir string, objs []Object) error {
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return fmt.Errorf("creating %s: %w", dir, err)
	}
	current := map[string]bool{}
	for _, o := range objs {
		current[FileName(o)] = true
	}
	for _, old := range listedResources(filepath.Join(dir, "kustomization.yaml")) {
		if !current[old] && filepath.Base(old) == old && strings.HasSuffix(old, ".yaml") {
			if err := os.Remove(filepath.Join(dir, old)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("removing %s: %w", old, err)
			}
		}
	}
	var k bytes.Buffer
	k.WriteString("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n")
	for _, o := range objs {
		b, err := Marshal(o)
		if err != nil {
			return err
		}
		name := FileName(o)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o666); err != nil {
			return fmt.Errorf("writing %s: %w", name, err)
		}
		fmt.Fprintf(&k, "- %s\n", name)
	}
	if err := os.WriteFile(filepath.Join(dir, "kustomization.yaml"), k.Bytes(), 0o666); err != nil {
		return fmt.Errorf("writing kustomization.yaml: %w", err)
	}
	return nil
}

// listedResources reads the resources of a kustomization.yaml that WriteDir
// wrote; nothing when there is none or it is not one of berth's.
func listedResources(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var k struct {
		Kind      string   `json:"kind"`
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil || k.Kind != "Kustomization" {
		return nil
	}
	return k.Resources
}
