// Package conformance holds berth's stand-ins for three third-party modules
// (third_party/jsonschema, third_party/reference, third_party/digest; wired
// in by go.mod's replace directives) to the behaviour berth relies on. It has
// tests only; testdata/digestgen is the program that produced the go-digest
// table from the real module.
package conformance
