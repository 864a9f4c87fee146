package lint

import "github.com/berth-compose/berth/load"

// Diagnostic is one finding, complete before any formatter sees it.
type Diagnostic struct {
	Rule     *Rule
	Severity Severity      // after configuration
	Pos      load.Position // file, line, column, end line, end column (1-based, characters)
	Path     string        // the model path reported, e.g. services.web.privileged
	Message  string
	Fixes    []Fix

	// Suppressed is set when a berth:disable comment covers the finding;
	// formatters that can (JSON, SARIF) still show it, marked.
	Suppressed    bool
	Justification string // the reason given after "--" in the suppression
}

// Fix is a set of edits that together resolve a diagnostic.
type Fix struct {
	Message string
	Edits   []Edit
}

// Edit replaces the bytes [Start, End) of File with New.
type Edit struct {
	File       string
	Start, End int
	New        string
}
