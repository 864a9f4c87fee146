package load

import (
	"fmt"

	"github.com/berth-compose/berth/schema/fast"
	"github.com/berth-compose/berth/schema/rules"
)

// validate checks one parsed file against the compose-spec schema and
// returns every violation as a positioned error that names its rule.
//
// It uses schema/fast, which interprets the same schema natively over the
// nodes ParseFile already built, rather than evaluating the CUE schema:
// measured, the CUE path costs 13-30 ms per process, more than all the rest
// of `berth config -q`. schema/fast's tests hold it to the CUE reference,
// violation for violation, on every fixture, the corpus and 1,700 mutations.
func validate(f *File) []rules.Violation {
	return fast.ValidateDocs(f.Name, f.Docs)
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
