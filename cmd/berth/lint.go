package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/lint"
	policy "github.com/berth-compose/berth/lint/policyexec"
	"github.com/berth-compose/berth/lint/report"
	"github.com/berth-compose/berth/lint/rules"
	"github.com/berth-compose/berth/load"
)

const lintHelp = `Lint compose files: schema, consistency, reliability, security and style
rules, the team's CUE policies, and suppression comments.

With FILE arguments (the way pre-commit calls it), each file is linted as its
own project: its directory is the project directory and its .env is read, as
docker compose -f FILE would. With -f (repeatable) the files are merged into
one project. With neither, the project is found the way docker compose finds
it (compose.yaml in the current directory or a parent).

A file that does not parse or load is reported like any finding (BR001
yaml-syntax, BR008 empty-file, BR901 load-error), so pre-commit output stays
uniform.

Configuration comes from .berth.yaml (or .berth.yml) in the file's directory
or a parent, up to the root of the git repository:

  rules:
    BR301: off            # off, on, error, warning or info; by code or name
    latest-tag: error
  fail-on: warning        # error (default), warning or info
  policies: [policies/images.cue]

Command-line flags win over the file. Suppress one finding with a comment:

  privileged: true # berth:disable-line BR301 -- the CI runner builds images
  # berth:disable-next-line BR301,BR302 -- reason
  # berth:disable-file BR402 -- reason

Exit status: 0 when no finding is at or above --fail-on, 1 when one is (with
--diff: when a fix would change a file), 2 for a usage error, an unreadable
file, configuration or policy.`

type lintOptions struct {
	format   string
	output   string
	failOn   string
	config   string
	enable   []string
	disable  []string
	policies []string
	fix      bool
	diff     bool
	noColor  bool
}

func (a *app) lintCommand() *cobra.Command {
	var o lintOptions
	cmd := &cobra.Command{
		Use:   "lint [flags] [FILE...]",
		Short: "Lint compose files",
		Long:  lintHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runLint(cmd.Context(), cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "Output format: text, json, sarif, github or junit")
	f.StringVarP(&o.output, "output", "o", "", "Write the report to this file instead of stdout")
	f.StringVar(&o.failOn, "fail-on", "", "Exit 1 for findings at or above this severity: error, warning or info (default: fail-on in .berth.yaml, else error)")
	f.StringVar(&o.config, "config", "", "Configuration file (default: .berth.yaml found upward from each file, up to the repository root)")
	f.StringArrayVar(&o.enable, "enable", nil, "Enable a rule by code or name, also one that is off by default (repeatable)")
	f.StringArrayVar(&o.disable, "disable", nil, "Disable a rule by code or name (repeatable)")
	f.StringArrayVar(&o.policies, "policy", nil, "CUE policy file to check every compose file against (repeatable; adds to policies in .berth.yaml)")
	f.BoolVar(&o.fix, "fix", false, "Apply the fixes of fixable findings to the files, then report what remains")
	f.BoolVar(&o.diff, "diff", false, "With --fix: print the fixes as a unified diff instead of writing them")
	f.BoolVar(&o.noColor, "no-color", false, "Never colour the text output (also: NO_COLOR)")
	return cmd
}

// lintUnit is one project to lint: one FILE argument, or the -f files, or
// the default project.
type lintUnit struct {
	files []string // as given; empty for default discovery
	dir   string   // where its configuration is looked for
	cfg   lint.Config
	fail  lint.Severity
	set   *policy.Set // nil without policies
}

// lintResult is what linting one unit produced.
type lintResult struct {
	diags    []lint.Diagnostic
	sources  map[string][]byte
	names    []string // files linted, in order
	warnings []load.Warning
	errs     []error  // unreadable input (exit 2)
	diff     []byte   // --diff output
	fixed    []string // files --fix rewrote (with --diff: would rewrite)
}

func (a *app) runLint(ctx context.Context, cmd *cobra.Command, o lintOptions, args []string) error {
	format, err := report.ParseFormat(o.format)
	if err != nil {
		return cli.UsageError{Err: err}
	}
	if o.diff {
		o.fix = true
	}
	var failFlag lint.Severity
	if o.failOn != "" {
		if failFlag, err = lint.ParseSeverity(o.failOn); err != nil {
			return cli.UsageError{Err: fmt.Errorf("--fail-on: %w", err)}
		}
	}
	all := rules.All()
	flags := lint.Config{Enabled: map[string]bool{}, Known: all}
	for _, sw := range []struct {
		names []string
		on    bool
		flag  string
	}{{o.enable, true, "--enable"}, {o.disable, false, "--disable"}} {
		for _, name := range sw.names {
			for _, part := range strings.Split(name, ",") {
				r := findRule(all, strings.TrimSpace(part))
				if r == nil {
					return cli.UsageError{Err: fmt.Errorf("%s: unknown rule %q: `berth rules` lists the codes and names", sw.flag, part)}
				}
				flags.Enabled[r.Code] = sw.on
			}
		}
	}
	if len(args) > 0 && len(a.Project.Files) > 0 {
		return cli.UsageError{Err: errors.New("give the compose files either as arguments (each linted on its own) or with -f (merged into one project), not both")}
	}

	var units []*lintUnit
	switch {
	case len(args) > 0:
		for _, f := range args {
			units = append(units, &lintUnit{files: []string{f}, dir: filepath.Dir(f)})
		}
	case len(a.Project.Files) > 0:
		units = append(units, &lintUnit{files: a.Project.Files, dir: filepath.Dir(a.Project.Files[0])})
	default:
		dir := a.Project.Dir
		if dir == "" {
			dir = "."
		}
		units = append(units, &lintUnit{dir: dir})
	}

	// Configuration and policies, before any file is read: a broken one
	// stops the run (exit 2).
	configs := map[string]*lint.FileConfig{}
	sets := map[string]*policy.Set{}
	for _, u := range units {
		path := o.config
		if path == "" {
			if path, err = lint.FindConfig(u.dir); err != nil {
				return cli.InputError{Err: err}
			}
		}
		var fc *lint.FileConfig
		if path != "" {
			if fc = configs[path]; fc == nil {
				if fc, err = lint.ReadConfig(path, all); err != nil {
					return cli.InputError{Err: err}
				}
				configs[path] = fc
			}
		}
		u.cfg, u.fail = flags, lint.Error
		var pols []string
		if fc != nil {
			u.cfg = fc.Config.Merge(flags)
			if fc.FailOn != 0 {
				u.fail = fc.FailOn
			}
			pols = fc.Policies
		}
		if failFlag != 0 {
			u.fail = failFlag
		}
		for _, p := range o.policies {
			if abs, err := filepath.Abs(p); err == nil {
				pols = append(pols, abs)
			}
		}
		if len(pols) > 0 {
			key := strings.Join(pols, "\x00")
			if u.set = sets[key]; u.set == nil {
				u.set = policy.New(pols...)
				if err := u.set.Compile(); err != nil {
					return cli.InputError{Err: err}
				}
				sets[key] = u.set
			}
		}
	}

	// Lint the units side by side; report in argument order.
	results := make([]*lintResult, len(units))
	var wg sync.WaitGroup
	sem := make(chan struct{}, max(runtime.GOMAXPROCS(0), 2))
	for i, u := range units {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			results[i] = a.lintOne(ctx, u, all, o)
		}()
	}
	wg.Wait()

	var diags []lint.Diagnostic
	var diffs bytes.Buffer
	ro := report.Options{Rules: all, Sources: map[string][]byte{}, ToolVersion: version}
	var inputErrs []error
	failing, fixedFiles := 0, 0
	for i, res := range results {
		for _, w := range res.warnings {
			a.PrintWarning(w)
		}
		inputErrs = append(inputErrs, res.errs...)
		diags = append(diags, res.diags...)
		ro.Files = append(ro.Files, res.names...)
		for name, src := range res.sources {
			ro.Sources[name] = src
		}
		diffs.Write(res.diff)
		fixedFiles += len(res.fixed)
		for _, d := range res.diags {
			if !d.Suppressed && d.Severity >= units[i].fail {
				failing++
			}
		}
	}

	if o.diff {
		if err := a.WriteOutput(o.output, diffs.Bytes()); err != nil {
			return err
		}
	} else {
		out := a.Out
		var buf bytes.Buffer
		if o.output != "" {
			out = &buf
		}
		ro.Color = !o.noColor && o.output == "" && report.UseColor(a.Getenv, cli.IsTerminal(a.Out))
		if err := report.Write(out, format, diags, ro); err != nil {
			return err
		}
		if o.output != "" {
			if err := a.WriteOutput(o.output, buf.Bytes()); err != nil {
				return err
			}
		}
	}
	if len(inputErrs) > 0 {
		return cli.InputError{Err: joinErrors(inputErrs)}
	}
	if o.diff {
		if n := fixedFiles; n > 0 {
			return fmt.Errorf("fixes would change %d %s", n, plural(n, "file", "files"))
		}
		return nil
	}
	if failing > 0 {
		return fmt.Errorf("%d %s at or above the fail-on severity", failing, plural(failing, "finding", "findings"))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// lintOne loads and lints one unit, with --fix applied.
func (a *app) lintOne(ctx context.Context, u *lintUnit, all []*lint.Rule, o lintOptions) *lintResult {
	res := a.lintLoad(ctx, u, all)
	if !o.fix || res.project == nil {
		return res.lintResult
	}
	changed := false
	for _, f := range res.project.Files {
		fixed, err := lint.ApplyFixes(f.Src, f.Name, res.diags)
		if err != nil {
			res.errs = append(res.errs, fmt.Errorf("%s: %w", f.Name, err))
			continue
		}
		if bytes.Equal(fixed, f.Src) {
			continue
		}
		if o.diff {
			res.diff = append(res.diff, unifiedDiff(f.Name, f.Src, fixed)...)
			res.fixed = append(res.fixed, f.Name)
			continue
		}
		disk, err := os.ReadFile(f.Name)
		if err != nil || !bytes.Equal(disk, f.Src) {
			res.errs = append(res.errs, fmt.Errorf("%s: not fixed: the file changed while berth read it, or is not UTF-8", f.Name))
			continue
		}
		if err := writeFileAtomic(f.Name, fixed); err != nil {
			res.errs = append(res.errs, fmt.Errorf("writing the fixes: %w", err))
			continue
		}
		res.fixed = append(res.fixed, f.Name)
		changed = true
	}
	if !changed {
		return res.lintResult
	}
	// Report what the fixes left.
	again := a.lintLoad(ctx, u, all)
	again.errs = append(res.errs, again.errs...)
	again.fixed = res.fixed
	return again.lintResult
}

type loaded struct {
	*lintResult
	project *load.Project
}

// lintLoad loads one unit and lints it. A file that does not parse, or a
// project that does not load, becomes diagnostics.
func (a *app) lintLoad(ctx context.Context, u *lintUnit, all []*lint.Rule) loaded {
	res := loaded{lintResult: &lintResult{sources: map[string][]byte{}}}
	lo := lint.LoadOptions(a.LoadOptions())
	lo.Files = u.files
	var mu sync.Mutex
	lo.Warn = func(w load.Warning) {
		if covered(w) {
			return
		}
		mu.Lock()
		res.warnings = append(res.warnings, w)
		mu.Unlock()
	}
	rs := enabledRules(all, u)
	p, err := load.Load(ctx, lo)
	if err != nil {
		res.warnings = nil // the findings say it better
		a.loadFailure(res.lintResult, u, err, rs)
		return res
	}
	res.project = p
	for _, f := range p.Files {
		res.names = append(res.names, f.Name)
		res.sources[f.Name] = f.Src
	}
	diags := lint.Run(p, rs, u.cfg)
	for i := range diags {
		// The suppress step reports its findings at their default
		// severity until lint.Run hands it the configuration.
		diags[i].Severity = u.cfg.SeverityOf(diags[i].Rule)
	}
	res.diags = diags
	return res
}

// enabledRules are the rules u runs: those its configuration enables, with
// BR900 bound to its policies.
func enabledRules(all []*lint.Rule, u *lintUnit) []*lint.Rule {
	var rs []*lint.Rule
	for _, r := range all {
		if !u.cfg.Runs(r) {
			continue
		}
		if r.Code == rules.Policy.Code && u.set != nil {
			r = u.set.Rule(r)
		}
		rs = append(rs, r)
	}
	return rs
}

// covered reports whether a load warning is also a finding: unset
// variables are BR093, the obsolete version key a schema finding.
func covered(w load.Warning) bool {
	return strings.Contains(w.Msg, "variable is not set") || strings.Contains(w.Msg, "attribute `version` is obsolete")
}

// loadFailure turns the error of a load into findings: BR001/BR008/BR009
// for a file that does not parse (each file is parsed again on its own to
// tell), the schema rule a violation names, and BR901 load-error for what
// compose-go refused. Errors without a file to point at are input errors.
func (a *app) loadFailure(res *lintResult, u *lintUnit, err error, rs []*lint.Rule) {
	var list load.Errors
	var one *load.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = load.Errors{one}
	default:
		list = load.Errors{{Msg: err.Error(), Err: err}}
	}
	byCode := map[string]*lint.Rule{}
	for _, r := range rs {
		byCode[r.Code] = r
	}
	loadErr := byCode[rules.LoadError.Code]
	// Files named by the errors, or given: parse each on its own.
	names := slices.Clone(u.files)
	for _, e := range list {
		if e.Pos.File != "" && !slices.ContainsFunc(names, func(n string) bool { return sameFile(n, e.Pos.File) }) {
			names = append(names, e.Pos.File)
		}
	}
	parsed := map[string]bool{}
	for _, name := range names {
		src, rerr := os.ReadFile(name)
		if rerr != nil {
			continue // reported below with load's message
		}
		display := displayName(name)
		res.names = append(res.names, display)
		res.sources[display] = src
		if _, perr := load.ParseFile(display, src); perr != nil {
			d, rest := rules.ParseDiagnostics(perr, rs)
			res.diags = append(res.diags, d...)
			if len(rest) > 0 && len(d) == 0 {
				// The parse rule is disabled: keep the failure visible.
				res.diags = append(res.diags, failureDiags(loadErr, perr, display)...)
			}
			parsed[display] = true
		}
	}
	for _, e := range list {
		file := displayName(e.Pos.File)
		if e.Pos.File != "" && parsed[file] {
			continue // its parse error says it
		}
		if e.Pos.Line <= 0 {
			// A file that does not exist or is a directory is a usage
			// error (exit 2), not a finding at a made-up 1:1.
			if info, serr := os.Stat(e.Pos.File); e.Pos.File == "" || serr != nil || info.IsDir() {
				if e.Pos.File == "" && len(res.names) > 0 {
					file = res.names[0] // a project-wide failure: the first file
				} else {
					res.errs = append(res.errs, e)
					continue
				}
			}
		}
		r, msg := loadErr, e.Msg
		var ve *load.ViolationError
		if errors.As(e, &ve) && byCode[ve.Violation.Rule.Code] != nil {
			r, msg = byCode[ve.Violation.Rule.Code], ve.Violation.Message
		}
		if r == nil {
			res.errs = append(res.errs, e) // BR901 disabled: still not a success
			continue
		}
		pos := e.Pos
		pos.File = file
		pos.Line, pos.Column = max(pos.Line, 1), max(pos.Column, 1)
		if pos.EndLine < pos.Line || (pos.EndLine == pos.Line && pos.EndColumn < pos.Column) {
			pos.EndLine, pos.EndColumn = pos.Line, pos.Column
		}
		res.diags = append(res.diags, lint.Diagnostic{Rule: r, Severity: u.cfg.SeverityOf(r), Pos: pos, Message: msg})
	}
	for i := range res.diags {
		res.diags[i].Severity = u.cfg.SeverityOf(res.diags[i].Rule)
	}
	slices.SortStableFunc(res.diags, func(x, y lint.Diagnostic) int {
		if c := strings.Compare(x.Pos.File, y.Pos.File); c != 0 {
			return c
		}
		if x.Pos.Line != y.Pos.Line {
			return x.Pos.Line - y.Pos.Line
		}
		return x.Pos.Column - y.Pos.Column
	})
}

// failureDiags reports err against r (BR901) at its positions.
func failureDiags(r *lint.Rule, err error, file string) []lint.Diagnostic {
	if r == nil {
		return nil
	}
	var out []lint.Diagnostic
	var list load.Errors
	var one *load.Error
	if errors.As(err, &one) {
		list = load.Errors{one}
	} else if !errors.As(err, &list) {
		list = load.Errors{{Pos: load.Position{File: file}, Msg: err.Error()}}
	}
	for _, e := range list {
		pos := e.Pos
		pos.File = file
		pos.Line, pos.Column = max(pos.Line, 1), max(pos.Column, 1)
		pos.EndLine, pos.EndColumn = pos.Line, pos.Column
		out = append(out, lint.Diagnostic{Rule: r, Severity: r.Severity, Pos: pos, Message: e.Msg})
	}
	return out
}

// displayName is a path as load names files: relative to the working
// directory when below it.
func displayName(path string) string {
	if path == "" {
		return path
	}
	path, err := filepath.Abs(path)
	if err != nil {
		return path
	}
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return rel
}

func sameFile(a, b string) bool {
	x, err1 := filepath.Abs(a)
	y, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && x == y
}

func findRule(all []*lint.Rule, key string) *lint.Rule {
	for _, r := range all {
		if strings.EqualFold(key, r.Code) || key == r.Name {
			return r
		}
	}
	return nil
}

func joinErrors(errs []error) error {
	var list load.Errors
	var other []error
	for _, e := range errs {
		var le *load.Error
		if errors.As(e, &le) {
			list = append(list, le)
		} else {
			other = append(other, e)
		}
	}
	if len(other) == 0 {
		return list
	}
	for _, e := range list {
		other = append(other, e)
	}
	return errors.Join(other...)
}

// unifiedDiff renders the change from old to new of the file name as a
// unified diff with three lines of context.
func unifiedDiff(name string, old, new []byte) []byte {
	a, b := splitLines(old), splitLines(new)
	// Longest common subsequence, by dynamic programming: compose files are
	// small (a 1,000-line file costs a million cells).
	n, m := len(a), len(b)
	lcs := make([][]int32, n+1)
	for i := range lcs {
		lcs[i] = make([]int32, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type op struct {
		kind byte // ' ', '-', '+'
		text string
		i, j int // line indexes in a and b before this op
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i], i, j})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i], i, j})
			i++
		default:
			ops = append(ops, op{'+', b[j], i, j})
			j++
		}
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", name, name)
	const context = 3
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		start := max(k-context, 0)
		end := k
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run == len(ops) || run-end > 2*context {
				end = min(end+context, len(ops))
				break
			}
			end = run
		}
		var oldN, newN int
		for _, o := range ops[start:end] {
			if o.kind != '+' {
				oldN++
			}
			if o.kind != '-' {
				newN++
			}
		}
		oldStart, newStart := ops[start].i+1, ops[start].j+1
		if oldN == 0 {
			oldStart--
		}
		if newN == 0 {
			newStart--
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n", oldStart, oldN, newStart, newN)
		for _, o := range ops[start:end] {
			out.WriteByte(o.kind)
			out.WriteString(o.text)
			if !strings.HasSuffix(o.text, "\n") {
				out.WriteString("\n\\ No newline at end of file\n")
			}
		}
		k = end
	}
	return out.Bytes()
}

// splitLines splits src after each newline, keeping it.
func splitLines(src []byte) []string {
	var out []string
	for len(src) > 0 {
		i := bytes.IndexByte(src, '\n')
		if i < 0 {
			out = append(out, string(src))
			break
		}
		out = append(out, string(src[:i+1]))
		src = src[i+1:]
	}
	return out
}
