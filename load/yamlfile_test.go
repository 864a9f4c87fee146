package load

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// badFixtures lists every file of testdata/yaml/bad with the exact error
// ParseFile must give: line:col of the start, and the message.
var badFixtures = []struct {
	file, pos, msg string
}{
	{"empty.yaml", "1:1", "file is empty"},
	{"comments-only.yaml", "1:1", "file is empty"},
	{"invalid-utf8.yaml", "3:14", "invalid UTF-8 (byte 0xFF); save the file as UTF-8"},
	{"invalid-utf8-after-non-ascii.yaml", "1:15", "invalid UTF-8 (byte 0xE9); save the file as UTF-8"},
	{"control-character.yaml", "4:16", "control character U+0001 is not allowed in YAML; remove it or write it as an escape in a double-quoted string"},
	{"tab-indent.yaml", "2:1", "tab character used for indentation; use spaces"},
	{"tab-indent-nested.yaml", "4:1", "tab character used for indentation; use spaces"},
	{"unclosed-flow-sequence.yaml", "4:1", "did not find expected ',' or ']' (while parsing a flow sequence started at 3:12)"},
	{"colon-in-plain-value.yaml", "3:22", `mapping values are not allowed in this context; quote a value that contains ": ", or check the indentation`},
	{"bad-indentation.yaml", "4:4", "did not find expected key (while parsing a block mapping started at 2:3); check the indentation of this line"},
	{"at-sign-value.yaml", "3:12", "'@' cannot start an unquoted value; quote the value"},
	{"unterminated-quote.yaml", "5:1", "found unexpected end of stream (while scanning a quoted scalar started at 4:10); close the quote"},
	{"unknown-anchor.yaml", "3:12", "unknown anchor 'missing' referenced"},
	{"duplicate-key.yaml", "5:5", `duplicate key "image" (first defined at 3:5)`},
	{"duplicate-service.yaml", "6:3", `duplicate key "web" (first defined at 2:3)`},
	{"duplicate-merge-key.yaml", "6:5", `duplicate key "<<" (first defined at 5:5)`},
	{"merge-scalar.yaml", "4:9", `merge key "<<" needs a mapping, an alias to one (like *base), or a list of them`},
	{"billion-laughs.yaml", "6:8", `alias *e expands the document to more than 100000 values (a "billion laughs" alias bomb); reduce the nesting of anchors and aliases`},
	{"self-alias.yaml", "4:18", "alias *web refers to its own anchor &web (defined at 2:8); a value cannot contain itself"},
	{"top-level-list.yaml", "1:1", "top level of a compose file must be a mapping, not a list"},
	{"top-level-scalar.yaml", "1:1", `top level of a compose file must be a mapping, not the value "just a string"`},
	{"empty-second-document.yaml", "4:1", `document is empty; remove the "---" separator or give the document a mapping`},
	{"second-document-list.yaml", "5:1", "top level of a compose file must be a mapping, not a list"},
	{"only-separator.yaml", "2:1", `document is empty; remove the "---" separator or give the document a mapping`},
}

func TestParseFileErrors(t *testing.T) {
	listed := map[string]bool{}
	for _, tc := range badFixtures {
		listed[tc.file] = true
		t.Run(tc.file, func(t *testing.T) {
			name := filepath.Join("testdata", "yaml", "bad", tc.file)
			src, err := os.ReadFile(name)
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = ParseFile(name, src)
			if d := time.Since(start); d > time.Second {
				t.Errorf("ParseFile took %v", d)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("want *Error, got %T %v", err, err)
			}
			if got := fmt.Sprintf("%d:%d", e.Pos.Line, e.Pos.Column); got != tc.pos {
				t.Errorf("position %s, want %s (%s)", got, tc.pos, e.Msg)
			}
			if e.Msg != tc.msg {
				t.Errorf("message\n got %s\nwant %s", e.Msg, tc.msg)
			}
			if e.Pos.File != name {
				t.Errorf("file %q, want %q", e.Pos.File, name)
			}
			if want := name + ":" + tc.pos + ": " + tc.msg; e.Error() != want {
				t.Errorf("Error()\n got %s\nwant %s", e.Error(), want)
			}
		})
	}
	// Every fixture must have an expectation, so none is silently untested.
	all, _ := filepath.Glob(filepath.Join("testdata", "yaml", "bad", "*"))
	for _, f := range all {
		if !listed[filepath.Base(f)] {
			t.Errorf("fixture %s has no entry in badFixtures", f)
		}
	}
}

func TestParseFileEmptyMirrorsComposeGo(t *testing.T) {
	// compose-go accepts an empty file next to others and fails only when the
	// whole model is empty: the caller gets the File and a recognisable cause.
	f, err := ParseFile("override.yml", []byte("\n# nothing yet\n"))
	if !errors.Is(err, ErrEmptyFile) {
		t.Fatalf("want ErrEmptyFile, got %v", err)
	}
	if f == nil || len(f.Docs) != 0 {
		t.Fatalf("want a File without documents, got %+v", f)
	}
}

func TestParseFileAccepts(t *testing.T) {
	utf16le := func(s string) []byte {
		out := []byte{0xFF, 0xFE}
		for _, u := range utf16.Encode([]rune(s)) {
			out = append(out, byte(u), byte(u>>8))
		}
		return out
	}
	tests := []struct {
		name string
		src  []byte
		docs int
	}{
		{"plain", []byte("services:\n  web:\n    image: nginx\n"), 1},
		{"multi-document", []byte("services: {a: {image: x}}\n---\nservices: {b: {image: y}}\n...\n---\nnetworks: {}\n"), 3},
		{"bom", []byte("\ufeffservices: {}\n"), 1},
		{"crlf", []byte("services:\r\n  web:\r\n    image: nginx\r\n"), 1},
		{"utf16le", utf16le("services:\n  wéb:\n    image: nginx\n"), 1},
		{"tab after value", []byte("services:\n  web:\n    image: nginx\t# comment\n"), 1},
		{"quoted merge-like key", []byte("\"<<\": 1\nx: {a: 1}\n"), 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFile("c.yml", tc.src)
			if err != nil {
				t.Fatal(err)
			}
			if len(f.Docs) != tc.docs {
				t.Errorf("%d documents, want %d", len(f.Docs), tc.docs)
			}
		})
	}
}

func TestParseFileUTF16Positions(t *testing.T) {
	src := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune("services:\n  wéb:\n    image: nginx\n")) {
		src = append(src, byte(u), byte(u>>8))
	}
	f, err := ParseFile("c.yml", src)
	if err != nil {
		t.Fatal(err)
	}
	m := NewSourceMap()
	m.AddFile(f)
	if got := posString(m.Value("services.wéb.image")); got != "3:12-3:17" {
		t.Errorf("value at %s, want 3:12-3:17", got)
	}
}

func TestYAMLErrorLineOnly(t *testing.T) {
	// An error that names only a line gets the column of the line's first
	// character, never 0.
	f := &File{Name: "c.yml", Src: []byte("a: 1\n   b: 2\n")}
	f.index = newSrcIndex(f.Src)
	e := f.yamlError(errors.New("yaml: line 2: something odd"))
	if e.Pos.Line != 2 || e.Pos.Column != 4 {
		t.Errorf("got %d:%d, want 2:4", e.Pos.Line, e.Pos.Column)
	}
	e = f.yamlError(errors.New("no position at all"))
	if e.Pos.Line != 1 || e.Pos.Column != 1 {
		t.Errorf("got %d:%d, want 1:1", e.Pos.Line, e.Pos.Column)
	}
	e = f.yamlError(errors.New("yaml: line 99: past the end"))
	if e.Pos.Line != 3 || e.Pos.Column != 1 {
		t.Errorf("got %d:%d, want 3:1", e.Pos.Line, e.Pos.Column)
	}
}

func TestPositionAndErrorString(t *testing.T) {
	tests := []struct {
		pos  Position
		want string
	}{
		{Position{File: "a.yml", Line: 3, Column: 5}, "a.yml:3:5"},
		{Position{Line: 3, Column: 5}, "3:5"},
		{Position{File: "a.yml"}, "a.yml"},
	}
	for _, tc := range tests {
		if got := tc.pos.String(); got != tc.want {
			t.Errorf("%+v: got %q, want %q", tc.pos, got, tc.want)
		}
	}
	cause := errors.New("cause")
	e := &Error{Pos: Position{File: "a.yml", Line: 1, Column: 2}, Msg: "bad", Err: cause}
	if e.Error() != "a.yml:1:2: bad" || !errors.Is(e, cause) {
		t.Errorf("got %q, unwrap %v", e.Error(), errors.Unwrap(e))
	}
}

func TestBillionLaughsIsFast(t *testing.T) {
	// 30 levels of 10 aliases: 10^30 nodes if expanded.
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i <= 30; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	start := time.Now()
	_, err := ParseFile("bomb.yml", []byte(b.String()))
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("took %v", d)
	}
	var e *Error
	if !errors.As(err, &e) || !strings.Contains(e.Msg, "billion laughs") {
		t.Fatalf("want an alias bomb error, got %v", err)
	}
	// Expanded so far: 110 + 1110 + 11110 by l3, then 11111 per *l3: the
	// 8th alias of l4 crosses 100000.
	if e.Pos.Line != 5 || e.Pos.Column != 45 {
		t.Errorf("at %d:%d, want 5:45", e.Pos.Line, e.Pos.Column)
	}
}

// FuzzParseFile: no input makes ParseFile panic or hang, and every error is
// a *Error with a real position.
func FuzzParseFile(f *testing.F) {
	for _, dir := range []string{"bad", "map"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "yaml", dir, "*"))
		for _, name := range files {
			if src, err := os.ReadFile(name); err == nil {
				f.Add(src)
			}
		}
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("a: |2\n   x\n  y\n"))
	f.Add([]byte("\xff\xfe"))
	f.Fuzz(func(t *testing.T, src []byte) {
		file, err := ParseFile("fuzz.yml", src)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("not a *Error: %T %v", err, err)
			}
			if e.Pos.Line < 1 || e.Pos.Column < 1 {
				t.Fatalf("bad position %+v for %q", e.Pos, e.Msg)
			}
			if file == nil {
				return
			}
		}
		// Whatever parses must map without panicking, with valid positions.
		m := NewSourceMap()
		m.AddFile(file)
		for _, p := range m.Paths() {
			pos, _ := m.Lookup(p)
			if pos.Line < 1 || pos.Column < 1 {
				t.Fatalf("path %s: bad position %+v", p, pos)
			}
			if pos.EndLine < pos.Line || (pos.EndLine == pos.Line && pos.EndColumn < pos.Column) {
				t.Fatalf("path %s: end before start %+v", p, pos)
			}
		}
		if pos := m.Nearest("services.x.y[3]"); pos.Line < 1 || pos.Column < 1 {
			t.Fatalf("Nearest: %+v", pos)
		}
	})
}
