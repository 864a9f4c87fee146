package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"go.yaml.in/yaml/v4"
)

// Position is a place, or a range, in a compose file. Lines and columns are
// 1-based; Column counts characters (runes), not bytes, because that is what
// an editor shows and what yaml/v4 reports. EndLine/EndColumn are exclusive
// and zero when only the start is known.
type Position struct {
	File               string
	Line, Column       int
	EndLine, EndColumn int
}

// String renders p as file:line:col, the form editors and terminals turn into
// links. Without a line it is the file alone (an error about the whole file),
// and without a file it is line:col.
func (p Position) String() string {
	switch {
	case p.Line <= 0:
		return p.File
	case p.File == "":
		return fmt.Sprintf("%d:%d", p.Line, p.Column)
	default:
		return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Column)
	}
}

// Error is a problem in a compose file with the place that caused it. Every
// bad-input path of berth reports one, so that the user can jump to it.
type Error struct {
	Pos Position
	Msg string
	Err error // the underlying cause, if any (a yaml/v4 error, ErrEmptyFile)
}

func (e *Error) Error() string {
	if where := e.Pos.String(); where != "" {
		return where + ": " + e.Msg
	}
	return e.Msg
}

func (e *Error) Unwrap() error { return e.Err }

// ErrEmptyFile is the cause of the *Error ParseFile returns for a file with
// no YAML document (empty, blank, or only comments). compose-go accepts such
// a file when other files give the project content (an empty override) and
// fails with "empty compose file" only when the merged model is empty, so
// ParseFile still returns the (document-less) *File next to this error: a
// caller merging several files may use errors.Is(err, ErrEmptyFile) to keep
// going, exactly as compose-go does.
var ErrEmptyFile = errors.New("file is empty")

// ErrSelfAlias is the cause of the *Error ParseFile returns for an alias
// inside the value of its own anchor. compose-go refuses such a file too,
// but only once it has visited 100,000 nodes, which its cycle check makes
// take seconds.
var ErrSelfAlias = errors.New("alias inside its own anchor")

// ErrDuplicateKey is the cause of a ParseFile error about a key written
// twice in one mapping; every other ParseFile error is a YAML syntax or
// encoding problem.
var ErrDuplicateKey = errors.New("duplicate key")

// File is one parsed compose file.
type File struct {
	Name string
	// Src is the file's text as UTF-8. A UTF-16 file (with a byte order mark,
	// as PowerShell writes) is transcoded, so that offsets into Src agree
	// with the line/column positions yaml/v4 reports.
	Src []byte
	// Docs holds every YAML document of the file, in order, each a
	// yaml.DocumentNode whose single child is the top-level mapping. compose-go
	// merges the documents of one file in order, like successive files.
	Docs []*yaml.Node

	index *srcIndex
}

// PositionAt returns the position of byte offset off in f.Src (clamped to
// the file), e.g. for a regexp match in the raw text.
func (f *File) PositionAt(off int) Position {
	ix := f.srcIndex()
	line, col := ix.pos(off)
	return Position{File: f.Name, Line: line, Column: col}
}

func (f *File) srcIndex() *srcIndex {
	// A File built by hand (not by ParseFile) has no index yet; building it
	// here keeps every accessor usable. It is not cached to avoid a data race
	// on a File shared between goroutines.
	if f.index != nil {
		return f.index
	}
	return newSrcIndex(f.Src)
}

// maxAliasExpansion bounds how many nodes a document may expand to once
// every alias is replaced by its anchor's value. Anything above it is a
// "billion laughs" document: walking it would never end. Real compose files
// expand to a few thousand nodes; compose-go's own traversal cap is 100,000.
const maxAliasExpansion = 100_000

// ParseFile parses the compose file filename whose content is src. Any
// problem is a *Error with the exact place and a message saying what to fix.
// It never panics and returns in time linear in len(src), whatever src is.
func ParseFile(filename string, src []byte) (f *File, err error) {
	defer func() {
		// Defence in depth: a panic inside yaml/v4 on some input must not
		// take berth down; it becomes an error the user can report.
		if r := recover(); r != nil {
			f = nil
			err = &Error{Pos: Position{File: filename, Line: 1, Column: 1},
				Msg: fmt.Sprintf("cannot parse file (internal YAML parser failure: %v)", r)}
		}
	}()
	src, err = decodeUTF16(filename, src)
	if err != nil {
		return nil, err
	}
	f = &File{Name: filename, Src: src, index: newSrcIndex(src)}
	if err := f.checkCharacters(); err != nil {
		return nil, err
	}
	loader, lerr := yaml.NewLoader(bytes.NewReader(src))
	if lerr != nil {
		return nil, f.errorAt(1, 1, lerr.Error(), lerr)
	}
	for {
		var doc yaml.Node
		lerr := loader.Load(&doc)
		if errors.Is(lerr, io.EOF) {
			break
		}
		if lerr != nil {
			return nil, f.yamlError(lerr)
		}
		f.Docs = append(f.Docs, &doc)
	}
	if len(f.Docs) == 0 {
		return f, f.errorAt(1, 1, "file is empty", ErrEmptyFile)
	}
	for _, doc := range f.Docs {
		if err := f.checkDocument(doc); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// decodeUTF16 transcodes a UTF-16 file with a byte order mark to UTF-8:
// yaml/v4 accepts it, so berth must too, and all position arithmetic is done
// on UTF-8.
func decodeUTF16(filename string, src []byte) ([]byte, error) {
	var bigEndian bool
	switch {
	case len(src) >= 2 && src[0] == 0xFF && src[1] == 0xFE:
	case len(src) >= 2 && src[0] == 0xFE && src[1] == 0xFF:
		bigEndian = true
	default:
		return src, nil
	}
	body := src[2:]
	if len(body)%2 != 0 {
		return nil, &Error{Pos: Position{File: filename, Line: 1, Column: 1},
			Msg: "invalid UTF-16: odd number of bytes; save the file as UTF-8"}
	}
	units := make([]uint16, len(body)/2)
	for i := range units {
		if bigEndian {
			units[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
		} else {
			units[i] = uint16(body[2*i+1])<<8 | uint16(body[2*i])
		}
	}
	out := make([]byte, 0, len(units)+3)
	out = utf8.AppendRune(out, '\uFEFF') // keep the BOM so columns of line 1 stay as yaml/v4 counts them
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

// checkCharacters reports the first byte yaml/v4's reader would reject.
// yaml/v4 rejects invalid UTF-8 and control characters too, but without a
// position, which would leave the user searching a whole file.
func (f *File) checkCharacters() error {
	src := f.Src
	for off := 0; off < len(src); {
		r, size := utf8.DecodeRune(src[off:])
		if r == utf8.RuneError && size <= 1 {
			line, col := f.index.pos(off)
			return f.errorAt(line, col, fmt.Sprintf("invalid UTF-8 (byte 0x%02X); save the file as UTF-8", src[off]), nil)
		}
		if !yamlPrintable(r) {
			line, col := f.index.pos(off)
			return f.errorAt(line, col, fmt.Sprintf("control character %U is not allowed in YAML; remove it or write it as an escape in a double-quoted string", r), nil)
		}
		off += size
	}
	return nil
}

// yamlPrintable mirrors the character set yaml/v4's reader accepts.
func yamlPrintable(r rune) bool {
	switch {
	case r == 0x09, r == 0x0A, r == 0x0D:
	case r >= 0x20 && r <= 0x7E:
	case r >= 0x7F && r <= 0x9F:
	case r >= 0xA0 && r <= 0xD7FF:
	case r >= 0xE000 && r <= 0xFFFD:
	case r >= 0x10000 && r <= 0x10FFFF:
	default:
		return false
	}
	return true
}

// errorAt builds a *Error at line:col spanning one character, clamped to the
// file so that a position is always valid (Line >= 1, Column >= 1).
func (f *File) errorAt(line, col int, msg string, cause error) *Error {
	if line < 1 {
		line = 1
	}
	if col < 1 {
		col = 1
	}
	pos := Position{File: f.Name, Line: line, Column: col, EndLine: line, EndColumn: col}
	if off := f.index.offset(line, col); off < f.index.lineEnd(line) {
		pos.EndColumn = col + 1
	}
	return &Error{Pos: pos, Msg: msg, Err: cause}
}

// reLineCol finds a position in a yaml error that is not a *yaml.LoadError
// (or lost its marks): "L3.C5", "line 3, column 5", or only "line 3".
var reLineCol = regexp.MustCompile(`L(\d+)\.C(\d+)|line (\d+)(?:, column (\d+))?`)

// yamlError turns a yaml/v4 error into a *Error with line AND column, and a
// message that says what to do where the YAML one only says what is wrong.
func (f *File) yamlError(err error) *Error {
	var line, col int
	msg := err.Error()
	var le *yaml.LoadError
	if errors.As(err, &le) {
		msg = le.Message
		line, col = le.Mark.Line, le.Mark.Column
		if line <= 0 {
			line, col = le.ContextMark.Line, le.ContextMark.Column
		}
		if le.ContextMsg != "" && le.ContextMark.Line > 0 && le.ContextMark != le.Mark {
			msg = fmt.Sprintf("%s (%s started at %d:%d)", msg, le.ContextMsg, le.ContextMark.Line, le.ContextMark.Column)
		}
	}
	if line <= 0 {
		if m := reLineCol.FindStringSubmatch(err.Error()); m != nil {
			if m[1] != "" {
				line, _ = strconv.Atoi(m[1])
				col, _ = strconv.Atoi(m[2])
			} else {
				line, _ = strconv.Atoi(m[3])
				col, _ = strconv.Atoi(m[4])
			}
		}
	}
	if line <= 0 {
		line = 1
	}
	if line > f.index.lines() {
		line, col = f.index.lines(), 0 // yaml reports some errors past the end
	}
	if col <= 0 {
		col = f.index.firstNonBlank(line)
	}
	// A tab in the indentation is the most common cause of a YAML syntax
	// error, and yaml/v4 words it as "found character that cannot start any
	// token" or similar: say it plainly, at the tab.
	if tabCol := f.index.indentTab(line); tabCol > 0 {
		return f.errorAt(line, tabCol, "tab character used for indentation; use spaces", err)
	}
	if strings.Contains(msg, "tab character") {
		if tabCol := f.index.tabIn(line); tabCol > 0 {
			return f.errorAt(line, tabCol, "tab character used for indentation; use spaces", err)
		}
	}
	switch {
	case strings.HasPrefix(msg, "mapping values are not allowed in this context"):
		msg += `; quote a value that contains ": ", or check the indentation`
	case strings.HasPrefix(msg, "did not find expected key"):
		msg += "; check the indentation of this line"
	case strings.HasPrefix(msg, "found unexpected end of stream") && strings.Contains(msg, "quoted scalar"):
		msg += "; close the quote"
	case strings.HasPrefix(msg, "found character that cannot start any token"):
		if c := f.index.charAt(line, col); c == '@' || c == '`' {
			msg = fmt.Sprintf("%q cannot start an unquoted value; quote the value", c)
		}
	}
	return f.errorAt(line, col, msg, err)
}

// checkDocument enforces what compose-go needs from a document and yaml/v4
// only checks when decoding: a mapping at the top, unique keys, merge keys
// that merge mappings, and aliases that neither loop nor explode.
func (f *File) checkDocument(doc *yaml.Node) error {
	if len(doc.Content) == 0 {
		return f.errorAt(doc.Line, doc.Column, "document is empty; the top level of a compose file must be a mapping", nil)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" && root.Value == "" {
			// An empty document after a "---" separator: compose-go fails
			// on it with "top-level object must be a mapping".
			return f.errorAt(doc.Line, doc.Column, `document is empty; remove the "---" separator or give the document a mapping`, nil)
		}
		return f.errorAt(root.Line, root.Column, fmt.Sprintf("top level of a compose file must be a mapping, not %s", kindName(root)), nil)
	}
	c := &docChecker{f: f, expanded: map[*yaml.Node]int{}}
	return c.check(root)
}

// kindName names a node's kind the way a user thinks of it.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return fmt.Sprintf("the value %q", n.Value)
	}
	return "this"
}

// docChecker walks one document once, each node of the text exactly once
// (never through an alias), so it is linear even on a billion-laughs input.
type docChecker struct {
	f *File
	// total counts the nodes aliases have expanded to so far, in document
	// order. Nodes written out in the text do not count: their number is
	// bounded by the file's size, and a large plain file is legitimate.
	total int
	// expanded memoises the expanded size of anchored nodes; inProgress
	// marks a node whose size is being computed, to detect self-reference.
	expanded map[*yaml.Node]int
}

const inProgress = -1

func (c *docChecker) check(n *yaml.Node) error {
	// Iterative over siblings, recursive over depth: yaml/v4 caps nesting at
	// 10000 levels, which Go's growable stack handles.
	if n.Kind == yaml.AliasNode {
		size, err := c.size(n)
		if err != nil {
			return err
		}
		c.total += size
		if c.total > maxAliasExpansion {
			return c.bomb(n)
		}
		return nil
	}
	if n.Kind == yaml.MappingNode {
		if err := c.checkMapping(n); err != nil {
			return err
		}
	}
	for _, child := range n.Content {
		if err := c.check(child); err != nil {
			return err
		}
	}
	return nil
}

func (c *docChecker) bomb(alias *yaml.Node) error {
	msg := fmt.Sprintf("alias *%s expands the document to more than %d values (a \"billion laughs\" alias bomb); reduce the nesting of anchors and aliases", alias.Value, maxAliasExpansion)
	return c.f.nodeError(alias, msg)
}

// size is the number of nodes n stands for once aliases are expanded,
// saturated just above the limit so that it never overflows.
func (c *docChecker) size(n *yaml.Node) (int, error) {
	if n.Kind == yaml.AliasNode {
		target := n.Alias
		if target == nil {
			return 1, nil
		}
		if c.expanded[target] == inProgress {
			e := c.f.nodeError(n, fmt.Sprintf("alias *%s refers to its own anchor &%s (defined at %d:%d); a value cannot contain itself",
				n.Value, n.Value, target.Line, target.Column))
			e.Err = ErrSelfAlias
			return 0, e
		}
		return c.size(target)
	}
	if s, ok := c.expanded[n]; ok && s != inProgress {
		return s, nil
	}
	if len(n.Content) == 0 {
		return 1, nil
	}
	c.expanded[n] = inProgress
	total := 1
	for _, child := range n.Content {
		s, err := c.size(child)
		if err != nil {
			return 0, err
		}
		total += s
		if total > maxAliasExpansion {
			total = maxAliasExpansion + 1
		}
	}
	c.expanded[n] = total
	return total, nil
}

// checkMapping reports the second of two equal keys (compose-go rejects them
// through yaml/v4's decoder, which compares kind and text, without a column)
// and merge keys whose value cannot be merged.
func (c *docChecker) checkMapping(n *yaml.Node) error {
	// Most mappings are small; a map only pays for itself on large ones.
	var seen map[string]*yaml.Node
	if len(n.Content) > 32 {
		seen = make(map[string]*yaml.Node, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		var first *yaml.Node
		if seen != nil {
			id := strconv.Itoa(int(k.Kind)) + ":" + k.Value
			first = seen[id]
			if first == nil {
				seen[id] = k
			}
		} else {
			for j := 0; j < i; j += 2 {
				if p := n.Content[j]; p.Kind == k.Kind && p.Value == k.Value {
					first = p
					break
				}
			}
		}
		if first != nil {
			e := c.f.nodeError(k, fmt.Sprintf("duplicate key %q (first defined at %d:%d)", k.Value, first.Line, first.Column))
			e.Err = ErrDuplicateKey
			return e
		}
		if isMergeKey(k) {
			if err := c.checkMerge(n.Content[i+1]); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *docChecker) checkMerge(v *yaml.Node) error {
	const msg = `merge key "<<" needs a mapping, an alias to one (like *base), or a list of them`
	switch v.Kind {
	case yaml.MappingNode:
		return nil
	case yaml.AliasNode:
		if v.Alias != nil && v.Alias.Kind != yaml.MappingNode {
			return c.f.nodeError(v, msg)
		}
		return nil
	case yaml.SequenceNode:
		for _, item := range v.Content {
			switch {
			case item.Kind == yaml.MappingNode:
			case item.Kind == yaml.AliasNode && (item.Alias == nil || item.Alias.Kind == yaml.MappingNode):
			default:
				return c.f.nodeError(item, msg)
			}
		}
		return nil
	}
	return c.f.nodeError(v, msg)
}

// isMergeKey mirrors yaml/v4: only a plain "<<" (tag !!merge) merges; a
// quoted "<<" is an ordinary key.
func isMergeKey(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!merge"
}

// nodeError is an error spanning node n's text.
func (f *File) nodeError(n *yaml.Node, msg string) *Error {
	pos := f.index.span(n, -1)
	pos.File = f.Name
	if pos.Line < 1 {
		return f.errorAt(1, 1, msg, nil)
	}
	return &Error{Pos: pos, Msg: msg}
}
