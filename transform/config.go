// Package transform turns a loaded project into its canonical forms: the
// output of `config` byte for byte as Docker Compose prints it, the service
// config hash Compose puts on containers, and the project with the Docker
// engine's defaults filled in.
package transform

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"
)

// Format is an output format of `config`.
type Format string

const (
	YAML Format = "yaml"
	JSON Format = "json"
)

// ParseFormat checks a --format value.
func ParseFormat(s string) (Format, error) {
	switch Format(s) {
	case "", YAML:
		return YAML, nil
	case JSON:
		return JSON, nil
	}
	return "", fmt.Errorf("unsupported format %q: use yaml or json", s)
}

// Canonical renders p as `docker compose config` does: compose-go's own
// marshallers, then every `$` doubled so the output loads again with the
// same values (interpolation has already happened).
func Canonical(p *types.Project, f Format) ([]byte, error) {
	var (
		out []byte
		err error
	)
	switch f {
	case JSON:
		out, err = p.MarshalJSON()
	default:
		out, err = p.MarshalYAML()
	}
	if err != nil {
		return nil, fmt.Errorf("rendering project %s: %w", p.Name, err)
	}
	return bytes.ReplaceAll(out, []byte("$"), []byte("$$")), nil
}

// Model renders a raw, uninterpolated model as `config --no-interpolate`
// does: a yaml/v4 encoder with indent 2, or indented JSON. Dollars stay as
// written because nothing was interpolated.
func Model(model map[string]any, f Format) ([]byte, error) {
	if f == JSON {
		out, err := json.MarshalIndent(model, "", "  ")
		if err != nil {
			return nil, fmt.Errorf("rendering model: %w", err)
		}
		return out, nil
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(model); err != nil {
		return nil, fmt.Errorf("rendering model: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("rendering model: %w", err)
	}
	return buf.Bytes(), nil
}
