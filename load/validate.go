package load

import (
	"fmt"

	"github.com/berth-compose/berth/schema"
)

// validate checks one file as written against the CUE schema and returns
// every violation as a positioned error that names its rule.
func validate(f *File) Errors {
	var out Errors
	for _, v := range schema.Validate(f.Name, f.Src) {
		out = append(out, &Error{
			Pos: Position{File: f.Name, Line: v.Line, Column: v.Col},
			Msg: fmt.Sprintf("%s (%s %s)", v.Message, v.Rule.Code, v.Rule.Name),
		})
	}
	return out
}
