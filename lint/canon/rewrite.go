package canon

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/load"
)

// Change is one mapping of a file whose keys are not in canonical order,
// with the edit that orders them. The edit moves whole lines: each entry
// takes along its head comments (comment lines right above the key, at most
// as indented as the key), its line comment and everything under it, so
// comments, anchors, quoting and flow or block style are kept byte for byte.
// Blank lines between entries stay where they were.
type Change struct {
	Path []string // the mapping: nil for the top level, [services], [services web]
	Keys []string // the keys as written
	Want []string // the keys in canonical order
	// At is the first index where Keys and Want differ: Want[At] belongs
	// before Keys[At]. KeyNode is Want[At]'s key.
	At      int
	KeyNode *yaml.Node

	Start, End int    // the bytes of the file the edit replaces
	New        string // their replacement
}

// TopLevel returns the changes that order the top-level keys of each
// document of f.
func TopLevel(f *load.File) []Change {
	t := newText(f.Src)
	var out []Change
	for _, d := range t.docs(f) {
		if c, ok := t.reorder(d.root, d.lo, d.hi, compareTopLevel, nil); ok {
			out = append(out, c)
		}
	}
	return out
}

// ServiceKeys returns the changes that order the keys of each service of f.
func ServiceKeys(f *load.File) []Change {
	t := newText(f.Src)
	var out []Change
	for _, d := range t.docs(f) {
		svcs, lo, hi, ok := t.services(d)
		if !ok {
			continue
		}
		es, ok := t.split(svcs, lo, hi)
		if !ok {
			continue
		}
		for _, e := range es {
			if c, ok := t.reorder(e.val, e.keyLine+1, e.end, compareServiceKeys, []string{"services", e.name}); ok {
				out = append(out, c)
			}
		}
	}
	return out
}

// Services returns the changes that sort the services of f by name.
func Services(f *load.File) []Change {
	t := newText(f.Src)
	var out []Change
	for _, d := range t.docs(f) {
		svcs, lo, hi, ok := t.services(d)
		if !ok {
			continue
		}
		if c, ok := t.reorder(svcs, lo, hi, compareNames, []string{"services"}); ok {
			out = append(out, c)
		}
	}
	return out
}

// Apply applies non-overlapping changes to src (a change overlapping an
// earlier one is left out).
func Apply(src []byte, cs []Change) []byte {
	cs = slices.Clone(cs)
	slices.SortStableFunc(cs, func(a, b Change) int { return a.Start - b.Start })
	var out []byte
	last := 0
	for _, c := range cs {
		if c.Start < last {
			continue
		}
		out = append(out, src[last:c.Start]...)
		out = append(out, c.New...)
		last = c.End
	}
	return append(out, src[last:]...)
}

// Format rewrites a compose file into canonical order: the keys of every
// service, then the top-level keys. Services keep their order (sorting them
// is BR403, off by default). A file that does not parse is a *load.Error
// with its position; an empty file is returned as is. Format refuses (with
// an error) to return a text whose YAML data differs from the input's.
func Format(name string, src []byte) ([]byte, error) {
	f, err := load.ParseFile(name, src)
	if errors.Is(err, load.ErrEmptyFile) {
		return src, nil
	}
	if err != nil {
		return nil, err
	}
	orig := f.Src
	out := Apply(orig, ServiceKeys(f))
	if !bytes.Equal(out, orig) {
		if f, err = load.ParseFile(name, out); err != nil {
			return nil, fmt.Errorf("%s: internal error: the reordered service keys do not parse (%v); please report this", name, err)
		}
	}
	out = Apply(out, TopLevel(f))
	if bytes.Equal(out, orig) {
		return src, nil
	}
	if err := SameData(orig, out); err != nil {
		return nil, fmt.Errorf("%s: internal error: reordering would change the data (%v); please report this", name, err)
	}
	return out, nil
}

// SameData reports an error unless a and b hold the same YAML data (every
// document decoded, aliases and merge keys resolved; key order ignored).
func SameData(a, b []byte) error {
	da, err := decodeAll(a)
	if err != nil {
		return err
	}
	db, err := decodeAll(b)
	if err != nil {
		return err
	}
	if !reflect.DeepEqual(da, db) {
		return errors.New("decoded documents differ")
	}
	return nil
}

func decodeAll(src []byte) ([]any, error) {
	var out []any
	for _, doc := range splitDocs(src) {
		var v any
		if err := yaml.Unmarshal(doc, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// splitDocs splits a YAML stream at its document markers, for decoding.
func splitDocs(src []byte) [][]byte {
	t := newText(src)
	var out [][]byte
	from := 0
	for i := 0; i < t.lines(); i++ {
		if t.marker(i) && i > 0 {
			out = append(out, src[t.start(from):t.start(i)])
			from = i
		}
	}
	return append(out, src[t.start(from):])
}

// doc is one document's top-level mapping and its lines [lo, hi).
type doc struct {
	root   *yaml.Node
	lo, hi int
}

func (t *text) docs(f *load.File) []doc {
	var out []doc
	lo := 0
	for _, d := range f.Docs {
		if d == nil || len(d.Content) == 0 || d.Content[0].Kind != yaml.MappingNode {
			continue
		}
		root := d.Content[0]
		last := lo
		if n := len(root.Content); n >= 2 {
			last = max(lo, root.Content[n-2].Line-1)
		}
		hi := t.lines()
		for i := last + 1; i < t.lines(); i++ {
			if t.marker(i) {
				hi = i
				break
			}
		}
		// An anchor name defined twice: reordering could make an alias
		// refer to the other definition, so the document is left alone.
		seen := map[string]bool{}
		dup := false
		walk(root, func(n *yaml.Node) {
			if n.Anchor != "" {
				dup = dup || seen[n.Anchor]
				seen[n.Anchor] = true
			}
		})
		if !dup && len(root.Content) > 0 {
			// The comments above the first key are the file's header: they
			// stay at the top whatever key comes first.
			out = append(out, doc{root: root, lo: max(lo, root.Content[0].Line-1), hi: hi})
		}
		lo = hi
	}
	return out
}

// services finds the block mapping under the top-level services key and the
// lines it may use.
func (t *text) services(d doc) (*yaml.Node, int, int, bool) {
	es, ok := t.split(d.root, d.lo, d.hi)
	if !ok {
		return nil, 0, 0, false
	}
	for _, e := range es {
		if e.name == "services" && e.val.Kind == yaml.MappingNode {
			return e.val, e.keyLine + 1, e.end, true
		}
	}
	return nil, 0, 0, false
}

// entry is one key of a block mapping and its lines: the body [start, end)
// (head comments, the key, its value) and the blank lines after it
// [end, next).
type entry struct {
	name            string
	key, val        *yaml.Node
	keyLine         int // 0-based
	start, end, nxt int
}

// split cuts the block mapping m, whose text lies in lines [lo, hi), into
// entries. It refuses (false) anything it cannot cut safely: flow mappings,
// keys that do not start their line, aliases as keys, values whose trailing
// blank lines are data (block scalars with keep chomping).
func (t *text) split(m *yaml.Node, lo, hi int) ([]entry, bool) {
	if m == nil || m.Kind != yaml.MappingNode || m.Style&yaml.FlowStyle != 0 || len(m.Content) < 2 {
		return nil, false
	}
	col := m.Content[0].Column
	var es []entry
	prev := lo - 1
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		li := k.Line - 1
		if k.Kind != yaml.ScalarNode || li <= prev || li >= hi || k.Column != col || t.indent(li)+1 != col {
			return nil, false
		}
		if t.keepsTrailing(lastLeaf(v)) {
			return nil, false
		}
		es = append(es, entry{name: k.Value, key: k, val: v, keyLine: li})
		prev = li
	}
	c := col - 1
	for i := range es {
		low := lo
		if i > 0 {
			low = es[i-1].keyLine + 1
		}
		s := es[i].keyLine
		for s > low && t.comment(s-1) && t.indent(s-1) <= c {
			s--
		}
		es[i].start = s
	}
	for i := range es {
		if i+1 < len(es) {
			nxt := es[i+1].start
			e := nxt
			for e-1 > es[i].keyLine && t.blank(e-1) {
				e--
			}
			es[i].end, es[i].nxt = e, nxt
			continue
		}
		// After the last entry, blank lines and comments less indented than
		// the keys (at the top level: at the left margin, the file's footer)
		// stay where they are.
		e := hi
		for e-1 > es[i].keyLine && (t.blank(e-1) || t.comment(e-1) && (t.indent(e-1) < c || c == 0)) {
			e--
		}
		es[i].end, es[i].nxt = e, e
	}
	// A last line without a newline gets one when it moves; a block scalar
	// there would gain a line break in its value.
	if last := es[len(es)-1]; t.start(last.end) == len(t.src) && !bytes.HasSuffix(t.src, []byte("\n")) && hasBlockScalar(last.val) {
		return nil, false
	}
	return es, true
}

// reorder orders the entries of m by cmp (ties keep their order), keeping
// every anchor before its aliases, and returns the change, if any.
func (t *text) reorder(m *yaml.Node, lo, hi int, cmp func(a, b string) int, path []string) (Change, bool) {
	es, ok := t.split(m, lo, hi)
	if !ok {
		return Change{}, false
	}
	perm := order(es, cmp)
	at := -1
	for k, i := range perm {
		if k != i {
			at = k
			break
		}
	}
	if at < 0 {
		return Change{}, false
	}
	c := Change{Path: path, At: at, KeyNode: es[perm[at]].key}
	for k, i := range perm {
		c.Keys = append(c.Keys, es[k].name)
		c.Want = append(c.Want, es[i].name)
	}
	eol := "\n"
	if bytes.Contains(t.src, []byte("\r\n")) {
		eol = "\r\n"
	}
	var b strings.Builder
	for k, i := range perm {
		body := t.src[t.start(es[i].start):t.start(es[i].end)]
		b.Write(body)
		if len(body) > 0 && body[len(body)-1] != '\n' {
			b.WriteString(eol)
		}
		b.Write(t.src[t.start(es[k].end):t.start(es[k].nxt)])
	}
	start, end := t.start(es[0].start), t.start(es[len(es)-1].end)
	repl := b.String()
	if end == len(t.src) && !bytes.HasSuffix(t.src, []byte("\n")) {
		repl = strings.TrimSuffix(repl, eol)
	}
	c.Start, c.End, c.New = trimCommon(t.src, start, end, repl)
	return c, true
}

// trimCommon narrows the edit of src[start:end] into repl to the lines that
// differ, so that fixes of nested mappings overlap as little as possible.
func trimCommon(src []byte, start, end int, repl string) (int, int, string) {
	old := string(src[start:end])
	p := 0
	for p < len(old) && p < len(repl) && old[p] == repl[p] {
		p++
	}
	p = strings.LastIndexByte(old[:p], '\n') + 1
	s := 0
	for s < len(old)-p && s < len(repl)-p && old[len(old)-1-s] == repl[len(repl)-1-s] {
		s++
	}
	// keep whole lines: the suffix starts right after a newline
	for s > 0 && old[len(old)-s-1] != '\n' {
		s--
	}
	return start + p, end - s, repl[p : len(repl)-s]
}

// order is the canonical permutation of es: positions to entry indexes.
// Entries are taken in (cmp, written order); an entry whose value aliases an
// anchor defined in another entry brings that entry along just before it.
func order(es []entry, cmp func(a, b string) int) []int {
	def := map[*yaml.Node]int{}
	for i, e := range es {
		walk2(e, func(n *yaml.Node) {
			if n.Anchor != "" {
				def[n] = i
			}
		})
	}
	pre := make([][]int, len(es))
	for i, e := range es {
		walk2(e, func(n *yaml.Node) {
			if n.Kind == yaml.AliasNode && n.Alias != nil {
				if j, ok := def[n.Alias]; ok && j != i && !slices.Contains(pre[i], j) {
					pre[i] = append(pre[i], j)
				}
			}
		})
	}
	idx := make([]int, len(es))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp(es[a].name, es[b].name) })
	pos := make([]int, len(es))
	for p, i := range idx {
		pos[i] = p
	}
	done := make([]bool, len(es))
	var out []int
	var emit func(int)
	emit = func(i int) {
		if done[i] {
			return
		}
		done[i] = true
		ps := slices.Clone(pre[i])
		slices.SortFunc(ps, func(a, b int) int { return pos[a] - pos[b] })
		for _, p := range ps {
			emit(p)
		}
		out = append(out, i)
	}
	for _, i := range idx {
		emit(i)
	}
	return out
}

func walk2(e entry, fn func(*yaml.Node)) {
	walk(e.key, fn)
	walk(e.val, fn)
}

// walk visits n and everything written under it (not through aliases).
func walk(n *yaml.Node, fn func(*yaml.Node)) {
	if n == nil {
		return
	}
	fn(n)
	for _, c := range n.Content {
		walk(c, fn)
	}
}

func hasBlockScalar(n *yaml.Node) bool {
	found := false
	walk(n, func(n *yaml.Node) {
		found = found || n.Kind == yaml.ScalarNode && n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0
	})
	return found
}

// lastLeaf is the node whose text ends n's text.
func lastLeaf(n *yaml.Node) *yaml.Node {
	for n != nil && len(n.Content) > 0 && n.Kind != yaml.AliasNode {
		n = n.Content[len(n.Content)-1]
	}
	return n
}

// keepsTrailing reports a block scalar with keep chomping (|+ or >+) at or
// under n: its trailing blank lines belong to the value, so the entry it
// ends cannot be cut from the blank lines after it.
func (t *text) keepsTrailing(n *yaml.Node) bool {
	found := false
	walk(n, func(n *yaml.Node) {
		if found || n.Kind != yaml.ScalarNode || n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) == 0 {
			return
		}
		line := t.line(n.Line - 1)
		off := runeOffset(line, n.Column-1)
		for _, ch := range line[off:] {
			if ch == ' ' || ch == '#' || ch == '\t' {
				break
			}
			if ch == '+' {
				found = true
			}
		}
	})
	return found
}
