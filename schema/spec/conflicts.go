package spec

import (
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/schema/rules"
)

// The checks below are the ones compose-go makes outside its JSON Schema
// and refuses a file for (its validation package, and the loader's
// dockerfile check): keys that exclude each other, and a few values. They
// are judged on the same data as the schema; the "one of them must be
// set" half is not checked per file, since another file of the project
// may provide it.
var exclusiveSets = []struct {
	pattern []string // "*" matches any key or index
	keys    []string
}{
	{[]string{"secrets", "*"}, []string{"file", "environment"}},
	{[]string{"configs", "*"}, []string{"file", "environment", "content"}},
	{[]string{"services", "*", "build"}, []string{"dockerfile", "dockerfile_inline"}},
	{[]string{"services", "*", "deploy", "resources", "reservations", "devices", "*"}, []string{"count", "device_ids"}},
	{[]string{"services", "*", "gpus", "*"}, []string{"count", "device_ids"}},
}

func conflictingKeys(filename string, d *document) []rules.Violation {
	var out []rules.Violation
	keyAt := func(loc []string, k *yaml.Node, msg string) {
		out = append(out, rules.Violation{File: filename, Line: k.Line, Col: k.Column, Path: formatPath(d.path(loc)),
			Rule: rules.RuleConflictingKeys, Message: msg})
	}
	for _, set := range exclusiveSets {
		d.forEach(set.pattern, func(n *yaml.Node, m map[string]any, loc []string) {
			var seen []string
			// In the order written, so that the second key is the one reported.
			for _, kv := range entries(n) {
				k := kv[0].Value
				if _, ok := m[k]; !ok || !slices.Contains(set.keys, k) {
					continue
				}
				if len(seen) > 0 {
					keyAt(append(slices.Clone(loc), k), kv[0], fmt.Sprintf("%q cannot be used together with %q in %s", k, seen[0], describeParent(d.path(loc))))
				}
				seen = append(seen, k)
			}
		})
	}
	// compose-go refuses other keys next to `external: true` on volumes only.
	d.forEach([]string{"volumes", "*"}, func(n *yaml.Node, m map[string]any, loc []string) {
		if ext, _ := m["external"].(bool); !ext {
			return
		}
		for _, kv := range entries(n) {
			k := kv[0].Value
			if _, ok := m[k]; !ok || k == "external" || k == "name" || strings.HasPrefix(k, "x-") {
				continue
			}
			keyAt(append(slices.Clone(loc), k), kv[0], fmt.Sprintf("%q cannot be set on external %s: it is managed outside this project", k, describeParent(d.path(loc))))
		}
	})
	d.forEach([]string{"services", "*", "ports", "*"}, func(n *yaml.Node, m map[string]any, loc []string) {
		ip, ok := m["host_ip"].(string)
		l := append(slices.Clone(loc), "host_ip")
		if !ok || net.ParseIP(ip) != nil || d.skip[locKey(l)] {
			return
		}
		for _, kv := range entries(n) {
			if kv[0].Value != "host_ip" {
				continue
			}
			line, col := valuePos(kv[1])
			where := formatPath(d.path(l))
			out = append(out, rules.Violation{File: filename, Line: line, Col: col, Path: where, Rule: rules.RuleInvalidValue,
				Message: fmt.Sprintf("%s: invalid value %s, allowed: an IP address", where, shortValue(kv[1]))})
		}
	})
	// compose-go's validation refuses a blank develop.watch path.
	d.forEach([]string{"services", "*", "develop", "watch", "*"}, func(n *yaml.Node, m map[string]any, loc []string) {
		l := append(slices.Clone(loc), "path")
		if path, ok := m["path"].(string); !ok || path != "" || d.skip[locKey(l)] {
			return
		}
		for _, kv := range entries(n) {
			if kv[0].Value == "path" {
				line, col := valuePos(kv[1])
				where := formatPath(d.path(l))
				out = append(out, rules.Violation{File: filename, Line: line, Col: col, Path: where, Rule: rules.RuleInvalidValue,
					Message: where + ": value can't be blank"})
			}
		}
	})
	return out
}

// forEach calls fn for every mapping matching pattern, with its node, its
// data as written (after substitution) and its location.
func (d *document) forEach(pattern []string, fn func(*yaml.Node, map[string]any, []string)) {
	var walk func(n *yaml.Node, v any, pat, loc []string)
	walk = func(n *yaml.Node, v any, pat, loc []string) {
		n = deref(n)
		if n == nil {
			return
		}
		if len(pat) == 0 {
			if m, ok := v.(map[string]any); ok && n.Kind == yaml.MappingNode {
				fn(n, m, loc)
			}
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for _, kv := range entries(n) {
				k := kv[0].Value
				if e, ok := x[k]; ok && (pat[0] == "*" || pat[0] == k) {
					walk(kv[1], e, pat[1:], append(slices.Clone(loc), k))
				}
			}
		case []any:
			if pat[0] != "*" || n.Kind != yaml.SequenceNode {
				return
			}
			its := items(n)
			for i, e := range x {
				if i < len(its) {
					walk(its[i], e, pat[1:], append(slices.Clone(loc), strconv.Itoa(i)))
				}
			}
		}
	}
	walk(d.root, d.orig, pattern, nil)
}
