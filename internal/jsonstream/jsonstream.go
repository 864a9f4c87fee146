// Package jsonstream reads the JSON message streams the Engine API answers
// builds, pulls and pushes with, for the tests that only need to know how
// such a stream ended.
package jsonstream

import (
	"encoding/json"
	"fmt"
	"io"
)

// Err reads r to its end and returns the first error a message carries,
// prefixed with what (for example "docker build"), or nil.
func Err(r io.Reader, what string) error {
	dec := json.NewDecoder(r)
	for {
		var msg struct {
			Error string `json:"error"`
		}
		if err := dec.Decode(&msg); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		if msg.Error != "" {
			return fmt.Errorf("%s: %s", what, msg.Error)
		}
	}
}
