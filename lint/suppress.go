package lint

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/berth-compose/berth/load"
)

// Suppression comments. A finding stays in the output, marked Suppressed
// with the reason as its Justification, so that JSON and SARIF still show it:
//
//	# berth:disable-next-line BR301 -- the exporter needs /dev/kmsg
//	privileged: true   # berth:disable-line BR301,no-new-privileges -- same
//	# berth:disable-file BR402 -- generated file
//
//   - disable-line covers the line the comment ends; disable-next-line the
//     next line that holds more than blanks and comments (so suppressions
//     stack); disable-file the whole file, wherever the comment is.
//   - A finding is covered when it starts on a covered line.
//   - Rules are named by code (BR301) or name (privileged), separated by
//     commas or spaces; at least one is required. `-- reason` ends the list
//     (the reason runs to the end of the line); so does a further ` #`.
//
// The suppress step reports its own findings (rules BR090-BR092): a rule or
// directive berth does not know, a suppression that covered nothing, and a
// suppression without a reason. Those findings can be suppressed like any
// other (`# berth:disable-file BR092 -- ...`) or turned off in .berth.yaml.
//
// The comments are found by scanning each file's text: YAML comments are
// not part of the model. A `#` counts when it starts the line or follows a
// blank, outside quotes on that line (a `# berth:` inside a block scalar is
// taken for a comment; do not write one there).

// Codes of the rules the suppress step reports.
const (
	codeUnknownSuppression = "BR090"
	codeUnusedSuppression  = "BR091"
	codeNoReason           = "BR092"
)

// suppressWith applies the suppressions of p's files to diags and adds the
// findings of the meta rules. A rule ran when it is in rs and enabled by cfg;
// a nil cfg means every rule of rs ran, at its default severity.
// BR090-BR092 are reported when they are among the rules that ran.
func suppressWith(p *load.Project, rs []*Rule, cfg *Config, diags []Diagnostic) []Diagnostic {
	if p == nil || len(p.Files) == 0 {
		return diags
	}
	s := &suppressor{cfg: cfg, byKey: map[string]*Rule{}, known: map[string]*Rule{}, ran: map[*Rule]bool{}}
	for _, r := range rs {
		s.byKey[strings.ToUpper(r.Code)] = r
		s.byKey[r.Name] = r
		s.ran[r] = cfg == nil || cfg.enabled(r)
	}
	if cfg != nil {
		for _, r := range cfg.Known {
			s.known[strings.ToUpper(r.Code)] = r
			s.known[r.Name] = r
		}
	}
	for _, f := range p.Files {
		s.sups = append(s.sups, parseSuppressions(f)...)
	}
	if len(s.sups) == 0 {
		return diags
	}
	for i := range s.sups {
		s.resolve(&s.sups[i])
	}
	for i := range diags {
		s.apply(&diags[i], true)
	}
	// The suppressions' own problems, themselves suppressible. They are
	// computed whether or not their rules run, so that a suppression of
	// BR090 or BR092 can be found unused in any run.
	var meta []Diagnostic
	for i := range s.sups {
		sp := &s.sups[i]
		for _, it := range sp.items {
			if it.rule == nil {
				msg := fmt.Sprintf("%q is not a berth rule: name a rule by code (BR301) or name (privileged); `berth rules` lists them", it.text)
				s.candidate(&meta, codeUnknownSuppression, it.pos, msg)
			}
		}
		if sp.problem != "" {
			s.candidate(&meta, codeUnknownSuppression, sp.pos, sp.problem)
		}
		if sp.reason == "" && sp.problem == "" {
			s.candidate(&meta, codeNoReason, sp.pos, fmt.Sprintf("berth:%s without a reason: end the comment with `-- why this is fine`", sp.kind))
		}
	}
	for i := range meta {
		s.apply(&meta[i], true)
	}
	meta = slices.DeleteFunc(meta, func(d Diagnostic) bool { return !s.ran[d.Rule] })

	// Unused suppressions: first of every rule but BR091, then of BR091
	// itself, which is used when it silenced one of the first.
	var unused []Diagnostic
	for _, self := range []bool{false, true} {
		var found []Diagnostic
		for i := range s.sups {
			sp := &s.sups[i]
			for _, it := range sp.items {
				if it.rule == nil || it.used || !s.checks(it.rule) || (it.rule.Code == codeUnusedSuppression) != self {
					continue
				}
				msg := fmt.Sprintf("%s %s reported nothing here: remove it from the suppression", it.rule.Code, it.rule.Name)
				if sp.kind == "disable-line" && sp.alone {
					msg += " (a disable-line comment on a line of its own covers that line only; use disable-next-line)"
				}
				s.candidate(&found, codeUnusedSuppression, it.pos, msg)
			}
		}
		for i := range found {
			if !self {
				s.apply(&found[i], true)
			}
		}
		unused = append(unused, slices.DeleteFunc(found, func(d Diagnostic) bool { return !s.ran[d.Rule] })...)
	}
	return slices.Concat(diags, meta, unused)
}

type suppressor struct {
	cfg   *Config
	byKey map[string]*Rule // the rules of this run
	known map[string]*Rule // cfg.Known: rules a suppression may name
	ran   map[*Rule]bool
	sups  []suppression
}

// suppression is one berth: comment.
type suppression struct {
	file    string
	kind    string // disable-line, disable-next-line, disable-file
	line    int    // the line the comment is on
	target  int    // the line covered; 0 for the whole file
	alone   bool   // the comment is the only thing on its line
	items   []suppressed
	reason  string
	problem string // a malformed directive: the message to report
	pos     load.Position
}

// suppressed is one rule named in a suppression.
type suppressed struct {
	text string
	rule *Rule
	pos  load.Position
	used bool
}

// lookupKnown finds a rule of cfg.Known by code (any case) or name.
func (s *suppressor) lookupKnown(key string) *Rule {
	if r := s.known[strings.ToUpper(key)]; r != nil {
		return r
	}
	return s.known[key]
}

func (s *suppressor) resolve(sp *suppression) {
	for i := range sp.items {
		it := &sp.items[i]
		if r := s.byKey[strings.ToUpper(it.text)]; r != nil {
			it.rule = r
		} else if r := s.byKey[it.text]; r != nil {
			it.rule = r
		} else {
			it.rule = s.lookupKnown(it.text)
		}
	}
}

// checks reports whether rule r ran, so that a suppression naming it and
// covering nothing is really unused. A rule that is disabled, or was not
// part of this run, might fire elsewhere: its suppressions are left alone.
// The findings of BR090 and BR092 are computed by this step in every run.
func (s *suppressor) checks(r *Rule) bool {
	return s.ran[r] || r.Code == codeUnknownSuppression || r.Code == codeNoReason
}

// apply marks d suppressed when a suppression covers it; count records the
// use, so that the suppression is not reported unused.
func (s *suppressor) apply(d *Diagnostic, count bool) {
	if d.Suppressed {
		return
	}
	for i := range s.sups {
		sp := &s.sups[i]
		if sp.file != d.Pos.File || (sp.target != 0 && sp.target != d.Pos.Line) {
			continue
		}
		for j := range sp.items {
			it := &sp.items[j]
			if it.rule == nil || it.rule.Code != d.Rule.Code {
				continue
			}
			if count {
				it.used = true
			}
			if !d.Suppressed {
				d.Suppressed = true
				d.Justification = sp.reason
			}
		}
	}
}

// candidate adds a finding of the meta rule code, with the rule of this
// run or, when it is not part of it, the registered one.
func (s *suppressor) candidate(out *[]Diagnostic, code string, pos load.Position, msg string) {
	r := s.byKey[code]
	if r == nil {
		if r = s.lookupKnown(code); r == nil {
			r = &Rule{Code: code}
		}
	}
	sev := r.Severity
	if s.cfg != nil {
		sev = s.cfg.severity(r)
	}
	*out = append(*out, Diagnostic{Rule: r, Severity: sev, Pos: pos, Message: msg})
}

var (
	directiveRE = regexp.MustCompile(`^#\s*berth:([A-Za-z-]*)`)
	itemRE      = regexp.MustCompile(`[^\s,]+`)
)

// parseSuppressions finds the berth: comments of f.
func parseSuppressions(f *load.File) []suppression {
	src := string(f.Src)
	if !strings.Contains(src, "berth:") {
		return nil
	}
	lines := strings.Split(src, "\n")
	var out []suppression
	for i, line := range lines {
		at := commentStart(line)
		if at < 0 {
			continue
		}
		m := directiveRE.FindStringSubmatchIndex(line[at:])
		if m == nil || m[2] == m[3] {
			continue // not a directive (`# berth: some note`)
		}
		lineNo := i + 1
		col := func(off int) int { return utf8.RuneCountInString(line[:off]) + 1 }
		end := len(strings.TrimRight(strings.TrimRight(line, "\r"), " \t"))
		sp := suppression{
			file:  f.Name,
			kind:  line[at+m[2] : at+m[3]],
			line:  lineNo,
			alone: strings.TrimSpace(line[:at]) == "",
			pos:   load.Position{File: f.Name, Line: lineNo, Column: col(at), EndLine: lineNo, EndColumn: col(max(end, at+m[1]))},
		}
		switch sp.kind {
		case "disable-line":
			sp.target = lineNo
		case "disable-next-line":
			sp.target = nextContentLine(lines, i+1)
			if sp.target == 0 {
				sp.problem = "berth:disable-next-line at the end of the file covers nothing"
			}
		case "disable-file":
		default:
			sp.problem = fmt.Sprintf("unknown directive berth:%s: use disable-line, disable-next-line or disable-file", sp.kind)
			out = append(out, sp)
			continue
		}
		rest := at + m[1]
		list := line[rest:end]
		if j := strings.Index(list, "--"); j >= 0 {
			sp.reason = strings.TrimSpace(list[j+2:])
			list = list[:j]
		}
		if j := strings.Index(list, " #"); j >= 0 {
			list = list[:j] // a further comment: `# berth:disable-line BR301 # TODO`
		}
		for _, loc := range itemRE.FindAllStringIndex(list, -1) {
			a, b := rest+loc[0], rest+loc[1]
			sp.items = append(sp.items, suppressed{text: line[a:b],
				pos: load.Position{File: f.Name, Line: lineNo, Column: col(a), EndLine: lineNo, EndColumn: col(b)}})
		}
		if len(sp.items) == 0 && sp.problem == "" {
			sp.problem = fmt.Sprintf("berth:%s names no rule: list the codes it disables, e.g. berth:%s BR301 -- reason", sp.kind, sp.kind)
		}
		out = append(out, sp)
	}
	return out
}

// commentStart is the byte offset of the `#` starting a YAML comment in
// line, or -1: a `#` at the start or after a blank, outside quotes.
func commentStart(line string) int {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				if quote == '\'' && i+1 < len(line) && line[i+1] == '\'' {
					i++ // '' escapes a single quote
					continue
				}
				quote = 0
			} else if c == '\\' && quote == '"' {
				i++
			}
		case c == '#':
			if i == 0 || line[i-1] == ' ' || line[i-1] == '\t' {
				return i
			}
		case c == '"' || c == '\'':
			// A quote opens a string only where a scalar can start.
			if i == 0 || strings.ContainsRune(" \t[{,:-", rune(line[i-1])) {
				quote = c
			}
		}
	}
	return -1
}

// nextContentLine is the 1-based number of the first line at or after index
// i that holds more than blanks and a comment, or 0.
func nextContentLine(lines []string, i int) int {
	for ; i < len(lines); i++ {
		t := strings.TrimSpace(lines[i])
		if t != "" && !strings.HasPrefix(t, "#") {
			return i + 1
		}
	}
	return 0
}
