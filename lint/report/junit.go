package report

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"slices"

	"github.com/berth-compose/berth/lint"
)

// JUnit XML as CI systems (GitLab, Jenkins, Azure) read it: a test suite per
// file, a failing test case per diagnostic, a skipped one per suppressed
// diagnostic, and one passing test case for a file without problems.
type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Errors   int         `xml:"errors,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      int           `xml:"line,attr,omitempty"`
	Failure   *junitFailure `xml:"failure"`
	Skipped   *junitSkipped `xml:"skipped"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

type junitSkipped struct {
	Message string `xml:"message,attr"`
}

func writeJUnit(w io.Writer, diags []lint.Diagnostic, o Options) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(xml.Header)
	enc := xml.NewEncoder(bw)
	enc.Indent("", "  ")
	if err := enc.Encode(junitReport(diags, o)); err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	bw.WriteString("\n")
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
