package graph

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// A checker for the Mermaid flowchart statements berth emits, written from
// Mermaid's flowchart syntax documentation
// (https://mermaid.js.org/syntax/flowchart.html) rather than from the
// renderer: node ids are plain words that are not keywords, labels are
// double-quoted text with no quote or line break inside, "#" only starts an
// entity code (#35; or #quot;), "<" only starts a <br/>, every subgraph is
// closed by "end", edges join declared nodes or subgraphs, and no node is
// declared twice. It decodes the labels (entities, <br/>) so that tests can
// compare them with the names they came from.

type mmdGraph struct {
	nodes     map[string]mmdNode // id -> node
	subgraphs map[string]string  // id -> decoded title
	edges     []mmdEdge          // in order
	classes   map[string]string  // node id -> class
	inside    map[string]string  // node id -> subgraph id ("" at top level)
	order     []string           // node ids in declaration order
}

type mmdNode struct {
	shape string // "rect" or "cylinder"
	label string // decoded
}

type mmdEdge struct {
	from, arrow, label, to string
}

var (
	mmdID       = `([A-Za-z0-9_]+)`
	mmdText     = `"([^"\n]*)"`
	mmdHeader   = regexp.MustCompile(`^flowchart (LR|RL|TB|TD|BT)$`)
	mmdSubgraph = regexp.MustCompile(`^subgraph ` + mmdID + `\[` + mmdText + `\]$`)
	mmdRect     = regexp.MustCompile(`^` + mmdID + `\[` + mmdText + `\]$`)
	mmdCylinder = regexp.MustCompile(`^` + mmdID + `\[\(` + mmdText + `\)\]$`)
	mmdEdgeRE   = regexp.MustCompile(`^` + mmdID + ` (-->|-\.->|---|-\.-)(?:\|` + mmdText + `\|)? ` + mmdID + `$`)
	mmdClass    = regexp.MustCompile(`^class ` + mmdID + ` ([A-Za-z][A-Za-z0-9_]*)$`)
	mmdClassDef = regexp.MustCompile(`^classDef ([A-Za-z][A-Za-z0-9_]*) [^\n;]+$`)
	mmdEntity   = regexp.MustCompile(`^#([0-9]+|[a-z]+);`)
)

// Words that Mermaid's flowchart lexer treats specially where a node id is
// expected.
var mmdKeywords = map[string]bool{
	"end": true, "subgraph": true, "graph": true, "flowchart": true, "class": true, "classDef": true,
	"click": true, "style": true, "linkStyle": true, "direction": true, "default": true, "call": true,
	"href": true, "interpolate": true, "accTitle": true, "accDescr": true,
}

func parseMermaid(src string) (*mmdGraph, error) {
	g := &mmdGraph{nodes: map[string]mmdNode{}, subgraphs: map[string]string{}, classes: map[string]string{}, inside: map[string]string{}}
	var stack []string
	header := false
	checkID := func(n int, id string) error {
		if mmdKeywords[id] || mmdKeywords[strings.ToLower(id)] {
			return fmt.Errorf("line %d: id %q is a keyword", n, id)
		}
		if strings.HasPrefix(id, "o") || strings.HasPrefix(id, "x") {
			return fmt.Errorf("line %d: id %q would read as a circle/cross arrow end after --", n, id)
		}
		return nil
	}
	for i, line := range strings.Split(strings.TrimSuffix(src, "\n"), "\n") {
		n := i + 1
		line = strings.TrimLeft(line, " ")
		if strings.HasPrefix(line, "%%") {
			continue
		}
		if !header {
			if !mmdHeader.MatchString(line) {
				return nil, fmt.Errorf("line %d: want a flowchart header, got %q", n, line)
			}
			header = true
			continue
		}
		cur := ""
		if len(stack) > 0 {
			cur = stack[len(stack)-1]
		}
		declare := func(id, shape, text string) error {
			if err := checkID(n, id); err != nil {
				return err
			}
			if _, dup := g.nodes[id]; dup {
				return fmt.Errorf("line %d: node %s declared twice", n, id)
			}
			if _, dup := g.subgraphs[id]; dup {
				return fmt.Errorf("line %d: node %s has the id of a subgraph", n, id)
			}
			label, err := mmdDecode(text)
			if err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			g.nodes[id] = mmdNode{shape: shape, label: label}
			g.inside[id] = cur
			g.order = append(g.order, id)
			return nil
		}
		switch {
		case line == "end":
			if len(stack) == 0 {
				return nil, fmt.Errorf("line %d: end without subgraph", n)
			}
			stack = stack[:len(stack)-1]
		case mmdSubgraph.MatchString(line):
			m := mmdSubgraph.FindStringSubmatch(line)
			if err := checkID(n, m[1]); err != nil {
				return nil, err
			}
			if _, dup := g.subgraphs[m[1]]; dup {
				return nil, fmt.Errorf("line %d: subgraph %s declared twice", n, m[1])
			}
			title, err := mmdDecode(m[2])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			g.subgraphs[m[1]] = title
			stack = append(stack, m[1])
		case mmdCylinder.MatchString(line):
			m := mmdCylinder.FindStringSubmatch(line)
			if err := declare(m[1], "cylinder", m[2]); err != nil {
				return nil, err
			}
		case mmdRect.MatchString(line):
			m := mmdRect.FindStringSubmatch(line)
			if err := declare(m[1], "rect", m[2]); err != nil {
				return nil, err
			}
		case mmdEdgeRE.MatchString(line):
			m := mmdEdgeRE.FindStringSubmatch(line)
			for _, id := range []string{m[1], m[4]} {
				_, isNode := g.nodes[id]
				_, isSub := g.subgraphs[id]
				if !isNode && !isSub {
					return nil, fmt.Errorf("line %d: edge to undeclared %s (Mermaid would invent a node)", n, id)
				}
			}
			label, err := mmdDecode(m[3])
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", n, err)
			}
			g.edges = append(g.edges, mmdEdge{from: m[1], arrow: m[2], label: label, to: m[4]})
		case mmdClass.MatchString(line):
			m := mmdClass.FindStringSubmatch(line)
			if _, ok := g.nodes[m[1]]; !ok {
				return nil, fmt.Errorf("line %d: class for undeclared %s", n, m[1])
			}
			g.classes[m[1]] = m[2]
		case mmdClassDef.MatchString(line):
		default:
			return nil, fmt.Errorf("line %d: not a flowchart statement: %q", n, line)
		}
	}
	if !header {
		return nil, fmt.Errorf("no flowchart header")
	}
	if len(stack) > 0 {
		return nil, fmt.Errorf("subgraph %s not closed", stack[len(stack)-1])
	}
	return g, nil
}

// mmdDecode turns a quoted label's text into what Mermaid displays.
func mmdDecode(s string) (string, error) {
	var b strings.Builder
	for i := 0; i < len(s); {
		switch s[i] {
		case '#':
			m := mmdEntity.FindStringSubmatch(s[i:])
			if m == nil {
				return "", fmt.Errorf("%q: # that does not start an entity code", s)
			}
			if v, err := strconv.Atoi(m[1]); err == nil {
				b.WriteRune(rune(v))
			} else {
				named := map[string]string{"quot": `"`, "amp": "&", "lt": "<", "gt": ">", "nbsp": "\u00a0"}
				r, ok := named[m[1]]
				if !ok {
					return "", fmt.Errorf("%q: unknown entity #%s;", s, m[1])
				}
				b.WriteString(r)
			}
			i += len(m[0])
		case '<':
			if !strings.HasPrefix(s[i:], "<br/>") {
				return "", fmt.Errorf("%q: < that is not <br/> (Mermaid reads it as HTML)", s)
			}
			b.WriteByte('\n')
			i += len("<br/>")
		case '>', '&', '`', '|':
			return "", fmt.Errorf("%q: raw %q in a label", s, s[i])
		default:
			b.WriteByte(s[i])
			i++
		}
	}
	return b.String(), nil
}
