package schema

import (
	"encoding/json"
	"fmt"
	"sync"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// compiled is compose.cue compiled on first use, with the context that
// documents are built in.
type compiled struct {
	ctx    *cue.Context
	schema cue.Value
}

var compiledSchema = sync.OnceValues(func() (compiled, error) {
	ctx := cuecontext.New()
	s := ctx.CompileBytes(composeCUE, cue.Filename("compose.cue"))
	if err := s.Err(); err != nil {
		return compiled{}, fmt.Errorf("compiling embedded compose.cue: %w", err)
	}
	return compiled{ctx, s}, nil
})

// schemaMu serialises use of the shared cue.Context: building values into
// one Context from several goroutines is not a documented guarantee.
var schemaMu sync.Mutex

// Check reports whether compose.cue accepts one compose document's data, a
// JSON value such as schema/spec.Data returns (what compose-go validates:
// the file decoded, variables substituted). It returns nil when it does.
// compose.cue is the readable form of compose-go's JSON Schema; berth
// validates with that JSON Schema at run time, and the tests hold the two
// to the same verdicts with this function.
func Check(data any) error {
	s, err := compiledSchema()
	if err != nil {
		return err
	}
	// Through JSON, so that numbers are typed as JSON Schema types them: an
	// integral value is an int, as jsonschema/v6 treats it as an integer.
	b, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("encoding the document: %w", err)
	}
	schemaMu.Lock()
	defer schemaMu.Unlock()
	v := s.ctx.CompileBytes(b, cue.Filename("document.json"))
	if err := v.Err(); err != nil {
		return fmt.Errorf("reading the document: %w", err)
	}
	return s.schema.Unify(v).Validate(cue.Concrete(true))
}
