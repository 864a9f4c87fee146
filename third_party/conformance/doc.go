// Package conformance holds berth's stand-ins for two third-party modules
// (third_party/jsonschema, third_party/reference; wired in by go.mod's
// replace directives) to the behaviour berth relies on. It has tests only.
package conformance
