// Package report writes lint diagnostics for people and machines: text
// (compiler style with the source line and a caret), JSON (versioned),
// SARIF 2.1.0, GitHub workflow annotations and JUnit XML. Formatters are
// dumb: every diagnostic arrives with a complete range.
package report

import (
	"fmt"
	"io"

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
	Color       bool              // ANSI colour (text only): on a TTY, off with NO_COLOR
	Rules       []*lint.Rule      // every rule, for SARIF's rule metadata
	Sources     map[string][]byte // file name -> content, for snippets and fingerprints
	ToolVersion string
	Files       []string // every file linted, also the clean ones (JUnit)
}

// Write renders diags in format f.
func Write(w io.Writer, f Format, diags []lint.Diagnostic, o Options) error {
	// Placeholder until the formatters land: compiler-style lines.
	for _, d := range diags {
		if d.Suppressed {
			continue
		}
		if _, err := fmt.Fprintf(w, "%s: %s %s %s: %s\n", d.Pos, d.Severity, d.Rule.Code, d.Rule.Name, d.Message); err != nil {
			return err
		}
	}
	return nil
}
