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
	b, err := json.MarshalIndent(p, "", "  ")
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
}

// WriteHuman writes the plan for people: one line per step with its
// reasons, and a summary line. Callers mask the plan first unless secrets
// may be shown.
func WriteHuman(w io.Writer, p *Plan) error {
	var b strings.Builder
	for _, warn := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", warn)
	}
	if p.Empty() {
		fmt.Fprintf(&b, "No changes. Project %s matches the compose files.\n", p.Project)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "berth will perform these actions on project %s:\n\n", p.Project)
	width := 0
	for _, s := range p.Steps {
		width = max(width, len(s.Resource))
	}
	for _, s := range p.Steps {
		fmt.Fprintf(&b, "  %s %-*s  %s", symbols[s.Action], width, s.Resource, s.Action)
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
			switch {
			case r.Old == "" && r.New == "":
				fmt.Fprintf(&b, "      %s %s\n", r.Code, r.Field)
			default:
				fmt.Fprintf(&b, "      %s %s: %q → %q\n", r.Code, r.Field, r.Old, r.New)
			}
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
	create, recreate, start, remove := p.Counts()
	if start > 0 {
		fmt.Fprintf(&b, "\nPlan: %d to create, %d to recreate, %d to start, %d to remove.\n", create, recreate, start, remove)
	} else {
		fmt.Fprintf(&b, "\nPlan: %d to create, %d to recreate, %d to remove.\n", create, recreate, remove)
	}
	_, err := io.WriteString(w, b.String())
	return err
}
