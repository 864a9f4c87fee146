package runner

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sync"

	"github.com/berth-compose/berth/internal/atomicfile"
	"github.com/berth-compose/berth/internal/textdiff"
	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// outcome is what linting one project produced.
type outcome struct {
	diags    []lint.Diagnostic
	sources  map[string][]byte
	names    []string // files linted, in order
	warnings []load.Warning
	errs     []error
	diff     []byte
	fixed    []string

	loaded *load.Project // nil when the project did not load
}

// lintFixed lints p and applies or previews the fixes Runner.Fix asks for.
// After writing fixes it lints again, to report what they left.
func (r Runner) lintFixed(ctx context.Context, p *project, all []*lint.Rule) *outcome {
	o := r.lint(ctx, p, all)
	if r.Fix == NoFix || o.loaded == nil {
		return o
	}
	changed := false
	for _, f := range o.loaded.Files {
		fixed, err := lint.ApplyFixes(f.Src, f.Name, o.diags)
		if err != nil {
			o.errs = append(o.errs, fmt.Errorf("%s: %w", f.Name, err))
			continue
		}
		if bytes.Equal(fixed, f.Src) {
			continue
		}
		if r.Fix == FixDiff {
			d, err := textdiff.Unified(f.Name, f.Src, fixed)
			if err != nil {
				o.errs = append(o.errs, err)
				continue
			}
			o.diff = append(o.diff, d...)
			o.fixed = append(o.fixed, f.Name)
			continue
		}
		// Write only over what was linted: a file edited meanwhile, or
		// one load read differently (not UTF-8), keeps its content.
		disk, err := os.ReadFile(f.Name)
		if err != nil || !bytes.Equal(disk, f.Src) {
			o.errs = append(o.errs, fmt.Errorf("%s: not fixed: the file changed while berth read it, or is not UTF-8", f.Name))
			continue
		}
		if err := atomicfile.Write(f.Name, fixed); err != nil {
			o.errs = append(o.errs, fmt.Errorf("writing the fixes: %w", err))
			continue
		}
		o.fixed = append(o.fixed, f.Name)
		changed = true
	}
	if !changed {
		return o
	}
	again := r.lint(ctx, p, all)
	again.errs = append(o.errs, again.errs...)
	again.fixed = o.fixed
	return again
}

// lint loads p and runs its rules. A file that does not parse, or a
// project that does not load, becomes findings (see failure).
func (r Runner) lint(ctx context.Context, p *project, all []*lint.Rule) *outcome {
	o := &outcome{sources: map[string][]byte{}}
	lo := lint.LoadOptions(r.Load)
	lo.Files = p.files
	var mu sync.Mutex // load may warn from more than one goroutine
	lo.Warn = func(w load.Warning) {
		if covered(w) {
			return
		}
		mu.Lock()
		o.warnings = append(o.warnings, w)
		mu.Unlock()
	}
	rs := p.enabled(all)
	// Compose's consistency check first: most projects pass it and load
	// once. One it refuses loads again without it, so that the rules
	// report each problem at its place; when none of them is an error,
	// Compose's own reason is one (refused).
	strict := lo
	strict.NoConsistency = false
	loaded, refusal := load.Load(ctx, strict)
	var err error
	if refusal != nil {
		o.warnings = nil
		loaded, err = load.Load(ctx, lo)
	}
	if err != nil {
		o.warnings = nil // the findings say it better
		o.failure(p, err, rs)
		return o
	}
	o.loaded = loaded
	for _, f := range loaded.Files {
		o.names = append(o.names, f.Name)
		o.sources[f.Name] = f.Src
	}
	o.diags = lint.Run(loaded, rs, p.cfg)
	for i := range o.diags {
		// The suppress step reports its findings at their default
		// severity: the configuration decides.
		o.diags[i].Severity = p.cfg.SeverityOf(o.diags[i].Rule)
	}
	if refusal != nil {
		o.refused(p, refusal, rs)
	}
	return o
}

// covered reports whether a load warning is also a finding: an unset
// variable is BR093, the obsolete version key a schema finding.
func covered(w load.Warning) bool {
	return w.Kind == load.WarnUnsetVariable || w.Kind == load.WarnObsoleteVersion
}
