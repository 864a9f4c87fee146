package spec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	yaml "go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/schema/rules"
)

// fkind is what went wrong at one instance location, before the findings
// on one location (a failing oneOf reports once per branch) are merged.
type fkind uint8

const (
	fType fkind = iota
	fValue
	fUnique
	fOther
	fNotAllowed
	fRequired
)

type finding struct {
	loc     []string
	kind    fkind
	want    []string // fType: JSON Schema types accepted here
	allowed []string // fValue: enum literals and bounds
	other   []string // fOther: patterns, formats, anything else
	schema  string   // fNotAllowed: the schema location that refused the key
}

// collect flattens one error of jsonschema/v6's tree into findings. The
// tree holds every failure (compose-go keeps only its most specific leaf);
// only oneOf/anyOf need a choice: when every branch refused the value's
// type, that is one wrong-type finding naming every accepted type; else the
// branches that accepted the type say what is wrong inside it.
func collect(e *jsonschema.ValidationError, out []finding) []finding {
	loc := e.InstanceLocation
	switch k := e.ErrorKind.(type) {
	case *kind.Group, *kind.Schema, *kind.Reference, *kind.AllOf:
		for _, c := range e.Causes {
			out = collect(c, out)
		}
	case *kind.OneOf, *kind.AnyOf:
		if len(e.Causes) == 0 {
			return append(out, finding{loc: loc, kind: fOther, other: []string{"the value matches more than one allowed form"}})
		}
		var want []string
		var deeper []finding
		for _, c := range e.Causes {
			b := collect(c, nil)
			if len(b) == 1 && b[0].kind == fType && slices.Equal(b[0].loc, loc) {
				for _, w := range b[0].want {
					want = appendUnique(want, w)
				}
				continue
			}
			deeper = append(deeper, b...)
		}
		if len(deeper) == 0 {
			return append(out, finding{loc: loc, kind: fType, want: want})
		}
		for i := range deeper {
			if deeper[i].kind == fType && slices.Equal(deeper[i].loc, loc) {
				// Say every type the value may have, not one branch's.
				for _, w := range want {
					deeper[i].want = appendUnique(deeper[i].want, w)
				}
			}
		}
		out = append(out, deeper...)
	case *kind.AdditionalProperties:
		for _, p := range k.Properties {
			out = append(out, finding{loc: append(slices.Clone(loc), p), kind: fNotAllowed, schema: e.SchemaURL})
		}
	case *kind.FalseSchema:
		// unevaluatedProperties: false (and a false subschema) refuse the
		// property at loc itself.
		out = append(out, finding{loc: loc, kind: fNotAllowed, schema: e.SchemaURL})
	case *kind.Required:
		for _, m := range k.Missing {
			out = append(out, finding{loc: append(slices.Clone(loc), m), kind: fRequired})
		}
	case *kind.Type:
		out = append(out, finding{loc: loc, kind: fType, want: k.Want})
	case *kind.Enum:
		f := finding{loc: loc, kind: fValue}
		for _, v := range k.Want {
			f.allowed = append(f.allowed, literal(v))
		}
		out = append(out, f)
	case *kind.Const:
		out = append(out, finding{loc: loc, kind: fValue, allowed: []string{literal(k.Want)}})
	case *kind.Minimum:
		out = append(out, finding{loc: loc, kind: fValue, allowed: []string{">=" + k.Want.String()}})
	case *kind.Maximum:
		out = append(out, finding{loc: loc, kind: fValue, allowed: []string{"<=" + k.Want.String()}})
	case *kind.ExclusiveMinimum:
		out = append(out, finding{loc: loc, kind: fValue, allowed: []string{">" + k.Want.String()}})
	case *kind.ExclusiveMaximum:
		out = append(out, finding{loc: loc, kind: fValue, allowed: []string{"<" + k.Want.String()}})
	case *kind.UniqueItems:
		out = append(out, finding{loc: loc, kind: fUnique})
	case *kind.Pattern:
		out = append(out, finding{loc: loc, kind: fOther, other: []string{"must match " + strconv.Quote(k.Want)}})
	case *kind.Format:
		out = append(out, finding{loc: loc, kind: fOther, other: []string{"must be a " + k.Want}})
	default:
		out = append(out, finding{loc: loc, kind: fOther, other: []string{e.ErrorKind.LocalizedString(printer)}})
	}
	return out
}

func literal(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case nil:
		return "null"
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}

// report turns the error tree into violations: one per location (the
// findings of every failed branch merged), only the deepest location of a
// chain, nothing below an unknown key, nothing where compose-go's own
// interpolation fails first.
func (d *document) report(filename string, verr *jsonschema.ValidationError) []rules.Violation {
	fs := collect(verr, nil)
	var groups [][]finding
	for _, f := range fs {
		i := slices.IndexFunc(groups, func(g []finding) bool { return slices.Equal(g[0].loc, f.loc) })
		if i < 0 {
			groups = append(groups, nil)
			i = len(groups) - 1
		}
		groups[i] = append(groups[i], f)
	}
	type rep struct {
		loc []string
		v   rules.Violation
		key bool // an unknown key or bad name: everything below it is moot
		req bool
	}
	var rs []rep
	for _, g := range groups {
		v, ok := d.classify(filename, g)
		if !ok {
			continue
		}
		rs = append(rs, rep{loc: g[0].loc, v: v, key: isKeyRule(v.Rule), req: v.Rule == rules.RuleMissingRequired})
	}
	under := func(p, prefix []string) bool { return len(p) > len(prefix) && slices.Equal(p[:len(prefix)], prefix) }
	var out []rules.Violation
	for _, r := range rs {
		moot := false
		for _, o := range rs {
			if o.key && under(r.loc, o.loc) {
				moot = true
				break
			}
			if !r.key && !r.req && under(o.loc, r.loc) {
				moot = true // a deeper finding says what to fix
				break
			}
		}
		if moot || d.skip[locKey(r.loc)] {
			continue
		}
		out = append(out, r.v)
	}
	return out
}

func isKeyRule(r rules.Rule) bool { return r == rules.RuleUnknownKey || r == rules.RuleInvalidName }

// classify merges the findings on one location into one violation. The
// precedence: a missing key, an unknown key, repeated list entries, a value
// outside an allowed set (some branch accepted the type), a wrong type, any
// other constraint.
func (d *document) classify(filename string, g []finding) (rules.Violation, bool) {
	loc := g[0].loc
	path := d.path(loc)
	where := formatPath(path)
	if where == "" {
		where = "the document"
	}
	v := rules.Violation{File: filename, Path: where}
	at := func(n *yaml.Node) {
		v.Line, v.Col = 1, 1
		if n != nil {
			v.Line, v.Col = max(n.Line, 1), max(n.Column, 1)
		}
	}
	first := func(k fkind) *finding {
		for i := range g {
			if g[i].kind == k {
				return &g[i]
			}
		}
		return nil
	}
	if first(fRequired) != nil {
		parent := path[:len(path)-1]
		pk, pv, _ := d.locate(loc[:len(loc)-1])
		if pk != nil {
			at(pk)
		} else {
			v.Line, v.Col = valuePos(pv)
		}
		v.Rule = rules.RuleMissingRequired
		v.Message = fmt.Sprintf("missing required key %q in %s", lastKey(path), describeParent(parent))
		return v, true
	}
	key, val, ok := d.locate(loc)
	if !ok {
		return v, false // nothing in the file to point at (cannot happen for data built from it)
	}
	if f := first(fNotAllowed); f != nil {
		at(key)
		if k := namedKind(path); k != "" {
			v.Rule = rules.RuleInvalidName
			v.Message = fmt.Sprintf("invalid %s name %q: only letters, digits, '.', '_' and '-' are allowed", k, lastKey(path))
		} else {
			v.Rule = rules.RuleUnknownKey
			v.Message = unknownKeyMsg(path, d.schema.candidates(f.schema))
		}
		return v, true
	}
	v.Line, v.Col = valuePos(val)
	if first(fUnique) != nil {
		v.Rule = rules.RuleDuplicateItem
		v.Message = where + ": list entries must be unique"
		return v, true
	}
	var want, allowed, other []string
	hasType := false
	for _, f := range g {
		for _, w := range f.want {
			want = appendUnique(want, typeName(w))
		}
		for _, a := range f.allowed {
			allowed = appendUnique(allowed, a)
		}
		for _, o := range f.other {
			other = appendUnique(other, o)
		}
		hasType = hasType || f.kind == fType
	}
	got := nodeType(val)
	switch {
	case len(allowed) > 0:
		v.Rule = rules.RuleInvalidValue
		if hasType {
			for _, t := range want {
				if t != got {
					allowed = append(allowed, "any "+t)
				}
			}
		}
		v.Message = fmt.Sprintf("%s: invalid value %s, allowed: %s", where, shortValue(val), strings.Join(allowed, ", "))
	case hasType:
		v.Rule = rules.RuleWrongType
		v.Message = fmt.Sprintf("%s: expected %s, got %s", where, joinOr(want), got)
		if s := shortValue(val); s != "" && s != got && len(s) < 40 && deref(val).Kind == yaml.ScalarNode {
			v.Message += " " + s
		}
	default:
		v.Rule = rules.RuleInvalidValue
		v.Message = fmt.Sprintf("%s: invalid value %s: %s", where, shortValue(val), strings.Join(other, "; "))
	}
	return v, true
}

// path turns an instance location into path elements, telling list
// indexes from keys that look like numbers by the data.
func (d *document) path(loc []string) []pathElem {
	out := make([]pathElem, 0, len(loc))
	cur := d.data
	for _, seg := range loc {
		switch x := cur.(type) {
		case []any:
			i, _ := strconv.Atoi(seg)
			out = append(out, pathElem{index: i, isIndex: true})
			if i >= 0 && i < len(x) {
				cur = x[i]
			} else {
				cur = nil
			}
		case map[string]any:
			out = append(out, pathElem{key: seg})
			cur = x[seg]
		default:
			out = append(out, pathElem{key: seg})
			cur = nil
		}
	}
	return out
}

// typeName is the word a YAML author uses for a JSON Schema type.
func typeName(t string) string {
	switch t {
	case "object":
		return "mapping"
	case "array":
		return "list"
	}
	return t
}

// nodeType names the YAML type of a node the same way.
func nodeType(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return "null"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	switch v := scalar(n).(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if n.Tag == "!!int" {
			return "integer"
		}
		return "number"
	case string:
		_ = v
		return "string"
	}
	return "value"
}

// shortValue renders a scalar as written (strings quoted); mappings and
// lists are named, not echoed.
func shortValue(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return ""
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	switch scalar(n).(type) {
	case string:
		return strconv.Quote(n.Value)
	case nil:
		return "null"
	}
	return n.Value
}

// valuePos is where a value starts for a user: yaml/v4 puts a node at its
// first property (anchor or tag), berth points past the compose tags
// !reset/!override and at the bracket of a flow collection. The text
// between a property and the value is not in the node tree: one space is
// assumed (what formatters write).
func valuePos(n *yaml.Node) (int, int) {
	if n == nil {
		return 1, 1
	}
	v := n
	if v.Kind == yaml.AliasNode {
		if v = deref(v); v == nil {
			return max(n.Line, 1), max(n.Column, 1)
		}
	}
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
	return max(line, 1), max(col, 1)
}

func appendUnique(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func joinOr(s []string) string {
	switch len(s) {
	case 0:
		return "another type"
	case 1:
		return s[0]
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// nonFinite reports the infinite and NaN numbers (`.inf`, `.nan`): YAML has
// them, JSON does not, and compose-go fails to encode the file for its
// validator.
func (d *document) nonFinite(filename string) []rules.Violation {
	var out []rules.Violation
	var walk func(v any, loc []string)
	walk = func(v any, loc []string) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				walk(e, append(slices.Clone(loc), k))
			}
		case []any:
			for i, e := range x {
				walk(e, append(slices.Clone(loc), strconv.Itoa(i)))
			}
		default:
			if !nonFinite(v) {
				return
			}
			_, val, ok := d.locate(loc)
			if !ok {
				return
			}
			where := formatPath(d.path(loc))
			line, col := valuePos(val)
			out = append(out, rules.Violation{File: filename, Line: line, Col: col, Path: where, Rule: rules.RuleInvalidValue,
				Message: fmt.Sprintf("%s: invalid value %s, compose only accepts finite numbers", where, shortValue(val))})
		}
	}
	walk(d.data, nil)
	return out
}
