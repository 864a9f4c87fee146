package lint

import (
	"errors"

	"github.com/berth-compose/berth/load"
	schemarules "github.com/berth-compose/berth/schema/rules"
)

// ParseDiagnostics turns the error of load.ParseFile into findings of the
// schema rules in rs: BR008 for an empty file, BR009 for a duplicate key and
// BR001 for everything else ParseFile rejects, at the error's position. A
// file that does not parse is then reported like any other problem, in every
// output format. Errors without a position, or whose rule is not in rs, come
// back in rest.
func ParseDiagnostics(err error, rs []*Rule) (diags []Diagnostic, rest []error) {
	byCode := map[string]*Rule{}
	for _, r := range rs {
		byCode[r.Code] = r
	}
	var list load.Errors
	var one *load.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = load.Errors{one}
	case err != nil:
		return nil, []error{err}
	}
	for _, e := range list {
		code := schemarules.RuleYAMLSyntax.Code
		switch {
		case errors.Is(e, load.ErrEmptyFile):
			code = schemarules.RuleEmptyFile.Code
		case errors.Is(e, load.ErrDuplicateKey):
			code = schemarules.RuleDuplicateKey.Code
		}
		r := byCode[code]
		if r == nil || e.Pos.Line <= 0 {
			rest = append(rest, e)
			continue
		}
		pos := e.Pos
		pos.Column = max(pos.Column, 1)
		if pos.EndLine < pos.Line || (pos.EndLine == pos.Line && pos.EndColumn < pos.Column) {
			pos.EndLine, pos.EndColumn = pos.Line, pos.Column
		}
		diags = append(diags, Diagnostic{Rule: r, Severity: r.Severity, Pos: pos, Message: e.Msg})
	}
	return diags, rest
}
