package graph

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
)

// Format is an output language.
type Format string

const (
	FormatMermaid Format = "mermaid"
	FormatDOT     Format = "dot"
)

// ParseFormat reads a --format value; empty means Mermaid.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "", "mermaid":
		return FormatMermaid, nil
	case "dot":
		return FormatDOT, nil
	}
	return "", fmt.Errorf("unknown format %q (want mermaid or dot)", s)
}

// Render writes g in format f.
func Render(w io.Writer, g *Graph, f Format) error {
	if f == FormatDOT {
		return DOT(w, g)
	}
	return Mermaid(w, g)
}

// Node identifiers: a kind prefix and the name in an injective ASCII
// encoding (letters and digits kept, every other byte as _XX in hex), so two
// names never share an identifier and no name can form a keyword ("end",
// "subgraph", "node") or the start of an arrow ("o", "x" after "--").
func serviceID(name string) string { return "s_" + encodeName(name) }
func networkID(name string) string { return "n_" + encodeName(name) }
func volumeID(name string) string  { return "v_" + encodeName(name) }

func encodeName(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "_%02x", c)
		}
	}
	return b.String()
}

// serviceLines is the text of a service box, one entry per line.
func serviceLines(s Service) []string {
	if s.Missing {
		return []string{s.Name, "(not in the loaded project)"}
	}
	lines := []string{s.Name}
	if s.Image != "" {
		lines = append(lines, s.Image)
	}
	if s.NetworkMode != "" {
		lines = append(lines, "network_mode: "+s.NetworkMode)
	}
	for _, p := range s.Ports {
		lines = append(lines, "port "+p)
	}
	return append(lines, s.Mounts...)
}

// Mermaid writes g as a Mermaid flowchart.
func Mermaid(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("%%%% berth graph of project %s\n", oneLine(g.Project))
	p("flowchart LR\n")
	node := func(indent string, s Service) {
		var label []string
		for _, l := range serviceLines(s) {
			label = append(label, mermaidText(l))
		}
		p("%s%s[\"%s\"]\n", indent, serviceID(s.Name), strings.Join(label, "<br/>"))
		if s.Missing {
			p("%sclass %s missing\n", indent, serviceID(s.Name))
		}
	}
	byName := map[string]Service{}
	for _, s := range g.Services {
		byName[s.Name] = s
	}
	for _, n := range g.Networks {
		p("  subgraph %s[\"%s\"]\n", networkID(n.Name), mermaidText(n.Label()))
		for _, m := range n.Members {
			node("    ", byName[m])
		}
		p("  end\n")
	}
	for _, s := range g.Services {
		if !s.Grouped() {
			node("  ", s)
		}
	}
	for _, v := range g.Volumes {
		p("  %s[(\"%s\")]\n", volumeID(v.Name), mermaidText(v.Label()))
	}
	for _, s := range g.Services {
		for _, d := range s.DependsOn {
			arrow := "-->"
			if !d.Required {
				arrow = "-.->"
			}
			p("  %s %s|\"%s\"| %s\n", serviceID(s.Name), arrow, mermaidText(d.Label()), serviceID(d.Service))
		}
	}
	for _, s := range g.Services {
		for _, n := range s.OtherNetworks() {
			p("  %s -.- %s\n", serviceID(s.Name), networkID(n))
		}
	}
	for _, s := range g.Services {
		for _, m := range s.Volumes {
			p("  %s ---|\"%s\"| %s\n", serviceID(s.Name), mermaidText(m.Label()), volumeID(m.Volume))
		}
	}
	for _, s := range g.Services {
		if s.Missing {
			p("  classDef missing stroke-dasharray: 5 5\n")
			break
		}
	}
	return bw.Flush()
}

// mermaidText escapes s for a double-quoted Mermaid label. Mermaid has no
// backslash escapes; it decodes "#NNN;" to the character NNN. Encoded are:
// the quote that would end the label, "#" so that a name cannot spell an
// entity, "<", ">" and "&" that Mermaid would read as HTML, "`" that starts
// a markdown label, "|" that delimits edge labels, control characters and
// line separators (a raw newline ends the statement), and U+FB02 and U+00B6,
// the placeholder characters Mermaid itself uses while decoding entities.
// Bytes that are not UTF-8 become U+FFFD.
func mermaidText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"' || r == '#' || r == '<' || r == '>' || r == '&' || r == '`' || r == '|' ||
			r == '\uFB02' || r == '\u00B6' || r == '\u2028' || r == '\u2029' || unicode.IsControl(r):
			b.WriteString("#" + strconv.Itoa(int(r)) + ";")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// oneLine keeps the project name in a comment on the comment's line.
func oneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return '\uFFFD'
		}
		return r
	}, s)
}

// DOT writes g as a Graphviz digraph. Networks are clusters; each holds an
// invisible anchor node so that the dotted line from a service on a second
// network can end at the cluster's border (compound=true, lhead) even when
// no service has that network as its primary one.
func DOT(w io.Writer, g *Graph) error {
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }
	p("// berth graph of project %s\n", oneLine(g.Project))
	p("digraph %s {\n", dotString(g.Project))
	p("  rankdir=LR;\n  compound=true;\n  node [shape=box];\n")
	node := func(indent string, s Service) {
		attrs := "label=" + dotString(strings.Join(serviceLines(s), "\n"))
		if s.Missing {
			attrs += ", style=dashed"
		}
		p("%s%s [%s];\n", indent, dotString(serviceID(s.Name)), attrs)
	}
	byName := map[string]Service{}
	for _, s := range g.Services {
		byName[s.Name] = s
	}
	for _, n := range g.Networks {
		p("  subgraph %s {\n", dotString("cluster_"+networkID(n.Name)))
		p("    label=%s;\n    style=rounded;\n", dotString(n.Label()))
		p("    %s [shape=point, style=invis, width=0, height=0, label=\"\"];\n", dotString(networkID(n.Name)))
		for _, m := range n.Members {
			node("    ", byName[m])
		}
		p("  }\n")
	}
	for _, s := range g.Services {
		if !s.Grouped() {
			node("  ", s)
		}
	}
	for _, v := range g.Volumes {
		p("  %s [shape=cylinder, label=%s];\n", dotString(volumeID(v.Name)), dotString(v.Label()))
	}
	for _, s := range g.Services {
		for _, d := range s.DependsOn {
			style := ""
			if !d.Required {
				style = ", style=dashed"
			}
			p("  %s -> %s [label=%s%s];\n", dotString(serviceID(s.Name)), dotString(serviceID(d.Service)), dotString(d.Label()), style)
		}
	}
	for _, s := range g.Services {
		for _, n := range s.OtherNetworks() {
			p("  %s -> %s [lhead=%s, style=dotted, arrowhead=none];\n",
				dotString(serviceID(s.Name)), dotString(networkID(n)), dotString("cluster_"+networkID(n)))
		}
	}
	for _, s := range g.Services {
		for _, m := range s.Volumes {
			p("  %s -> %s [label=%s, arrowhead=none];\n", dotString(serviceID(s.Name)), dotString(volumeID(m.Volume)), dotString(m.Label()))
		}
	}
	p("}\n")
	return bw.Flush()
}

// dotString quotes s as a DOT string. Inside quotes DOT knows one escape,
// \", and a backslash right before the closing quote escapes it, so no
// backslash may end up in front of a quote. Graphviz then decodes a label
// in two steps: HTML entities first, then the backslash escapes (\n, \l,
// \N, \\ ...). So a quote is written &#34;, "&" is &#38;, a backslash is
// &#92;&#92; (the entities give \\, which the second step reads as one
// backslash), a newline is the line break \n, other C0 controls and DEL are
// their control pictures (a tab shows as U+2409) and the remaining control
// characters are entities. Bytes that are not UTF-8 become U+FFFD (DOT input is UTF-8).
func dotString(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteString(`\n`)
		case r < 0x20 || r == 0x7f:
			// Graphviz turns the entity for DEL into invalid UTF-8, so C0
			// controls and DEL are shown as their Unicode control pictures.
			b.WriteRune(controlPicture(r))
		case r == '"' || r == '&' || unicode.IsControl(r) || r == '\u2028' || r == '\u2029':
			b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		case r == '\\':
			b.WriteString("&#92;&#92;")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// controlPicture is the visible symbol Unicode has for a C0 control
// character or DEL.
func controlPicture(r rune) rune {
	if r == 0x7f {
		return '\u2421'
	}
	return 0x2400 + r
}
