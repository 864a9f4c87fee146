// Package policyexec evaluates `--policy FILE.cue` in a separate process,
// the berth-policy program installed next to berth.
//
// Why a second program: policies are CUE, and linking CUE into berth costs
// every berth process about 16 ms (package initialisation plus page faults
// of a binary 17 MB larger; measured 49 ms against 33 ms for --version),
// also the `config` and `lint` runs that use no policy. Pre-commit hooks run
// berth on every commit; they should not pay for a feature they do not use.
// This package has the same shape as lint/policy (New, Compile, Rule) and
// speaks JSON to berth-policy over stdin and stdout.
package policyexec

import "github.com/berth-compose/berth/load"

// Request is what berth sends to berth-policy.
type Request struct {
	Policies []string          `json:"policies"` // absolute paths
	Compile  bool              `json:"compile"`  // compile only: report broken policies
	Files    []File            `json:"files"`
	Env      map[string]string `json:"env"` // the interpolation environment
}

// File is one compose file to check, as berth read it.
type File struct {
	Name string `json:"name"`
	Src  []byte `json:"src"`
}

// Response is what berth-policy answers.
type Response struct {
	Errors     []Position  `json:"errors,omitempty"` // policies that do not compile
	Violations []Violation `json:"violations,omitempty"`
}

// Position is a positioned error.
type Position struct {
	File   string `json:"file"`
	Line   int    `json:"line"`
	Column int    `json:"column"`
	Msg    string `json:"msg"`
}

// Violation is one conflict between a compose document and a policy.
type Violation struct {
	File    string `json:"file"`
	Path    string `json:"path"`
	Message string `json:"message"`
}

func (p Position) err() *load.Error {
	return &load.Error{Pos: load.Position{File: p.File, Line: p.Line, Column: p.Column}, Msg: p.Msg}
}
