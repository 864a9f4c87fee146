// Command berth-policy evaluates CUE policies for `berth lint --policy`.
// berth runs it with a JSON request on stdin (lint/policyexec) so that berth
// itself does not link CUE; it is not meant to be run by hand.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint/policy"
	"github.com/berth-compose/berth/lint/policyexec"
	"github.com/berth-compose/berth/load"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "berth-policy:", err)
		os.Exit(1)
	}
}

func run() error {
	var req policyexec.Request
	if err := json.NewDecoder(os.Stdin).Decode(&req); err != nil {
		return fmt.Errorf("reading the request: %w", err)
	}
	set := policy.New(req.Policies...)
	var resp policyexec.Response
	if err := set.Compile(); err != nil {
		resp.Errors = positions(err)
		return json.NewEncoder(os.Stdout).Encode(resp)
	}
	if !req.Compile {
		p := &load.Project{Project: &types.Project{Environment: req.Env}}
		for _, f := range req.Files {
			parsed, err := load.ParseFile(f.Name, f.Src)
			if err != nil {
				continue // lint reports files that do not parse
			}
			p.Files = append(p.Files, parsed)
		}
		for _, v := range set.Check(p) {
			resp.Violations = append(resp.Violations, policyexec.Violation{File: v.File, Path: v.Path, Message: v.Message})
		}
	}
	return json.NewEncoder(os.Stdout).Encode(resp)
}

// positions flattens compile errors into positioned messages.
func positions(err error) []policyexec.Position {
	var list load.Errors
	var one *load.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = load.Errors{one}
	default:
		return []policyexec.Position{{Msg: err.Error()}}
	}
	var out []policyexec.Position
	for _, e := range list {
		out = append(out, policyexec.Position{File: e.Pos.File, Line: e.Pos.Line, Column: e.Pos.Column, Msg: e.Msg})
	}
	return out
}
