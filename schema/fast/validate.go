// Package fast validates compose files against compose-go's JSON Schema by
// interpreting the schema directly over the yaml/v4 node tree. It is the
// runtime path of `berth config`/`lint`: package schema evaluates the same
// schema through CUE, which costs 13-30 ms per process; this package gives
// the same verdicts and positions (schema stays the oracle in the tests) in
// well under a millisecond for typical files.
package fast

import (
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/berth-compose/berth/schema/rules"
	yaml "go.yaml.in/yaml/v4"
)

// Limits that keep hostile input (alias bombs, absurd nesting) cheap. The
// CUE reference expands aliases too; a document that reaches these limits
// is reported as invalid YAML rather than validated for seconds.
const (
	maxDepth  = 512
	maxVisits = 1 << 20
)

// Validate checks one YAML document of a compose file (a DocumentNode or
// its top-level node, as parsed by yaml/v4) against the compose
// specification, before interpolation and merging. Violations carry the
// rule, a model path and the 1-based line and column (in characters, as
// yaml/v4 counts them) of the node to change, exactly as schema.Validate
// reports them, and are sorted by position. An empty or null document
// yields no violations: whether a file without content is an error is the
// caller's decision (rules.RuleEmptyFile). It never panics.
func Validate(filename string, doc *yaml.Node) (out []rules.Violation) {
	defer func() {
		if r := recover(); r != nil {
			out = append(out, rules.Violation{File: filename, Line: 1, Col: 1, Rule: rules.RuleYAMLSyntax,
				Message: fmt.Sprintf("internal error while validating: %v", r)})
		}
		sortViolations(out)
	}()
	top := doc
	if top != nil && top.Kind == yaml.DocumentNode {
		if len(top.Content) == 0 {
			return nil
		}
		top = top.Content[0]
	}
	top = derefYAML(top)
	if top == nil || (top.Kind == yaml.ScalarNode && scalarKind(top) == kNull) {
		return nil
	}
	rootNode, err := root()
	if err != nil {
		return []rules.Violation{{File: filename, Line: 1, Col: 1, Rule: rules.RuleYAMLSyntax,
			Message: fmt.Sprintf("internal error: %v", err)}}
	}
	w := &walker{}
	w.duplicates(top, 0)
	w.validate(rootNode, top, nil, 0)
	out = w.violations(filename)
	out = append(out, conflictingKeys(filename, top)...)
	out = append(out, badProtocols(filename, top)...)
	return out
}

// ValidateDocs validates every document of a file; convenient for callers
// that hold the documents of one parsed file.
func ValidateDocs(filename string, docs []*yaml.Node) []rules.Violation {
	var out []rules.Violation
	for _, d := range docs {
		out = append(out, Validate(filename, d)...)
	}
	sortViolations(out)
	return out
}

func sortViolations(vs []rules.Violation) {
	sort.SliceStable(vs, func(i, j int) bool {
		a, b := vs[i], vs[j]
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return a.Rule.Code < b.Rule.Code
	})
}

// fkind is what went wrong at one path, before findings on the same path
// are merged into one violation (a failing oneOf reports once per branch).
type fkind uint8

const (
	fType fkind = iota
	fValue
	fUnique
	fMatchN
	fNotAllowed
	fRequired
	fDuplicate
)

type finding struct {
	path       []pathElem
	kind       fkind
	line, col  int
	want       kinds    // fType: kinds the schema accepts here
	got        kinds    // fType: the value's kind
	allowed    []string // fValue: literals and bounds
	other      []string // fValue: patterns and formats
	val        *yaml.Node
	candidates []string // fNotAllowed: declared keys, for a suggestion
}

type walker struct {
	path   []pathElem
	out    []finding
	visits int
	halted bool
}

func (w *walker) add(f finding) {
	f.path = slices.Clone(w.path)
	w.out = append(w.out, f)
}

// validate checks v (never an alias) against n. key is the mapping key that
// holds v, or nil for list items and the document root: a missing required
// key is reported at the key that owns the mapping, else at the mapping.
func (w *walker) validate(n *node, v, key *yaml.Node, depth int) {
	n = deref(n)
	if n == nil || v == nil || w.halted {
		return
	}
	w.visits++
	if w.visits > maxVisits || depth > maxDepth {
		w.halted = true
		return
	}
	k := kindOf(v)
	vl, vc := valuePos(v)
	if n.types != 0 && k&n.types == 0 {
		w.add(finding{kind: fType, want: n.types, got: k, val: v, line: vl, col: vc})
		return
	}
	if n.hasEn && !w.enum(n, v, k) {
		return
	}
	if n.restart && k == kString && !restartOK(v.Value) {
		w.add(finding{kind: fValue, val: v, line: vl, col: vc,
			allowed: []string{`"no"`, `"always"`, `"unless-stopped"`}, other: []string{`=~"^on-failure(:[0-9]+)?$"`}})
	}
	if k == kString {
		if n.pattern != nil && !n.pattern.match(v.Value) {
			w.add(finding{kind: fValue, val: v, line: vl, col: vc, other: []string{"=~" + strconv.Quote(n.pattern.src)}})
		}
		if n.format == "duration" {
			if _, err := time.ParseDuration(v.Value); err != nil {
				w.add(finding{kind: fValue, val: v, line: vl, col: vc, other: []string{"a duration such as 1m30s"}})
			}
		}
	}
	if k&kNumber != 0 && (n.min != nil || n.max != nil) {
		if f, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64); err == nil {
			if n.min != nil && f < *n.min {
				w.add(finding{kind: fValue, val: v, line: vl, col: vc, allowed: []string{">=" + num(*n.min)}})
			}
			if n.max != nil && f > *n.max {
				w.add(finding{kind: fValue, val: v, line: vl, col: vc, allowed: []string{"<=" + num(*n.max)}})
			}
		}
	}
	switch k {
	case kMap:
		if n.props != nil || n.patProps != nil || n.addl != nil || n.addlFalse || n.required != nil {
			w.object(n, v, key, depth)
		}
	case kList:
		if n.items != nil {
			for i, c := range v.Content {
				w.path = append(w.path, pathElem{index: i, isIndex: true})
				w.validate(n.items, derefYAML(c), nil, depth+1)
				w.path = w.path[:len(w.path)-1]
			}
		}
		if n.unique && hasDuplicates(v) {
			w.add(finding{kind: fUnique, val: v, line: vl, col: vc})
		}
	}
	for _, s := range n.allOf {
		w.validate(s, v, key, depth+1)
	}
	if n.anyOf != nil {
		w.branches(n.anyOf, v, key, depth, false)
	}
	if n.oneOf != nil {
		w.branches(n.oneOf, v, key, depth, true)
	}
	if n.not != nil {
		mark := len(w.out)
		w.validate(n.not, v, key, depth+1)
		passed := len(w.out) == mark
		w.out = w.out[:mark]
		if passed {
			w.add(finding{kind: fMatchN, val: v, line: vl, col: vc})
		}
	}
}

// enum reports whether validation of v should go on. A value of a kind no
// enum member has is a type error (CUE reports "mismatched types"); a value
// of the right kind outside the set is an invalid value.
func (w *walker) enum(n *node, v *yaml.Node, k kinds) bool {
	vl, vc := valuePos(v)
	var want kinds
	var allowed []string
	for _, e := range n.enum {
		ek := jsonKind(e)
		want |= ek
		if ek&k != 0 && enumEqual(e, v, k) {
			return true
		}
		allowed = append(allowed, cueLiteral(e))
	}
	if want&k == 0 {
		w.add(finding{kind: fType, want: want, got: k, val: v, line: vl, col: vc})
		return false
	}
	w.add(finding{kind: fValue, val: v, line: vl, col: vc, allowed: allowed})
	return true
}

// branches evaluates oneOf/anyOf. When no branch accepts v, the findings of
// every branch are kept, as CUE reports every failed disjunct; the
// post-processing keeps only the deepest, which is the branch whose shape
// matched the node. A oneOf that more than one branch accepts is a
// "matchN" failure on the node itself.
func (w *walker) branches(subs []*node, v, key *yaml.Node, depth int, one bool) {
	vl, vc := valuePos(v)
	mark := len(w.out)
	pass := 0
	for _, s := range subs {
		before := len(w.out)
		w.validate(s, v, key, depth+1)
		if len(w.out) == before {
			pass++
		}
	}
	switch {
	case pass == 0:
		// keep every branch's findings
	case pass == 1 || !one:
		w.out = w.out[:mark]
	default:
		w.out = w.out[:mark]
		w.add(finding{kind: fMatchN, val: v, line: vl, col: vc})
	}
}

func (w *walker) object(n *node, v, key *yaml.Node, depth int) {
	ps, _ := fields(v, 0)
	for _, kv := range ps {
		name := kv[0].Value
		val := derefYAML(kv[1])
		w.path = append(w.path, pathElem{key: name})
		matched := false
		if sub, ok := n.props[name]; ok {
			matched = true
			w.validate(sub, val, kv[0], depth+1)
		}
		for _, pp := range n.patProps {
			if pp.re.match(name) {
				matched = true
				w.validate(pp.n, val, kv[0], depth+1)
			}
		}
		if !matched {
			switch {
			case n.addlFalse:
				w.add(finding{kind: fNotAllowed, line: kv[0].Line, col: kv[0].Column, candidates: n.propNames})
			case n.addl != nil:
				w.validate(n.addl, val, kv[0], depth+1)
			}
		}
		w.path = w.path[:len(w.path)-1]
	}
	for _, r := range n.required {
		if !slices.ContainsFunc(ps, func(kv [2]*yaml.Node) bool { return kv[0].Value == r }) {
			line, col := valuePos(v)
			if key != nil {
				line, col = key.Line, key.Column
			}
			w.path = append(w.path, pathElem{key: r})
			w.add(finding{kind: fRequired, line: line, col: col})
			w.path = w.path[:len(w.path)-1]
		}
	}
}

// duplicates reports repeated keys anywhere in the document, extension
// values included, as the reference does on its decoded tree (aliases
// expanded, so a repeat inside an anchor is reported once per use).
func (w *walker) duplicates(v *yaml.Node, depth int) {
	v = derefYAML(v)
	if v == nil || w.halted {
		return
	}
	w.visits++
	if w.visits > maxVisits || depth > maxDepth {
		w.halted = true
		return
	}
	switch v.Kind {
	case yaml.MappingNode:
		ps, dups := fields(v, 0)
		for _, d := range dups {
			w.path = append(w.path, pathElem{key: d.Value})
			w.add(finding{kind: fDuplicate, line: d.Line, col: d.Column})
			w.path = w.path[:len(w.path)-1]
		}
		for _, kv := range ps {
			w.path = append(w.path, pathElem{key: kv[0].Value})
			w.duplicates(kv[1], depth+1)
			w.path = w.path[:len(w.path)-1]
		}
	case yaml.SequenceNode:
		for i, c := range v.Content {
			w.path = append(w.path, pathElem{index: i, isIndex: true})
			w.duplicates(c, depth+1)
			w.path = w.path[:len(w.path)-1]
		}
	}
}

func restartOK(s string) bool {
	switch s {
	case "no", "always", "unless-stopped":
		return true
	}
	return onFailureRe.MatchString(s)
}

var onFailureRe = regexp.MustCompile(`^on-failure(:[0-9]+)?$`)

// hasDuplicates reports whether two entries of a list are equal values, the
// way CUE's list.UniqueItems compares them.
func hasDuplicates(v *yaml.Node) bool {
	if len(v.Content) < 2 {
		return false
	}
	seen := make(map[string]bool, len(v.Content))
	var b strings.Builder
	for _, c := range v.Content {
		b.Reset()
		canon(&b, derefYAML(c), 0)
		s := b.String()
		if seen[s] {
			return true
		}
		seen[s] = true
	}
	return false
}

// canon writes a canonical form of a value: equal values (42 and 0x2a, a
// mapping in any key order) give equal strings.
func canon(b *strings.Builder, v *yaml.Node, depth int) {
	if v == nil || depth > 64 {
		b.WriteString("?")
		return
	}
	switch k := kindOf(v); k {
	case kMap:
		ps, _ := fields(v, 0)
		keys := make([]string, 0, len(ps))
		m := map[string]*yaml.Node{}
		for _, kv := range ps {
			keys = append(keys, kv[0].Value)
			m[kv[0].Value] = kv[1]
		}
		sort.Strings(keys)
		b.WriteString("{")
		for _, key := range keys {
			b.WriteString(strconv.Quote(key) + ":")
			canon(b, derefYAML(m[key]), depth+1)
			b.WriteString(",")
		}
		b.WriteString("}")
	case kList:
		b.WriteString("[")
		for _, c := range v.Content {
			canon(b, derefYAML(c), depth+1)
			b.WriteString(",")
		}
		b.WriteString("]")
	case kInt, kFloat:
		if f, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64); err == nil {
			b.WriteString("n" + num(f))
		} else if i, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64); err == nil {
			b.WriteString("n" + strconv.FormatInt(i, 10))
		} else {
			b.WriteString("n" + v.Value)
		}
	case kBool:
		b.WriteString("b" + strconv.FormatBool(boolValue(v.Value)))
	case kNull:
		b.WriteString("null")
	default:
		b.WriteString("s" + strconv.Quote(v.Value))
	}
}

func num(f float64) string {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return fmt.Sprint(f)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

func boolValue(s string) bool {
	switch s {
	case "true", "True", "TRUE":
		return true
	}
	return false
}

func jsonKind(e any) kinds {
	switch x := e.(type) {
	case nil:
		return kNull
	case bool:
		return kBool
	case float64:
		if x == math.Trunc(x) {
			return kInt
		}
		return kFloat
	case string:
		return kString
	case []any:
		return kList
	case map[string]any:
		return kMap
	}
	return 0
}

func enumEqual(e any, v *yaml.Node, k kinds) bool {
	switch x := e.(type) {
	case nil:
		return k == kNull
	case bool:
		return k == kBool && boolValue(v.Value) == x
	case string:
		return k == kString && v.Value == x
	case float64:
		f, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
		return err == nil && f == x
	}
	return false
}

// cueLiteral renders an enum member as package schema quotes it (CUE
// syntax: strings double-quoted).
func cueLiteral(e any) string {
	switch x := e.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case float64:
		return num(x)
	}
	return fmt.Sprint(e)
}
