// Package jsonschema is berth's stand-in for the JSON Schema validator that
// compose-go imports. It has the API compose-go's schema package names and no
// validator: see README.md for why.
package jsonschema

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/message"
)

// ErrNotLinked is returned by Compile: berth validates with its own schema
// package and never with compose-go's.
var ErrNotLinked = errors.New("compose-go's JSON Schema validation is not linked into berth (berth validates with its own schema package)")

// ErrorKind describes what a ValidationError is about.
type ErrorKind interface {
	KeywordPath() []string
	LocalizedString(*message.Printer) string
}

// ValidationError is the shape of a validation failure.
type ValidationError struct {
	SchemaURL        string
	InstanceLocation []string
	ErrorKind        ErrorKind
	Causes           []*ValidationError
}

func (e *ValidationError) Error() string {
	if e.ErrorKind == nil {
		return "validation failed at /" + strings.Join(e.InstanceLocation, "/")
	}
	return fmt.Sprintf("at /%s: %s", strings.Join(e.InstanceLocation, "/"), e.ErrorKind.LocalizedString(message.NewPrinter(message.MatchLanguage("en"))))
}

// Format is a named string format.
type Format struct {
	Name     string
	Validate func(v any) error
}

// Schema is a compiled schema; none is ever produced.
type Schema struct{}

// Validate reports ErrNotLinked.
func (*Schema) Validate(any) error { return ErrNotLinked }

// Compiler collects resources; Compile always fails with ErrNotLinked.
type Compiler struct{}

// NewCompiler returns a Compiler.
func NewCompiler() *Compiler { return &Compiler{} }

// AddResource accepts and forgets a resource.
func (*Compiler) AddResource(string, any) error { return nil }

// RegisterFormat accepts and forgets a format.
func (*Compiler) RegisterFormat(*Format) {}

// Compile reports ErrNotLinked.
func (*Compiler) Compile(string) (*Schema, error) { return nil, ErrNotLinked }

// UnmarshalJSON decodes one JSON document, numbers kept as json.Number as
// the original does.
func UnmarshalJSON(r io.Reader) (any, error) {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding JSON: %w", err)
	}
	return v, nil
}
