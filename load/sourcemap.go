package load

import (
	"bytes"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// Model paths
//
// A path names one value of the compose model, the way compose-go's
// override and validation code thinks of it:
//
//	services.web.image
//	services.web.ports[0]
//	services.web.labels["com.example.x"]
//	["key with spaces"].x
//
// Mapping keys are joined with ".". A list element is its index in brackets.
// A key that is empty or contains ".", "[", "]", a quote, white space or a
// non-printable character is written as a Go-quoted string in brackets, so
// that every path reads back unambiguously. The empty path is the top-level
// mapping of a document.

// PathOf builds a model path from segments: an integer is a list index,
// anything else (normally a string) a mapping key.
func PathOf(segments ...any) string {
	var b strings.Builder
	for _, seg := range segments {
		switch v := seg.(type) {
		case int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
			fmt.Fprintf(&b, "[%d]", v)
		case string:
			appendKey(&b, v)
		default:
			appendKey(&b, fmt.Sprint(v))
		}
	}
	return b.String()
}

// SplitPath is the inverse of PathOf: the segments of p, ints for indexes
// and strings for keys.
func SplitPath(p string) ([]any, error) {
	var segs []any
	err := scanPath(p, func(start int, seg any) { segs = append(segs, seg) })
	return segs, err
}

func appendKey(b *strings.Builder, key string) {
	if keyNeedsQuotes(key) {
		b.WriteString("[")
		b.WriteString(strconv.Quote(key))
		b.WriteString("]")
		return
	}
	if b.Len() > 0 {
		b.WriteByte('.')
	}
	b.WriteString(key)
}

func keyNeedsQuotes(key string) bool {
	if key == "" {
		return true
	}
	for _, r := range key {
		switch {
		case r == '.' || r == '[' || r == ']' || r == '"' || r == '\'':
			return true
		case unicode.IsSpace(r) || !unicode.IsPrint(r):
			return true
		}
	}
	return false
}

func joinKey(path, key string) string {
	if keyNeedsQuotes(key) {
		return path + "[" + strconv.Quote(key) + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// scanPath calls fn with the byte offset where each segment of p starts
// (its "." or "[" included) and the segment.
func scanPath(p string, fn func(start int, seg any)) error {
	bad := func(i int, what string) error {
		return fmt.Errorf("invalid path %q at offset %d: %s", p, i, what)
	}
	for i := 0; i < len(p); {
		start := i
		switch {
		case p[i] == '[':
			rest := p[i+1:]
			if strings.HasPrefix(rest, `"`) {
				q, err := strconv.QuotedPrefix(rest)
				if err != nil {
					return bad(i, "unterminated quoted key")
				}
				key, _ := strconv.Unquote(q)
				i += 1 + len(q)
				if i >= len(p) || p[i] != ']' {
					return bad(i, `expected "]"`)
				}
				i++
				fn(start, key)
				continue
			}
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return bad(i, `expected "]"`)
			}
			n, err := strconv.Atoi(rest[:end])
			if err != nil || n < 0 {
				return bad(i, "index must be a non-negative integer")
			}
			i += end + 2
			fn(start, n)
		default:
			if p[i] == '.' {
				if i == 0 {
					return bad(i, "path starts with a dot")
				}
				i++
			} else if i > 0 {
				return bad(i, `expected "." or "["`)
			}
			end := i
			for end < len(p) && p[end] != '.' && p[end] != '[' {
				end++
			}
			if end == i {
				return bad(i, "empty key")
			}
			fn(start, p[i:end])
			i = end
		}
	}
	return nil
}

// parentPath is p without its last segment; false for the empty path.
func parentPath(p string) (string, bool) {
	if p == "" {
		return "", false
	}
	last := -1
	if err := scanPath(p, func(start int, _ any) { last = start }); err != nil || last < 0 {
		// Not a path PathOf would build: cut at the last separator, which is
		// right for every path without quoted keys.
		last = strings.LastIndexAny(p, ".[")
		if last < 0 {
			return "", true
		}
	}
	return p[:last], true
}

// SourceMap maps every model path of the compose files added to where it was
// written, so that an error about the model can point into the files. It is
// not safe for concurrent use while files are being added.
type SourceMap struct {
	merged map[string]*smEntry
	layers []smLayer // one per document added, in order
	seq    int
	last   string // name of the last file added, for the last-resort position
}

// smLayer is what one document defines, kept to answer per-file questions
// after later files overrode the merged view.
type smLayer struct {
	file    string
	entries map[string]*smEntry
}

type smEntry struct {
	key, val       Position
	hasKey, hasVal bool
	scalar         string // the value's text when it is a scalar
	isScalar       bool
	order          int // in the order written: documents, then the text
}

// NewSourceMap returns an empty SourceMap.
func NewSourceMap() *SourceMap {
	return &SourceMap{merged: map[string]*smEntry{}}
}

// AddFile records every path of every document of f. Like compose-go's
// merge of "-f a.yml -f b.yml" (and of the documents of one file), a path
// defined again replaces the earlier position while paths it does not define
// keep theirs; a value tagged !reset or !override also drops what earlier
// files defined under it. Lists are matched by index, which is where compose
// merges them by content instead (ports, volumes): an index from an earlier
// file may then point at a different element.
//
// A value that comes from an anchor (`image: *img`, `<<: *base`) points at
// the anchor's text, and merged keys appear under the path of the mapping
// that merged them, with the local keys winning over merged ones and earlier
// merge sources over later ones, as yaml/v4 decodes them.
func (m *SourceMap) AddFile(f *File) {
	if f == nil {
		return
	}
	ix := f.srcIndex()
	m.last = f.Name
	spans := map[*yaml.Node]Position{} // anchors are shared by documents' aliases only within a document, but caching across is harmless
	for _, doc := range f.Docs {
		if doc == nil || len(doc.Content) == 0 {
			continue
		}
		w := &smWalker{
			ix:     ix,
			file:   f.Name,
			out:    map[string]*smEntry{},
			spans:  spans,
			active: map[*yaml.Node]bool{},
			// The walk expands aliases. ParseFile already rejected
			// documents that expand too much; this bound protects against
			// a File built by hand.
			budget: len(f.Src) + 2*maxAliasExpansion,
			seq:    &m.seq,
		}
		w.value("", nil, doc.Content[0], -1)
		m.apply(smLayer{file: f.Name, entries: w.out}, w.resets)
	}
}

func (m *SourceMap) apply(layer smLayer, resets []string) {
	for _, r := range resets {
		for p := range m.merged {
			if isUnder(p, r) {
				delete(m.merged, p)
			}
		}
	}
	for p, e := range layer.entries {
		m.merged[p] = e
	}
	m.layers = append(m.layers, layer)
}

// isUnder reports whether p is a strict descendant of parent.
func isUnder(p, parent string) bool {
	if parent == "" {
		return p != ""
	}
	return len(p) > len(parent) && strings.HasPrefix(p, parent) && (p[len(parent)] == '.' || p[len(parent)] == '[')
}

// Key is where the key of the mapping entry at path was written (in the
// file that defines it last). List elements and the top level have no key.
func (m *SourceMap) Key(path string) (Position, bool) {
	if e := m.merged[path]; e != nil && e.hasKey {
		return e.key, true
	}
	return Position{}, false
}

// Value is where the value at path was written; for a value taken from an
// anchor, where the anchored value is.
func (m *SourceMap) Value(path string) (Position, bool) {
	if e := m.merged[path]; e != nil && e.hasVal {
		return e.val, true
	}
	return Position{}, false
}

// Lookup is the key's position if path is a mapping entry, else the value's.
func (m *SourceMap) Lookup(path string) (Position, bool) {
	if pos, ok := m.Key(path); ok {
		return pos, true
	}
	return m.Value(path)
}

// KeyIn is Key as written in the file named file, even when a later file
// redefines the path.
func (m *SourceMap) KeyIn(file, path string) (Position, bool) {
	for i := len(m.layers) - 1; i >= 0; i-- {
		if l := m.layers[i]; l.file == file {
			if e := l.entries[path]; e != nil && e.hasKey {
				return e.key, true
			}
		}
	}
	return Position{}, false
}

// FindValue is the position of the first scalar at or under prefix whose
// text is value, or starts with value followed by ":" (as volume and port
// specs do). First is in the order the files and their text were written.
func (m *SourceMap) FindValue(prefix, value string) (Position, bool) {
	var best *smEntry
	for p, e := range m.merged {
		if !e.isScalar || (p != prefix && !isUnder(p, prefix)) {
			continue
		}
		if e.scalar != value && !strings.HasPrefix(e.scalar, value+":") {
			continue
		}
		if best == nil || e.order < best.order {
			best = e
		}
	}
	if best == nil {
		return Position{}, false
	}
	return best.val, true
}

// Nearest is Lookup of path or, when path was not written (a default, or a
// path compose-go made up), of its closest written ancestor. It falls back to
// the top of the last file added, so an error always has a place.
func (m *SourceMap) Nearest(path string) Position {
	for p, ok := path, true; ok; p, ok = parentPath(p) {
		if pos, found := m.Lookup(p); found {
			return pos
		}
	}
	return Position{File: m.last, Line: 1, Column: 1}
}

// Paths lists every recorded path but the top level (""), sorted.
func (m *SourceMap) Paths() []string {
	out := make([]string, 0, len(m.merged))
	for p := range m.merged {
		if p != "" {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// smWalker records one document's paths.
type smWalker struct {
	ix     *srcIndex
	file   string
	out    map[string]*smEntry
	resets []string
	spans  map[*yaml.Node]Position
	active map[*yaml.Node]bool // anchors being expanded, against alias cycles
	budget int
	seq    *int
}

func (w *smWalker) span(n *yaml.Node, indent int) Position {
	if pos, ok := w.spans[n]; ok {
		return pos
	}
	pos := w.ix.span(n, indent)
	pos.File = w.file
	w.spans[n] = pos
	return pos
}

// value records v, written at path after key (nil for list elements and the
// top level), and everything under it. indent is the indentation of the
// enclosing block collection (-1 at the top), which block scalars need.
func (w *smWalker) value(path string, key, v *yaml.Node, indent int) {
	if w.budget <= 0 {
		return
	}
	w.budget--
	*w.seq++
	e := &smEntry{order: *w.seq, hasVal: true}
	if key != nil {
		e.key, e.hasKey = w.span(key, indent), true
	}
	target := v
	if v.Kind == yaml.AliasNode {
		if v.Alias == nil || w.active[v.Alias] {
			e.val = w.span(v, indent)
			w.out[path] = e
			return
		}
		target = v.Alias
		w.active[target] = true
		defer delete(w.active, target)
	}
	e.val = w.span(target, indent)
	if target.Kind == yaml.ScalarNode {
		e.scalar, e.isScalar = target.Value, true
	}
	if isResetTag(v.Tag) || isResetTag(target.Tag) {
		w.resets = append(w.resets, path)
	}
	w.out[path] = e
	switch target.Kind {
	case yaml.MappingNode:
		w.mapping(path, target, map[string]bool{})
	case yaml.SequenceNode:
		for i, item := range target.Content {
			w.value(joinIndex(path, i), nil, item, target.Column-1)
		}
	}
}

// isResetTag reports compose's tags that replace, rather than merge with,
// what earlier files defined.
func isResetTag(tag string) bool { return tag == "!reset" || tag == "!override" }

// mapping records the entries of m under path, skipping keys already in
// defined: the keys of the mapping a merge source is merged into.
func (w *smWalker) mapping(path string, m *yaml.Node, defined map[string]bool) {
	if len(m.Content) == 0 {
		return
	}
	indent := m.Content[0].Column - 1
	var merges []*yaml.Node
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if isMergeKey(k) {
			merges = append(merges, v)
			continue
		}
		name, ok := keyText(k)
		if !ok || defined[name] {
			continue
		}
		defined[name] = true
		w.value(joinKey(path, name), k, v, indent)
	}
	for _, mv := range merges {
		sources := []*yaml.Node{mv}
		if mv.Kind == yaml.SequenceNode {
			sources = mv.Content
		}
		for _, src := range sources {
			w.merge(path, src, defined)
		}
	}
}

func (w *smWalker) merge(path string, src *yaml.Node, defined map[string]bool) {
	if src.Kind == yaml.AliasNode {
		if src.Alias == nil || w.active[src.Alias] {
			return
		}
		w.active[src.Alias] = true
		defer delete(w.active, src.Alias)
		src = src.Alias
	}
	if src.Kind == yaml.MappingNode {
		w.mapping(path, src, defined)
	}
}

// keyText is the text of a key as a path segment; false for keys that are
// collections, which compose files never use.
func keyText(k *yaml.Node) (string, bool) {
	if k.Kind == yaml.AliasNode && k.Alias != nil {
		k = k.Alias
	}
	if k.Kind != yaml.ScalarNode {
		return "", false
	}
	return k.Value, true
}

// srcIndex converts between byte offsets and the positions yaml/v4 reports.
type srcIndex struct {
	src    []byte
	starts []int // byte offset where each line starts
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

func newSrcIndex(src []byte) *srcIndex {
	ix := &srcIndex{src: src, starts: make([]int, 1, 64)}
	if bytes.HasPrefix(src, utf8BOM) {
		// yaml/v4 does not count a leading BOM as a column.
		ix.starts[0] = len(utf8BOM)
	}
	for i := ix.starts[0]; i < len(src); {
		if n := breakLen(src, i); n > 0 {
			i += n
			ix.starts = append(ix.starts, i)
			continue
		}
		i++
	}
	return ix
}

// breakLen is the length of the line break at src[i], 0 if there is none.
// The breaks are yaml/v4's (YAML 1.1): CRLF, CR, LF, NEL, LS and PS.
func breakLen(src []byte, i int) int {
	switch c := src[i]; {
	case c == '\n':
		return 1
	case c == '\r':
		if i+1 < len(src) && src[i+1] == '\n' {
			return 2
		}
		return 1
	case c == 0xC2 && i+1 < len(src) && src[i+1] == 0x85:
		return 2
	case c == 0xE2 && i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xA8 || src[i+2] == 0xA9):
		return 3
	}
	return 0
}

func (ix *srcIndex) lines() int { return len(ix.starts) }

func (ix *srcIndex) clampLine(line int) int {
	return max(1, min(line, len(ix.starts)))
}

// lineEnd is the offset of the line break ending line (or of the end).
func (ix *srcIndex) lineEnd(line int) int {
	line = ix.clampLine(line)
	if line == len(ix.starts) {
		return len(ix.src)
	}
	next := ix.starts[line]
	for i := ix.starts[line-1]; i < next; i++ {
		if breakLen(ix.src, i) > 0 {
			return i
		}
	}
	return next
}

// offset is the byte offset of line:col, clamped to the line.
func (ix *srcIndex) offset(line, col int) int {
	line = ix.clampLine(line)
	off, end := ix.starts[line-1], ix.lineEnd(line)
	for c := 1; c < col && off < end; c++ {
		_, size := utf8.DecodeRune(ix.src[off:end])
		off += size
	}
	return off
}

// pos is the line and rune column of byte offset off.
func (ix *srcIndex) pos(off int) (line, col int) {
	off = max(0, min(off, len(ix.src)))
	line = sort.Search(len(ix.starts), func(i int) bool { return ix.starts[i] > off })
	if line == 0 {
		return 1, 1 // inside the BOM
	}
	return line, utf8.RuneCount(ix.src[ix.starts[line-1]:off]) + 1
}

func (ix *srcIndex) text(line int) []byte {
	line = ix.clampLine(line)
	return ix.src[ix.starts[line-1]:ix.lineEnd(line)]
}

// firstNonBlank is the column of the first character of line that is not a
// space or tab, 1 for a blank line.
func (ix *srcIndex) firstNonBlank(line int) int {
	col := 1
	for _, r := range string(ix.text(line)) {
		if r != ' ' && r != '\t' {
			return col
		}
		col++
	}
	return 1
}

// indentTab is the column of the first tab in line's indentation, when the
// line has content after it; 0 otherwise.
func (ix *srcIndex) indentTab(line int) int {
	text := ix.text(line)
	tab := 0
	for i, c := range text {
		switch c {
		case '\t':
			if tab == 0 {
				tab = i + 1 // indentation is ASCII, so bytes are runes
			}
		case ' ':
		default:
			return tab
		}
	}
	return 0
}

// tabIn is the column of the first tab on line, 0 if none.
func (ix *srcIndex) tabIn(line int) int {
	text := ix.text(line)
	if i := bytes.IndexByte(text, '\t'); i >= 0 {
		return utf8.RuneCount(text[:i]) + 1
	}
	return 0
}

func (ix *srcIndex) charAt(line, col int) rune {
	off := ix.offset(line, col)
	if off >= ix.lineEnd(line) {
		return 0
	}
	r, _ := utf8.DecodeRune(ix.src[off:])
	return r
}

// span is where node n is written, start to end (File unset). yaml/v4 gives
// only starts; ends are found by scanning the text: the end of the scalar or
// alias token, and for a collection the end of its last descendant (for a
// flow collection, its closing bracket).
func (ix *srcIndex) span(n *yaml.Node, indent int) Position {
	line, col := n.Line, n.Column
	if line < 1 {
		line, col = 1, 1
	}
	if col < 1 {
		col = 1
	}
	end := ix.nodeEnd(n, indent)
	el, ec := ix.pos(end)
	if el < line || (el == line && ec < col) {
		el, ec = line, col
	}
	return Position{Line: line, Column: col, EndLine: el, EndColumn: ec}
}

func (ix *srcIndex) nodeEnd(n *yaml.Node, indent int) int {
	start := ix.offset(n.Line, n.Column)
	switch n.Kind {
	case yaml.ScalarNode:
		return ix.scalarEnd(n, start, indent)
	case yaml.AliasNode:
		p := start
		if p < len(ix.src) && ix.src[p] == '*' {
			p = ix.skipName(p + 1)
		}
		return p
	case yaml.MappingNode, yaml.SequenceNode, yaml.DocumentNode:
		end := start
		if k := len(n.Content); k > 0 {
			childIndent := n.Column - 1
			if n.Kind == yaml.MappingNode {
				childIndent = n.Content[0].Column - 1
			}
			end = max(end, ix.nodeEnd(n.Content[k-1], childIndent))
		}
		if n.Style&yaml.FlowStyle != 0 {
			end = ix.closeBracket(start, end, len(n.Content) == 0)
		}
		return end
	}
	return start
}

// skipName skips an anchor, alias or tag name: anything up to white space
// or a flow indicator.
func (ix *srcIndex) skipName(p int) int {
	for p < len(ix.src) {
		switch ix.src[p] {
		case ' ', '\t', '\r', '\n', ',', '[', ']', '{', '}':
			return p
		}
		p++
	}
	return p
}

// skipSpace skips white space, line breaks and comments.
func (ix *srcIndex) skipSpace(p int) int {
	for p < len(ix.src) {
		switch c := ix.src[p]; {
		case c == ' ' || c == '\t':
			p++
		case breakLen(ix.src, p) > 0:
			p += breakLen(ix.src, p)
		case c == '#':
			for p < len(ix.src) && breakLen(ix.src, p) == 0 {
				p++
			}
		default:
			return p
		}
	}
	return p
}

// closeBracket finds the "]" or "}" closing a flow collection whose last
// child ends at from; if the collection is empty it first skips the
// properties and the opening bracket after start.
func (ix *srcIndex) closeBracket(start, from int, empty bool) int {
	p := from
	if empty {
		i := bytes.IndexAny(ix.src[start:], "[{")
		if i < 0 {
			return from
		}
		p = start + i + 1
	}
	for {
		p = ix.skipSpace(p)
		if p < len(ix.src) && ix.src[p] == ',' {
			p++
			continue
		}
		break
	}
	if p < len(ix.src) && (ix.src[p] == ']' || ix.src[p] == '}') {
		return p + 1
	}
	return from
}

func (ix *srcIndex) scalarEnd(n *yaml.Node, p, indent int) int {
	src := ix.src
	q, propEnd := p, p
	for q < len(src) && (src[q] == '&' || src[q] == '!') {
		propEnd = ix.skipName(q + 1)
		q = ix.skipSpace(propEnd)
	}
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
	if n.Value == "" && !quoted {
		return propEnd // an empty (null) value ends where its properties do
	}
	if q >= len(src) {
		return propEnd
	}
	switch {
	case n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 && (src[q] == '|' || src[q] == '>'):
		return ix.blockScalarEnd(q, indent)
	case n.Style&yaml.DoubleQuotedStyle != 0 && src[q] == '"':
		for i := q + 1; i < len(src); i++ {
			switch src[i] {
			case '\\':
				i++
			case '"':
				return i + 1
			}
		}
	case n.Style&yaml.SingleQuotedStyle != 0 && src[q] == '\'':
		for i := q + 1; i < len(src); i++ {
			if src[i] == '\'' {
				if i+1 < len(src) && src[i+1] == '\'' {
					i++
					continue
				}
				return i + 1
			}
		}
	default:
		if end := matchPlain(src, q, n.Value); end >= 0 {
			return end
		}
	}
	// The text does not read as expected (it should not happen): end at the
	// end of the first word rather than guess further.
	return ix.skipName(q)
}

// matchPlain matches the value of a plain scalar against the text at p and
// returns where it ends, -1 on mismatch. A multi-line plain scalar's value
// has its line breaks and indentation folded into one space (or newlines for
// blank lines), so any run of white space in the value matches any run of
// white space and line breaks in the text.
func matchPlain(src []byte, p int, val string) int {
	isSpace := func(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
	i := 0
	for i < len(val) {
		if isSpace(val[i]) {
			for i < len(val) && isSpace(val[i]) {
				i++
			}
			for p < len(src) && (isSpace(src[p]) || breakLen(src, p) > 0) {
				p += max(1, breakLen(src, p))
			}
			continue
		}
		if p >= len(src) || src[p] != val[i] {
			return -1
		}
		p++
		i++
	}
	return p
}

// blockScalarEnd is the end of the last non-blank content line of the
// literal or folded scalar whose header ("|", ">-", "|2"...) is at p; its
// content is every following line indented more than the enclosing
// collection (indent), by at least the first content line's indentation.
func (ix *srcIndex) blockScalarEnd(p, indent int) int {
	src := ix.src
	q := p + 1
	explicit := 0
	for q < len(src) && (src[q] == '+' || src[q] == '-' || (src[q] >= '1' && src[q] <= '9')) {
		if src[q] != '+' && src[q] != '-' {
			explicit = int(src[q] - '0')
		}
		q++
	}
	end := q
	contentIndent := -1
	if explicit > 0 {
		contentIndent = max(indent, 0) + explicit
		if indent < 0 {
			contentIndent = explicit
		}
	}
	headerLine, _ := ix.pos(p)
	for l := headerLine + 1; l <= ix.lines(); l++ {
		text := ix.text(l)
		n := 0
		for n < len(text) && text[n] == ' ' {
			n++
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue // blank lines belong to the scalar only if content follows
		}
		if contentIndent < 0 {
			if n <= indent {
				break
			}
			contentIndent = n
		}
		if n < contentIndent {
			break
		}
		end = ix.lineEnd(l)
	}
	return end
}

// Raw is the text of the scalar at path as written, before interpolation
// (`${TAG:-1.27}`, not `1.27`), so that a check can tell a value the user
// wrote from one a variable supplied.
func (m *SourceMap) Raw(path string) (string, bool) {
	if e := m.merged[path]; e != nil && e.isScalar {
		return e.scalar, true
	}
	return "", false
}
