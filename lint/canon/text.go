package canon

import (
	"bytes"
	"unicode/utf8"
)

// text indexes a file's lines. Line numbers here are 0-based.
type text struct {
	src    []byte
	starts []int
}

func newText(src []byte) *text {
	t := &text{src: src, starts: []int{0}}
	for i, c := range src {
		if c == '\n' && i+1 < len(src) {
			t.starts = append(t.starts, i+1)
		}
	}
	return t
}

func (t *text) lines() int { return len(t.starts) }

// start is the offset of line i; for i past the last line, len(src).
func (t *text) start(i int) int {
	if i >= len(t.starts) {
		return len(t.src)
	}
	return t.starts[i]
}

// line is line i without its line break.
func (t *text) line(i int) []byte {
	if i < 0 || i >= len(t.starts) {
		return nil
	}
	l := t.src[t.start(i):t.start(i+1)]
	l = bytes.TrimSuffix(l, []byte("\n"))
	return bytes.TrimSuffix(l, []byte("\r"))
}

// indent is the number of blanks before line i's first character.
func (t *text) indent(i int) int {
	l := t.line(i)
	n := 0
	for n < len(l) && (l[n] == ' ' || l[n] == '\t') {
		n++
	}
	return n
}

func (t *text) blank(i int) bool { return t.indent(i) == len(t.line(i)) }

func (t *text) comment(i int) bool {
	l := t.line(i)
	n := t.indent(i)
	return n < len(l) && l[n] == '#'
}

// marker reports a document marker line ("---" or "...").
func (t *text) marker(i int) bool {
	l := t.line(i)
	if !bytes.HasPrefix(l, []byte("---")) && !bytes.HasPrefix(l, []byte("...")) {
		return false
	}
	return len(l) == 3 || l[3] == ' ' || l[3] == '\t'
}

// offset is the byte offset of 1-based line and column (in characters, as
// yaml/v4 counts them).
func (t *text) offset(line, col int) int {
	i := line - 1
	if i < 0 {
		return 0
	}
	if i >= len(t.starts) {
		return len(t.src)
	}
	return t.start(i) + runeOffset(t.line(i), col-1)
}

// runeOffset is the byte offset of the n-th character of b.
func runeOffset(b []byte, n int) int {
	off := 0
	for ; n > 0 && off < len(b); n-- {
		_, size := utf8.DecodeRune(b[off:])
		off += size
	}
	return off
}

// Index converts the 1-based line and column yaml/v4 gives a node
// (columns in characters) into a byte offset in the file's text, for rules
// that build edits.
type Index struct{ t *text }

// NewIndex indexes src's lines once.
func NewIndex(src []byte) *Index { return &Index{newText(src)} }

// Offset is the byte offset of line:col.
func (ix *Index) Offset(line, col int) int { return ix.t.offset(line, col) }
