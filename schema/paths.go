package schema

import (
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"
)

// pathElem is one step of a model path: a mapping key or a list index. The
// distinction matters because a key may look like a number ("0").
type pathElem struct {
	key     string
	index   int
	isIndex bool
}

var plainKeyRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// formatPath renders a model path for users and for lint's source map:
// keys joined with dots, list indices in brackets, and any key that is not a
// plain identifier (dots, spaces, leading digits, "$"...) double-quoted with
// Go string escaping, e.g. services."my.app".ports[0].
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

func pathEqual(a, b []pathElem) bool {
	return len(a) == len(b) && pathHasPrefix(a, b)
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

// decodePath converts the selectors of a CUE error path (quoted labels for
// non-identifiers, decimal strings for list indices) into pathElems, using
// the document's AST to tell a list index from a numeric-looking key.
func decodePath(sels []string, expr ast.Expr) []pathElem {
	out := make([]pathElem, 0, len(sels))
	cur := expr
	for _, s := range sels {
		if list, ok := cur.(*ast.ListLit); ok {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, pathElem{index: n, isIndex: true})
				if n >= 0 && n < len(list.Elts) {
					cur = list.Elts[n]
				} else {
					cur = nil
				}
				continue
			}
		}
		key := s
		if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "#") {
			if u, err := literal.Unquote(strings.TrimPrefix(s, "#")); err == nil {
				key = u
			}
		}
		out = append(out, pathElem{key: key})
		cur = fieldValue(cur, key)
	}
	return out
}

func fieldValue(x ast.Expr, key string) ast.Expr {
	if f := findField(x, key); f != nil {
		return f.Value
	}
	return nil
}

func findField(x ast.Expr, key string) *ast.Field {
	st, ok := x.(*ast.StructLit)
	if !ok {
		return nil
	}
	var found *ast.Field
	for _, d := range st.Elts {
		f, ok := d.(*ast.Field)
		if !ok {
			continue
		}
		if name, _, err := ast.LabelName(f.Label); err == nil && name == key {
			found = f // the last one wins, as in YAML merge semantics
		}
	}
	return found
}

// locate finds the node at p in the document: the position of its key (if
// it is a mapping entry), the position of its value, and the value itself.
func locate(expr ast.Expr, p []pathElem) (keyPos, valPos token.Pos, val ast.Expr) {
	cur := expr
	for _, e := range p {
		keyPos = token.NoPos
		if e.isIndex {
			list, ok := cur.(*ast.ListLit)
			if !ok || e.index < 0 || e.index >= len(list.Elts) {
				return token.NoPos, token.NoPos, nil
			}
			cur = list.Elts[e.index]
			continue
		}
		f := findField(cur, e.key)
		if f == nil {
			return token.NoPos, token.NoPos, nil
		}
		keyPos = f.Label.Pos()
		cur = f.Value
	}
	return keyPos, nodePos(cur), cur
}

// nodePos is the position of a value; block mappings and lists have no
// brace in YAML, so fall back to their first element.
func nodePos(x ast.Expr) token.Pos {
	if x == nil {
		return token.NoPos
	}
	if p := x.Pos(); p.IsValid() && p.Line() > 0 {
		return p
	}
	switch x := x.(type) {
	case *ast.StructLit:
		for _, d := range x.Elts {
			if f, ok := d.(*ast.Field); ok {
				return f.Label.Pos()
			}
		}
	case *ast.ListLit:
		if len(x.Elts) > 0 {
			return nodePos(x.Elts[0])
		}
	}
	return token.NoPos
}

// removeNode deletes the mapping entry at p, or replaces the list element at
// p with top (_) so that later indices keep their meaning. It reports
// whether anything changed.
func removeNode(expr ast.Expr, p []pathElem) bool {
	if len(p) == 0 {
		return false
	}
	_, _, parent := locate(expr, p[:len(p)-1])
	if len(p) == 1 {
		parent = expr
	}
	last := p[len(p)-1]
	if last.isIndex {
		list, ok := parent.(*ast.ListLit)
		if !ok || last.index < 0 || last.index >= len(list.Elts) {
			return false
		}
		if id, ok := list.Elts[last.index].(*ast.Ident); ok && id.Name == "_" {
			return false
		}
		list.Elts[last.index] = ast.NewIdent("_")
		return true
	}
	st, ok := parent.(*ast.StructLit)
	if !ok {
		return false
	}
	for i := len(st.Elts) - 1; i >= 0; i-- {
		f, ok := st.Elts[i].(*ast.Field)
		if !ok {
			continue
		}
		if name, _, err := ast.LabelName(f.Label); err == nil && name == last.key {
			st.Elts = append(st.Elts[:i], st.Elts[i+1:]...)
			return true
		}
	}
	return false
}

type dupKey struct {
	path []pathElem
	pos  token.Pos
}

// dropDuplicateKeys removes every repeated key of a mapping but the first
// and reports the repeats. compose-go refuses duplicate keys; CUE would
// instead unify the two values and either accept them silently or report a
// confusing value conflict.
func dropDuplicateKeys(x ast.Expr, path []pathElem) []dupKey {
	var out []dupKey
	switch x := x.(type) {
	case *ast.StructLit:
		seen := map[string]bool{}
		kept := x.Elts[:0]
		for _, d := range x.Elts {
			f, ok := d.(*ast.Field)
			if !ok {
				kept = append(kept, d)
				continue
			}
			name, _, err := ast.LabelName(f.Label)
			if err != nil {
				kept = append(kept, d)
				continue
			}
			p := append(append([]pathElem(nil), path...), pathElem{key: name})
			if seen[name] {
				out = append(out, dupKey{path: p, pos: f.Label.Pos()})
				continue
			}
			seen[name] = true
			kept = append(kept, d)
			out = append(out, dropDuplicateKeys(f.Value, p)...)
		}
		x.Elts = kept
	case *ast.ListLit:
		for i, e := range x.Elts {
			p := append(append([]pathElem(nil), path...), pathElem{index: i, isIndex: true})
			out = append(out, dropDuplicateKeys(e, p)...)
		}
	}
	return out
}
