package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/berth-compose/berth/lint"
)

// ANSI styles of the text format.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiRed   = "\x1b[1;31m"
	ansiYel   = "\x1b[1;33m"
	ansiCyan  = "\x1b[1;36m"
)

type painter bool

func (p painter) paint(style, s string) string {
	if !p || s == "" {
		return s
	}
	return style + s + ansiReset
}

func severityStyle(s lint.Severity) string {
	switch s {
	case lint.Error:
		return ansiRed
	case lint.Warning:
		return ansiYel
	}
	return ansiCyan
}

// writeText prints each unsuppressed diagnostic compiler style, then the
// source lines of its range with carets under it, then a summary:
//
//	compose.yaml:12:17: error BR301 privileged: service "web" runs privileged
//	  12 |     privileged: true
//	     |                 ^^^^
//
//	1 problem (1 error, 0 warnings, 0 infos)
//
// Carets are counted in characters, and the padding before them copies the
// line's tabs, so they stay under the range whatever the tab width and
// whatever multi-byte text comes before the column.
func writeText(w io.Writer, diags []lint.Diagnostic, o Options) error {
	bw := bufio.NewWriter(w)
	p := painter(o.Color)
	srcs := newSources(o.Sources)
	for _, d := range diags {
		if d.Suppressed {
			continue
		}
		code, name := "", ""
		if d.Rule != nil {
			code, name = d.Rule.Code, d.Rule.Name
		}
		fmt.Fprintf(bw, "%s %s %s: %s\n",
			p.paint(ansiBold, d.Pos.String()+":"),
			p.paint(severityStyle(d.Severity), d.Severity.String()),
			p.paint(ansiBold, code+" "+name), d.Message)
		writeSnippet(bw, p, srcs, d)
	}
	if c := Count(diags); c.Problems > 0 {
		fmt.Fprintf(bw, "\n%s (%s, %s, %s)\n", plural(c.Problems, "problem"),
			plural(c.Errors, "error"), plural(c.Warnings, "warning"), plural(c.Infos, "info"))
	}
	return bw.Flush()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return strconv.Itoa(n) + " " + word + "s"
}

// snippetLine is one source line shown with carets from column from to
// column to (1-based characters, to exclusive).
type snippetLine struct {
	n        int
	text     string
	from, to int
}

// snippet clamps d's range to the text of its file and returns the lines to
// show: the range's line, or its first and last lines when it spans several.
// A range may start at the newline (column = length + 1) or past the last
// line (end of file); both get one caret right after the text.
func snippet(lines []string, pos lint.Diagnostic) []snippetLine {
	p := pos.Pos
	sl, sc := max(p.Line, 1), max(p.Column, 1)
	el, ec := p.EndLine, p.EndColumn
	text := func(n int) string {
		if n >= 1 && n <= len(lines) {
			return lines[n-1]
		}
		return ""
	}
	if sl > len(lines)+1 {
		sl, sc = len(lines)+1, 1 // past the end of the file: where the next line would start
	}
	if el > sl && ec <= 1 {
		el-- // a range ending at the start of a line ends with the line before
		ec = utf8.RuneCountInString(text(el)) + 1
	}
	if el > len(lines) {
		el = max(len(lines), sl)
		ec = utf8.RuneCountInString(text(el)) + 1
	}
	first := text(sl)
	n := utf8.RuneCountInString(first)
	sc = min(sc, n+1)
	if el <= sl {
		to := min(ec, n+1)
		if el < sl || to <= sc {
			to = sc + 1
		}
		return []snippetLine{{sl, first, sc, to}}
	}
	out := []snippetLine{{sl, first, sc, max(n+1, sc+1)}}
	last := text(el)
	m := utf8.RuneCountInString(last)
	from := utf8.RuneCountInString(last[:len(last)-len(strings.TrimLeft(last, " \t"))]) + 1
	to := min(ec, m+1)
	if from >= to {
		from, to = 1, max(to, 2)
	}
	return append(out, snippetLine{el, last, from, to})
}

func writeSnippet(w io.Writer, p painter, srcs *sources, d lint.Diagnostic) {
	lines, ok := srcs.file(d.Pos.File)
	if !ok || d.Pos.Line < 1 {
		return
	}
	shown := snippet(lines, d)
	width := len(strconv.Itoa(shown[len(shown)-1].n))
	gutter := func(label string) string {
		return p.paint(ansiDim, fmt.Sprintf("  %*s |", width, label))
	}
	style := severityStyle(d.Severity)
	for i, l := range shown {
		if i > 0 && l.n > shown[i-1].n+1 {
			fmt.Fprintf(w, "%s ...\n", gutter(""))
		}
		if l.text == "" {
			fmt.Fprintf(w, "%s\n", gutter(strconv.Itoa(l.n)))
		} else {
			fmt.Fprintf(w, "%s %s\n", gutter(strconv.Itoa(l.n)), l.text)
		}
		fmt.Fprintf(w, "%s %s%s\n", gutter(""), padding(l.text, l.from), p.paint(style, strings.Repeat("^", l.to-l.from)))
	}
}

// padding is the whitespace that moves a caret under column col of text:
// a tab for each tab before it, a space for every other character.
func padding(text string, col int) string {
	var b strings.Builder
	i := 1
	for _, r := range text {
		if i >= col {
			break
		}
		if r == '\t' {
			b.WriteByte('\t')
		} else {
			b.WriteByte(' ')
		}
		i++
	}
	for ; i < col; i++ {
		b.WriteByte(' ')
	}
	return b.String()
}
