package lint

import (
	"cmp"
	"slices"

	"github.com/berth-compose/berth/load"
)

// Config is what a team sets in .berth.yaml or on the command line.
type Config struct {
	// Severity overrides a rule's severity, by code.
	Severity map[string]Severity
	// Enabled turns a rule on (true: also a non-default one) or off (false),
	// by code.
	Enabled map[string]bool
	// Known lists every rule a suppression may name, also those this run
	// does not check (a rule disabled in .berth.yaml is not unknown); the
	// rules passed to Run are always known.
	Known []*Rule
}

// enabled reports whether r runs under c.
func (c Config) enabled(r *Rule) bool {
	if on, ok := c.Enabled[r.Code]; ok {
		return on
	}
	return r.Default
}

func (c Config) severity(r *Rule) Severity {
	if s, ok := c.Severity[r.Code]; ok {
		return s
	}
	return r.Severity
}

// Run checks p with every enabled rule of rs and returns the diagnostics,
// sorted by file, line and column, suppressions applied (suppressed ones are
// kept, marked). Schema violations found while loading become diagnostics
// of the BR0xx rule with their code.
func Run(p *load.Project, rs []*Rule, cfg Config) []Diagnostic {
	var out []Diagnostic
	byCode := map[string]*Rule{}
	for _, r := range rs {
		byCode[r.Code] = r
	}
	for _, v := range p.Violations {
		r := byCode[v.Rule.Code]
		if r == nil || !cfg.enabled(r) {
			continue
		}
		pos := load.Position{File: v.File, Line: v.Line, Column: v.Col, EndLine: v.Line, EndColumn: v.Col}
		if vp, ok := p.Sources.Value(v.Path); ok && vp.File == v.File && vp.Line == v.Line && vp.Column == v.Col {
			pos = vp // the same node: take its full range
		}
		out = append(out, Diagnostic{Rule: r, Severity: cfg.severity(r), Pos: pos, Path: v.Path, Message: v.Message})
	}
	for _, r := range rs {
		if r.Run == nil || !cfg.enabled(r) {
			continue
		}
		sev := cfg.severity(r)
		pass := &Pass{Project: p, rule: r, report: func(d Diagnostic) {
			d.Severity = sev
			out = append(out, d)
		}}
		r.Run(pass)
	}
	out = suppressWith(p, rs, &cfg, out)
	slices.SortStableFunc(out, func(a, b Diagnostic) int {
		return cmp.Or(
			cmp.Compare(a.Pos.File, b.Pos.File),
			cmp.Compare(a.Pos.Line, b.Pos.Line),
			cmp.Compare(a.Pos.Column, b.Pos.Column),
			cmp.Compare(a.Rule.Code, b.Rule.Code),
			cmp.Compare(a.Message, b.Message),
		)
	})
	return out
}

// LoadOptions adapts load options for linting: keep going past schema
// violations and consistency errors (lint reports them as findings), and do
// not read env_file contents (a missing env file is a finding, not a crash).
func LoadOptions(o load.Options) load.Options {
	o.Lenient = true
	o.NoConsistency = true
	o.NoEnvResolution = true
	o.KeepEnvFile = true
	o.AllResources = true // unused networks and volumes are findings, not noise to drop
	return o
}
