package policyexec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"sync"

	"github.com/berth-compose/berth/internal/companion"
	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// Program is the name of the policy evaluator.
const Program = "berth-policy"

// Set is a list of policy files evaluated by berth-policy.
type Set struct {
	paths []string
	once  sync.Once
	err   error
}

// New returns the set of the policy files at paths; nothing runs yet.
func New(paths ...string) *Set {
	return &Set{paths: slices.Clone(paths)}
}

// Len is the number of policy files.
func (s *Set) Len() int { return len(s.paths) }

// Compile has berth-policy compile every policy, so that a broken policy is
// reported (as positioned load.Errors) before any file is linted.
func (s *Set) Compile() error {
	s.once.Do(func() {
		resp, err := call(context.Background(), Request{Policies: s.paths, Compile: true})
		if err != nil {
			s.err = err
			return
		}
		if len(resp.Errors) > 0 {
			var errs load.Errors
			for _, e := range resp.Errors {
				errs = append(errs, e.err())
			}
			s.err = errs
		}
	})
	return s.err
}

// Rule returns a copy of base (the registry's BR900) whose Run checks the
// project's files against the set.
func (s *Set) Rule(base *lint.Rule) *lint.Rule {
	r := *base
	r.Run = func(p *lint.Pass) {
		req := Request{Policies: s.paths}
		if p.Project.Project != nil {
			req.Env = p.Project.Environment
		}
		for _, f := range p.Project.Files {
			req.Files = append(req.Files, File{Name: f.Name, Src: f.Src})
		}
		resp, err := call(context.Background(), req)
		if err != nil {
			p.ReportKeyf("", "policies were not evaluated: %v", err)
			return
		}
		for _, v := range resp.Violations {
			p.Reportf(v.Path, "%s", v.Message)
		}
	}
	return &r
}

// call runs berth-policy with req on stdin.
func call(ctx context.Context, req Request) (Response, error) {
	bin, err := program()
	if err != nil {
		return Response{}, err
	}
	in, err := json.Marshal(req)
	if err != nil {
		return Response{}, fmt.Errorf("encoding policy request: %w", err)
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Stdin = bytes.NewReader(in)
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return Response{}, fmt.Errorf("%s: %w: %s", bin, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var resp Response
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		return Response{}, fmt.Errorf("reading %s's answer: %w", bin, err)
	}
	return resp, nil
}

// program finds berth-policy next to the running berth, then on PATH.
func program() (string, error) { return companion.Find(Program, "--policy") }
