package fast

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	composeschema "github.com/compose-spec/compose-go/v2/schema"

	"github.com/berth-compose/berth/schema/internal/specfix"
)

// kinds is a set of value kinds, the way CUE sees YAML data: an integer is
// not a float (CUE rejects 1.0 where JSON Schema says "integer"), and a
// JSON Schema "number" admits both.
type kinds uint8

const (
	kNull kinds = 1 << iota
	kBool
	kInt
	kFloat
	kString
	kList
	kMap
	kBytes // !!binary: CUE decodes it to bytes, which no JSON Schema type admits

	kNumber = kInt | kFloat
)

// kindOrder is the order in which type names appear in messages.
var kindOrder = []kinds{kNull, kBool, kInt, kFloat, kString, kList, kMap}

// name is the word a YAML author uses for one kind, as package schema
// words it ("mapping", not "struct" or "object").
func (k kinds) name() string {
	switch k {
	case kNull:
		return "null"
	case kBool:
		return "boolean"
	case kInt:
		return "integer"
	case kFloat, kNumber:
		return "number"
	case kString:
		return "string"
	case kList:
		return "list"
	case kMap:
		return "mapping"
	case kBytes:
		return "bytes"
	}
	return "value"
}

// names lists the kinds of a set for a message; int and float together are
// one "number".
func (k kinds) names() []string {
	var out []string
	for _, one := range kindOrder {
		if k&one == 0 {
			continue
		}
		if one == kInt && k&kNumber == kNumber {
			out = append(out, "number")
			continue
		}
		if one == kFloat && k&kInt != 0 {
			continue
		}
		out = append(out, one.name())
	}
	return out
}

// rx is a pattern compiled on first use: most patterns of the schema are
// never needed for a given file, and compiling all ~70 of them up front
// would dominate the compile budget.
type rx struct {
	src  string
	once sync.Once
	re   *regexp.Regexp
	err  error
}

func (r *rx) match(s string) bool {
	r.once.Do(func() { r.re, r.err = regexp.Compile(r.src) })
	if r.err != nil {
		// compile() has already proven every pattern compiles (see
		// checkPatterns in the tests); fail open rather than panic.
		return true
	}
	return r.re.MatchString(s)
}

type patProp struct {
	re *rx
	n  *node
}

// node is one compiled JSON Schema (sub)schema. Only the keywords compose's
// schema uses are represented; compile fails on any other so that a
// compose-go bump cannot silently weaken validation.
type node struct {
	ref *node // $ref target; the other fields of a $ref node are ignored, as in CUE's import

	types kinds // 0: any kind
	enum  []any // JSON values; nil: no enum
	hasEn bool

	pattern  *rx
	format   string
	min, max *float64
	unique   bool

	props     map[string]*node
	propNames []string // declaration order, for suggestions
	patProps  []patProp
	addl      *node // additionalProperties schema (nil: allowed)
	addlFalse bool
	required  []string

	items *node

	oneOf, anyOf, allOf []*node
	not                 *node

	// restart is berth's extra constraint (schema/extra.cue) for
	// services.*.restart, which compose-spec.json leaves a plain string.
	restart bool
}

// knownKeyword reports whether compile understands the keyword k.
// Annotations are accepted and ignored; anything else is an error. A switch
// rather than a map: a package-level map is built at every berth start.
func knownKeyword(k string) bool {
	switch k {
	case "$schema", "$id", "$defs", "definitions", "$ref",
		"title", "description", "deprecated", "default", "examples", "$comment",
		"type", "enum", "const", "pattern", "format",
		"minimum", "maximum", "uniqueItems",
		"properties", "patternProperties", "additionalProperties", "required",
		"items", "oneOf", "anyOf", "allOf", "not":
		return true
	}
	return false
}

type compiler struct {
	defs map[string]any
	refs map[string]*node
}

// root is the compiled compose schema, built on first use and never in
// init, so commands that do not validate pay nothing.
var root = sync.OnceValues(func() (*node, error) {
	return compileSchema([]byte(composeschema.Schema))
})

// compileSchema decodes a compose-spec JSON Schema, applies the
// unevaluatedProperties fix that compose.cue is generated with, and builds
// the validator tree.
func compileSchema(raw []byte) (*node, error) {
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("decoding compose-spec.json: %w", err)
	}
	if err := specfix.Fix(doc); err != nil {
		return nil, fmt.Errorf("rewriting unevaluatedProperties: %w", err)
	}
	defs, _ := doc["$defs"].(map[string]any)
	c := &compiler{defs: defs, refs: map[string]*node{}}
	n, err := c.compile(doc, "#")
	if err != nil {
		return nil, err
	}
	if err := addExtra(n); err != nil {
		return nil, fmt.Errorf("applying extra constraints: %w", err)
	}
	return n, nil
}

// addExtra mirrors schema/extra.cue: the restart policies Docker Engine
// accepts. It fails when the schema no longer has the field, so a change
// in compose-spec.json is noticed.
func addExtra(root *node) error {
	svc := root.props["services"]
	if svc == nil || len(svc.patProps) != 1 {
		return fmt.Errorf("services has an unexpected shape")
	}
	s := deref(svc.patProps[0].n)
	r := s.props["restart"]
	if r == nil {
		return fmt.Errorf("service has no restart property")
	}
	s.props["restart"] = &node{allOf: []*node{r}, restart: true}
	return nil
}

func deref(n *node) *node {
	for i := 0; n != nil && n.ref != nil && i < 64; i++ {
		n = n.ref
	}
	return n
}

func (c *compiler) compile(v any, at string) (*node, error) {
	switch v := v.(type) {
	case bool:
		if v {
			return &node{}, nil
		}
		return &node{not: &node{}}, nil
	case map[string]any:
		return c.compileObj(v, at)
	}
	return nil, fmt.Errorf("%s: schema is a %T, want an object or a boolean", at, v)
}

func (c *compiler) compileObj(m map[string]any, at string) (*node, error) {
	for k := range m {
		if !knownKeyword(k) {
			return nil, fmt.Errorf("%s: unsupported JSON Schema keyword %q", at, k)
		}
	}
	n := &node{}
	if ref, ok := m["$ref"].(string); ok {
		target, err := c.ref(ref, at)
		if err != nil {
			return nil, err
		}
		n.ref = target
		return n, nil
	}
	var err error
	if t, ok := m["type"]; ok {
		if n.types, err = typeSet(t, at); err != nil {
			return nil, err
		}
	}
	if e, ok := m["enum"].([]any); ok {
		n.enum, n.hasEn = e, true
	}
	if cv, ok := m["const"]; ok {
		n.enum, n.hasEn = []any{cv}, true
	}
	if p, ok := m["pattern"].(string); ok {
		// Compiled on first use; TestPatternsCompile proves they all do.
		n.pattern = &rx{src: p}
	}
	if f, ok := m["format"].(string); ok {
		// compose-go registers one format, duration; any other would be
		// a check nobody performs, so compile rejects it.
		if f != "duration" {
			return nil, fmt.Errorf("%s: unsupported format %q", at, f)
		}
		n.format = f
	}
	if x, ok := m["minimum"].(float64); ok {
		n.min = &x
	}
	if x, ok := m["maximum"].(float64); ok {
		n.max = &x
	}
	n.unique, _ = m["uniqueItems"].(bool)
	if props, ok := m["properties"].(map[string]any); ok {
		n.props = make(map[string]*node, len(props))
		for k, sub := range props {
			if n.props[k], err = c.compile(sub, at+"/properties/"+k); err != nil {
				return nil, err
			}
			n.propNames = append(n.propNames, k)
		}
		sort.Strings(n.propNames)
	}
	if pats, ok := m["patternProperties"].(map[string]any); ok {
		keys := make([]string, 0, len(pats))
		for k := range pats {
			keys = append(keys, k)
		}
		sort.Strings(keys) // deterministic
		for _, k := range keys {
			sub, err := c.compile(pats[k], at+"/patternProperties/"+k)
			if err != nil {
				return nil, err
			}
			n.patProps = append(n.patProps, patProp{re: &rx{src: k}, n: sub})
		}
	}
	if a, ok := m["additionalProperties"]; ok {
		if b, isBool := a.(bool); isBool {
			n.addlFalse = !b
		} else if n.addl, err = c.compile(a, at+"/additionalProperties"); err != nil {
			return nil, err
		}
	}
	if r, ok := m["required"].([]any); ok {
		for _, x := range r {
			s, ok := x.(string)
			if !ok {
				return nil, fmt.Errorf("%s: required entry %v is not a string", at, x)
			}
			n.required = append(n.required, s)
		}
	}
	if it, ok := m["items"]; ok {
		if n.items, err = c.compile(it, at+"/items"); err != nil {
			return nil, err
		}
	}
	for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
		list, ok := m[kw]
		if !ok {
			continue
		}
		arr, ok := list.([]any)
		if !ok {
			return nil, fmt.Errorf("%s: %s is not a list", at, kw)
		}
		subs := make([]*node, len(arr))
		for i, s := range arr {
			if subs[i], err = c.compile(s, fmt.Sprintf("%s/%s/%d", at, kw, i)); err != nil {
				return nil, err
			}
		}
		switch kw {
		case "oneOf":
			n.oneOf = subs
		case "anyOf":
			n.anyOf = subs
		default:
			n.allOf = subs
		}
	}
	if x, ok := m["not"]; ok {
		if n.not, err = c.compile(x, at+"/not"); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// ref resolves a local $ref once; the placeholder is registered before the
// target is compiled so that recursive definitions terminate.
func (c *compiler) ref(ref, at string) (*node, error) {
	if n, ok := c.refs[ref]; ok {
		return n, nil
	}
	name, ok := strings.CutPrefix(ref, "#/$defs/")
	if !ok {
		name, ok = strings.CutPrefix(ref, "#/definitions/")
	}
	def, found := c.defs[name]
	if !ok || !found {
		return nil, fmt.Errorf("%s: unresolvable $ref %q", at, ref)
	}
	n := &node{}
	c.refs[ref] = n
	target, err := c.compile(def, ref)
	if err != nil {
		return nil, err
	}
	*n = *target
	return n, nil
}

func typeSet(t any, at string) (kinds, error) {
	one := func(s any) (kinds, error) {
		switch s {
		case "null":
			return kNull, nil
		case "boolean":
			return kBool, nil
		case "integer":
			return kInt, nil
		case "number":
			return kNumber, nil
		case "string":
			return kString, nil
		case "array":
			return kList, nil
		case "object":
			return kMap, nil
		}
		return 0, fmt.Errorf("%s: unknown type %v", at, s)
	}
	if list, ok := t.([]any); ok {
		var k kinds
		for _, s := range list {
			x, err := one(s)
			if err != nil {
				return 0, err
			}
			k |= x
		}
		return k, nil
	}
	return one(t)
}
