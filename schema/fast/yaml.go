package fast

import (
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v4"
)

// pathElem is one step of a model path: a mapping key or a list index (a
// key may look like a number, so the two are kept apart).
type pathElem struct {
	key     string
	index   int
	isIndex bool
}

var plainKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// formatPath renders a path exactly as package schema does, e.g.
// services."my.app".ports[0], because lint's source map keys on it.
func formatPath(p []pathElem) string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.isIndex:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if plainKeyRe.MatchString(e.key) {
				b.WriteString(e.key)
			} else {
				b.WriteString(strconv.Quote(e.key))
			}
		}
	}
	return b.String()
}

func pathHasPrefix(p, prefix []pathElem) bool {
	if len(prefix) > len(p) {
		return false
	}
	for i := range prefix {
		if p[i] != prefix[i] {
			return false
		}
	}
	return true
}

func pathEqual(a, b []pathElem) bool { return len(a) == len(b) && pathHasPrefix(a, b) }

// derefYAML follows aliases to the anchored node, so that positions point
// at the anchor's text, as the CUE reference reports them.
func derefYAML(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i >= 32 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func kindOf(v *yaml.Node) kinds {
	switch v.Kind {
	case yaml.MappingNode:
		return kMap
	case yaml.SequenceNode:
		return kList
	case yaml.ScalarNode:
		return scalarKind(v)
	}
	return kNull
}

// scalarKind types a scalar the way YAML 1.2's core schema (yaml/v4, which
// has already resolved Tag) does: quoted scalars are strings, `yes`/`on`
// are strings. The compose merge tags !reset and !override (and any other
// local tag) do not change the type of the value they tag: the CUE
// reference blanks them out before decoding.
func scalarKind(v *yaml.Node) kinds {
	tag := v.Tag
	if tag == "" || (strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")) {
		if v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
			return kString
		}
		tag = resolvePlain(v.Value)
	}
	switch tag {
	case "!!null":
		return kNull
	case "!!bool":
		return kBool
	case "!!int":
		return kInt
	case "!!float":
		return kFloat
	case "!!binary":
		return kBytes
	}
	return kString
}

// resolvePlain resolves the tag of an untagged plain scalar by letting
// yaml/v4 parse it; only locally tagged values take this (slow) path.
func resolvePlain(s string) string {
	if s == "" {
		return "!!null"
	}
	if strings.ContainsAny(s, "\n\r") {
		return "!!str"
	}
	var n yaml.Node
	if err := yaml.Unmarshal([]byte(s), &n); err != nil || len(n.Content) != 1 {
		return "!!str"
	}
	c := n.Content[0]
	if c.Kind != yaml.ScalarNode || c.Style != 0 || c.Value != s {
		return "!!str"
	}
	return c.Tag
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "" || k.Tag == "!!str")
}

// pairs lists the entries of a mapping in document order with `<<` merge
// keys resolved (explicit keys win over merged ones, earlier merge sources
// over later ones), the way package schema resolves them. A key repeated
// among the explicit entries is returned in dups and not in the pairs: the
// first occurrence is the one validated, the repeat is a BR009.
func pairs(n *yaml.Node, depth int) (out [][2]*yaml.Node, dups []*yaml.Node) {
	n = derefYAML(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 16 {
		return nil, nil
	}
	var merged [][2]*yaml.Node
	have := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			v = derefYAML(v)
			if v != nil && v.Kind == yaml.SequenceNode {
				for _, m := range v.Content {
					ps, _ := pairs(m, depth+1)
					merged = append(merged, ps...)
				}
			} else {
				ps, _ := pairs(v, depth+1)
				merged = append(merged, ps...)
			}
			continue
		}
		if have[k.Value] {
			dups = append(dups, k)
			continue
		}
		have[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	for _, kv := range merged {
		if !have[kv[0].Value] {
			have[kv[0].Value] = true
			out = append(out, kv)
		}
	}
	return out, dups
}

var interpRe = regexp.MustCompile(`\$(\{|[A-Za-z_])`)

// interpolated reports whether a string value holds a ${VAR} or $VAR
// reference: compose substitutes variables before it validates, so only the
// substituted value can be judged.
func interpolated(v *yaml.Node) bool {
	if v == nil || v.Kind != yaml.ScalarNode || kindOf(v) != kString {
		return false
	}
	return interpRe.MatchString(strings.ReplaceAll(v.Value, "$$", ""))
}

// fields builds a mapping's entries the way the CUE reference's YAML decoder
// does, because that is what the reference validates (the yaml/v4 merge
// semantics differ where keys repeat):
//   - before the first `<<`, every entry is kept, repeats included; the
//     repeats are returned in dups (BR009) and the first one is validated;
//   - a `<<` source (or each of a list of sources, earlier ones winning
//     among themselves) overrides the value of every entry of the same name
//     seen so far, and adds the others;
//   - after a `<<`, an explicit key overrides an earlier entry of the same
//     name silently instead of repeating it.
func fields(n *yaml.Node, depth int) (out [][2]*yaml.Node, dups []*yaml.Node) {
	n = derefYAML(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 16 {
		return nil, nil
	}
	index := map[string]int{} // name -> first entry in out
	merged := false
	set := func(k, v *yaml.Node) {
		if i, ok := index[k.Value]; ok {
			out[i][1] = v
			return
		}
		index[k.Value] = len(out)
		out = append(out, [2]*yaml.Node{k, v})
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			merged = true
			var sources []*yaml.Node
			if v = derefYAML(v); v != nil && v.Kind == yaml.SequenceNode {
				sources = v.Content
			} else {
				sources = []*yaml.Node{v}
			}
			seen := map[string]bool{}
			for _, s := range sources {
				ps, _ := fields(s, depth+1)
				for _, kv := range ps {
					if !seen[kv[0].Value] {
						seen[kv[0].Value] = true
						set(kv[0], kv[1])
					}
				}
			}
			continue
		}
		if _, ok := index[k.Value]; ok && !merged {
			dups = append(dups, k)
			continue
		}
		set(k, v)
	}
	return out, dups
}

// valuePos is where the CUE reference positions a value. yaml/v4 puts a
// node at its first property (anchor or tag); the reference blanks the
// compose tags !reset/!override and positions flow collections at their
// bracket, so skip those properties. The text between a property and the
// value is not in the node tree: one space is assumed (what formatters
// write); see TestKnownPositionLimits.
func valuePos(v *yaml.Node) (int, int) {
	line, col := v.Line, v.Column
	mergeTag := v.Tag == "!reset" || v.Tag == "!override"
	switch v.Kind {
	case yaml.ScalarNode:
		if mergeTag {
			col += len(v.Tag) + 1
		}
	case yaml.MappingNode, yaml.SequenceNode:
		switch {
		case v.Style&yaml.FlowStyle != 0:
			if v.Anchor != "" {
				col += len(v.Anchor) + 2
			}
			if mergeTag {
				col += len(v.Tag) + 1
			}
		case mergeTag && len(v.Content) > 0:
			// A block collection starts on the next line: at the first
			// key, or at the first item's dash.
			c := v.Content[0]
			line, col = c.Line, c.Column
			if v.Kind == yaml.SequenceNode {
				col = max(col-2, 1)
			}
		}
	}
	return line, col
}
