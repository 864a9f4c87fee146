package apply

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/berth-compose/berth/load"
)

// WriteJSON writes the plan's wire form, indented, with a final newline.
func WriteJSON(w io.Writer, p *Plan) error {
	q := *p
	n := p.Summary()
	q.Totals = &n
	b, err := json.MarshalIndent(&q, "", "  ")
	if err != nil {
		return fmt.Errorf("encoding plan: %w", err)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// ReadJSON reads a saved plan and checks it can be executed.
func ReadJSON(r io.Reader) (*Plan, error) {
	var p Plan
	dec := json.NewDecoder(r)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	p.Totals = nil // derived from the steps: WriteJSON writes it afresh
	return &p, nil
}

// ReadFile reads the saved plan at path. A file that is not a plan gets an
// error with its position (JSON syntax and type errors name line:col).
func ReadFile(path string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	p, err := ReadJSON(bytes.NewReader(data))
	if err == nil {
		return p, nil
	}
	var offset int64 = -1
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		offset = syn.Offset
	case errors.As(err, &typ):
		offset = typ.Offset
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		offset = int64(len(data))
	}
	if offset < 0 {
		return nil, &load.Error{Pos: load.Position{File: path}, Msg: err.Error(), Err: err}
	}
	line, col := 1, 1
	for _, c := range string(data[:min(int(offset), len(data))]) {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return nil, &load.Error{Pos: load.Position{File: path, Line: line, Column: col}, Msg: err.Error(), Err: err}
}

var symbols = map[Action]string{
	Create: "+", CreateNetwork: "+", CreateVolume: "+", Pull: "+",
	Recreate: "~", Start: ">", Restart: ">", Stop: "|",
	Remove: "-", RemoveNetwork: "-", RemoveVolume: "-",
	Build: "+", RemoveImage: "-",
	Disconnect: "|", Connect: ">",
	CreateService: "+", UpdateService: "~", RemoveService: "-",
	CreateSecret: "+", RemoveSecret: "-", CreateConfig: "+", RemoveConfig: "-",
}

// HumanOptions change how WriteHuman writes a plan.
type HumanOptions struct {
	// Color marks creates green, recreates yellow and removes red (ANSI):
	// for a terminal, never with NO_COLOR or into a pipe.
	Color bool
}

const (
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiRed    = "\x1b[31m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

// colors by step symbol and by change.
var colors = map[string]string{"+": ansiGreen, "~": ansiYellow, "-": ansiRed, Added: ansiGreen, Changed: ansiYellow, Removed: ansiRed}

var changeSymbols = map[string]string{Added: "+", Changed: "~", Removed: "-"}

// WriteHuman writes the plan for people without colour; see
// WriteHumanWith.
func WriteHuman(w io.Writer, p *Plan) error { return WriteHumanWith(w, p, HumanOptions{}) }

// WriteHumanWith writes the plan for people: one line per step, under it
// one line per field that changed (path: old → new, a sensitive value only
// said to have changed), and a summary line counting every step by kind.
// Callers mask the plan first unless secrets may be shown.
func WriteHumanWith(w io.Writer, p *Plan, o HumanOptions) error {
	var b strings.Builder
	paint := func(key, text string) string {
		if c, ok := colors[key]; ok && o.Color {
			return c + text + ansiReset
		}
		return text
	}
	for _, warn := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", warn)
	}
	if p.Empty() {
		if p.Target == TargetSwarm {
			fmt.Fprintf(&b, "No changes. Stack %s matches the compose files.\n", p.Project)
		} else {
			fmt.Fprintf(&b, "No changes. Project %s matches the compose files.\n", p.Project)
		}
		_, err := io.WriteString(w, b.String())
		return err
	}
	if p.Target == TargetSwarm {
		fmt.Fprintf(&b, "berth will perform these actions on stack %s:\n\n", p.Project)
	} else {
		fmt.Fprintf(&b, "berth will perform these actions on project %s:\n\n", p.Project)
	}
	width := 0
	for _, s := range p.Steps {
		width = max(width, len(s.Resource))
	}
	for _, s := range p.Steps {
		sym := symbols[s.Action]
		fmt.Fprintf(&b, "  %s %-*s  %s", paint(sym, sym), width, s.Resource, s.Action)
		if s.Endpoint != nil {
			fmt.Fprintf(&b, " %s", s.Endpoint.Network)
		}
		var simple []string
		var detailed []Reason
		for _, r := range s.Reasons {
			if r.Field == "" {
				simple = append(simple, r.text())
			} else {
				detailed = append(detailed, r)
			}
		}
		if len(simple) > 0 {
			fmt.Fprintf(&b, " (%s)", strings.Join(simple, ", "))
		}
		b.WriteByte('\n')
		for _, r := range detailed {
			b.WriteString("      ")
			if sym, ok := changeSymbols[r.Change]; ok {
				b.WriteString(paint(r.Change, sym) + " ")
			}
			b.WriteString(r.line())
			b.WriteByte('\n')
		}
		if len(s.KeepVolumes) > 0 {
			kept := make([]string, len(s.KeepVolumes))
			for i, k := range s.KeepVolumes {
				kept[i] = k.Target + " (" + short(k.Volume) + ")"
			}
			fmt.Fprintf(&b, "      keeps anonymous volumes: %s\n", strings.Join(kept, ", "))
		}
		if s.Rollout != nil {
			fmt.Fprintf(&b, "      %s\n", s.Rollout)
		}
	}
	summary := "Plan: " + p.Summary().Text(p.Target) + "."
	if o.Color {
		summary = ansiBold + summary + ansiReset
	}
	fmt.Fprintf(&b, "\n%s\n", summary)
	_, err := io.WriteString(w, b.String())
	return err
}

// valueText is the values of a reason with a path, for people.
func (r Reason) valueText() string {
	v := strings.TrimPrefix(r.line(), r.Field)
	return strings.TrimPrefix(v, ": ")
}

// line is a reason with a path for people: "services.web.ports[0]:
// "8080:80/tcp" → "8081:80/tcp"", a sensitive value only said to have
// changed, and the code when it is not a configuration change.
func (r Reason) line() string {
	var v string
	switch {
	case r.Sensitive && r.Change != "" && (r.Old == Masked || r.New == Masked):
		v = r.Field + ": (sensitive value " + r.Change + ")"
	case r.Change == Added:
		v = fmt.Sprintf("%s: %q", r.Field, r.New)
	case r.Change == Removed:
		v = fmt.Sprintf("%s: %q (removed)", r.Field, r.Old)
	case r.Old == "" && r.New == "":
		v = r.Field
	default:
		v = fmt.Sprintf("%s: %q → %q", r.Field, r.Old, r.New)
	}
	if r.Note != "" {
		v += " (" + r.Note + ")"
	}
	if r.Code != ConfigChanged {
		v += " [" + string(r.Code) + "]"
	}
	return v
}
