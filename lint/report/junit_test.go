package report

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// The JUnit document as encoding/xml sees it: these are the types the
// report was encoded from before berth wrote it by hand, so the tests
// below hold the hand-written output to what encoding/xml makes of them.
type xmlSuites struct {
	XMLName  xml.Name   `xml:"testsuites"`
	Name     string     `xml:"name,attr"`
	Tests    int        `xml:"tests,attr"`
	Failures int        `xml:"failures,attr"`
	Errors   int        `xml:"errors,attr"`
	Skipped  int        `xml:"skipped,attr"`
	Suites   []xmlSuite `xml:"testsuite"`
}

type xmlSuite struct {
	Name     string    `xml:"name,attr"`
	Tests    int       `xml:"tests,attr"`
	Failures int       `xml:"failures,attr"`
	Errors   int       `xml:"errors,attr"`
	Skipped  int       `xml:"skipped,attr"`
	Cases    []xmlCase `xml:"testcase"`
}

type xmlCase struct {
	Name      string      `xml:"name,attr"`
	Classname string      `xml:"classname,attr"`
	File      string      `xml:"file,attr,omitempty"`
	Line      int         `xml:"line,attr,omitempty"`
	Failure   *xmlFailure `xml:"failure"`
	Skipped   *xmlSkipped `xml:"skipped"`
}

type xmlFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type xmlSkipped struct {
	Message string `xml:"message,attr"`
}

func toXMLTypes(in junitSuites) xmlSuites {
	out := xmlSuites{Name: in.Name, Tests: in.Tests, Failures: in.Failures, Errors: in.Errors, Skipped: in.Skipped}
	for _, s := range in.Suites {
		xs := xmlSuite{Name: s.Name, Tests: s.Tests, Failures: s.Failures, Errors: s.Errors, Skipped: s.Skipped}
		for _, c := range s.Cases {
			xc := xmlCase{Name: c.Name, Classname: c.Classname, File: c.File, Line: c.Line}
			if c.Failure != nil {
				xc.Failure = &xmlFailure{Message: c.Failure.Message, Type: c.Failure.Type, Text: c.Failure.Text}
			}
			if c.Skipped != nil {
				xc.Skipped = &xmlSkipped{Message: c.Skipped.Message}
			}
			xs.Cases = append(xs.Cases, xc)
		}
		out.Suites = append(out.Suites, xs)
	}
	return out
}

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
// text berth meant, and is byte for byte what encoding/xml writes.
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

	var got xmlSuites
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
		want := xmlFailure{Message: h.want, Type: "error",
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

	// The same report through encoding/xml's encoder, as berth wrote it
	// before: the hand-written one must not differ by a byte.
	var ref bytes.Buffer
	ref.WriteString(xml.Header)
	enc := xml.NewEncoder(&ref)
	enc.Indent("", "  ")
	if err := enc.Encode(toXMLTypes(junitReport(diags, o))); err != nil {
		t.Fatal(err)
	}
	ref.WriteString("\n")
	if !bytes.Equal(out, ref.Bytes()) {
		t.Errorf("the report differs from encoding/xml's\n--- got\n%s\n--- encoding/xml\n%s", out, ref.Bytes())
	}
}

// TestJUnitEmpty: no files and no diagnostics is still a document, the one
// encoding/xml wrote.
func TestJUnitEmpty(t *testing.T) {
	got := string(render(t, JUnit, nil, Options{}))
	want := xml.Header + `<testsuites name="berth lint" tests="0" failures="0" errors="0" skipped="0"></testsuites>` + "\n"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

// TestBerthLinksNoEncodingXML keeps encoding/xml out of the berth program:
// its package initialisation costs every berth start ~0.2 ms and 18 KB,
// and the JUnit report, its only user, is written by hand.
func TestBerthLinksNoEncodingXML(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../../cmd/berth").Output()
	if err != nil {
		t.Fatalf("go list -deps ../../cmd/berth: %v", err)
	}
	deps := strings.Fields(string(out))
	if slices.Contains(deps, "encoding/xml") {
		t.Error("berth links encoding/xml; see junit.go for why it must not")
	}
	// The check above must stay meaningful: berth does link this package.
	if !slices.Contains(deps, "github.com/berth-compose/berth/lint/report") {
		t.Fatal("go list -deps ../../cmd/berth does not list lint/report: the check above checks nothing")
	}
}
