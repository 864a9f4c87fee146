package runner

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/rules"
	"github.com/berth-compose/berth/load"
)

// failure turns the error of a load into findings, so that pre-commit
// output stays uniform: BR001/BR008/BR009 for a file that does not parse
// (each file is parsed again on its own to tell), the schema rule a
// violation names, and BR901 load-error for what compose-go refused.
// Errors without a file to point at are input errors.
func (o *outcome) failure(p *project, err error, rs []*lint.Rule) {
	list := asErrors(err)
	byCode := rulesByCode(rs)
	parsed := o.parseEach(p.files, list, rs, byCode[rules.LoadError.Code])
	o.loadFindings(p, list, parsed, byCode)
}

// refused reports why Docker Compose refuses a project that loaded once
// its consistency check was off (err is the refusal), when no rule of this
// run found an error in it: no project Compose refuses passes lint.
func (o *outcome) refused(p *project, err error, rs []*lint.Rule) {
	if slices.ContainsFunc(o.diags, func(d lint.Diagnostic) bool { return d.Severity == lint.Error }) {
		return
	}
	// A rule the configuration turned down to a warning may have reported
	// the same problem already: say it once.
	reported := map[string]bool{}
	for _, d := range o.diags {
		reported[fmt.Sprintf("%s:%d:%d:%s", d.Pos.File, d.Pos.Line, d.Pos.Column, d.Rule.Code)] = true
	}
	var rest load.Errors
	for _, e := range asErrors(err) {
		var ve *load.ViolationError
		if errors.As(e, &ve) && reported[fmt.Sprintf("%s:%d:%d:%s", displayName(e.Pos.File), e.Pos.Line, e.Pos.Column, ve.Violation.Rule.Code)] {
			continue
		}
		rest = append(rest, e)
	}
	o.loadFindings(p, rest, nil, rulesByCode(rs))
}

func rulesByCode(rs []*lint.Rule) map[string]*lint.Rule {
	byCode := map[string]*lint.Rule{}
	for _, r := range rs {
		byCode[r.Code] = r
	}
	return byCode
}

// loadFindings turns load errors into findings: a violation under its own
// rule, anything else positioned under BR901, an error without a position
// into an input error; files in parsed have said it with their parse error.
func (o *outcome) loadFindings(p *project, list load.Errors, parsed map[string]bool, byCode map[string]*lint.Rule) {
	loadErr := byCode[rules.LoadError.Code]
	for _, e := range list {
		file := displayName(e.Pos.File)
		if e.Pos.File != "" && parsed[file] {
			continue // its parse error says it
		}
		if e.Pos.Line <= 0 {
			// No node to point at: an input error ("file: message"), not a
			// finding at a made-up 1:1.
			o.errs = append(o.errs, e)
			continue
		}
		r, msg := loadErr, e.Msg
		var ve *load.ViolationError
		if errors.As(e, &ve) {
			code := ve.Violation.Rule.Code
			if byCode[code] != nil {
				r, msg = byCode[code], ve.Violation.Message
			} else if !strings.HasPrefix(code, "BR0") {
				continue // a consistency rule this run does not check
			}
		}
		if r == nil {
			o.errs = append(o.errs, e) // BR901 disabled: still not a success
			continue
		}
		pos := e.Pos
		pos.File = file
		pos.Line, pos.Column = max(pos.Line, 1), max(pos.Column, 1)
		if pos.EndLine < pos.Line || (pos.EndLine == pos.Line && pos.EndColumn < pos.Column) {
			pos.EndLine, pos.EndColumn = pos.Line, pos.Column
		}
		o.diags = append(o.diags, lint.Diagnostic{Rule: r, Pos: pos, Message: msg})
	}
	for i := range o.diags {
		o.diags[i].Severity = p.cfg.SeverityOf(o.diags[i].Rule)
	}
	slices.SortStableFunc(o.diags, func(x, y lint.Diagnostic) int {
		return cmp.Or(
			strings.Compare(x.Pos.File, y.Pos.File),
			cmp.Compare(x.Pos.Line, y.Pos.Line),
			cmp.Compare(x.Pos.Column, y.Pos.Column),
		)
	})
}

// parseEach reads and parses on its own every file given or named by the
// errors, records it as linted, and reports the parse errors. It returns
// the files that did not parse.
func (o *outcome) parseEach(given []string, list load.Errors, rs []*lint.Rule, loadErr *lint.Rule) map[string]bool {
	names := slices.Clone(given)
	for _, e := range list {
		if e.Pos.File != "" && !slices.ContainsFunc(names, func(n string) bool { return sameFile(n, e.Pos.File) }) {
			names = append(names, e.Pos.File)
		}
	}
	parsed := map[string]bool{}
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			continue // reported with load's message
		}
		display := displayName(name)
		o.names = append(o.names, display)
		o.sources[display] = src
		perr := parseError(display, src)
		if perr == nil {
			continue
		}
		d, rest := lint.ParseDiagnostics(perr, rs)
		o.diags = append(o.diags, d...)
		if len(rest) > 0 && len(d) == 0 {
			// The parse rule is disabled: keep the failure visible.
			o.diags = append(o.diags, failureDiags(loadErr, perr, display)...)
		}
		parsed[display] = true
	}
	return parsed
}

func parseError(name string, src []byte) error {
	_, err := load.ParseFile(name, src)
	return err
}

// failureDiags reports err against r (BR901) at its positions.
func failureDiags(r *lint.Rule, err error, file string) []lint.Diagnostic {
	if r == nil {
		return nil
	}
	var out []lint.Diagnostic
	for _, e := range asErrors(err) {
		pos := e.Pos
		pos.File = file
		pos.Line, pos.Column = max(pos.Line, 1), max(pos.Column, 1)
		pos.EndLine, pos.EndColumn = pos.Line, pos.Column
		out = append(out, lint.Diagnostic{Rule: r, Severity: r.Severity, Pos: pos, Message: e.Msg})
	}
	return out
}

// asErrors flattens err into positioned errors; one without a position
// keeps an empty one.
func asErrors(err error) load.Errors {
	var list load.Errors
	var one *load.Error
	switch {
	case errors.As(err, &list):
		return list
	case errors.As(err, &one):
		return load.Errors{one}
	}
	return load.Errors{{Msg: err.Error(), Err: err}}
}

// displayName is a path as load names files: relative to the working
// directory when below it.
func displayName(path string) string {
	if path == "" {
		return path
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return rel
}

func sameFile(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}

// joinErrors keeps positioned errors together as a load.Errors (one per
// line, file:line:col first) and joins the others around them.
func joinErrors(errs []error) error {
	var list load.Errors
	var other []error
	for _, e := range errs {
		var le *load.Error
		if errors.As(e, &le) {
			list = append(list, le)
		} else {
			other = append(other, e)
		}
	}
	if len(other) == 0 {
		return list
	}
	for _, e := range list {
		other = append(other, e)
	}
	return errors.Join(other...)
}
