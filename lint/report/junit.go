package report

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/berth-compose/berth/lint"
)

// JUnit XML as CI systems (GitLab, Jenkins, Azure) read it: a test suite per
// file, a failing test case per diagnostic, a skipped one per suppressed
// diagnostic, and one passing test case for a file without problems.
//
// The document has one fixed shape, so it is written by hand (writeJUnitXML)
// rather than with encoding/xml: that package's start-up cost (~0.2 ms, 18 KB
// of tables built at init) would be paid by every berth command. The output
// is byte for byte what encoding/xml's indenting encoder wrote before.
type junitSuites struct {
	Name                             string
	Tests, Failures, Errors, Skipped int
	Suites                           []junitSuite
}

type junitSuite struct {
	Name                             string
	Tests, Failures, Errors, Skipped int
	Cases                            []junitCase
}

type junitCase struct {
	Name, Classname string
	File            string // omitted when empty
	Line            int    // omitted when 0
	Failure         *junitFailure
	Skipped         *junitSkipped
}

type junitFailure struct {
	Message, Type, Text string
}

type junitSkipped struct {
	Message string
}

func writeJUnit(w io.Writer, diags []lint.Diagnostic, o Options) error {
	out := junitReport(diags, o)
	bw := bufio.NewWriter(w)
	writeJUnitXML(bw, &out)
	return bw.Flush() // bufio keeps the first write error
}

// junitReport groups diags into one suite per file, sorted by name; every
// file of o.Files has a suite, also the clean ones.
func junitReport(diags []lint.Diagnostic, o Options) junitSuites {
	var files []string
	byFile := map[string][]lint.Diagnostic{}
	for _, f := range o.Files {
		if _, ok := byFile[f]; !ok {
			files = append(files, f)
			byFile[f] = nil
		}
	}
	for _, d := range diags {
		if _, ok := byFile[d.Pos.File]; !ok {
			files = append(files, d.Pos.File)
		}
		byFile[d.Pos.File] = append(byFile[d.Pos.File], d)
	}
	slices.Sort(files)
	out := junitSuites{Name: "berth lint"}
	for _, f := range files {
		s := junitSuite{Name: f}
		for _, d := range byFile[f] {
			code, name := "", ""
			if d.Rule != nil {
				code, name = d.Rule.Code, d.Rule.Name
			}
			c := junitCase{
				Name:      fmt.Sprintf("%s %s at %d:%d", code, name, d.Pos.Line, d.Pos.Column),
				Classname: f, File: f, Line: d.Pos.Line,
			}
			if d.Suppressed {
				msg := "suppressed"
				if d.Justification != "" {
					msg += ": " + d.Justification
				}
				c.Skipped = &junitSkipped{Message: msg}
				s.Skipped++
			} else {
				c.Failure = &junitFailure{Message: d.Message, Type: d.Severity.String(),
					Text: fmt.Sprintf("%s: %s %s %s: %s", d.Pos, d.Severity, code, name, d.Message)}
				s.Failures++
			}
			s.Cases = append(s.Cases, c)
		}
		if len(s.Cases) == 0 {
			s.Cases = append(s.Cases, junitCase{Name: "berth lint", Classname: f, File: f})
		}
		s.Tests = len(s.Cases)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Skipped += s.Skipped
		out.Suites = append(out.Suites, s)
	}
	return out
}

// writeJUnitXML writes the document indented by two spaces per level, an
// element without content as a start and an end tag (never <x/>), text on
// the line of its element, and a final newline.
func writeJUnitXML(b *bufio.Writer, out *junitSuites) {
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	b.WriteString("<testsuites")
	xmlAttr(b, "name", out.Name)
	xmlCounts(b, out.Tests, out.Failures, out.Errors, out.Skipped)
	b.WriteString(">")
	for _, s := range out.Suites {
		b.WriteString("\n  <testsuite")
		xmlAttr(b, "name", s.Name)
		xmlCounts(b, s.Tests, s.Failures, s.Errors, s.Skipped)
		b.WriteString(">")
		for _, c := range s.Cases {
			b.WriteString("\n    <testcase")
			xmlAttr(b, "name", c.Name)
			xmlAttr(b, "classname", c.Classname)
			if c.File != "" {
				xmlAttr(b, "file", c.File)
			}
			if c.Line != 0 {
				xmlAttr(b, "line", strconv.Itoa(c.Line))
			}
			b.WriteString(">")
			if f := c.Failure; f != nil {
				b.WriteString("\n      <failure")
				xmlAttr(b, "message", f.Message)
				xmlAttr(b, "type", f.Type)
				b.WriteString(">")
				xmlEscape(b, f.Text)
				b.WriteString("</failure>")
			}
			if sk := c.Skipped; sk != nil {
				b.WriteString("\n      <skipped")
				xmlAttr(b, "message", sk.Message)
				b.WriteString("></skipped>")
			}
			if c.Failure != nil || c.Skipped != nil {
				b.WriteString("\n    ")
			}
			b.WriteString("</testcase>")
		}
		if len(s.Cases) > 0 {
			b.WriteString("\n  ")
		}
		b.WriteString("</testsuite>")
	}
	if len(out.Suites) > 0 {
		b.WriteString("\n")
	}
	b.WriteString("</testsuites>\n")
}

func xmlCounts(b *bufio.Writer, tests, failures, errors, skipped int) {
	xmlAttr(b, "tests", strconv.Itoa(tests))
	xmlAttr(b, "failures", strconv.Itoa(failures))
	xmlAttr(b, "errors", strconv.Itoa(errors))
	xmlAttr(b, "skipped", strconv.Itoa(skipped))
}

// xmlAttr writes ` name="value"`; name is one of ours and needs no escaping.
func xmlAttr(b *bufio.Writer, name, value string) {
	b.WriteString(" ")
	b.WriteString(name)
	b.WriteString(`="`)
	xmlEscape(b, value)
	b.WriteString(`"`)
}

// xmlEscape writes s as XML character data or an attribute value, escaped
// as encoding/xml escapes both: the five markup characters as references,
// tab, newline and carriage return as character references (a parser
// normalises them to spaces in an attribute value otherwise), and each
// character XML 1.0 does not allow, including every byte of s that is not
// UTF-8, as U+FFFD.
func xmlEscape(b *bufio.Writer, s string) {
	last := 0
	for i := 0; i < len(s); {
		r, width := utf8.DecodeRuneInString(s[i:])
		var esc string
		switch r {
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '\t':
			esc = "&#x9;"
		case '\n':
			esc = "&#xA;"
		case '\r':
			esc = "&#xD;"
		default:
			if !xmlChar(r) || r == utf8.RuneError && width == 1 {
				esc = "\uFFFD"
			}
		}
		if esc != "" {
			b.WriteString(s[last:i])
			b.WriteString(esc)
			last = i + width
		}
		i += width
	}
	b.WriteString(s[last:])
}

// xmlChar reports whether XML 1.0 allows r in a document (its production
// Char, less tab, newline and carriage return, which xmlEscape handles).
func xmlChar(r rune) bool {
	return r >= 0x20 && r <= 0xD7FF ||
		r >= 0xE000 && r <= 0xFFFD ||
		r >= 0x10000 && r <= 0x10FFFF
}
