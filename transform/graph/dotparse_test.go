package graph

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// A parser for the DOT language as Graphviz documents it
// (https://graphviz.org/doc/info/lang.html), written independently of the
// renderer so that the tests check DOT's rules rather than the renderer's
// own idea of them. It accepts the whole grammar (strict, graph/digraph,
// attribute statements, ID=ID, subgraphs, ports, HTML strings, comments)
// and records what the tests look at: nodes, edges, clusters, attributes.

type dotGraph struct {
	directed bool
	name     string
	nodes    map[string]map[string]string // id -> attributes
	parent   map[string]string            // node id -> innermost subgraph id ("" at top level)
	subs     map[string]map[string]string // subgraph id -> graph attributes set inside it
	edges    []dotEdge
	order    []string // node ids in order of first appearance
}

type dotEdge struct {
	from, to string
	attrs    map[string]string
}

type dotTok struct {
	kind string // "id" (identifier, numeral, string, html), "kw" (an unquoted keyword), or the punctuation itself
	text string // for "id": the value (strings unquoted, \" unescaped)
	pos  int
}

func dotLex(src string) ([]dotTok, error) {
	if !utf8.ValidString(src) {
		return nil, fmt.Errorf("not UTF-8")
	}
	var toks []dotTok
	i := 0
	lineStart := true
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			i++
			lineStart = true
			continue
		case c == ' ' || c == '\t' || c == '\r':
			i++
			continue
		case c == '#' && lineStart:
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
			continue
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("offset %d: unterminated comment", i)
			}
			i += end + 4
			continue
		}
		lineStart = false
		start := i
		switch {
		case strings.HasPrefix(src[i:], "->") || strings.HasPrefix(src[i:], "--"):
			toks = append(toks, dotTok{kind: src[i : i+2], pos: i})
			i += 2
		case strings.ContainsRune("{}[];,=:", rune(c)):
			toks = append(toks, dotTok{kind: string(c), pos: i})
			i++
		case c == '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(src) {
				if src[i] == '\\' && i+1 < len(src) && src[i+1] == '"' {
					b.WriteByte('"')
					i += 2
					continue
				}
				if src[i] == '\\' && i+1 < len(src) && src[i+1] == '\n' {
					i += 2 // line continuation
					continue
				}
				if src[i] == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(src[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("offset %d: unterminated string", start)
			}
			toks = append(toks, dotTok{kind: "id", text: b.String(), pos: start})
		case c == '<':
			depth := 0
			for i < len(src) {
				if src[i] == '<' {
					depth++
				} else if src[i] == '>' {
					depth--
					if depth == 0 {
						i++
						break
					}
				}
				i++
			}
			if depth != 0 {
				return nil, fmt.Errorf("offset %d: unterminated HTML string", start)
			}
			toks = append(toks, dotTok{kind: "id", text: src[start:i], pos: start})
		case c == '-' || c == '.' || c >= '0' && c <= '9':
			i++
			for i < len(src) && (src[i] == '.' || src[i] >= '0' && src[i] <= '9') {
				i++
			}
			if _, err := strconv.ParseFloat(src[start:i], 64); err != nil {
				return nil, fmt.Errorf("offset %d: bad numeral %q", start, src[start:i])
			}
			toks = append(toks, dotTok{kind: "id", text: src[start:i], pos: start})
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80:
			for i < len(src) {
				d := src[i]
				if d == '_' || d >= 'a' && d <= 'z' || d >= 'A' && d <= 'Z' || d >= '0' && d <= '9' || d >= 0x80 {
					i++
					continue
				}
				break
			}
			kind := "id"
			for _, kw := range dotKeywords {
				if strings.EqualFold(src[start:i], kw) {
					kind = "kw"
				}
			}
			toks = append(toks, dotTok{kind: kind, text: src[start:i], pos: start})
		default:
			return nil, fmt.Errorf("offset %d: unexpected character %q", i, c)
		}
	}
	return toks, nil
}

type dotParser struct {
	toks []dotTok
	i    int
	g    *dotGraph
	anon int
}

func parseDOT(src string) (*dotGraph, error) {
	toks, err := dotLex(src)
	if err != nil {
		return nil, err
	}
	p := &dotParser{toks: toks, g: &dotGraph{
		nodes: map[string]map[string]string{}, parent: map[string]string{}, subs: map[string]map[string]string{"": {}},
	}}
	if err := p.graph(); err != nil {
		return nil, err
	}
	return p.g, nil
}

func (p *dotParser) peek() dotTok {
	if p.i < len(p.toks) {
		return p.toks[p.i]
	}
	return dotTok{kind: "EOF", pos: -1}
}

func (p *dotParser) expect(kind string) (dotTok, error) {
	t := p.peek()
	if t.kind != kind {
		return t, fmt.Errorf("offset %d: want %s, got %s %q", t.pos, kind, t.kind, t.text)
	}
	p.i++
	return t, nil
}

func (p *dotParser) graph() error {
	t := p.peek()
	if p.isKW(t, "strict") {
		p.i++
		t = p.peek()
	}
	switch {
	case p.isKW(t, "digraph"):
		p.g.directed = true
	case p.isKW(t, "graph"):
	default:
		return fmt.Errorf("offset %d: want graph or digraph", t.pos)
	}
	p.i++
	if t := p.peek(); t.kind == "id" {
		p.g.name = t.text
		p.i++
	}
	if _, err := p.expect("{"); err != nil {
		return err
	}
	if err := p.stmtList(""); err != nil {
		return err
	}
	if _, err := p.expect("}"); err != nil {
		return err
	}
	if t := p.peek(); t.kind != "EOF" {
		return fmt.Errorf("offset %d: text after the graph", t.pos)
	}
	return nil
}

// dotKeywords are reserved: unquoted, they are never IDs.
var dotKeywords = []string{"strict", "graph", "digraph", "subgraph", "node", "edge"}

func (p *dotParser) isKW(t dotTok, kw string) bool {
	return t.kind == "kw" && strings.EqualFold(t.text, kw)
}

func (p *dotParser) stmtList(sub string) error {
	for {
		t := p.peek()
		if t.kind == "}" || t.kind == "EOF" {
			return nil
		}
		if err := p.stmt(sub); err != nil {
			return err
		}
		if p.peek().kind == ";" {
			p.i++
		}
	}
}

func (p *dotParser) stmt(sub string) error {
	t := p.peek()
	switch {
	case p.isKW(t, "graph") || p.isKW(t, "node") || p.isKW(t, "edge"):
		p.i++
		attrs, err := p.attrLists(true)
		if err != nil {
			return err
		}
		if p.isKW(t, "graph") {
			for k, v := range attrs {
				p.g.subs[sub][k] = v
			}
		}
		return nil
	case t.kind == "id" && p.i+1 < len(p.toks) && p.toks[p.i+1].kind == "=":
		p.i += 2
		v, err := p.expect("id")
		if err != nil {
			return err
		}
		if p.g.subs[sub] == nil {
			p.g.subs[sub] = map[string]string{}
		}
		p.g.subs[sub][t.text] = v.text
		return nil
	}
	// node statement or edge statement
	isSub := p.isKW(t, "subgraph") || t.kind == "{"
	first, err := p.endpoint(sub)
	if err != nil {
		return err
	}
	if k := p.peek().kind; k == "->" || k == "--" {
		ends := [][]string{first}
		for {
			op := p.peek()
			if op.kind != "->" && op.kind != "--" {
				break
			}
			if (op.kind == "->") != p.g.directed {
				return fmt.Errorf("offset %d: edge operator %s in a %s", op.pos, op.kind, map[bool]string{true: "digraph", false: "graph"}[p.g.directed])
			}
			p.i++
			next, err := p.endpoint(sub)
			if err != nil {
				return err
			}
			ends = append(ends, next)
		}
		attrs, err := p.attrLists(false)
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(ends); i++ {
			for _, a := range ends[i] {
				for _, b := range ends[i+1] {
					p.g.edges = append(p.g.edges, dotEdge{from: a, to: b, attrs: attrs})
				}
			}
		}
		return nil
	}
	if !isSub {
		attrs, err := p.attrLists(false)
		if err != nil {
			return err
		}
		for k, v := range attrs {
			p.g.nodes[first[0]][k] = v
		}
	}
	return nil
}

// endpoint reads node_id [port] or a subgraph and returns the nodes it
// stands for.
func (p *dotParser) endpoint(sub string) ([]string, error) {
	t := p.peek()
	if p.isKW(t, "subgraph") || t.kind == "{" {
		return p.subgraph(sub)
	}
	id, err := p.expect("id")
	if err != nil {
		return nil, err
	}
	if p.peek().kind == ":" { // port
		p.i++
		if _, err := p.expect("id"); err != nil {
			return nil, err
		}
		if p.peek().kind == ":" {
			p.i++
			if _, err := p.expect("id"); err != nil {
				return nil, err
			}
		}
	}
	p.declare(id.text, sub)
	return []string{id.text}, nil
}

func (p *dotParser) declare(id, sub string) {
	if _, ok := p.g.nodes[id]; !ok {
		p.g.nodes[id] = map[string]string{}
		p.g.parent[id] = sub
		p.g.order = append(p.g.order, id)
	}
}

func (p *dotParser) subgraph(parent string) ([]string, error) {
	name := ""
	if p.isKW(p.peek(), "subgraph") {
		p.i++
		if t := p.peek(); t.kind == "id" {
			name = t.text
			p.i++
		}
	}
	if name == "" {
		p.anon++
		name = fmt.Sprintf("\x00anon%d", p.anon)
	}
	if p.g.subs[name] == nil {
		p.g.subs[name] = map[string]string{}
	}
	if _, err := p.expect("{"); err != nil {
		return nil, err
	}
	before := len(p.g.order)
	if err := p.stmtList(name); err != nil {
		return nil, err
	}
	if _, err := p.expect("}"); err != nil {
		return nil, err
	}
	return append([]string(nil), p.g.order[before:]...), nil
}

// attrLists reads zero or more [a=b, c=d] lists (at least one when must).
func (p *dotParser) attrLists(must bool) (map[string]string, error) {
	attrs := map[string]string{}
	if must && p.peek().kind != "[" {
		return nil, fmt.Errorf("offset %d: want [", p.peek().pos)
	}
	for p.peek().kind == "[" {
		p.i++
		for p.peek().kind != "]" {
			k, err := p.expect("id")
			if err != nil {
				return nil, err
			}
			if _, err := p.expect("="); err != nil {
				return nil, err
			}
			v, err := p.expect("id")
			if err != nil {
				return nil, err
			}
			attrs[k.text] = v.text
			if t := p.peek(); t.kind == "," || t.kind == ";" {
				p.i++
			}
		}
		p.i++
	}
	return attrs, nil
}
