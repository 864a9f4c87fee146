// Package schema holds the CUE form of the compose specification
// (compose.cue, generated from compose-go's JSON Schema), the reference a
// user can read and extend; tests hold its verdicts (Check) to the run-time
// validator, schema/spec. It also exposes the Docker Engine defaults that a
// container really gets.
package schema

//go:generate go run ./internal/gen -o compose.cue

import _ "embed"

// composeCUE is generated (see internal/gen) and embedded: converting the
// JSON Schema costs ~150 ms, compiling the CUE source a fraction of that.
//
//go:embed compose.cue
var composeCUE []byte
