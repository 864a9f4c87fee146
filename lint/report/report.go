// Package report writes lint diagnostics for people and machines: text
// (compiler style with the source line and a caret), JSON (versioned),
// SARIF 2.1.0, GitHub workflow annotations and JUnit XML. Formatters are
// dumb: every diagnostic arrives with a complete range (1-based line and
// column in characters, end exclusive), and a formatter only clamps it to
// the text it shows.
package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/berth-compose/berth/lint"
)

// Format names an output format.
type Format string

const (
	Text   Format = "text"
	JSON   Format = "json"
	SARIF  Format = "sarif"
	GitHub Format = "github"
	JUnit  Format = "junit"
)

// Formats lists every format, for help texts.
var Formats = []Format{Text, JSON, SARIF, GitHub, JUnit}

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch f := Format(s); f {
	case "", Text:
		return Text, nil
	case JSON, SARIF, GitHub, JUnit:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: use text, json, sarif, github or junit", s)
}

// Options are what formatters need beyond the diagnostics.
type Options struct {
	Color       bool              // ANSI colour (text only): on a TTY, off with NO_COLOR (see UseColor)
	Rules       []*lint.Rule      // every rule, for SARIF's rule metadata
	Sources     map[string][]byte // file name -> content, for snippets and fingerprints
	ToolVersion string
	Files       []string // every file linted, also the clean ones (JUnit)
}

// InformationURI is berth's home page, named in SARIF.
const InformationURI = "https://github.com/berth-compose/berth"

// RulesDocURI is the generated rule reference (docs/rules.md).
const RulesDocURI = InformationURI + "/blob/main/docs/rules.md"

// RuleAnchor is the fragment of r's section in docs/rules.md: the id GitHub
// derives from the heading "BR301 privileged".
func RuleAnchor(r *lint.Rule) string {
	return strings.ToLower(r.Code) + "-" + r.Name
}

// RuleURI is the address of r's documentation.
func RuleURI(r *lint.Rule) string { return RulesDocURI + "#" + RuleAnchor(r) }

// UseColor decides whether text output is coloured: only on a terminal,
// never when NO_COLOR is set to anything non-empty (no-color.org) or TERM is
// "dumb".
func UseColor(getenv func(string) string, terminal bool) bool {
	if getenv("NO_COLOR") != "" || getenv("TERM") == "dumb" {
		return false
	}
	return terminal
}

// Write renders diags in format f.
func Write(w io.Writer, f Format, diags []lint.Diagnostic, o Options) error {
	switch f {
	case "", Text:
		return writeText(w, diags, o)
	case JSON:
		return writeJSON(w, diags, o)
	case SARIF:
		return writeSARIF(w, diags, o)
	case GitHub:
		return writeGitHub(w, diags)
	case JUnit:
		return writeJUnit(w, diags, o)
	}
	return fmt.Errorf("unknown format %q", f)
}

// Counts are the totals of a run, shown by text and JSON.
type Counts struct {
	Problems   int `json:"problems"` // unsuppressed diagnostics
	Errors     int `json:"errors"`
	Warnings   int `json:"warnings"`
	Infos      int `json:"infos"`
	Suppressed int `json:"suppressed"`
}

// Count totals diags; suppressed ones count only as Suppressed.
func Count(diags []lint.Diagnostic) Counts {
	var c Counts
	for _, d := range diags {
		if d.Suppressed {
			c.Suppressed++
			continue
		}
		c.Problems++
		switch d.Severity {
		case lint.Error:
			c.Errors++
		case lint.Warning:
			c.Warnings++
		default:
			c.Infos++
		}
	}
	return c
}

// sourceLines splits src into lines without their terminators ("\n" or
// "\r\n"). A file ending in a newline has no extra empty line.
func sourceLines(src []byte) []string {
	s := string(src)
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(s, "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// sources splits each file of Options.Sources into lines once.
type sources struct {
	src   map[string][]byte
	lines map[string][]string
}

func newSources(src map[string][]byte) *sources {
	return &sources{src: src, lines: map[string][]string{}}
}

// file returns the lines of file, and whether its content is known.
func (s *sources) file(file string) ([]string, bool) {
	if l, ok := s.lines[file]; ok {
		return l, true
	}
	src, ok := s.src[file]
	if !ok {
		return nil, false
	}
	l := sourceLines(src)
	s.lines[file] = l
	return l, true
}

// line is line n (1-based) of file, and whether it exists.
func (s *sources) line(file string, n int) (string, bool) {
	lines, _ := s.file(file)
	if n < 1 || n > len(lines) {
		return "", false
	}
	return lines[n-1], true
}

// family is r's family, tolerating a nil rule.
func family(r *lint.Rule) string {
	if r == nil {
		return "unknown"
	}
	return r.Family()
}
