package schema

import (
	"bytes"
	_ "embed"
	stderrors "errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
	cueyaml "cuelang.org/go/encoding/yaml"
	yaml "go.yaml.in/yaml/v4"
)

//go:embed extra.cue
var extraCUE []byte

// compiledSchema is built on first use, never in init: `berth --version`
// must not pay for compiling ~1,300 lines of CUE.
var compiledSchema = sync.OnceValues(func() (cue.Value, error) {
	// extra.cue is appended to compose.cue and compiled as one file: two
	// compiles plus a Unify made CUE evaluate the whole schema eagerly,
	// which doubled the start-up cost.
	_, extraBody, ok := bytes.Cut(extraCUE, []byte("package schema\n"))
	if !ok {
		return cue.Value{}, fmt.Errorf("extra.cue: missing package clause")
	}
	src := make([]byte, 0, len(composeCUE)+len(extraBody)+1)
	src = append(append(append(src, composeCUE...), '\n'), extraBody...)
	s := cuecontext.New().CompileBytes(src, cue.Filename("compose.cue"))
	if err := s.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("compiling embedded compose.cue + extra.cue: %w", err)
	}
	return s, nil
})

// schemaMu serialises use of the shared cue.Context. CUE documents values as
// safe for concurrent reads, but building new values into one Context from
// several goroutines is not a documented guarantee, and validating files one
// at a time is fast enough.
var schemaMu sync.Mutex

// maxRounds bounds the re-validation loop (see validateDoc). Each round can
// only remove nodes, so it terminates anyway; the bound keeps pathological
// inputs cheap.
const maxRounds = 16

var debugRounds = os.Getenv("BERTH_SCHEMA_DEBUG") != ""

// Validate checks one compose file as written (before interpolation and
// merging) against the compose specification and returns every violation,
// sorted by position. It never panics; an internal failure is reported as a
// violation at 1:1 rather than lost.
func Validate(filename string, src []byte) (out []Violation) {
	defer func() {
		if r := recover(); r != nil {
			out = append(out, Violation{File: filename, Line: 1, Col: 1, Rule: RuleYAMLSyntax,
				Message: fmt.Sprintf("internal error while validating: %v", r)})
		}
		sortViolations(out)
	}()
	return validate(filename, src)
}

// ValidateFiles validates several files; it is a convenience for callers that
// already hold the bytes.
func ValidateFiles(files map[string][]byte) []Violation {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var out []Violation
	for _, n := range names {
		out = append(out, Validate(n, files[n])...)
	}
	return out
}

func sortViolations(vs []Violation) {
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

func validate(filename string, src []byte) []Violation {
	// yaml/v4 (the parser compose-go uses) decides what is valid YAML and
	// gives syntax errors with a line and a column; CUE's decoder gives only
	// a line.
	docs, err := parseYAML(src)
	if err != nil {
		line, col := yamlErrorPos(err)
		return []Violation{{File: filename, Line: line, Col: col, Rule: RuleYAMLSyntax,
			Message: "invalid YAML: " + yamlErrorMsg(err)}}
	}
	nonEmpty := 0
	for _, d := range docs {
		if !emptyDoc(d) {
			nonEmpty++
		}
	}
	if nonEmpty == 0 {
		return []Violation{{File: filename, Line: 1, Col: 1, Rule: RuleEmptyFile,
			Message: "the file contains no compose document"}}
	}
	memo := map[*yaml.Node]int{}
	for _, d := range docs {
		if expandedSize(d, memo, maxExpandedNodes) >= maxExpandedNodes {
			return []Violation{{File: filename, Line: max(d.Line, 1), Col: max(d.Column, 1), Rule: RuleYAMLSyntax,
				Message: fmt.Sprintf("invalid YAML: aliases and merge keys expand to more than %d nodes", maxExpandedNodes)}}
		}
	}
	blanked := blankMergeTags(src, docs)

	schema, err := compiledSchema()
	if err != nil {
		return []Violation{{File: filename, Line: 1, Col: 1, Rule: RuleYAMLSyntax,
			Message: fmt.Sprintf("internal error: %v", err)}}
	}
	schemaMu.Lock()
	defer schemaMu.Unlock()

	yt := newYtree()
	var out []Violation
	dec := cueyaml.NewDecoder(filename, bytes.NewReader(blanked))
	for i := 0; ; i++ {
		expr, err := dec.Extract()
		if err == io.EOF {
			break
		}
		if err != nil {
			line := cueErrorLine(err)
			out = append(out, Violation{File: filename, Line: line, Col: 1, Rule: RuleYAMLSyntax,
				Message: "invalid YAML: " + stripFilePrefix(err.Error(), filename)})
			break
		}
		if i < len(docs) && emptyDoc(docs[i]) {
			continue
		}
		if lit, ok := expr.(*ast.BasicLit); ok && lit.Kind == token.NULL {
			continue
		}
		var doc *yaml.Node
		if i < len(docs) {
			doc = docs[i]
		}
		out = append(out, safeValidateDoc(schema, yt, filename, expr, doc)...)
	}
	out = append(out, yt.conflictingKeys(filename, docs)...)
	out = append(out, yt.badProtocols(filename, docs)...)
	return out
}

// parseYAML reads every document of the stream with yaml/v4. A panic inside
// the parser (it is a release candidate) becomes an error, not a crash.
func parseYAML(src []byte) (docs []*yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("YAML parser failure: %v", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(src))
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if err == io.EOF {
			return docs, nil
		}
		if err != nil {
			return nil, err
		}
		docs = append(docs, &n)
	}
}

func emptyDoc(d *yaml.Node) bool {
	if d == nil || len(d.Content) == 0 {
		return true
	}
	c := d.Content[0]
	return c.Kind == yaml.ScalarNode && c.Tag == "!!null"
}

var lineColRe = regexp.MustCompile(`line (\d+)(?:, column (\d+))?`)

func yamlErrorPos(err error) (int, int) {
	var le *yaml.LoadError
	if stderrors.As(err, &le) && le.Mark.Line > 0 {
		return le.Mark.Line, max(le.Mark.Column, 1)
	}
	// Fall back to the text, which always names the line.
	if m := lineColRe.FindAllStringSubmatch(err.Error(), -1); len(m) > 0 {
		last := m[len(m)-1]
		line, _ := strconv.Atoi(last[1])
		col, _ := strconv.Atoi(last[2])
		return max(line, 1), max(col, 1)
	}
	return 1, 1
}

func yamlErrorMsg(err error) string {
	var le *yaml.LoadError
	if stderrors.As(err, &le) && le.Message != "" {
		if le.ContextMsg != "" && le.ContextMark.Line > 0 {
			return fmt.Sprintf("%s (started at %d:%d): %s", le.ContextMsg, le.ContextMark.Line, max(le.ContextMark.Column, 1), le.Message)
		}
		return le.Message
	}
	return strings.TrimPrefix(err.Error(), "yaml: ")
}

var cueLineRe = regexp.MustCompile(`:(\d+):`)

func cueErrorLine(err error) int {
	if m := cueLineRe.FindStringSubmatch(err.Error()); m != nil {
		if n, _ := strconv.Atoi(m[1]); n > 0 {
			return n
		}
	}
	return 1
}

func stripFilePrefix(msg, filename string) string {
	msg = strings.TrimPrefix(msg, filename+":")
	if i := strings.Index(msg, ": "); i >= 0 && i < 8 {
		if _, err := strconv.Atoi(msg[:i]); err == nil {
			msg = msg[i+2:]
		}
	}
	return msg
}

// blankMergeTags overwrites the compose-specific `!reset` and `!override`
// tags with spaces. CUE's YAML decoder rejects custom tags on scalars, and
// blanking (instead of deleting) keeps every line:col of the file unchanged.
func blankMergeTags(src []byte, docs []*yaml.Node) []byte {
	out := slices.Clone(src)
	lineStart := []int{0}
	for i, b := range out {
		if b == '\n' {
			lineStart = append(lineStart, i+1)
		}
	}
	var walk func(n *yaml.Node, depth int)
	walk = func(n *yaml.Node, depth int) {
		if n == nil || depth > 10000 {
			return
		}
		if (n.Tag == "!reset" || n.Tag == "!override") && n.Line >= 1 && n.Line <= len(lineStart) {
			end := len(out)
			if n.Line < len(lineStart) {
				end = lineStart[n.Line]
			}
			start := min(lineStart[n.Line-1]+max(n.Column-1, 0), end)
			// The node's mark may sit on the tag or on the value after it,
			// so search the line from the start when needed.
			if i := bytes.Index(out[start:end], []byte(n.Tag)); i >= 0 {
				copy(out[start+i:], bytes.Repeat([]byte(" "), len(n.Tag)))
			} else if i := bytes.Index(out[lineStart[n.Line-1]:end], []byte(n.Tag)); i >= 0 {
				copy(out[lineStart[n.Line-1]+i:], bytes.Repeat([]byte(" "), len(n.Tag)))
			}
		}
		for _, c := range n.Content {
			walk(c, depth+1)
		}
	}
	for _, d := range docs {
		walk(d, 0)
	}
	return out
}

// finding is a violation tied to a model path, before it becomes a Violation.
type finding struct {
	path  []pathElem
	rule  Rule
	msg   string
	pos   lc
	skip  bool // an interpolated value: compose validates after substitution
	order int
}

// validateDoc validates one YAML document. CUE does not report every error
// in one pass: once a struct has a failing child, its own "field not
// allowed" errors (and errors of sibling fields that share its closedness
// check) are dropped. So each round removes the offending nodes from the AST
// and validates again, until a round finds nothing new. Errors that a
// removal itself could cause (a required key now missing, a oneOf on an
// ancestor now failing) are recognised by their path and discarded.
func validateDoc(schema cue.Value, yt *ytree, filename string, expr ast.Expr, doc *yaml.Node) []Violation {
	ctx := schema.Context()
	var found []finding
	dups := dropDuplicateKeys(expr, nil)
	for _, d := range dups {
		found = append(found, finding{path: d.path, rule: RuleDuplicateKey, pos: tokPos(d.pos),
			msg: fmt.Sprintf("duplicate key %q in %s", d.path[len(d.path)-1].key, describeParent(d.path[:len(d.path)-1]))})
	}
	var removed [][]pathElem
	for round := 0; round < maxRounds; round++ {
		data := ctx.BuildExpr(expr)
		if err := data.Err(); err != nil {
			// Building plain YAML data cannot fail once duplicates are gone;
			// report rather than hide it if it ever does.
			found = append(found, finding{rule: RuleYAMLSyntax, msg: "cannot read document: " + err.Error()})
			break
		}
		v := schema.Unify(data)
		err := v.Validate(cue.Concrete(true))
		if err == nil {
			break
		}
		fs := deepest(convert(cueerrors.Errors(err), expr, v, yt, doc))
		if debugRounds {
			for _, f := range fs {
				fmt.Fprintf(os.Stderr, "round %d: %s %s %s\n", round, formatPath(f.path), f.rule.Code, f.msg)
			}
		}
		progress := false
		var missing, stale [][]pathElem
		for _, f := range fs {
			if followOn(f, removed) {
				stale = append(stale, f.path)
				continue
			}
			if f.rule == RuleMissingRequired && len(f.path) > 1 {
				missing = append(missing, f.path[:len(f.path)-1])
			}
			if seen(found, f) || underUnknown(f.path, found) {
				continue
			}
			// A finding below a newly found unknown key from an earlier
			// round would have been dropped had both come together.
			if isKeyRule(f.rule) {
				found = slices.DeleteFunc(found, func(g finding) bool {
					return len(g.path) > len(f.path) && pathHasPrefix(g.path, f.path)
				})
			}
			found = append(found, f)
			if f.rule != RuleMissingRequired && len(f.path) > 0 && removeNode(expr, f.path) {
				removed = append(removed, f.path)
				progress = true
			}
		}
		if !progress {
			// A failing mapping hides the "field not allowed" errors of its
			// ancestors. Once nothing new is left to remove, remove the
			// mappings that still fail (because a key is missing, or because
			// an earlier removal broke them) so the next round sees past them.
			for _, p := range append(missing, stale...) {
				if removeNode(expr, p) {
					removed = append(removed, p)
					progress = true
				}
			}
		}
		if !progress {
			break
		}
	}
	out := make([]Violation, 0, len(found))
	for _, f := range found {
		if f.skip {
			continue
		}
		line, col := 1, 1
		if f.pos.valid() {
			line, col = f.pos.line, f.pos.col
		}
		out = append(out, Violation{File: filename, Line: line, Col: col, Path: formatPath(f.path), Message: f.msg, Rule: f.rule})
	}
	return out
}

// safeValidateDoc keeps one document's internal failure from discarding the
// findings of the others.
func safeValidateDoc(schema cue.Value, yt *ytree, filename string, expr ast.Expr, doc *yaml.Node) (out []Violation) {
	defer func() {
		if r := recover(); r != nil {
			out = []Violation{{File: filename, Line: max(nodePos(expr).Line(), 1), Col: 1, Rule: RuleYAMLSyntax,
				Message: fmt.Sprintf("internal error while validating this document: %v", r)}}
		}
	}()
	return validateDoc(schema, yt, filename, expr, doc)
}

// followOn reports whether f may be a consequence of removing a node in an
// earlier round: a required key missing where one was removed, or a value on
// or above a removed node that no longer matches its schema. Removing nodes
// never adds keys or duplicates, so other kinds are always real.
func followOn(f finding, removed [][]pathElem) bool {
	switch f.rule {
	case RuleMissingRequired, RuleWrongType, RuleInvalidValue:
	default:
		return false
	}
	p := f.path
	for _, r := range removed {
		if len(p) <= len(r) && pathHasPrefix(r, p) {
			return true
		}
	}
	return false
}

func seen(found []finding, f finding) bool {
	for _, g := range found {
		if g.rule == f.rule && pathEqual(g.path, f.path) {
			return true
		}
	}
	return false
}

// rawErr is one CUE error with its path decoded.
type rawErr struct {
	path []pathElem
	msg  string
	pos  token.Pos // first position inside the YAML document, if any
}

var (
	reMismatch  = regexp.MustCompile(`^conflicting values (.+) and (.+) \(mismatched types (\w+) and (\w+)\)$`)
	reConflict  = regexp.MustCompile(`^conflicting values (.+) and (.+)$`)
	reBound     = regexp.MustCompile(`^invalid value (.+) \(out of bound (.+)\)$`)
	reSatisfy   = regexp.MustCompile(`^invalid value (.+) \(does not satisfy ([^)]+)\)`)
	reEmptyDisj = regexp.MustCompile(`^\d+ errors in empty disjunction`)
)

// convert turns CUE errors into findings grouped by path: CUE emits one
// error per failed disjunction branch, and a user needs one line per node.
func convert(errs []cueerrors.Error, expr ast.Expr, v cue.Value, yt *ytree, doc *yaml.Node) []finding {
	type group struct {
		path      []pathElem
		notAllow  bool
		required  bool
		unique    bool
		matchN    bool
		gotType   string
		wantTypes []string
		allowed   []string // literals and bounds from enum/pattern/range errors
		other     []string
		pos       lc
		order     int
	}
	var groups []*group
	get := func(p []pathElem) *group {
		for _, g := range groups {
			if pathEqual(g.path, p) {
				return g
			}
		}
		g := &group{path: p, order: len(groups)}
		groups = append(groups, g)
		return g
	}
	for _, e := range errs {
		p := decodePath(e.Path(), expr)
		f, a := e.Msg()
		msg := fmt.Sprintf(f, a...)
		g := get(p)
		if !g.pos.valid() {
			for _, pos := range cueerrors.Positions(e) {
				if pos.Filename() != "compose.cue" && tokPos(pos).valid() {
					g.pos = tokPos(pos)
					break
				}
			}
		}
		switch {
		case msg == "field not allowed":
			g.notAllow = true
		case strings.Contains(msg, "field is required but not present"):
			g.required = true
		case reEmptyDisj.MatchString(msg):
			// a summary; its branches follow as separate errors
		case reMismatch.MatchString(msg):
			// As with conflicts, the order of the two sides is not fixed:
			// the data's own kind tells which one is the file's.
			m := reMismatch.FindStringSubmatch(msg)
			_, _, val := locate(expr, p)
			got, want := m[3], m[4]
			if k := kindOf(val); k != "" && k == m[4] || k == "" && m[2] == shortValue(val) && m[2] != "" {
				got, want = m[4], m[3]
			}
			g.gotType = got
			g.wantTypes = appendUnique(g.wantTypes, typeName(want, ""))
		case reBound.MatchString(msg):
			m := reBound.FindStringSubmatch(msg)
			g.allowed = appendUnique(g.allowed, m[2])
		case reSatisfy.MatchString(msg):
			m := reSatisfy.FindStringSubmatch(msg)
			switch m[2] {
			case "matchN":
				g.matchN = true
			case "list.UniqueItems":
				g.unique = true
			default:
				g.other = appendUnique(g.other, m[2])
			}
		case reConflict.MatchString(msg):
			// CUE prints the two sides in no fixed order; the allowed
			// value is the one that is not what the file says.
			m := reConflict.FindStringSubmatch(msg)
			_, _, val := locate(expr, p)
			if sv := shortValue(val); sv != "" && m[2] == sv {
				g.allowed = appendUnique(g.allowed, m[1])
			} else {
				g.allowed = appendUnique(g.allowed, m[2])
			}
		default:
			g.other = appendUnique(g.other, msg)
		}
	}
	var out []finding
	for _, g := range groups {
		f := finding{path: g.path, order: g.order}
		kp, vp, val := locate(expr, g.path)
		// Nodes expanded from an alias have no position in CUE's AST; the
		// YAML tree knows where the anchor's text is.
		yk, yv := yt.locateYAML(doc, g.path)
		keyPos := firstValid(tokPos(kp), yamlPos(yk))
		valPos := firstValid(tokPos(vp), yamlPos(yv))
		where := formatPath(g.path)
		if where == "" {
			where = "the document"
		}
		switch {
		case g.required:
			f.rule = RuleMissingRequired
			parent := g.path[:max(len(g.path)-1, 0)]
			f.msg = fmt.Sprintf("missing required key %q in %s", lastKey(g.path), describeParent(parent))
			// The missing key has no node; point at the key that owns the
			// mapping it belongs in.
			pk, pv, _ := locate(expr, parent)
			ypk, ypv := yt.locateYAML(doc, parent)
			f.pos = firstValid(tokPos(pk), yamlPos(ypk), tokPos(pv), yamlPos(ypv), g.pos)
		case g.notAllow:
			f.pos = firstValid(keyPos, g.pos)
			if kind := namedKind(g.path); kind != "" {
				f.rule = RuleInvalidName
				f.msg = fmt.Sprintf("invalid %s name %q: only letters, digits, '.', '_' and '-' are allowed", kind, lastKey(g.path))
			} else {
				f.rule = RuleUnknownKey
				f.msg = unknownKeyMsg(g.path, v)
			}
		case g.unique:
			f.rule, f.pos = RuleDuplicateItem, firstValid(valPos, g.pos)
			f.msg = where + ": list entries must be unique"
		case len(g.allowed) > 0:
			// Some branch accepted the value's type and then rejected the
			// value itself: an enum, pattern or range problem.
			f.rule, f.pos = RuleInvalidValue, firstValid(valPos, g.pos)
			allowed := g.allowed
			for _, t := range g.wantTypes {
				if t != typeName(g.gotType, "") {
					allowed = append(allowed, "any "+t)
				}
			}
			f.msg = fmt.Sprintf("%s: invalid value %s, allowed: %s", where, shortValue(val), strings.Join(allowed, ", "))
			f.skip = interpolated(val)
		case g.gotType != "":
			f.rule, f.pos = RuleWrongType, firstValid(valPos, g.pos)
			f.msg = fmt.Sprintf("%s: expected %s, got %s", where, joinOr(g.wantTypes), typeName(g.gotType, ""))
			if s := shortValue(val); s != "" && s != typeName(g.gotType, "") && len(s) < 40 && isScalar(val) { // "got null", not "got null null"
				f.msg += " " + s
			}
			f.skip = interpolated(val)
		case len(g.other) > 0:
			f.rule, f.pos = RuleInvalidValue, firstValid(valPos, g.pos)
			f.msg = where + ": " + strings.Join(g.other, "; ")
			f.skip = interpolated(val)
		case g.matchN:
			f.rule, f.pos = RuleWrongType, firstValid(valPos, g.pos)
			f.msg = where + ": value does not match any form allowed here"
			f.skip = interpolated(val)
		default:
			continue // only a disjunction summary
		}
		out = append(out, f)
	}
	return out
}

// deepest drops every finding that has a strictly deeper finding below it:
// a failing oneOf reports the parent too, but only the innermost node is the
// thing to fix. Two exceptions: a missing-required finding is kept (its
// parent is where the fix goes), and for an unknown key or a bad name the
// shallowest finding wins, because everything below it is unknown too.
func deepest(fs []finding) []finding {
	var out []finding
	for _, f := range fs {
		if underUnknown(f.path, fs) {
			continue
		}
		keep := f.rule == RuleMissingRequired || isKeyRule(f.rule)
		if !keep {
			keep = true
			for _, o := range fs {
				if len(o.path) > len(f.path) && pathHasPrefix(o.path, f.path) {
					keep = false
					break
				}
			}
		}
		if keep {
			out = append(out, f)
		}
	}
	return out
}

func isKeyRule(r Rule) bool { return r == RuleUnknownKey || r == RuleInvalidName }

// underUnknown reports whether p lies strictly below an unknown key or a bad
// name among fs.
func underUnknown(p []pathElem, fs []finding) bool {
	for _, o := range fs {
		if isKeyRule(o.rule) && len(o.path) < len(p) && pathHasPrefix(p, o.path) {
			return true
		}
	}
	return false
}

// lc is a 1-based line and column; the zero value means unknown.
type lc struct{ line, col int }

func (p lc) valid() bool { return p.line > 0 }

func tokPos(p token.Pos) lc {
	if !p.IsValid() || p.Line() < 1 {
		return lc{}
	}
	return lc{p.Line(), max(p.Column(), 1)}
}

func yamlPos(n *yaml.Node) lc {
	if n == nil || n.Line < 1 {
		return lc{}
	}
	return lc{n.Line, max(n.Column, 1)}
}

func firstValid(ps ...lc) lc {
	for _, p := range ps {
		if p.valid() {
			return p
		}
	}
	return lc{}
}

func appendUnique(s []string, v string) []string {
	if v == "" || slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

// typeName maps CUE kinds to the words a YAML author uses.
func typeName(kind, expr string) string {
	switch kind {
	case "struct":
		return "mapping"
	case "list":
		return "list"
	case "int":
		return "integer"
	case "float", "number":
		return "number"
	case "bool":
		return "boolean"
	case "string":
		return "string"
	case "null":
		return "null"
	}
	_ = expr
	return kind
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

func unknownKeyMsg(p []pathElem, v cue.Value) string {
	key := lastKey(p)
	parent := p[:len(p)-1]
	var msg string
	if len(parent) == 0 {
		msg = fmt.Sprintf("unknown top-level key %q (extensions must start with \"x-\")", key)
	} else {
		msg = fmt.Sprintf("unknown key %q in %s", key, describeParent(parent))
	}
	if s := suggest(key, allowedKeys(v, parent)); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

// allowedKeys lists the keys the schema declares at p; it is only computed
// for unknown keys, so its cost stays off the happy path.
func allowedKeys(v cue.Value, p []pathElem) []string {
	sels := make([]cue.Selector, 0, len(p))
	for _, e := range p {
		if e.isIndex {
			sels = append(sels, cue.Index(e.index))
		} else {
			sels = append(sels, cue.Str(e.key))
		}
	}
	sub := v.LookupPath(cue.MakePath(sels...))
	if !sub.Exists() {
		return nil
	}
	it, err := sub.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var keys []string
	for it.Next() {
		if sel := it.Selector(); sel.IsString() {
			keys = append(keys, sel.Unquoted())
		}
	}
	return keys
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

// kindOf names the CUE kind of a YAML value as CUE prints it in
// "mismatched types" errors, or "" when unknown.
func kindOf(x ast.Expr) string {
	switch x := x.(type) {
	case *ast.StructLit:
		return "struct"
	case *ast.ListLit:
		return "list"
	case *ast.UnaryExpr:
		return kindOf(x.X)
	case *ast.BasicLit:
		switch x.Kind {
		case token.STRING:
			return "string"
		case token.INT:
			return "int"
		case token.FLOAT:
			return "float"
		case token.TRUE, token.FALSE:
			return "bool"
		case token.NULL:
			return "null"
		}
	}
	return ""
}

func isScalar(x ast.Expr) bool {
	switch x.(type) {
	case *ast.BasicLit, *ast.UnaryExpr:
		return true
	}
	return false
}

// shortValue renders a scalar as written (quoted strings stay quoted);
// mappings and lists are not echoed, they are too long to be useful.
func shortValue(val ast.Expr) string {
	switch x := val.(type) {
	case *ast.BasicLit:
		return x.Value
	case *ast.UnaryExpr:
		if lit, ok := x.X.(*ast.BasicLit); ok {
			return x.Op.String() + lit.Value
		}
	case *ast.StructLit:
		return "mapping"
	case *ast.ListLit:
		return "list"
	}
	return ""
}

var interpRe = regexp.MustCompile(`\$(\{|[A-Za-z_])`)

// interpolated reports whether a scalar holds a ${VAR} or $VAR reference.
// Compose substitutes variables before it validates, so a raw "${PORT}" in
// an integer field is fine; only the substituted value can be judged.
func interpolated(val ast.Expr) bool {
	lit, ok := val.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return false
	}
	s, err := literal.Unquote(lit.Value)
	if err != nil {
		s = lit.Value
	}
	return interpRe.MatchString(strings.ReplaceAll(s, "$$", ""))
}
