package load

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/berth-compose/berth/schema/rules"
	"github.com/berth-compose/berth/schema/spec"
)

// validate checks one parsed file against the compose-spec schema with the
// validator compose-go runs (schema/spec), on the data compose-go would
// validate: variables substituted from the project's environment, unless
// --no-interpolate. It returns every violation, each positioned.
func (s *session) validate(f *File) []rules.Violation {
	env := s.env
	return spec.Validate(f.Name, f.Docs, spec.Options{
		Interpolate: !s.opts.NoInterpolate,
		Lookup: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
	})
}

// violationErrors turns violations into positioned errors naming the rule.
func violationErrors(vs []rules.Violation) Errors {
	var out Errors
	for _, v := range vs {
		out = append(out, &Error{
			Pos: Position{File: v.File, Line: v.Line, Column: v.Col},
			Msg: fmt.Sprintf("%s (%s %s)", v.Message, v.Rule.Code, v.Rule.Name),
			Err: &ViolationError{Violation: v},
		})
	}
	return out
}

// ViolationError is the cause of an Error that reports a schema violation,
// so that callers (lint) get the rule back without parsing the message.
type ViolationError struct{ Violation rules.Violation }

func (e *ViolationError) Error() string { return e.Violation.Message }

// sortViolations orders violations by file (in the order the project read
// them is not needed: by name), line, column and rule, so that the same
// files give the same list in the same order.
func sortViolations(vs []rules.Violation) {
	slices.SortStableFunc(vs, func(a, b rules.Violation) int {
		return cmp.Or(strings.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col), strings.Compare(a.Rule.Code, b.Rule.Code), strings.Compare(a.Message, b.Message))
	})
}
