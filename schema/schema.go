// Package schema validates raw compose files against a CUE schema generated
// from compose-go's JSON Schema, with exact file:line:col positions, and
// exposes the Docker Engine defaults that a container really gets.
package schema

//go:generate go run ./internal/gen -o compose.cue

import _ "embed"

// composeCUE is generated (see internal/gen) and embedded so that no JSON
// Schema conversion happens at run time: converting costs ~150 ms, compiling
// the CUE source costs a fraction of that.
//
//go:embed compose.cue
var composeCUE []byte
