package report

import (
	"encoding/json"
	"io"

	"github.com/berth-compose/berth/lint"
)

// JSONFormatVersion is the version of the JSON wire format. It changes only
// on a breaking change; new optional fields do not bump it. Compare it as an
// integer.
const JSONFormatVersion = 1

// JSONReport is the document `berth lint --format json` writes
// (docs/json-format.md describes every field).
type JSONReport struct {
	FormatVersion int              `json:"format_version"`
	Tool          JSONTool         `json:"tool"`
	Diagnostics   []JSONDiagnostic `json:"diagnostics"` // never null; sorted by file, line, column
	Summary       Counts           `json:"summary"`
}

// JSONTool names the program that wrote the report.
type JSONTool struct {
	Name    string `json:"name"` // "berth"
	Version string `json:"version"`
}

// JSONDiagnostic is one finding. Positions are 1-based; columns count
// Unicode characters (code points), not bytes; the end is exclusive.
type JSONDiagnostic struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	EndLine   int    `json:"end_line"`
	EndColumn int    `json:"end_column"`

	Code     string `json:"code"`     // "BR301"
	Name     string `json:"name"`     // "privileged"
	Severity string `json:"severity"` // "error", "warning" or "info" (after configuration)
	Family   string `json:"family"`   // "schema", "consistency", "reliability", "security", "style" or "meta"
	Message  string `json:"message"`
	Path     string `json:"path,omitempty"` // model path, e.g. "services.web.privileged"

	Fixable       bool   `json:"fixable"` // the diagnostic carries a fix (berth lint --fix applies it)
	Suppressed    bool   `json:"suppressed"`
	Justification string `json:"justification,omitempty"` // the reason given in the suppression comment
}

// NewJSONReport builds the wire form of diags.
func NewJSONReport(diags []lint.Diagnostic, o Options) JSONReport {
	rep := JSONReport{
		FormatVersion: JSONFormatVersion,
		Tool:          JSONTool{Name: "berth", Version: toolVersion(o)},
		Diagnostics:   make([]JSONDiagnostic, 0, len(diags)),
		Summary:       Count(diags),
	}
	for _, d := range diags {
		jd := JSONDiagnostic{
			File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Column, EndLine: d.Pos.EndLine, EndColumn: d.Pos.EndColumn,
			Severity: d.Severity.String(), Family: family(d.Rule), Message: d.Message, Path: d.Path,
			Fixable: len(d.Fixes) > 0, Suppressed: d.Suppressed, Justification: d.Justification,
		}
		if d.Rule != nil {
			jd.Code, jd.Name = d.Rule.Code, d.Rule.Name
		}
		rep.Diagnostics = append(rep.Diagnostics, jd)
	}
	return rep
}

func toolVersion(o Options) string {
	if o.ToolVersion == "" {
		return "dev"
	}
	return o.ToolVersion
}

func writeJSON(w io.Writer, diags []lint.Diagnostic, o Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(NewJSONReport(diags, o))
}
