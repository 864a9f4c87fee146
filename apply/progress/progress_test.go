package progress

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/berth-compose/berth/apply"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// fakeClock advances by step on every reading, so that times and elapsed
// values in the output are fixed.
type fakeClock struct {
	t    time.Time
	step time.Duration
}

func (c *fakeClock) now() time.Time {
	c.t = c.t.Add(c.step)
	return c.t
}

func newClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), step: 100 * time.Millisecond}
}

// events is what Execute reports for a small project: a network, a
// healthy database, a web container that waits for it, an orphan removed,
// and a failing service.
var events = []apply.Event{
	{Resource: "network:shop_default", Status: "Created", Elapsed: 40 * time.Millisecond},
	{Resource: "container:shop-db-1", Status: "Creating"},
	{Resource: "container:shop-old-1", Status: "Removing"},
	{Resource: "container:shop-db-1", Status: "Created", Elapsed: 120 * time.Millisecond},
	{Resource: "container:shop-db-1", Status: "Started", Elapsed: 450 * time.Millisecond},
	{Resource: "container:shop-web-1", Status: "Creating"},
	{Resource: "service:db", Status: "Waiting", Detail: "service_healthy"},
	{Resource: "container:shop-old-1", Status: "Removed", Elapsed: 1200 * time.Millisecond},
	{Resource: "service:db", Status: "Healthy", Elapsed: 2500 * time.Millisecond},
	{Resource: "container:shop-web-1", Status: "Started", Elapsed: 3100 * time.Millisecond},
	{Resource: "container:shop-bad-1", Status: "Error", Detail: "starting container shop-bad-1:\nport is already allocated"},
}

func render(t *testing.T, mode Mode, opts Options) string {
	t.Helper()
	var buf bytes.Buffer
	opts.Now = newClock().now
	r := New(mode, &buf, opts)
	for _, e := range events {
		r.Event(e)
	}
	r.Close()
	return buf.String()
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the output:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestPlainGolden(t *testing.T) {
	golden(t, "plain.golden", render(t, Plain, Options{}))
}

func TestJSONGolden(t *testing.T) {
	out := render(t, JSON, Options{})
	golden(t, "json.golden", out)
	// Every line is one object with the documented fields.
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(events) {
		t.Fatalf("%d lines for %d events", len(lines), len(events))
	}
	for i, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		for _, k := range []string{"v", "time", "resource", "kind", "name", "status", "done", "error", "elapsed_ms"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line %d lacks %q: %s", i+1, k, l)
			}
		}
		if m["v"] != float64(JSONVersion) {
			t.Errorf("line %d: v = %v", i+1, m["v"])
		}
	}
}

func TestRunningIsDone(t *testing.T) {
	term := &terminal{t: t}
	r := New(TTY, term, Options{Now: newClock().now})
	r.Event(apply.Event{Resource: "service:web", Status: "Waiting", Detail: "running_or_healthy"})
	r.Event(apply.Event{Resource: "service:web", Status: "Running", Elapsed: 1500 * time.Millisecond})
	r.Close()
	if want := " ✔ service:web  Running      1.5s"; term.screen[0] != want {
		t.Errorf("line %q, want %q", term.screen[0], want)
	}
}

func TestQuietWritesNothing(t *testing.T) {
	if out := render(t, Quiet, Options{}); out != "" {
		t.Errorf("quiet wrote %q", out)
	}
}

func TestParseMode(t *testing.T) {
	for _, s := range []string{"auto", "tty", "plain", "json", "quiet"} {
		if m, err := ParseMode(s); err != nil || string(m) != s {
			t.Errorf("ParseMode(%q) = %q, %v", s, m, err)
		}
	}
	if _, err := ParseMode("fancy"); err == nil || !strings.Contains(err.Error(), "auto, tty, plain, json or quiet") {
		t.Errorf("ParseMode(fancy): %v", err)
	}
	if Auto.Resolve(true) != TTY || Auto.Resolve(false) != Plain || JSON.Resolve(true) != JSON {
		t.Error("Resolve")
	}
}

// terminal is a fake terminal: it interprets the sequences the tty
// renderer writes (\r, \n, ESC[nA, ESC[K, colours) into a screen of lines,
// and fails on any other escape sequence.
type terminal struct {
	t      *testing.T
	screen []string
	row    int
	col    int
	frames int // how many times the cursor went up: one per redraw
}

func (term *terminal) Write(p []byte) (int, error) {
	s := string(p)
	for len(s) > 0 {
		switch {
		case s[0] == '\r':
			term.col = 0
			s = s[1:]
		case s[0] == '\n':
			term.row++
			term.col = 0
			s = s[1:]
		case s[0] == '\x1b':
			end := strings.IndexAny(s, "ABCDHJKm")
			if end < 0 || s[1] != '[' {
				term.t.Fatalf("unknown escape sequence %q", s)
			}
			arg, cmd := s[2:end], s[end]
			s = s[end+1:]
			switch cmd {
			case 'A':
				n, err := strconv.Atoi(arg)
				if err != nil || n > term.row {
					term.t.Fatalf("cursor up %q from row %d", arg, term.row)
				}
				term.row -= n
				term.frames++
			case 'K':
				term.line()
				r := []rune(term.screen[term.row])
				term.screen[term.row] = string(r[:min(term.col, len(r))])
			case 'm':
			default:
				term.t.Fatalf("unexpected escape sequence ESC[%s%c", arg, cmd)
			}
		default:
			r := []rune(s)
			c := r[0]
			s = string(r[1:])
			term.line()
			line := []rune(term.screen[term.row])
			for len(line) < term.col {
				line = append(line, ' ')
			}
			if term.col < len(line) {
				line[term.col] = c
			} else {
				line = append(line, c)
			}
			term.screen[term.row] = string(line)
			term.col++
		}
	}
	return len(p), nil
}

func (term *terminal) line() {
	for len(term.screen) <= term.row {
		term.screen = append(term.screen, "")
	}
}

func TestTTYRedrawsInPlace(t *testing.T) {
	term := &terminal{t: t}
	clock := newClock()
	r := New(TTY, term, Options{Now: clock.now, Width: 72})
	for i, e := range events {
		r.Event(e)
		// After each event the screen holds one line per resource seen so
		// far, and the cursor is below the last one.
		seen := map[string]bool{}
		for _, e := range events[:i+1] {
			seen[e.Resource] = true
		}
		if len(term.screen) != len(seen) || term.row != len(seen) {
			t.Fatalf("after event %d: %d screen lines, cursor on row %d, want %d:\n%s", i+1, len(term.screen), term.row, len(seen), strings.Join(term.screen, "\n"))
		}
	}
	r.Close()
	if term.frames != len(events) { // every event after the first and Close redraw
		t.Errorf("%d redraws, want %d", term.frames, len(events))
	}
	want := []string{
		" ✔ network:shop_default  Created      0.0s",
		" ✔ container:shop-db-1   Started      0.5s",
		" ✔ container:shop-old-1  Removed      1.2s",
		" ✔ container:shop-web-1  Started      3.1s",
		" ✔ service:db            Healthy      2.5s",
		" ✘ container:shop-bad-1  Error        0.0s  starting container shop-ba…",
	}
	if got := term.screen; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("final frame:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, l := range term.screen {
		if n := len([]rune(l)); n > 71 {
			t.Errorf("line of %d columns on a 72-column terminal: %q", n, l)
		}
	}
}

// The exact bytes of two frames: the first draws, the second goes back up
// over the first and redraws every line, each cleared to its end.
func TestTTYRedrawSequence(t *testing.T) {
	var buf bytes.Buffer
	r := New(TTY, &buf, Options{Now: newClock().now})
	r.Event(apply.Event{Resource: "network:n", Status: "Created", Elapsed: time.Second})
	first := buf.String()
	r.Event(apply.Event{Resource: "container:c", Status: "Creating"})
	second := buf.String()[len(first):]
	if want := " ✔ network:n  Created      1.0s\x1b[K\n"; first != want {
		t.Errorf("first frame %q, want %q", first, want)
	}
	want := "\r\x1b[1A" +
		" ✔ network:n    Created      1.0s\x1b[K\n" +
		" … container:c  Creating     0.1s\x1b[K\n"
	if second != want {
		t.Errorf("second frame %q, want %q", second, want)
	}
}

func TestTTYInProgressShowsRunningTime(t *testing.T) {
	term := &terminal{t: t}
	clock := newClock()
	clock.step = 0
	r := New(TTY, term, Options{Now: clock.now})
	r.Event(apply.Event{Resource: "service:db", Status: "Waiting", Detail: "service_healthy"})
	clock.t = clock.t.Add(4200 * time.Millisecond)
	r.Close()
	if want := " … service:db  Waiting      4.2s  service_healthy"; term.screen[0] != want {
		t.Errorf("waiting line %q, want %q", term.screen[0], want)
	}
}

func TestTTYColour(t *testing.T) {
	var plain, colour bytes.Buffer
	for _, c := range []struct {
		w     *bytes.Buffer
		color bool
	}{{&plain, false}, {&colour, true}} {
		r := New(TTY, c.w, Options{Now: newClock().now, Color: c.color})
		r.Event(apply.Event{Resource: "container:a", Status: "Error", Detail: "boom"})
		r.Close()
	}
	if strings.Contains(plain.String(), "\x1b[3") {
		t.Errorf("colour without Color (NO_COLOR): %q", plain.String())
	}
	if !strings.Contains(colour.String(), red+"✘"+reset) || !strings.Contains(colour.String(), red+"Error"+reset) {
		t.Errorf("no red error mark and status: %q", colour.String())
	}
}

func TestTTYRefreshAdvancesTime(t *testing.T) {
	buf := &lockedBuffer{}
	r := New(TTY, buf, Options{Refresh: 5 * time.Millisecond})
	r.Event(apply.Event{Resource: "service:db", Status: "Waiting"})
	time.Sleep(60 * time.Millisecond)
	r.Close()
	if n := strings.Count(buf.String(), "\x1b[1A"); n < 2 {
		t.Errorf("%d redraws in 60ms with a 5ms refresh", n)
	}
}

// lockedBuffer is written by the refresh goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
