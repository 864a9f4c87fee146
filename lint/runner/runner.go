// Package runner is `berth lint` as a library: it takes compose files and
// options, loads each project the way docker compose would, runs the enabled
// rules and the team's CUE policies, applies or previews fixes, and returns
// the findings for lint/report to print. cmd/berth only wires its flags to a
// Runner and writes the Result out.
//
// It is a package of its own, not part of lint, because it needs the rule
// registry (lint/rules) and the policy evaluator (lint/policy), which both
// build on lint.
package runner

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"sync"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/policy"
	"github.com/berth-compose/berth/lint/rules"
	"github.com/berth-compose/berth/load"
)

// FixMode says what Run does with the fixes of fixable findings.
type FixMode int

const (
	NoFix    FixMode = iota // report the findings only
	FixFiles                // write the fixes to the files, then report what remains
	FixDiff                 // put the fixes in Result.Diff as a unified diff; write nothing
)

// Runner lints compose projects. The zero value lints with the default
// rules, .berth.yaml found upward from each file, and no policies.
type Runner struct {
	// Load is how projects are loaded (environment, --env-file, profiles,
	// project directory and name); Run sets Files per project and adapts
	// the rest for linting (lint.LoadOptions). Warn is not called: the
	// warnings come back in Result.Warnings, in file order.
	Load load.Options

	// Merge lints the files given to Run as one project, as docker compose
	// -f a -f b merges them; otherwise each file is its own project, with
	// its directory as project directory and its .env.
	Merge bool

	// Config is the configuration file to use; "" looks for .berth.yaml in
	// each project's directory and its parents, up to the repository root.
	Config string

	// Enable and Disable switch rules on or off by code or name (each entry
	// may be a comma-separated list), on top of the configuration file.
	Enable, Disable []string

	// Policies are CUE policy files checked on top of those the
	// configuration names.
	Policies []string

	// FailOn is the severity from which a finding counts in
	// Result.Failing; 0 takes the configuration's fail-on, else Error.
	FailOn lint.Severity

	Fix FixMode

	// Rules is the registry; nil means rules.All().
	Rules []*lint.Rule
}

// Result is what a run found.
type Result struct {
	Diagnostics []lint.Diagnostic // per project in the order given, each sorted by position
	Files       []string          // every file linted, in order, as the diagnostics name them
	Sources     map[string][]byte // their contents, for the report's excerpts
	Warnings    []load.Warning    // load warnings that no finding already reports

	// Failing counts the unsuppressed findings at or above each project's
	// fail-on severity.
	Failing int

	// Diff is the unified diff of the fixes (FixDiff).
	Diff []byte
	// Fixed lists the files the fixes changed (FixFiles), or would change
	// (FixDiff).
	Fixed []string

	// Errors are inputs that could not be linted at all (a file that does
	// not exist, a fix that could not be written): the run did not check
	// everything it was asked to.
	Errors []error
}

// Err joins Result.Errors (nil when there are none): positioned errors stay
// a load.Errors, so that they print one per line as file:line:col.
func (res *Result) Err() error {
	if len(res.Errors) == 0 {
		return nil
	}
	return joinErrors(res.Errors)
}

// UnknownRuleError is an Enable or Disable entry that names no rule.
type UnknownRuleError struct {
	Option string // "enable" or "disable"
	Name   string
}

func (e *UnknownRuleError) Error() string {
	return fmt.Sprintf("--%s: unknown rule %q: `berth rules` lists the codes and names", e.Option, e.Name)
}

// project is one project to lint: one file, the merged files, or the
// default project.
type project struct {
	files []string // as given; empty for default discovery
	dir   string   // where its configuration is looked for
	cfg   lint.Config
	fail  lint.Severity
	set   *policy.Set // nil without policies
}

// Run lints files: each on its own, or merged (Runner.Merge), or, when
// there are none, the project docker compose would find. The error is for
// options, configuration files or policies that are wrong (nothing was
// linted: an *UnknownRuleError, or positioned load errors); files that
// cannot be read are Result.Errors, next to the findings of the others.
func (r Runner) Run(ctx context.Context, files []string) (*Result, error) {
	all := r.Rules
	if all == nil {
		all = rules.All()
	}
	flags, err := r.switches(all)
	if err != nil {
		return nil, err
	}
	projects := r.projects(files)
	if err := r.configure(projects, all, flags); err != nil {
		return nil, err
	}

	// Lint the projects side by side; report in the order given.
	results := make([]*outcome, len(projects))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 2))
	for i, p := range projects {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = r.lintFixed(ctx, p, all)
		}()
	}
	wg.Wait()

	res := &Result{Sources: map[string][]byte{}}
	for i, o := range results {
		res.add(o, projects[i].fail)
	}
	return res, nil
}

// add appends what one project produced.
func (res *Result) add(o *outcome, fail lint.Severity) {
	res.Warnings = append(res.Warnings, o.warnings...)
	res.Errors = append(res.Errors, o.errs...)
	res.Diagnostics = append(res.Diagnostics, o.diags...)
	res.Files = append(res.Files, o.names...)
	for name, src := range o.sources {
		res.Sources[name] = src
	}
	res.Diff = append(res.Diff, o.diff...)
	res.Fixed = append(res.Fixed, o.fixed...)
	for _, d := range o.diags {
		if !d.Suppressed && d.Severity >= fail {
			res.Failing++
		}
	}
}

// switches turns Enable and Disable into a configuration.
func (r Runner) switches(all []*lint.Rule) (lint.Config, error) {
	flags := lint.Config{Enabled: map[string]bool{}, Known: all}
	for _, sw := range []struct {
		names  []string
		on     bool
		option string
	}{{r.Enable, true, "enable"}, {r.Disable, false, "disable"}} {
		for _, name := range sw.names {
			for _, part := range strings.Split(name, ",") {
				rule := findRule(all, strings.TrimSpace(part))
				if rule == nil {
					return lint.Config{}, &UnknownRuleError{Option: sw.option, Name: part}
				}
				flags.Enabled[rule.Code] = sw.on
			}
		}
	}
	return flags, nil
}

func findRule(all []*lint.Rule, key string) *lint.Rule {
	for _, r := range all {
		if strings.EqualFold(key, r.Code) || key == r.Name {
			return r
		}
	}
	return nil
}

// projects splits files into the projects to lint.
func (r Runner) projects(files []string) []*project {
	switch {
	case len(files) == 0:
		dir := r.Load.ProjectDir
		if dir == "" {
			dir = "."
		}
		return []*project{{dir: dir}}
	case r.Merge:
		return []*project{{files: files, dir: filepath.Dir(files[0])}}
	}
	var out []*project
	for _, f := range files {
		out = append(out, &project{files: []string{f}, dir: filepath.Dir(f)})
	}
	return out
}

// configure reads each project's configuration and compiles its policies,
// before any file is read: a broken one stops the run. Projects that share
// a configuration file or a list of policies share what was read.
func (r Runner) configure(projects []*project, all []*lint.Rule, flags lint.Config) error {
	configs := map[string]*lint.FileConfig{}
	sets := map[string]*policy.Set{}
	var extra []string
	for _, p := range r.Policies {
		if abs, err := filepath.Abs(p); err == nil {
			extra = append(extra, abs)
		}
	}
	for _, p := range projects {
		path := r.Config
		if path == "" {
			var err error
			if path, err = lint.FindConfig(p.dir); err != nil {
				return err
			}
		}
		p.cfg, p.fail = flags, lint.Error
		var pols []string
		if path != "" {
			fc := configs[path]
			if fc == nil {
				var err error
				if fc, err = lint.ReadConfig(path, all); err != nil {
					return err
				}
				configs[path] = fc
			}
			p.cfg = fc.Config.Merge(flags)
			if fc.FailOn != 0 {
				p.fail = fc.FailOn
			}
			pols = append(pols, fc.Policies...)
		}
		if r.FailOn != 0 {
			p.fail = r.FailOn
		}
		pols = append(pols, extra...)
		if len(pols) == 0 {
			continue
		}
		key := strings.Join(pols, "\x00")
		if p.set = sets[key]; p.set == nil {
			p.set = policy.New(pols...)
			if err := p.set.Compile(); err != nil {
				return err
			}
			sets[key] = p.set
		}
	}
	return nil
}

// enabled are the rules p runs: those its configuration enables, with
// BR900 bound to its policies.
func (p *project) enabled(all []*lint.Rule) []*lint.Rule {
	var rs []*lint.Rule
	for _, r := range all {
		if !p.cfg.Runs(r) {
			continue
		}
		if r.Code == rules.Policy.Code && p.set != nil {
			r = p.set.Rule(r)
		}
		rs = append(rs, r)
	}
	return rs
}
