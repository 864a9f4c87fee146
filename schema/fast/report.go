package fast

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/berth-compose/berth/schema/rules"
	yaml "go.yaml.in/yaml/v4"
)

// report is one violation before it is rendered, after the findings on one
// path have been merged.
type report struct {
	path      []pathElem
	rule      rules.Rule
	line, col int
	msg       string
	skip      bool // an interpolated value: compose validates after substitution
}

// violations turns the raw findings into what package schema reports: one
// violation per path (the findings of every failed branch merged), only the
// deepest path of a chain, nothing below an unknown key, and no type or
// value errors on interpolated strings.
func (w *walker) violations(filename string) []rules.Violation {
	var out []rules.Violation
	if w.halted {
		out = append(out, rules.Violation{File: filename, Line: 1, Col: 1, Rule: rules.RuleYAMLSyntax,
			Message: "document too large or too deeply nested to validate (alias expansion?)"})
	}
	var groups [][]finding
	for _, f := range w.out {
		if f.kind == fDuplicate {
			parent := f.path[:len(f.path)-1]
			out = append(out, rules.Violation{File: filename, Line: f.line, Col: f.col, Path: formatPath(f.path),
				Rule: rules.RuleDuplicateKey, Message: fmt.Sprintf("duplicate key %q in %s", f.path[len(f.path)-1].key, describeParent(parent))})
			continue
		}
		i := 0
		for ; i < len(groups); i++ {
			if pathEqual(groups[i][0].path, f.path) {
				break
			}
		}
		if i == len(groups) {
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], f)
	}
	rs := make([]report, 0, len(groups))
	for _, g := range groups {
		rs = append(rs, classify(g))
	}
	for _, r := range rs {
		if underUnknown(r.path, rs) {
			continue
		}
		keep := r.rule == rules.RuleMissingRequired || isKeyRule(r.rule)
		if !keep {
			keep = true
			for _, o := range rs {
				if len(o.path) > len(r.path) && pathHasPrefix(o.path, r.path) {
					keep = false
					break
				}
			}
		}
		if !keep || r.skip {
			continue
		}
		out = append(out, rules.Violation{File: filename, Line: max(r.line, 1), Col: max(r.col, 1),
			Path: formatPath(r.path), Message: r.msg, Rule: r.rule})
	}
	return out
}

func isKeyRule(r rules.Rule) bool { return r == rules.RuleUnknownKey || r == rules.RuleInvalidName }

// underUnknown: everything below an unknown key is unknown too, so only the
// key is reported.
func underUnknown(p []pathElem, rs []report) bool {
	for _, o := range rs {
		if isKeyRule(o.rule) && len(o.path) < len(p) && pathHasPrefix(p, o.path) {
			return true
		}
	}
	return false
}

// classify merges the findings on one path. The precedence mirrors
// package schema: a missing key, then an unknown key, then repeated list
// entries, then a value outside an allowed set (some branch accepted the
// type), then a plain type error.
func classify(g []finding) report {
	r := report{path: g[0].path}
	first := func(k fkind) *finding {
		for i := range g {
			if g[i].kind == k {
				return &g[i]
			}
		}
		return nil
	}
	where := formatPath(r.path)
	if where == "" {
		where = "the document"
	}
	var want, got kinds
	var allowed, other []string
	var val *yaml.Node
	for _, f := range g {
		want |= f.want
		if f.kind == fType {
			got = f.got
		}
		for _, a := range f.allowed {
			allowed = appendUnique(allowed, a)
		}
		for _, o := range f.other {
			other = appendUnique(other, o)
		}
		if val == nil {
			val = f.val
		}
	}
	if f := first(fRequired); f != nil {
		r.rule, r.line, r.col = rules.RuleMissingRequired, f.line, f.col
		r.msg = fmt.Sprintf("missing required key %q in %s", lastKey(r.path), describeParent(r.path[:max(len(r.path)-1, 0)]))
		return r
	}
	if f := first(fNotAllowed); f != nil {
		r.line, r.col = f.line, f.col
		if kind := namedKind(r.path); kind != "" {
			r.rule = rules.RuleInvalidName
			r.msg = fmt.Sprintf("invalid %s name %q: only letters, digits, '.', '_' and '-' are allowed", kind, lastKey(r.path))
		} else {
			r.rule = rules.RuleUnknownKey
			r.msg = unknownKeyMsg(r.path, f.candidates)
		}
		return r
	}
	if f := first(fUnique); f != nil {
		r.rule, r.line, r.col = rules.RuleDuplicateItem, f.line, f.col
		r.msg = where + ": list entries must be unique"
		return r
	}
	if val != nil {
		r.line, r.col = valuePos(val)
	}
	r.skip = interpolated(val)
	switch {
	case len(allowed) > 0:
		r.rule = rules.RuleInvalidValue
		if got != 0 {
			for _, t := range want.names() {
				if t != got.name() {
					allowed = append(allowed, "any "+t)
				}
			}
		}
		r.msg = fmt.Sprintf("%s: invalid value %s, allowed: %s", where, shortValue(val), strings.Join(allowed, ", "))
	case first(fType) != nil:
		r.rule = rules.RuleWrongType
		r.msg = fmt.Sprintf("%s: expected %s, got %s", where, joinOr(want.names()), got.name())
		if s := shortValue(val); s != "" && s != got.name() && len(s) < 40 && val.Kind == yaml.ScalarNode { // "got null", not "got null null"
			r.msg += " " + s
		}
	case len(other) > 0:
		r.rule = rules.RuleInvalidValue
		r.msg = where + ": " + strings.Join(other, "; ")
	default:
		r.rule = rules.RuleWrongType
		r.msg = where + ": value does not match any form allowed here"
	}
	return r
}

func appendUnique(s []string, v string) []string {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// shortValue renders a scalar as the CUE reference echoes it (strings
// quoted); mappings and lists are named, not echoed.
func shortValue(v *yaml.Node) string {
	if v == nil {
		return ""
	}
	switch v.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	}
	switch kindOf(v) {
	case kString:
		return strconv.Quote(v.Value)
	case kNull:
		return "null"
	}
	return v.Value
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

// namedKind returns "service" etc. when p is the name of a top-level
// resource, whose names are constrained by a pattern.
func namedKind(p []pathElem) string {
	if len(p) != 2 || p[0].isIndex || p[1].isIndex {
		return ""
	}
	switch p[0].key {
	case "services", "networks", "volumes", "secrets", "configs", "models":
		return strings.TrimSuffix(p[0].key, "s")
	}
	return ""
}

func lastKey(p []pathElem) string {
	if len(p) == 0 {
		return ""
	}
	if e := p[len(p)-1]; !e.isIndex {
		return e.key
	}
	return strconv.Itoa(p[len(p)-1].index)
}

// describeParent names the mapping a key lives in, in the user's terms.
func describeParent(p []pathElem) string {
	if len(p) == 0 {
		return "the top level"
	}
	if k := namedKind(p); k != "" {
		return fmt.Sprintf("%s %q", k, p[1].key)
	}
	return formatPath(p)
}

func unknownKeyMsg(p []pathElem, cands []string) string {
	key := lastKey(p)
	parent := p[:len(p)-1]
	var msg string
	if len(parent) == 0 {
		msg = fmt.Sprintf("unknown top-level key %q (extensions must start with \"x-\")", key)
	} else {
		msg = fmt.Sprintf("unknown key %q in %s", key, describeParent(parent))
	}
	if s := suggest(key, cands); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

// suggest returns the closest candidate within a small edit distance.
func suggest(key string, cands []string) string {
	best, bestD := "", 3
	for _, c := range cands {
		if c == key {
			continue
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > 2 || len(key) <= 2 {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
