package rules

import (
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/canon"
	"github.com/berth-compose/berth/load"
)

// UnquotedPort: BR404.
var UnquotedPort = &lint.Rule{
	Code:  "BR404",
	Name:  "unquoted-port",
	Title: "a port mapping with a colon is not quoted",
	Text: "YAML 1.1, which PyYAML (docker-compose v1), Ansible and many editors and linters still " +
		"implement, reads an unquoted `xx:yy` whose parts are numbers below 60 as a base-60 integer: " +
		"`- 22:22` becomes the port 1342. Compose v2 reads YAML 1.2 and gets a string, so the same file " +
		"means different things to different tools. The Compose documentation quotes every mapping for " +
		"this reason.\n\n" +
		"Quote port mappings that contain a colon: `- \"8080:80\"`. The fix adds double quotes (the value " +
		"is unchanged, so is `berth config`). Mappings written with a variable (`${PORT}:80`) are left " +
		"alone: they cannot be misread, and dclint's `require-quotes-in-ports` is turned off by teams " +
		"because it flags them. `expose` values have no colon and are not checked.",
	Bad: `services:
  ssh:
    image: example/sshd:1.0
    ports:
      - 2222:22
`,
	Good: `services:
  ssh:
    image: example/sshd:1.0
    ports:
      - "2222:22"
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  true,
	Fixable:  true,
	Run: func(p *lint.Pass) {
		for _, f := range p.Project.Files {
			ix := canon.NewIndex(f.Src)
			styleScalars(f, func(path []any, n *yaml.Node) {
				if len(path) != 4 || path[0] != "services" || path[2] != "ports" {
					return
				}
				if n.Style != 0 || !strings.Contains(n.Value, ":") || strings.Contains(n.Value, "$") {
					return
				}
				start := ix.Offset(n.Line, n.Column)
				end := start + len(n.Value)
				if end > len(f.Src) || string(f.Src[start:end]) != n.Value {
					return // written over several lines: leave it
				}
				fix := lint.Fix{Message: "quote the port mapping", Edits: []lint.Edit{{File: f.Name, Start: start, End: end, New: `"` + n.Value + `"`}}}
				if base60(n.Value) {
					p.ReportFixf(load.PathOf(path...), fix, "port mapping %s is not quoted: YAML 1.1 tools read it as the number %d", n.Value, base60Value(n.Value))
					return
				}
				p.ReportFixf(load.PathOf(path...), fix, "port mapping %s is not quoted; quote it so that every YAML reader sees a string", n.Value)
			})
		}
	},
}

// base60 reports a YAML 1.1 sexagesimal integer: digits, then groups of
// ":" and one or two digits below 60.
func base60(s string) bool {
	parts := strings.Split(s, ":")
	if len(parts) < 2 || parts[0] == "" || parts[0][0] == '0' {
		return false
	}
	for i, part := range parts {
		if part == "" || strings.Trim(part, "0123456789") != "" {
			return false
		}
		if i > 0 && (len(part) > 2 || part[0] >= '6' && len(part) == 2) {
			return false
		}
	}
	return true
}

func base60Value(s string) int {
	v := 0
	for _, part := range strings.Split(s, ":") {
		d := 0
		for _, c := range part {
			d = d*10 + int(c-'0')
		}
		v = v*60 + d
	}
	return v
}

// InconsistentQuotes: BR405.
var InconsistentQuotes = &lint.Rule{
	Code:  "BR405",
	Name:  "inconsistent-quotes",
	Title: "a file mixes single and double quotes",
	Text: "One quoting style per file reads better and keeps diffs free of quote churn. The style of a " +
		"file is the one most of its quoted values use (double quotes on a tie); values in the other " +
		"style are reported and the fix switches their quotes. Only values that read the same in both " +
		"styles count (no quote characters, backslashes or control characters): a value like `\"it's\"` " +
		"chose its quotes for a reason. `berth config` is unchanged by the fix.\n\n" +
		"Off by default: quoting is taste, and many files quote on purpose in one style for shell " +
		"snippets and the other for plain values. dclint's `require-quotes-in-ports` has a `quoteType` " +
		"option for the same concern, limited to ports.",
	Bad: `services:
  web:
    image: "nginx:1.27"
    ports:
      - "8080:80"
    environment:
      MODE: 'production'
`,
	Good: `services:
  web:
    image: "nginx:1.27"
    ports:
      - "8080:80"
    environment:
      MODE: "production"
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Fixable:  true,
	Run: func(p *lint.Pass) {
		for _, f := range p.Project.Files {
			ix := canon.NewIndex(f.Src)
			// Only values that read the same in both styles count: a value
			// with a quote character or an escape chose its style for a
			// reason.
			type quoted struct {
				path  []any
				start int
				n     *yaml.Node
			}
			var single, double []quoted
			styleScalars(f, func(path []any, n *yaml.Node) {
				q := ""
				switch {
				case n.Style&yaml.SingleQuotedStyle != 0:
					q = "'"
				case n.Style&yaml.DoubleQuotedStyle != 0:
					q = `"`
				default:
					return
				}
				if strings.ContainsFunc(n.Value, func(r rune) bool { return r == '\'' || r == '"' || r == '\\' || r < ' ' || r == 0x7f }) {
					return
				}
				start := ix.Offset(n.Line, n.Column)
				if raw := q + n.Value + q; start+len(raw) > len(f.Src) || string(f.Src[start:start+len(raw)]) != raw {
					return // written over several lines
				}
				if q == "'" {
					single = append(single, quoted{path, start, n})
				} else {
					double = append(double, quoted{path, start, n})
				}
			})
			odd, have, want, from, to := single, "single", "double", "'", `"`
			if len(single) > len(double) {
				odd, have, want, from, to = double, "double", "single", `"`, "'"
			}
			for _, q := range odd {
				raw := from + q.n.Value + from
				fix := lint.Fix{Message: "use " + want + " quotes", Edits: []lint.Edit{{File: f.Name, Start: q.start, End: q.start + len(raw), New: to + q.n.Value + to}}}
				p.ReportFixf(load.PathOf(q.path...), fix, "value %s is in %s quotes; this file mostly uses %s quotes", raw, have, want)
			}
		}
	},
}

// styleScalars calls fn with every scalar value written in f and its model
// path: not keys, not through aliases, not under merge keys.
func styleScalars(f *load.File, fn func(path []any, n *yaml.Node)) {
	var visit func(path []any, n *yaml.Node)
	visit = func(path []any, n *yaml.Node) {
		switch n.Kind {
		case yaml.ScalarNode:
			fn(path, n)
		case yaml.SequenceNode:
			for i, c := range n.Content {
				visit(append(path[:len(path):len(path)], i), c)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k := n.Content[i]
				if k.Kind != yaml.ScalarNode || k.ShortTag() == "!!merge" {
					continue
				}
				visit(append(path[:len(path):len(path)], k.Value), n.Content[i+1])
			}
		}
	}
	for _, d := range f.Docs {
		if d != nil && len(d.Content) > 0 {
			visit(nil, d.Content[0])
		}
	}
}
