package report

import (
	"encoding/xml"
	"fmt"
	"testing"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// hostileText is text a diagnostic can carry (a message quotes the user's
// YAML, a file name is whatever is on disk) paired with what an XML parser
// must read back: the same text, except that characters XML 1.0 cannot
// carry, and bytes that are not UTF-8, become U+FFFD.
var hostileText = []struct{ in, want string }{
	{`quotes "double" and 'single'`, `quotes "double" and 'single'`},
	{"markup <b>bold</b> & ]]> and <![CDATA[x]]>", "markup <b>bold</b> & ]]> and <![CDATA[x]]>"},
	{"already escaped &amp; &lt; &#34; &#x41;", "already escaped &amp; &lt; &#34; &#x41;"},
	{"tab\there, newline\nthere, CRLF\r\nand a lone CR\r.", "tab\there, newline\nthere, CRLF\r\nand a lone CR\r."},
	{"  leading and trailing spaces  ", "  leading and trailing spaces  "},
	{"NUL\x00 BEL\x07 ESC\x1b[31m VT\x0b FF\x0c", "NUL\uFFFD BEL\uFFFD ESC\uFFFD[31m VT\uFFFD FF\uFFFD"},
	{"invalid UTF-8 \xff, a cut \xe6\x97 sequence, a surrogate \xed\xa0\x80",
		"invalid UTF-8 \uFFFD, a cut \uFFFD\uFFFD sequence, a surrogate \uFFFD\uFFFD\uFFFD"},
	{"non-characters \uFFFE \uFFFF, a real \uFFFD, DEL \x7f, NEL \u0085",
		"non-characters \uFFFD \uFFFD, a real \uFFFD, DEL \x7f, NEL \u0085"},
	{"日本語, Jürgen, 🚢 outside the BMP", "日本語, Jürgen, 🚢 outside the BMP"},
	{"", ""},
}

// TestJUnitHostileText: whatever a message, a file name or a suppression
// reason holds, the JUnit report is well-formed XML that reads back as the
// text berth meant.
func TestJUnitHostileText(t *testing.T) {
	var diags []lint.Diagnostic
	var files []string
	for i, h := range hostileText {
		file := fmt.Sprintf("%02d %s.yaml", i, h.in) // the number keeps the sorted order of suites the order of hostileText
		files = append(files, file)
		diags = append(diags,
			lint.Diagnostic{Rule: ruleUnknownKey, Severity: lint.Error, Message: h.in,
				Pos: load.Position{File: file, Line: 3, Column: 5, EndLine: 3, EndColumn: 9}},
			lint.Diagnostic{Rule: ruleTag, Severity: lint.Info, Message: h.in, Suppressed: true, Justification: h.in,
				Pos: load.Position{File: file, Line: 4, Column: 1, EndLine: 4, EndColumn: 2}})
	}
	// A clean file with a hostile name has a passing test case.
	clean := "clean \"<&>\"\t\x01.yaml"
	files = append(files, clean)
	o := Options{Rules: testRules, Files: files}
	out := render(t, JUnit, diags, o)

	var got junitSuites
	if err := xml.Unmarshal(out, &got); err != nil {
		t.Fatalf("encoding/xml cannot read the report: %v\n%s", err, out)
	}
	if len(got.Suites) != len(hostileText)+1 || got.Tests != 2*len(hostileText)+1 ||
		got.Failures != len(hostileText) || got.Skipped != len(hostileText) {
		t.Fatalf("read back %d suites, %d tests, %d failures, %d skipped; want %d, %d, %d, %d",
			len(got.Suites), got.Tests, got.Failures, got.Skipped,
			len(hostileText)+1, 2*len(hostileText)+1, len(hostileText), len(hostileText))
	}
	for i, h := range hostileText {
		s := got.Suites[i]
		file := fmt.Sprintf("%02d %s.yaml", i, h.want)
		if s.Name != file || len(s.Cases) != 2 {
			t.Errorf("suite %d: name %q with %d cases, want %q with 2", i, s.Name, len(s.Cases), file)
			continue
		}
		fail, skip := s.Cases[0], s.Cases[1]
		for _, c := range s.Cases {
			if c.Classname != file || c.File != file {
				t.Errorf("suite %d: test case classname %q, file %q; want %q", i, c.Classname, c.File, file)
			}
		}
		want := junitFailure{Message: h.want, Type: "error",
			Text: fmt.Sprintf("%s:3:5: error BR002 unknown-key: %s", file, h.want)}
		if fail.Name != "BR002 unknown-key at 3:5" || fail.Line != 3 || fail.Failure == nil || *fail.Failure != want {
			t.Errorf("suite %d: failing case %q line %d %+v, want %+v", i, fail.Name, fail.Line, fail.Failure, want)
		}
		wantSkip := "suppressed"
		if h.want != "" {
			wantSkip += ": " + h.want
		}
		if skip.Skipped == nil || skip.Skipped.Message != wantSkip || skip.Failure != nil {
			t.Errorf("suite %d: skipped case %+v, want message %q", i, skip.Skipped, wantSkip)
		}
	}
	last := got.Suites[len(hostileText)]
	wantClean := "clean \"<&>\"\t\uFFFD.yaml"
	if last.Name != wantClean || len(last.Cases) != 1 || last.Cases[0].File != wantClean || last.Cases[0].Failure != nil {
		t.Errorf("clean suite read back as %+v, want one passing case in %q", last, wantClean)
	}

}

// TestJUnitEmpty: no files and no diagnostics is still a document, with an
// end tag (CI readers want <testsuites ...></testsuites>, not a bare header).
func TestJUnitEmpty(t *testing.T) {
	got := string(render(t, JUnit, nil, Options{}))
	want := xml.Header + `<testsuites name="berth lint" tests="0" failures="0" errors="0" skipped="0"></testsuites>` + "\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
