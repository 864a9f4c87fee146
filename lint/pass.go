package lint

import (
	"fmt"

	"github.com/berth-compose/berth/load"
)

// Pass is a rule's only view of the project and its only way to report.
type Pass struct {
	Project *load.Project
	rule    *Rule
	report  func(Diagnostic)
}

// Raw is the text of the scalar at path as the user wrote it, before
// interpolation. Checks on values use it to stay silent on `${VAR}`.
func (p *Pass) Raw(path string) (string, bool) {
	return p.Project.Sources.Raw(path)
}

// Interpolated reports whether the scalar at path was written with a
// variable, so its loaded value is not what the file says.
func (p *Pass) Interpolated(path string) bool {
	raw, ok := p.Raw(path)
	return ok && HasVariable(raw)
}

// Reportf reports a problem with the value at path (the range of the value
// node, or of the key when the value was not written).
func (p *Pass) Reportf(path, format string, args ...any) {
	p.emit(path, false, nil, format, args...)
}

// ReportKeyf reports a problem with the key at path (a key that should not
// be there, or a mapping that lacks something).
func (p *Pass) ReportKeyf(path, format string, args ...any) {
	p.emit(path, true, nil, format, args...)
}

// ReportFixf reports a problem at path's value with a fix.
func (p *Pass) ReportFixf(path string, fix Fix, format string, args ...any) {
	p.emit(path, false, []Fix{fix}, format, args...)
}

// ReportKeyFixf reports a problem with the key at path (a key in the wrong
// place, say) with a fix.
func (p *Pass) ReportKeyFixf(path string, fix Fix, format string, args ...any) {
	p.emit(path, true, []Fix{fix}, format, args...)
}

// Position resolves path like the engine does, for rules that build edits.
func (p *Pass) Position(path string, key bool) load.Position {
	return resolve(p.Project.Sources, path, key)
}

// File returns the parsed file named name, for rules that edit text.
func (p *Pass) File(name string) *load.File {
	for _, f := range p.Project.Files {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func (p *Pass) emit(path string, key bool, fixes []Fix, format string, args ...any) {
	p.report(Diagnostic{
		Rule:     p.rule,
		Severity: p.rule.Severity,
		Pos:      resolve(p.Project.Sources, path, key),
		Path:     path,
		Message:  fmt.Sprintf(format, args...),
		Fixes:    fixes,
	})
}

// resolve finds the range for path: the key or value as asked, else the
// other, else the nearest written ancestor. Never an empty position when
// the project has a file.
func resolve(sm *load.SourceMap, path string, key bool) load.Position {
	if key {
		if pos, ok := sm.Key(path); ok {
			return pos
		}
	}
	if pos, ok := sm.Value(path); ok {
		return pos
	}
	if pos, ok := sm.Key(path); ok {
		return pos
	}
	return sm.Nearest(path)
}

// HasVariable reports whether s has a `$NAME` or `${...}` reference (a `$$`
// is an escaped dollar): such a value is not what the file finally says.
func HasVariable(s string) bool {
	for i := 0; i < len(s)-1; i++ {
		if s[i] != '$' {
			continue
		}
		if s[i+1] == '$' {
			i++
			continue
		}
		c := s[i+1]
		if c == '{' || c == '_' || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') {
			return true
		}
	}
	return false
}
