package schema

import (
	"fmt"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// exclusiveSets are keys that compose-go's semantic validation refuses to see
// together (compose-go validation.checkFileObject, checkDeviceRequest and
// loader's dockerfile check). JSON Schema cannot express them, so they are
// checked here on the YAML tree. The "one of them must be set" half is not
// checked per file: another file of the project may provide it.
var exclusiveSets = []struct {
	pattern []string // path pattern, "*" matches any key or index
	keys    []string
}{
	{[]string{"secrets", "*"}, []string{"file", "environment"}},
	{[]string{"configs", "*"}, []string{"file", "environment", "content"}},
	{[]string{"services", "*", "build"}, []string{"dockerfile", "dockerfile_inline"}},
	{[]string{"services", "*", "deploy", "resources", "reservations", "devices", "*"}, []string{"count", "device_ids"}},
	{[]string{"services", "*", "gpus", "*"}, []string{"count", "device_ids"}},
}

// externalKinds are the top-level resources where `external: true` forbids
// every other key but name (compose-go validation.checkExternal).
var externalKinds = []string{"networks", "volumes", "secrets", "configs"}

func (t *ytree) conflictingKeys(filename string, docs []*yaml.Node) []Violation {
	var out []Violation
	for _, d := range docs {
		if d == nil || len(d.Content) == 0 {
			continue
		}
		root := d.Content[0]
		for _, set := range exclusiveSets {
			t.forEach(root, set.pattern, nil, 0, func(n *yaml.Node, p []pathElem) {
				var seen []string
				for _, kv := range t.pairs(n, 0) {
					k := kv[0].Value
					for _, want := range set.keys {
						if k != want {
							continue
						}
						if len(seen) > 0 {
							out = append(out, Violation{File: filename, Line: kv[0].Line, Col: kv[0].Column,
								Path: formatPath(append(p, pathElem{key: k})), Rule: RuleConflictingKeys,
								Message: fmt.Sprintf("%q cannot be used together with %q in %s", k, seen[0], describeParent(p))})
						}
						seen = append(seen, k)
					}
				}
			})
		}
		for _, kind := range externalKinds {
			t.forEach(root, []string{kind, "*"}, nil, 0, func(n *yaml.Node, p []pathElem) {
				ps := t.pairs(n, 0)
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
					out = append(out, Violation{File: filename, Line: kv[0].Line, Col: kv[0].Column,
						Path: formatPath(append(p, pathElem{key: k})), Rule: RuleConflictingKeys,
						Message: fmt.Sprintf("%q cannot be set on external %s: it is managed outside this project", k, describeParent(p))})
				}
			})
		}
	}
	return out
}

// forEach calls fn for every node matching pattern below n.
func (t *ytree) forEach(n *yaml.Node, pattern []string, path []pathElem, depth int, fn func(*yaml.Node, []pathElem)) {
	n = deref(n)
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
		for _, kv := range t.pairs(n, 0) {
			if pattern[0] == "*" || pattern[0] == kv[0].Value {
				p := append(append([]pathElem(nil), path...), pathElem{key: kv[0].Value})
				t.forEach(kv[1], pattern[1:], p, depth+1, fn)
			}
		}
	case yaml.SequenceNode:
		if pattern[0] != "*" {
			return
		}
		for i, c := range n.Content {
			p := append(append([]pathElem(nil), path...), pathElem{index: i, isIndex: true})
			t.forEach(c, pattern[1:], p, depth+1, fn)
		}
	}
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 32; i++ {
		n = n.Alias
	}
	return n
}

// ytree answers questions about one yaml/v4 stream. It memoises the
// resolved pairs of every mapping: merge keys may reference anchors that
// merge other anchors, and without the memo a small file of nested merges
// costs exponential time (8 merges of 8 merges of ... never finishes).
type ytree struct {
	memo map[*yaml.Node][][2]*yaml.Node
}

func newYtree() *ytree { return &ytree{memo: map[*yaml.Node][][2]*yaml.Node{}} }

// pairs lists the key/value pairs of a mapping in document order, with the
// entries of `<<` merge keys resolved: explicit keys win over merged ones.
func (t *ytree) pairs(n *yaml.Node, depth int) [][2]*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 32 {
		return nil
	}
	if r, ok := t.memo[n]; ok {
		return r
	}
	t.memo[n] = nil // a merge cycle resolves to nothing instead of looping
	var explicit, merged [][2]*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "" || k.Tag == "!!str") {
			v = deref(v)
			if v != nil && v.Kind == yaml.SequenceNode {
				for _, m := range v.Content {
					merged = append(merged, t.pairs(m, depth+1)...)
				}
			} else {
				merged = append(merged, t.pairs(v, depth+1)...)
			}
			continue
		}
		explicit = append(explicit, [2]*yaml.Node{k, v})
	}
	out := slices.Clone(explicit)
	have := map[string]bool{}
	for _, kv := range explicit {
		have[kv[0].Value] = true
	}
	for _, kv := range merged {
		if !have[kv[0].Value] {
			have[kv[0].Value] = true
			out = append(out, kv)
		}
	}
	t.memo[n] = out
	return out
}

// portProtocols are the protocols Docker Engine accepts for a published
// port. compose-spec.json types the long-syntax `protocol` as any string, so
// a typo would only fail at container creation.
var portProtocols = []string{"tcp", "udp", "sctp"}

func (t *ytree) badProtocols(filename string, docs []*yaml.Node) []Violation {
	var out []Violation
	for _, d := range docs {
		if d == nil || len(d.Content) == 0 {
			continue
		}
		t.forEach(d.Content[0], []string{"services", "*", "ports", "*"}, nil, 0, func(n *yaml.Node, p []pathElem) {
			for _, kv := range t.pairs(n, 0) {
				v := deref(kv[1])
				if kv[0].Value != "protocol" || v == nil || v.Kind != yaml.ScalarNode || v.Tag != "!!str" {
					continue
				}
				if slices.Contains(portProtocols, strings.ToLower(v.Value)) || interpRe.MatchString(strings.ReplaceAll(v.Value, "$$", "")) {
					continue
				}
				out = append(out, Violation{File: filename, Line: v.Line, Col: v.Column,
					Path: formatPath(append(p, pathElem{key: "protocol"})), Rule: RuleInvalidValue,
					Message: fmt.Sprintf("%s: invalid port protocol %q, allowed: tcp, udp, sctp", formatPath(append(p, pathElem{key: "protocol"})), v.Value)})
			}
		})
	}
	return out
}

// locateYAML finds the node at p in a yaml/v4 document, following aliases
// and merge keys. CUE's decoder gives nodes expanded from an alias no
// position, so this is how an error inside `<<: *base` gets pointed at the
// anchor's text.
func (t *ytree) locateYAML(doc *yaml.Node, p []pathElem) (key, val *yaml.Node) {
	if doc == nil || len(doc.Content) == 0 {
		return nil, nil
	}
	cur := doc.Content[0]
	for _, e := range p {
		cur = deref(cur)
		if cur == nil {
			return nil, nil
		}
		key = nil
		if e.isIndex {
			if cur.Kind != yaml.SequenceNode || e.index < 0 || e.index >= len(cur.Content) {
				return nil, nil
			}
			cur = cur.Content[e.index]
			continue
		}
		var next *yaml.Node
		for _, kv := range t.pairs(cur, 0) {
			if kv[0].Value == e.key {
				key, next = kv[0], kv[1]
				break
			}
		}
		if next == nil {
			return nil, nil
		}
		cur = next
	}
	return key, deref(cur)
}

// maxExpandedNodes bounds how large a document may become once aliases and
// merge keys are expanded. CUE's decoder caps plain aliases but expands
// `<<: *x` merges without a limit, so eight merges of eight merges of ...
// would never finish. Real compose files stay far below this.
const maxExpandedNodes = 50_000

// expandedSize counts the nodes of n with every alias expanded, saturating
// at limit. Memoised, so nested anchors cost linear time to measure.
func expandedSize(n *yaml.Node, memo map[*yaml.Node]int, limit int) int {
	if n == nil {
		return 0
	}
	if s, ok := memo[n]; ok {
		return s
	}
	memo[n] = limit // a cycle counts as too large
	size := 1
	if n.Kind == yaml.AliasNode {
		size += expandedSize(n.Alias, memo, limit)
	}
	for _, c := range n.Content {
		if size >= limit {
			break
		}
		size += expandedSize(c, memo, limit)
	}
	size = min(size, limit)
	memo[n] = size
	return size
}
