// Package policy checks compose files against a team's own constraints,
// written in CUE (docs/policy.md): each compose document, as written and
// with its variables substituted, is unified with each policy, and every
// conflict becomes a finding of rule BR900 at the offending value, with the
// message the policy's author wrote.
//
// CUE is only touched when a policy is given: a Set compiles its files on
// first use, so `berth lint` without policies pays nothing for it.
package policy

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
	"github.com/compose-spec/compose-go/v2/template"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// maxRounds bounds the re-validation rounds of one document (see check).
const maxRounds = 8

// Set is a list of policy files, compiled once, on first use. It is safe for
// concurrent use: evaluations are serialised, since a CUE context is not.
type Set struct {
	paths []string

	once     sync.Once
	mu       sync.Mutex
	ctx      *cue.Context
	policies []*policy
	err      error
}

type policy struct {
	name  string // as given, for messages
	file  string // the file name CUE positions carry
	value cue.Value
	msgs  []attrMsg // fields with a @berth("...") message
}

// attrMsg is the message of a @berth attribute and the span of its field.
type attrMsg struct {
	start, end int // byte offsets in the policy file
	msg        string
}

// New returns the set of the policy files at paths; nothing is read yet.
func New(paths ...string) *Set {
	return &Set{paths: slices.Clone(paths)}
}

// Len is the number of policy files.
func (s *Set) Len() int { return len(s.paths) }

// Compile reads and compiles every policy now (it is otherwise done on
// first use), so that a broken policy is reported before any file is
// linted. Errors are positioned *load.Error values, in a load.Errors.
func (s *Set) Compile() error {
	s.once.Do(s.compile)
	return s.err
}

func (s *Set) compile() {
	s.ctx = cuecontext.New()
	var errs load.Errors
	for _, path := range s.paths {
		p, err := s.compileFile(path)
		if err != nil {
			errs = append(errs, asLoadErrors(path, err)...)
			continue
		}
		s.policies = append(s.policies, p)
	}
	if len(errs) > 0 {
		s.err = errs
	}
}

func (s *Set) compileFile(path string) (*policy, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &load.Error{Pos: load.Position{File: path}, Msg: "cannot read policy", Err: err}
	}
	f, err := parser.ParseFile(path, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	p := &policy{name: path, file: path}
	ast.Walk(f, func(n ast.Node) bool {
		if fd, ok := n.(*ast.Field); ok {
			for _, a := range fd.Attrs {
				if msg, ok := berthMessage(a.Text); ok {
					p.msgs = append(p.msgs, attrMsg{start: fd.Pos().Offset(), end: fd.End().Offset(), msg: msg})
				}
			}
		}
		return true
	}, nil)
	v := s.ctx.BuildFile(f)
	if err := v.Err(); err != nil {
		return nil, err
	}
	if err := v.Validate(); err != nil { // conflicts in the policy itself
		return nil, err
	}
	p.value = v
	return p, nil
}

// berthMessage reads `@berth("message")` or `@berth(msg="message")`.
func berthMessage(attr string) (string, bool) {
	body, ok := strings.CutPrefix(attr, "@berth(")
	if !ok {
		return "", false
	}
	body = strings.TrimSpace(strings.TrimSuffix(body, ")"))
	if v, ok := strings.CutPrefix(body, "msg"); ok && strings.HasPrefix(strings.TrimSpace(v), "=") {
		body = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), "="))
	}
	if s, err := strconv.Unquote(body); err == nil {
		return s, true
	}
	return body, body != ""
}

// asLoadErrors gives CUE's errors file:line:col positions.
func asLoadErrors(path string, err error) load.Errors {
	var le *load.Error
	if errors.As(err, &le) {
		return load.Errors{le}
	}
	var out load.Errors
	for _, e := range cueerrors.Errors(err) {
		pos := load.Position{File: path}
		if p := firstPos(e); p.IsValid() {
			pos = load.Position{File: p.Filename(), Line: p.Line(), Column: p.Column()}
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if sel := e.Path(); len(sel) > 0 {
			msg = strings.Join(sel, ".") + ": " + msg
		}
		out = append(out, &load.Error{Pos: pos, Msg: "policy: " + msg, Err: e})
	}
	if len(out) == 0 {
		out = load.Errors{{Pos: load.Position{File: path}, Msg: "policy: " + err.Error(), Err: err}}
	}
	return out
}

func firstPos(e cueerrors.Error) token.Pos {
	if p := e.Position(); p.IsValid() {
		return p
	}
	for _, p := range cueerrors.Positions(e) {
		if p.IsValid() {
			return p
		}
	}
	return token.NoPos
}

// Rule returns a copy of base (the registry's BR900) whose Run checks the
// project's files against the set.
func (s *Set) Rule(base *lint.Rule) *lint.Rule {
	r := *base
	r.Run = func(p *lint.Pass) {
		for _, v := range s.Check(p.Project) {
			p.Reportf(v.Path, "%s", v.Message)
		}
	}
	return &r
}

// Violation is one conflict between a compose document and a policy.
type Violation struct {
	File    string // the compose file
	Path    string // model path, as load.PathOf writes it
	Message string
}

// Check evaluates every policy against every document of p's files. A set
// that does not compile checks nothing (Compile reports why).
func (s *Set) Check(p *load.Project) []Violation {
	if s == nil || len(s.paths) == 0 || s.Compile() != nil {
		return nil
	}
	env := map[string]string{}
	if p.Project != nil {
		env = p.Environment
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Violation
	for _, f := range p.Files {
		for _, doc := range f.Docs {
			if doc == nil || len(doc.Content) == 0 {
				continue
			}
			var data any
			if err := doc.Content[0].Load(&data); err != nil {
				continue // the schema rules report what keeps it from decoding
			}
			data = normalize(data, env)
			for _, pol := range s.policies {
				for _, v := range s.check(pol, data) {
					v.File = f.Name
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// check unifies one document with one policy. CUE reports a missing
// required field only when nothing else under the same parent failed, so
// the check runs in rounds: each round removes the values found wrong and
// validates again, until no new problem appears.
func (s *Set) check(pol *policy, data any) []Violation {
	var out []Violation
	var reported [][]string
	for round := 0; round < maxRounds; round++ {
		v := pol.value.Unify(s.ctx.Encode(data))
		err := v.Validate(cue.Concrete(true))
		if err == nil {
			break
		}
		fresh := 0
		var remove [][]string
		for _, g := range groupByPath(cueerrors.Errors(err)) {
			sel := unquotePath(g[0].Path())
			if slices.ContainsFunc(reported, func(r []string) bool { return related(r, sel) }) {
				continue
			}
			reported = append(reported, sel)
			remove = append(remove, sel)
			fresh++
			out = append(out, Violation{Path: modelPath(data, sel), Message: pol.message(g, sel)})
		}
		if fresh == 0 {
			break
		}
		for _, sel := range remove {
			data = without(data, sel)
		}
	}
	return out
}

// related reports whether a and b are the same path or one is under the
// other: a problem already reported there explains the new one.
func related(a, b []string) bool {
	n := min(len(a), len(b))
	return slices.Equal(a[:n], b[:n])
}

// groupByPath groups errors with the same path, in order: a failed
// disjunction comes as a summary followed by one error per branch.
func groupByPath(errs []cueerrors.Error) [][]cueerrors.Error {
	var out [][]cueerrors.Error
	index := map[string]int{}
	for _, e := range errs {
		key := strings.Join(e.Path(), "\x00")
		if i, ok := index[key]; ok {
			out[i] = append(out[i], e)
			continue
		}
		index[key] = len(out)
		out = append(out, []cueerrors.Error{e})
	}
	return out
}

func errorText(e cueerrors.Error) string {
	format, args := e.Msg()
	return fmt.Sprintf(format, args...)
}

// message is the author's message for the errors g at one path (a @berth
// attribute on the field that failed; CUE's error("...") messages arrive as
// the error itself), or CUE's own, with where it applies and which policy
// says so.
func (pol *policy) message(g []cueerrors.Error, sel []string) string {
	msg := errorText(g[0])
	if len(g) > 1 && strings.HasSuffix(msg, "errors in empty disjunction:") {
		var alts []string
		for _, e := range g[1:] {
			alts = append(alts, errorText(e))
		}
		msg = "no alternative holds: " + strings.Join(alts, "; ")
	}
	best := -1
	for _, e := range g {
		for _, p := range cueerrors.Positions(e) {
			if p.Filename() != pol.file {
				continue
			}
			off := p.Offset()
			for i, a := range pol.msgs {
				if a.start <= off && off < a.end && (best < 0 || a.end-a.start < pol.msgs[best].end-pol.msgs[best].start) {
					best = i
				}
			}
		}
	}
	if best >= 0 {
		msg = pol.msgs[best].msg
	}
	where := strings.Join(sel, ".")
	if where == "" {
		where = "the file"
	}
	return fmt.Sprintf("%s (%s, policy %s)", msg, where, filepath.Base(pol.name))
}

// unquotePath turns CUE's selectors into plain keys: a key that is not an
// identifier comes quoted (`"x-app"`).
func unquotePath(sel []string) []string {
	out := make([]string, len(sel))
	for i, s := range sel {
		if u, err := strconv.Unquote(s); err == nil && strings.HasPrefix(s, `"`) {
			s = u
		}
		out[i] = s
	}
	return out
}

// modelPath writes sel as a load path, with list indexes where data has a
// list.
func modelPath(data any, sel []string) string {
	segs := make([]any, 0, len(sel))
	cur := data
	for _, s := range sel {
		switch c := cur.(type) {
		case []any:
			i, err := strconv.Atoi(s)
			if err != nil || i < 0 || i >= len(c) {
				segs = append(segs, s)
				cur = nil
				continue
			}
			segs = append(segs, i)
			cur = c[i]
		case map[string]any:
			segs = append(segs, s)
			cur = c[s]
		default:
			segs = append(segs, s)
			cur = nil
		}
	}
	return load.PathOf(segs...)
}

// without returns data with the value at sel removed: a mapping entry is
// deleted, a list element takes the whole list with it (removing one would
// renumber the others).
func without(data any, sel []string) any {
	if len(sel) == 0 {
		return map[string]any{}
	}
	switch c := data.(type) {
	case map[string]any:
		child, ok := c[sel[0]]
		if !ok {
			return data
		}
		if len(sel) == 1 {
			delete(c, sel[0])
			return c
		}
		if _, isList := child.([]any); isList {
			if _, err := strconv.Atoi(sel[1]); err == nil {
				delete(c, sel[0])
				return c
			}
		}
		c[sel[0]] = without(child, sel[1:])
		return c
	}
	return data
}

// normalize makes decoded YAML encodable by CUE (string keys only) and
// substitutes variables in strings the way compose interpolates them; a
// value whose variable is missing keeps its text.
func normalize(v any, env map[string]string) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e, env)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e, env)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e, env)
		}
		return x
	case string:
		if !strings.Contains(x, "$") {
			return x
		}
		s, err := template.Substitute(x, func(name string) (string, bool) {
			val, ok := env[name]
			return val, ok
		})
		if err != nil {
			return x
		}
		return s
	}
	return v
}
