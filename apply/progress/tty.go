package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/berth-compose/berth/apply"
)

// ANSI sequences the tty renderer uses: nothing beyond cursor up, clear to
// end of line and (optionally) colour, which every terminal understands.
const (
	clearLine = "\x1b[K"
	green     = "\x1b[32m"
	red       = "\x1b[31m"
	yellow    = "\x1b[33m"
	reset     = "\x1b[0m"
)

func cursorUp(n int) string { return fmt.Sprintf("\x1b[%dA", n) }

// ttyRenderer keeps one line per resource, in the order resources first
// appear, and redraws all of them in place on each event (and every
// Refresh, so that elapsed times advance while a step waits).
type ttyRenderer struct {
	mu     sync.Mutex
	w      io.Writer
	opts   Options
	lines  []*ttyLine
	index  map[string]*ttyLine
	drawn  int // lines on screen from the previous frame
	closed bool

	stop chan struct{}
	done chan struct{}
}

type ttyLine struct {
	resource string
	status   string
	detail   string
	began    time.Time     // first event
	elapsed  time.Duration // as of the last event that ended the work
}

func newTTY(w io.Writer, opts Options) *ttyRenderer {
	if opts.Width <= 0 {
		opts.Width = 80
	}
	r := &ttyRenderer{w: w, opts: opts, index: map[string]*ttyLine{}}
	if opts.Refresh > 0 {
		r.stop, r.done = make(chan struct{}), make(chan struct{})
		go r.refresh()
	}
	return r
}

func (r *ttyRenderer) refresh() {
	defer close(r.done)
	t := time.NewTicker(r.opts.Refresh)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			if r.drawn > 0 {
				r.draw()
			}
			r.mu.Unlock()
		}
	}
}

func (r *ttyRenderer) Event(e apply.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.opts.Now()
	l, ok := r.index[e.Resource]
	if !ok {
		l = &ttyLine{resource: e.Resource, began: now}
		r.index[e.Resource] = l
		r.lines = append(r.lines, l)
	}
	l.status, l.detail = e.Status, oneLine(e.Detail)
	if !inProgress(e.Status) {
		l.elapsed = e.Elapsed
		if l.elapsed <= 0 {
			l.elapsed = now.Sub(l.began)
		}
	}
	r.draw()
}

func (r *ttyRenderer) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	r.mu.Unlock()
	if r.stop != nil {
		close(r.stop)
		<-r.done
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) > 0 {
		r.draw()
	}
}

// draw writes one frame: back to the first line of the previous frame, then
// every line, each cleared to its end.
func (r *ttyRenderer) draw() {
	var b strings.Builder
	if r.drawn > 0 {
		b.WriteString("\r")
		b.WriteString(cursorUp(r.drawn))
	}
	width := 0
	for _, l := range r.lines {
		width = max(width, len(l.resource))
	}
	now := r.opts.Now()
	for _, l := range r.lines {
		b.WriteString(r.format(l, width, now))
		b.WriteString(clearLine)
		b.WriteByte('\n')
	}
	r.drawn = len(r.lines)
	_, _ = io.WriteString(r.w, b.String())
}

// format is one line: mark, resource, status, elapsed time, detail; cut to
// the terminal width so that no line wraps (a wrapped line would break the
// cursor-up count of the next frame).
func (r *ttyRenderer) format(l *ttyLine, width int, now time.Time) string {
	mark, colour := "✔", green
	elapsed := l.elapsed
	switch {
	case isError(l.status):
		mark, colour = "✘", red
	case inProgress(l.status):
		mark, colour = "…", yellow
		elapsed = now.Sub(l.began)
	}
	text := fmt.Sprintf(" %s %-*s  %-10s %5.1fs", mark, width, l.resource, l.status, elapsed.Seconds())
	if l.detail != "" {
		text += "  " + l.detail
	}
	text = cut(text, r.opts.Width-1)
	if !r.opts.Color {
		return text
	}
	// Colour only the mark and the status, after cutting (escape codes
	// take no columns).
	text = strings.Replace(text, mark, colour+mark+reset, 1)
	if i := strings.Index(text, "  "+l.status); i >= 0 && (isError(l.status) || inProgress(l.status)) {
		i += 2
		text = text[:i] + colour + l.status + reset + text[i+len(l.status):]
	}
	return text
}

// cut shortens s to n columns (one rune, one column), ending in "…".
func cut(s string, n int) string {
	if n <= 0 || utf8.RuneCountInString(s) <= n {
		return s
	}
	runes := []rune(s)
	return string(runes[:n-1]) + "…"
}
