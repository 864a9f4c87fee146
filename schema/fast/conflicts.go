package fast

import (
	"fmt"
	"slices"
	"strings"

	"github.com/berth-compose/berth/schema/rules"
	yaml "go.yaml.in/yaml/v4"
)

// The checks below mirror schema/conflicts.go: rules that compose-go
// enforces outside its JSON Schema (or that Docker Engine enforces at
// container creation), which package schema adds to the CUE verdict. They
// are kept word for word in behaviour so the equivalence test can hold the
// two validators to the same output.

// exclusiveSets are keys compose-go's semantic validation refuses to see
// together. The "one of them must be set" half is not checked per file:
// another file of the project may provide it.
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

// externalKinds are the resources where `external: true` forbids every
// other key but name.
var externalKinds = []string{"networks", "volumes", "secrets", "configs"}

// portProtocols are the protocols Docker Engine accepts for a published
// port; the JSON Schema types `protocol` as any string.
var portProtocols = []string{"tcp", "udp", "sctp"}

// allPairs is the entry list package schema's conflict checks walk:
// explicit entries including repeats, then merged ones not set explicitly.
func allPairs(n *yaml.Node) [][2]*yaml.Node {
	ps, dups := pairs(n, 0)
	if len(dups) == 0 {
		return ps
	}
	// Rebuild in document order with repeats, as schema.pairs does.
	n = derefYAML(n)
	var explicit [][2]*yaml.Node
	have := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i]; !isMergeKey(k) {
			explicit = append(explicit, [2]*yaml.Node{k, n.Content[i+1]})
			have[k.Value] = true
		}
	}
	for _, kv := range ps {
		if !have[kv[0].Value] {
			explicit = append(explicit, kv)
		}
	}
	return explicit
}

func conflictingKeys(filename string, root *yaml.Node) []rules.Violation {
	var out []rules.Violation
	for _, set := range exclusiveSets {
		forEach(root, set.pattern, nil, 0, func(n *yaml.Node, p []pathElem) {
			var seen []string
			for _, kv := range allPairs(n) {
				k := kv[0].Value
				for _, want := range set.keys {
					if k != want {
						continue
					}
					if len(seen) > 0 {
						out = append(out, rules.Violation{File: filename, Line: kv[0].Line, Col: kv[0].Column,
							Path: formatPath(append(p, pathElem{key: k})), Rule: rules.RuleConflictingKeys,
							Message: fmt.Sprintf("%q cannot be used together with %q in %s", k, seen[0], describeParent(p))})
					}
					seen = append(seen, k)
				}
			}
		})
	}
	for _, kind := range externalKinds {
		forEach(root, []string{kind, "*"}, nil, 0, func(n *yaml.Node, p []pathElem) {
			ps := allPairs(n)
			external := false
			for _, kv := range ps {
				if kv[0].Value == "external" && kv[1].Kind == yaml.ScalarNode && kv[1].Value == "true" {
					external = true
				}
			}
			if !external {
				return
			}
			for _, kv := range ps {
				k := kv[0].Value
				if k == "external" || k == "name" || strings.HasPrefix(k, "x-") {
					continue
				}
				out = append(out, rules.Violation{File: filename, Line: kv[0].Line, Col: kv[0].Column,
					Path: formatPath(append(p, pathElem{key: k})), Rule: rules.RuleConflictingKeys,
					Message: fmt.Sprintf("%q cannot be set on external %s: it is managed outside this project", k, describeParent(p))})
			}
		})
	}
	return out
}

func badProtocols(filename string, root *yaml.Node) []rules.Violation {
	var out []rules.Violation
	forEach(root, []string{"services", "*", "ports", "*"}, nil, 0, func(n *yaml.Node, p []pathElem) {
		for _, kv := range allPairs(n) {
			v := derefYAML(kv[1])
			if kv[0].Value != "protocol" || v == nil || v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
				continue
			}
			if slices.Contains(portProtocols, strings.ToLower(v.Value)) || interpRe.MatchString(strings.ReplaceAll(v.Value, "$$", "")) {
				continue
			}
			where := formatPath(append(p, pathElem{key: "protocol"}))
			out = append(out, rules.Violation{File: filename, Line: v.Line, Col: v.Column, Path: where, Rule: rules.RuleInvalidValue,
				Message: fmt.Sprintf("%s: invalid port protocol %q, allowed: tcp, udp, sctp", where, v.Value)})
		}
	})
	return out
}

// forEach calls fn for every mapping matching pattern below n.
func forEach(n *yaml.Node, pattern []string, path []pathElem, depth int, fn func(*yaml.Node, []pathElem)) {
	n = derefYAML(n)
	if n == nil || depth > 64 {
		return
	}
	if len(pattern) == 0 {
		if n.Kind == yaml.MappingNode {
			fn(n, path)
		}
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for _, kv := range allPairs(n) {
			if pattern[0] == "*" || pattern[0] == kv[0].Value {
				p := append(slices.Clone(path), pathElem{key: kv[0].Value})
				forEach(kv[1], pattern[1:], p, depth+1, fn)
			}
		}
	case yaml.SequenceNode:
		if pattern[0] != "*" {
			return
		}
		for i, c := range n.Content {
			p := append(slices.Clone(path), pathElem{index: i, isIndex: true})
			forEach(c, pattern[1:], p, depth+1, fn)
		}
	}
}
