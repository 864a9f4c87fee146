package lint

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/load"
)

// ConfigNames are the names of berth's configuration file, in the order
// they are looked for in each directory.
var ConfigNames = []string{".berth.yaml", ".berth.yml"}

// FileConfig is a team's .berth.yaml:
//
//	rules:
//	  BR301: off          # off, on, error, warning or info; by code ...
//	  latest-tag: error   # ... or by name
//	  BR406: on           # on: a rule that is off by default, at its severity
//	fail-on: warning      # error (default), warning or info
//	policies:             # CUE files, relative to this file
//	  - policies/images.cue
//	target: swarm         # plan, apply, down and ps default to --swarm
type FileConfig struct {
	Path     string   // the file read
	Config   Config   // rule severities and switches
	FailOn   Severity // 0 when not set
	Policies []string // absolute paths
	Target   string   // "containers" or "swarm"; "" when not set
}

// FindConfig looks for a configuration file in dir and its parents, up to
// the root of the git repository that holds dir (the directory with a .git
// entry), or the filesystem root outside a repository. It returns "" when
// there is none. A directory with both .berth.yaml and .berth.yml is an
// error: berth would have to guess.
func FindConfig(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		var found []string
		for _, name := range ConfigNames {
			p := filepath.Join(dir, name)
			if info, err := os.Stat(p); err == nil && !info.IsDir() {
				found = append(found, p)
			}
		}
		switch len(found) {
		case 1:
			return found[0], nil
		case 2:
			return "", fmt.Errorf("%s: both %s and %s exist: keep one", dir, ConfigNames[0], ConfigNames[1])
		}
		if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
			return "", nil // the repository root: configuration stops here
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", nil
		}
		dir = parent
	}
}

// ReadConfig reads and checks the configuration file at path. rs lists
// every rule a configuration may name (the registry). Every problem is a
// positioned *load.Error (several come as load.Errors), so that a typo in a
// code or a key points at its line.
func ReadConfig(path string, rs []*Rule) (*FileConfig, error) {
	src, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, &load.Error{Pos: load.Position{File: path}, Msg: "no such configuration file"}
	}
	if err != nil {
		return nil, &load.Error{Pos: load.Position{File: path}, Msg: "cannot read configuration file", Err: err}
	}
	return ParseConfig(path, src, rs)
}

// ParseConfig parses the configuration file named path whose content is src.
func ParseConfig(path string, src []byte, rs []*Rule) (*FileConfig, error) {
	name := path
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	fc := &FileConfig{Path: path, Config: Config{Severity: map[string]Severity{}, Enabled: map[string]bool{}}}
	var probe yaml.Node
	if yaml.Unmarshal(src, &probe) == nil && len(probe.Content) > 0 && probe.Content[0].Kind != yaml.MappingNode &&
		probe.Content[0].ShortTag() != "!!null" {
		n := probe.Content[0]
		return nil, &load.Error{Pos: load.Position{File: name, Line: n.Line, Column: n.Column},
			Msg: "the configuration must be a mapping with rules:, fail-on:, policies: and target:"}
	}
	f, err := load.ParseFile(name, src) // positioned syntax errors, duplicate keys
	if errors.Is(err, load.ErrEmptyFile) {
		return fc, nil // an empty file configures nothing
	}
	if err != nil {
		return nil, err // positioned: bad YAML, a duplicate key
	}
	if len(f.Docs) != 1 || len(f.Docs[0].Content) == 0 {
		return nil, &load.Error{Pos: load.Position{File: name, Line: 1, Column: 1}, Msg: "the configuration must be one YAML document"}
	}
	top := f.Docs[0].Content[0]
	var errs load.Errors
	bad := func(n *yaml.Node, format string, args ...any) {
		errs = append(errs, &load.Error{Pos: load.Position{File: name, Line: n.Line, Column: n.Column}, Msg: fmt.Sprintf(format, args...)})
	}
	if top.Kind != yaml.MappingNode {
		bad(top, "the configuration must be a mapping with rules:, fail-on:, policies: and target:")
		return nil, errs
	}
	byKey := map[string]*Rule{}
	for _, r := range rs {
		byKey[strings.ToUpper(r.Code)] = r
		byKey[r.Name] = r
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(top.Content); i += 2 {
		k, v := top.Content[i], top.Content[i+1]
		if seen[k.Value] {
			bad(k, "%s is set twice", k.Value)
			continue
		}
		seen[k.Value] = true
		switch k.Value {
		case "rules":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.MappingNode {
				bad(v, "rules: must map rule codes or names to off, on, error, warning or info")
				continue
			}
			for j := 0; j+1 < len(v.Content); j += 2 {
				rk, rv := v.Content[j], v.Content[j+1]
				r := byKey[strings.ToUpper(rk.Value)]
				if r == nil {
					r = byKey[rk.Value]
				}
				if r == nil {
					bad(rk, "unknown rule %q: `berth rules` lists the codes and names", rk.Value)
					continue
				}
				if _, dup := fc.Config.Enabled[r.Code]; dup {
					bad(rk, "rule %s %s is configured twice", r.Code, r.Name)
					continue
				}
				if rv.Kind != yaml.ScalarNode {
					bad(rv, "%s: use off, on, error, warning or info", rk.Value)
					continue
				}
				switch val := strings.ToLower(rv.Value); val {
				case "off", "false":
					fc.Config.Enabled[r.Code] = false
				case "on", "true":
					fc.Config.Enabled[r.Code] = true
				default:
					sev, err := ParseSeverity(val)
					if err != nil {
						bad(rv, "%s: unknown setting %q: use off, on, error, warning or info", rk.Value, rv.Value)
						continue
					}
					fc.Config.Enabled[r.Code] = true
					fc.Config.Severity[r.Code] = sev
				}
			}
		case "fail-on":
			sev, err := ParseSeverity(v.Value)
			if v.Kind != yaml.ScalarNode || err != nil {
				bad(v, "fail-on: use error, warning or info")
				continue
			}
			fc.FailOn = sev
		case "policies":
			if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
				continue
			}
			if v.Kind != yaml.SequenceNode {
				bad(v, "policies: must be a list of CUE files")
				continue
			}
			for _, p := range v.Content {
				if p.Kind != yaml.ScalarNode || p.Value == "" {
					bad(p, "policies: each entry is the path of a CUE file, relative to this file")
					continue
				}
				abs := p.Value
				if !filepath.IsAbs(abs) {
					abs = filepath.Join(filepath.Dir(path), abs)
				}
				if info, err := os.Stat(abs); err != nil || info.IsDir() {
					bad(p, "policy file %s not found", p.Value)
					continue
				}
				fc.Policies = append(fc.Policies, abs)
			}
		case "target":
			if v.Kind != yaml.ScalarNode || (v.Value != "containers" && v.Value != "swarm") {
				bad(v, "target: use containers (one engine, the default) or swarm (a Swarm stack, as --swarm)")
				continue
			}
			fc.Target = v.Value
		default:
			bad(k, "unknown key %q: the configuration has rules:, fail-on:, policies: and target:", k.Value)
		}
	}
	if len(errs) > 0 {
		return nil, errs
	}
	return fc, nil
}

// Runs reports whether r runs under c: its switch, else its default.
func (c Config) Runs(r *Rule) bool { return c.enabled(r) }

// SeverityOf is r's severity under c.
func (c Config) SeverityOf(r *Rule) Severity { return c.severity(r) }

// Merge returns c with the settings of o on top.
func (c Config) Merge(o Config) Config {
	out := Config{Severity: map[string]Severity{}, Enabled: map[string]bool{}, Known: append(c.Known[:len(c.Known):len(c.Known)], o.Known...)}
	for _, m := range []Config{c, o} {
		for k, v := range m.Severity {
			out.Severity[k] = v
		}
		for k, v := range m.Enabled {
			out.Enabled[k] = v
		}
	}
	return out
}
