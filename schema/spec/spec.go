// Package spec finds every compose-spec violation of a compose file, each at
// the YAML node to change. It is berth's one run-time validator, and it is
// the validator Docker Compose itself runs: santhosh-tekuri/jsonschema/v6 on
// the compose-spec.json that compose-go embeds, compiled the way compose-go
// compiles it, over the data compose-go would hand it (the file decoded by
// yaml/v4, variables substituted and cast by compose-go's own interpolation
// rules, list entries made unique by compose-go's own override package).
// Where compose-go stops at the most specific error, this package walks the
// whole error tree, so a file with five problems gets five findings.
//
// schema/compose.cue is the readable reference: tests hold its verdicts to
// this package's, and this package's verdicts to compose-go's loader.
package spec

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	composeschema "github.com/compose-spec/compose-go/v2/schema"
	"github.com/santhosh-tekuri/jsonschema/v6"
	yaml "go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/schema/rules"
)

// compiled is compose-go's schema, compiled on first use (never in init:
// commands that do not validate pay nothing).
var compiled = sync.OnceValues(func() (*Schema, error) {
	return Compile(composeschema.Schema)
})

// Prepare compiles compose-go's schema for Validate, ahead of the first
// call: a caller that knows it will validate runs it in its own goroutine
// beside its other work (Validate waits for a compile in flight).
func Prepare() { _, _ = compiled() }

// PrepareCompose does the same for compose-go's own copy, the one its loader
// validates with. It compiles on the first validation and keeps the result;
// validating an empty model is how to start that from outside.
func PrepareCompose() { _ = composeschema.Validate(map[string]any{}) }

// Schema is a compiled compose-spec JSON Schema.
type Schema struct {
	js  *jsonschema.Schema
	src string
	// doc is the schema as JSON values, read only to suggest a key for an
	// unknown one (the error path).
	doc func() (any, error)
}

// Compile compiles a compose-spec JSON Schema the way compose-go's schema
// package does (same draft, same "duration" format checker), so that the
// verdicts are compose-go's. Tests use it for other compose-go releases'
// schemas.
func Compile(src string) (*Schema, error) {
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(src))
	if err != nil {
		return nil, fmt.Errorf("reading compose-spec.json: %w", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("compose-spec.json", doc); err != nil {
		return nil, fmt.Errorf("loading compose-spec.json: %w", err)
	}
	c.RegisterFormat(&jsonschema.Format{Name: "duration", Validate: func(v any) error {
		s, ok := v.(string)
		if !ok {
			return errors.New("expected string")
		}
		_, err := time.ParseDuration(s)
		return err
	}})
	js, err := c.Compile("compose-spec.json")
	if err != nil {
		return nil, fmt.Errorf("compiling compose-spec.json: %w", err)
	}
	return &Schema{js: js, src: src, doc: sync.OnceValues(func() (any, error) {
		var v any
		err := json.Unmarshal([]byte(src), &v)
		return v, err
	})}, nil
}

// candidates lists the keys the schema declares for the object whose
// additionalProperties or unevaluatedProperties refused a key (schemaURL
// is the refusing keyword's location), following allOf references.
func (s *Schema) candidates(schemaURL string) []string {
	doc, err := s.doc()
	if err != nil {
		return nil
	}
	_, frag, _ := strings.Cut(schemaURL, "#")
	toks := strings.Split(strings.TrimPrefix(frag, "/"), "/")
	if n := len(toks); n > 0 && (toks[n-1] == "additionalProperties" || toks[n-1] == "unevaluatedProperties") {
		toks = toks[:n-1]
	}
	obj := pointer(doc, toks)
	var out []string
	var walk func(o map[string]any, depth int)
	walk = func(o map[string]any, depth int) {
		if o == nil || depth > 8 {
			return
		}
		if props, ok := o["properties"].(map[string]any); ok {
			for k := range props {
				out = append(out, k)
			}
		}
		all, _ := o["allOf"].([]any)
		for _, a := range all {
			am, _ := a.(map[string]any)
			if ref, ok := am["$ref"].(string); ok && strings.HasPrefix(ref, "#/") {
				target, _ := pointer(doc, strings.Split(ref[2:], "/")).(map[string]any)
				walk(target, depth+1)
			} else {
				walk(am, depth+1)
			}
		}
	}
	m, _ := obj.(map[string]any)
	walk(m, 0)
	sort.Strings(out)
	return out
}

// pointer resolves a JSON pointer's tokens in doc.
func pointer(doc any, toks []string) any {
	cur := doc
	for _, t := range toks {
		if t == "" {
			continue
		}
		if u, err := url.PathUnescape(t); err == nil {
			t = u
		}
		t = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[t]
	}
	return cur
}

// Options say how compose-go will read the file, which changes what it
// validates.
type Options struct {
	// Interpolate substitutes variables (and casts the typed fields, as
	// compose-go does) before validating; false is --no-interpolate.
	Interpolate bool
	// Lookup returns a variable's value; nil looks nothing up (every
	// variable unset).
	Lookup func(name string) (string, bool)
	// Schema overrides compose-go's compiled schema (tests of other
	// compose-go releases); nil is the linked compose-go's.
	Schema *Schema
}

// Validate checks the documents of one parsed compose file (yaml/v4
// DocumentNodes, as load.ParseFile returns them) and returns every
// violation, sorted by position. An empty or null document yields nothing:
// whether an empty file is a problem is the caller's decision. It never
// panics; an internal failure is reported, not lost.
func Validate(filename string, docs []*yaml.Node, opts Options) (out []rules.Violation) {
	defer func() {
		if r := recover(); r != nil {
			out = append(out, rules.Violation{File: filename, Line: 1, Col: 1, Rule: rules.RuleInvalidValue,
				Message: fmt.Sprintf("internal error while validating: %v", r)})
		}
		sortViolations(out)
	}()
	sch := opts.Schema
	if sch == nil {
		var err error
		if sch, err = compiled(); err != nil {
			return []rules.Violation{{File: filename, Line: 1, Col: 1, Rule: rules.RuleInvalidValue,
				Message: fmt.Sprintf("internal error: %v", err)}}
		}
	}
	for _, d := range docs {
		out = append(out, validateDoc(sch, filename, d, opts)...)
	}
	return out
}

// Data returns, for each non-empty document, the value Validate hands the
// JSON Schema validator: the data compose-go validates. Tests give the same
// data to the CUE reference.
func Data(docs []*yaml.Node, opts Options) []any {
	var out []any
	for _, root := range docs {
		top := topNode(root)
		if top == nil {
			continue
		}
		c := &converter{opts: opts}
		d := &document{root: top, data: c.value(top, nil, 0)}
		d.unique()
		out = append(out, d.data)
	}
	return out
}

// topNode is a document's top-level node, nil for an empty or null one.
func topNode(root *yaml.Node) *yaml.Node {
	top := root
	if top != nil && top.Kind == yaml.DocumentNode {
		if len(top.Content) == 0 {
			return nil
		}
		top = top.Content[0]
	}
	top = deref(top)
	if top == nil || isNull(top) {
		return nil
	}
	return top
}

func validateDoc(sch *Schema, filename string, root *yaml.Node, opts Options) []rules.Violation {
	top := topNode(root)
	if top == nil {
		return nil
	}
	c := &converter{opts: opts}
	data := c.value(top, nil, 0)
	if c.halted {
		return []rules.Violation{{File: filename, Line: max(top.Line, 1), Col: max(top.Column, 1), Rule: rules.RuleYAMLSyntax,
			Message: "document too large or too deeply nested to validate (alias expansion?)"}}
	}
	d := &document{root: top, data: data, skip: c.skip, schema: sch}
	d.unique()
	out := d.nonFinite(filename)
	if err := sch.js.Validate(d.data); err != nil {
		var verr *jsonschema.ValidationError
		if !errors.As(err, &verr) {
			return []rules.Violation{{File: filename, Line: 1, Col: 1, Rule: rules.RuleInvalidValue,
				Message: fmt.Sprintf("internal error while validating: %v", err)}}
		}
		schemaVs := d.report(filename, verr)
		// A non-finite number the schema refuses anyway needs no second finding.
		out = slices.DeleteFunc(out, func(n rules.Violation) bool {
			return slices.ContainsFunc(schemaVs, func(v rules.Violation) bool { return v.Path == n.Path })
		})
		out = append(out, schemaVs...)
	}
	out = append(out, conflictingKeys(filename, d)...)
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

// Accepts validates one document's data (as Data returns it) against
// compose-go's schema alone, without berth's wording or compose-go's checks
// outside the schema: the verdict the CUE reference is held to.
func Accepts(data any) error {
	sch, err := compiled()
	if err != nil {
		return err
	}
	return sch.js.Validate(data)
}
