package spec

import (
	"encoding/base64"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	interp "github.com/compose-spec/compose-go/v2/interpolation"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/override"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v4"
)

// Limits that keep hostile input (alias bombs, absurd nesting) cheap;
// load.ParseFile refuses such files first, this is defence in depth.
const (
	maxDepth  = 512
	maxVisits = 200_000
)

// casts are compose-go's own type casts for interpolated fields (a string
// "5" in cpu_count is the integer 5 to compose-go, whether or not it holds a
// variable), taken from compose-go's loader options and indexed by the last
// path segment so that a scalar is matched against a handful of patterns.
var casts = sync.OnceValue(func() map[string][]castRule {
	opts := loader.ToOptions(&types.ConfigDetails{}, nil)
	out := map[string][]castRule{}
	if opts.Interpolate == nil {
		return out
	}
	for p, fn := range opts.Interpolate.TypeCastMapping {
		last := p.Last()
		out[last] = append(out[last], castRule{p, fn})
	}
	return out
})

type castRule struct {
	pattern tree.Path
	cast    interp.Cast
}

// castFor returns compose-go's cast for the string at p, whose last
// segment is last.
func castFor(p tree.Path, last string) interp.Cast {
	cs := casts()
	for _, group := range [][]castRule{cs[last], cs[tree.PathMatchAll]} {
		for _, c := range group {
			if p.Matches(c.pattern) {
				return c.cast
			}
		}
	}
	return nil
}

// converter builds the value compose-go validates from a YAML node tree.
type converter struct {
	opts   Options
	visits int
	halted bool
	// skip holds the instance locations whose substitution or cast failed:
	// compose-go reports those itself, as interpolation errors, before any
	// schema check, so a schema finding there would be a second, wrong one.
	skip map[string]bool
}

// locKey is the map key of an instance location.
func locKey(loc []string) string { return strings.Join(loc, "\x00") }

func (c *converter) value(n *yaml.Node, loc []string, depth int) any {
	return c.convert(n, loc, tree.NewPath(), "", depth)
}

// convert builds the value of n at instance location loc, whose path in
// compose-go's interpolation terms is tp (list indexes as "[]"), ending in
// last.
func (c *converter) convert(n *yaml.Node, loc []string, tp tree.Path, last string, depth int) any {
	n = deref(n)
	c.visits++
	if n == nil || c.halted || c.visits > maxVisits || depth > maxDepth {
		if n != nil {
			c.halted = true
		}
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := map[string]any{}
		for _, kv := range entries(n) {
			k := kv[0].Value
			next := tp.Next(k)
			if len(loc) == 0 {
				next = tree.NewPath(k) // compose-go does not escape top-level keys
			}
			m[k] = c.convert(kv[1], append(loc, k), next, k, depth+1)
		}
		return m
	case yaml.SequenceNode:
		its := items(n)
		l := make([]any, 0, len(its))
		for i, it := range its {
			l = append(l, c.convert(it, append(loc, strconv.Itoa(i)), tp.Next(tree.PathMatchList), tree.PathMatchList, depth+1))
		}
		return l
	}
	v := scalar(n)
	s, ok := v.(string)
	if !ok || !c.opts.Interpolate {
		return v
	}
	if strings.Contains(s, "$") {
		lookup := c.opts.Lookup
		if lookup == nil {
			lookup = func(string) (string, bool) { return "", false }
		}
		// Without logging: compose-go has already warned about each unset
		// variable while loading, at the place berth reports it.
		sub, err := template.SubstituteWithOptions(s, template.Mapping(lookup), template.WithoutLogging)
		if err != nil {
			c.skipAt(loc)
			return s
		}
		s = sub
	}
	if fn := castFor(tp, last); fn != nil {
		cv, err := fn(s)
		if err != nil {
			c.skipAt(loc)
			return s
		}
		return jsonValue(cv)
	}
	return s
}

func (c *converter) skipAt(loc []string) {
	if c.skip == nil {
		c.skip = map[string]bool{}
	}
	c.skip[locKey(loc)] = true
}

// scalar decodes a scalar node as yaml/v4 decodes it into an interface
// value (what compose-go's decoder gets), then as a JSON round trip leaves
// it (compose-go validates json.Unmarshal's output): numbers are float64,
// timestamps and binary data are strings.
func scalar(n *yaml.Node) any {
	switch n.Tag {
	case "!!str":
		return n.Value
	case "!!null":
		return nil
	case "!!bool":
		// The spellings yaml/v4 resolves to !!bool; others take Decode.
		switch n.Value {
		case "true", "True", "TRUE":
			return true
		case "false", "False", "FALSE":
			return false
		}
	case "!!int":
		// Plain decimal integers; 0x, 0o, signs and the like take Decode.
		if i, err := strconv.ParseInt(n.Value, 10, 64); err == nil && n.Value[0] != '0' && n.Value[0] != '+' || n.Value == "0" {
			return float64(i)
		}
	}
	var v any
	if err := n.Decode(&v); err != nil {
		return n.Value
	}
	return jsonValue(v)
}

// jsonValue is v after json.Marshal and json.Unmarshal, for the scalar
// types yaml/v4 and compose-go's casts produce. A value JSON cannot encode
// (an infinite or NaN float) stays as it is: compose-go fails to marshal
// it, which report turns into a finding.
func jsonValue(v any) any {
	switch x := v.(type) {
	case nil, string, bool, float64:
		return v
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f
	case time.Time:
		b, err := json.Marshal(x)
		if err != nil {
			return x.String()
		}
		var s string
		_ = json.Unmarshal(b, &s)
		return s
	case []byte:
		return base64.StdEncoding.EncodeToString(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return v
	}
	return out
}

func nonFinite(v any) bool {
	f, ok := v.(float64)
	return ok && (math.IsInf(f, 0) || math.IsNaN(f))
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode; i++ {
		if i >= 32 {
			return nil
		}
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func isReset(n *yaml.Node) bool {
	return n != nil && (n.Tag == "!reset" || deref(n) != nil && deref(n).Tag == "!reset")
}

func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "!!merge" || k.Tag == "" || k.Tag == "!!str")
}

// entries lists a mapping's key/value pairs as compose-go's decoder sees
// them: `<<` merge keys resolved (explicit keys win over merged ones, an
// earlier merge source over a later one), entries tagged !reset dropped
// (compose-go removes them before decoding) or whose value yaml/v4 does
// not construct (unconstructed), and for a key written twice
// only the first (load.ParseFile reports the repeat).
func entries(n *yaml.Node) [][2]*yaml.Node {
	return mergedEntries(n, 0)
}

func mergedEntries(n *yaml.Node, depth int) [][2]*yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 16 {
		return nil
	}
	var out, merged [][2]*yaml.Node
	have := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			src := deref(v)
			if src != nil && src.Kind == yaml.SequenceNode {
				for _, m := range src.Content {
					merged = append(merged, mergedEntries(m, depth+1)...)
				}
			} else {
				merged = append(merged, mergedEntries(src, depth+1)...)
			}
			continue
		}
		if have[k.Value] || isReset(v) || unconstructed(v) {
			have[k.Value] = true
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
	return out
}

// unconstructed reports a value yaml/v4 leaves out of the map or list it
// is in: a merge scalar (`<<`, or anything tagged !!merge) outside a key
// constructs into nothing, and yaml/v4 drops the entry rather than storing
// a null, so compose-go never sees it.
func unconstructed(v *yaml.Node) bool {
	v = deref(v)
	return v != nil && v.Kind == yaml.ScalarNode && v.ShortTag() == "!!merge"
}

// items lists a sequence's entries without those tagged !reset or that
// yaml/v4 does not construct.
func items(n *yaml.Node) []*yaml.Node {
	out := make([]*yaml.Node, 0, len(n.Content))
	for _, c := range n.Content {
		if !isReset(c) && !unconstructed(c) {
			out = append(out, c)
		}
	}
	return out
}

// document is one YAML document with the data validated for it.
type document struct {
	root *yaml.Node
	// orig is the data as written (after substitution); data is what is
	// validated: orig with compose-go's list unicity applied.
	orig, data any
	skip       map[string]bool
	schema     *Schema
}

// unique applies compose-go's override.EnforceUnicity, as compose-go does
// before it validates: a repeated environment entry or port is merged, not
// a uniqueness violation. orig keeps the lists as written, to find the node
// behind an index of the validated data.
func (d *document) unique() {
	m, ok := d.data.(map[string]any)
	if ok {
		// compose-go resolves and removes `include` before it validates;
		// its entries are decoded, not validated.
		delete(m, "include")
	}
	d.orig = d.data
	if !ok {
		return
	}
	u, err := override.EnforceUnicity(deepCopy(m).(map[string]any))
	if err != nil {
		// compose-go fails on this itself, before validating; validate the
		// lists as written so that the schema still says what is wrong.
		return
	}
	d.data = u
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(x))
		for i, e := range x {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// locate returns the YAML key and value nodes at an instance location of
// the validated data; key is nil for list items and the root. It walks the
// validated data, the data as written and the YAML tree together: where
// unicity shortened a list, an index of the validated list is mapped to the
// last entry as written that holds the same value (the one compose-go kept).
func (d *document) locate(loc []string) (key, val *yaml.Node, ok bool) {
	val = d.root
	cur, orig := d.data, d.orig
	for _, seg := range loc {
		n := deref(val)
		if n == nil {
			return nil, nil, false
		}
		switch n.Kind {
		case yaml.MappingNode:
			found := false
			for _, kv := range entries(n) {
				if kv[0].Value == seg {
					key, val, found = kv[0], kv[1], true
					break
				}
			}
			if !found {
				return nil, nil, false
			}
			cm, _ := cur.(map[string]any)
			om, _ := orig.(map[string]any)
			cur, orig = cm[seg], om[seg]
		case yaml.SequenceNode:
			i, err := strconv.Atoi(seg)
			if err != nil {
				return nil, nil, false
			}
			cl, _ := cur.([]any)
			ol, _ := orig.([]any)
			if len(cl) != len(ol) && i < len(cl) {
				i = lastEqual(ol, cl[i])
			}
			its := items(n)
			if i < 0 || i >= len(its) {
				return nil, nil, false
			}
			key, val = nil, its[i]
			if i < len(ol) {
				orig = ol[i]
			}
			cur = orig
		default:
			return nil, nil, false
		}
	}
	return key, val, true
}

func lastEqual(l []any, v any) int {
	for i := len(l) - 1; i >= 0; i-- {
		if reflect.DeepEqual(l[i], v) {
			return i
		}
	}
	return -1
}
