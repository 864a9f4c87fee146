// Package progress shows what apply.Execute reports while it runs: redrawn
// in place on a terminal, one line per event in CI logs, one JSON object per
// event for programs, or nothing. It only formats events; it never decides
// anything about the plan.
package progress

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/berth-compose/berth/apply"
)

// Mode is how progress is shown (the --progress flag).
type Mode string

// The modes. Auto becomes TTY when the output is a terminal and Plain
// otherwise.
const (
	Auto  Mode = "auto"
	TTY   Mode = "tty"
	Plain Mode = "plain"
	JSON  Mode = "json"
	Quiet Mode = "quiet"
)

// ParseMode checks a --progress value.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(s); m {
	case Auto, TTY, Plain, JSON, Quiet:
		return m, nil
	}
	return "", fmt.Errorf("unknown --progress %q: want auto, tty, plain, json or quiet", s)
}

// Resolve turns Auto into TTY or Plain.
func (m Mode) Resolve(terminal bool) Mode {
	if m != Auto {
		return m
	}
	if terminal {
		return TTY
	}
	return Plain
}

// JSONVersion is the value of the "v" field of every JSON event. It changes
// only when a field is removed or changes meaning; new fields do not bump it.
const JSONVersion = 1

// Options tune a renderer. The zero value is usable.
type Options struct {
	Color   bool             // tty only: colour the state marks (off under NO_COLOR)
	Width   int              // tty only: terminal columns; lines are cut to fit (0: 80)
	Refresh time.Duration    // tty only: redraw this often to advance elapsed times (0: only on events)
	Now     func() time.Time // clock; nil is time.Now (tests pass a fake one)
}

// Renderer receives the events of one Execute. Event may be called from
// several goroutines at once. Close draws the last frame and stops the
// refresh; call it once Execute has returned (more calls do nothing).
type Renderer interface {
	Event(apply.Event)
	Close()
}

// New returns the renderer of mode (Auto must be resolved first) writing to w.
func New(mode Mode, w io.Writer, opts Options) Renderer {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch mode {
	case TTY:
		return newTTY(w, opts)
	case JSON:
		return &jsonRenderer{w: w, now: opts.Now}
	case Quiet:
		return quiet{}
	}
	return &plainRenderer{w: w}
}

type quiet struct{}

func (quiet) Event(apply.Event) {}
func (quiet) Close()            {}

// plainRenderer writes one line per event, for logs:
//
//	container:shop-web-1  Started  1.2s  detail
type plainRenderer struct {
	mu sync.Mutex
	w  io.Writer
}

func (r *plainRenderer) Event(e apply.Event) {
	var b strings.Builder
	b.WriteString(e.Resource)
	b.WriteString("  ")
	if isError(e.Status) {
		b.WriteString("FAILED") // the word a log search finds
	} else {
		b.WriteString(e.Status)
	}
	if e.Elapsed > 0 {
		fmt.Fprintf(&b, "  %.1fs", e.Elapsed.Seconds())
	}
	if e.Detail != "" {
		b.WriteString("  ")
		b.WriteString(oneLine(e.Detail))
	}
	b.WriteByte('\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = io.WriteString(r.w, b.String())
}

func (r *plainRenderer) Close() {}

// jsonEvent is the JSON form of an event, one object per line. The fields
// are documented in the README; see JSONVersion.
type jsonEvent struct {
	V         int    `json:"v"`
	Time      string `json:"time"`     // RFC 3339, UTC, when the event was rendered
	Resource  string `json:"resource"` // "container:shop-web-1", "network:shop_default", "service:db"
	Kind      string `json:"kind"`     // the part of resource before ':'
	Name      string `json:"name"`     // the part after it
	Status    string `json:"status"`   // Creating, Created, Started, Waiting, Healthy, Removed, Error, ...
	Done      bool   `json:"done"`     // false while the resource is still in progress (Creating, Waiting, ...)
	Error     bool   `json:"error"`    // the step failed; detail says why
	ElapsedMS int64  `json:"elapsed_ms"`
	Detail    string `json:"detail,omitempty"`
}

type jsonRenderer struct {
	mu  sync.Mutex
	w   io.Writer
	now func() time.Time
}

func (r *jsonRenderer) Event(e apply.Event) {
	kind, name, _ := strings.Cut(e.Resource, ":")
	b, _ := json.Marshal(jsonEvent{ // strings, ints and bools only: cannot fail
		V: JSONVersion, Time: r.now().UTC().Format(time.RFC3339Nano),
		Resource: e.Resource, Kind: kind, Name: name,
		Status: e.Status, Done: !inProgress(e.Status), Error: isError(e.Status),
		ElapsedMS: e.Elapsed.Milliseconds(), Detail: e.Detail,
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	_, _ = r.w.Write(append(b, '\n'))
}

func (r *jsonRenderer) Close() {}

// inProgress tells a status that will be followed by another (Creating,
// Pulling, Waiting, ...) from one that ends a resource's work for now
// (Created, Running, ...): the -ing statuses Execute reports before work,
// listed because "Running" is a result, not work under way.
func inProgress(status string) bool {
	switch status {
	case "Building", "Creating", "Pulling", "Recreating", "Removing", "Restarting", "Starting", "Stopping", "Updating", "Waiting":
		return true
	}
	return false
}

func isError(status string) bool { return status == "Error" }

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
