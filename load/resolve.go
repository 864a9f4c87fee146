package load

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/format"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/schema/rules"
	"github.com/berth-compose/berth/schema/spec"
)

// The checks of this file run when compose-go has refused a project: they
// find, on the YAML nodes of every file involved (the main files, the files
// they include and the files their services extend), every problem that
// compose-go reports one at a time after its schema, each at its node.

// source is one compose file of the project with the directory its
// relative paths are resolved against.
type source struct {
	file *File
	dir  string // working directory for env_file and include paths
	main bool   // given with -f (or found by default), not read on its own
	// includedBy: read because a file includes it (its services are the
	// project's), not because a service extends a service of it
	includedBy bool
}

// semantic returns every problem after the schema of every file of the
// project: values compose-go cannot decode, include and extends that do
// not resolve, env files that are missing or malformed and, unless
// disabled, references to undefined resources. Included and extended files
// are read, mapped and schema-checked here too.
func (s *session) semantic(schemaVs []rules.Violation) []rules.Violation {
	srcs := s.projectFiles()
	var out []rules.Violation
	for _, src := range srcs {
		if !src.main {
			s.sources.AddFile(src.file)
			if !s.opts.SkipSchema {
				schemaVs = append(schemaVs, s.validate(src.file)...)
			}
		}
		out = append(out, s.decode(src.file)...)
		out = append(out, s.resolveRefs(src)...)
	}
	if !s.opts.NoConsistency || s.opts.Lenient {
		out = append(out, consistency(srcs, s.opts.Profiles, s.subst)...)
	}
	out = append(out, emptyProject(srcs)...)
	out = dropCovered(out, schemaVs)
	return append(schemaVs, out...)
}

// emptyProject reports a project whose main files hold no key at all
// (`{}`): compose-go refuses it as empty. The finding is at the first
// file's top-level mapping, where the keys are missing.
func emptyProject(srcs []source) []rules.Violation {
	var first *yaml.Node
	var file string
	for _, src := range srcs {
		if !src.main {
			continue
		}
		for _, top := range tops(src.file) {
			if len(mapEntries(top)) > 0 {
				return nil
			}
			if first == nil {
				first, file = top, src.file.Name
			}
		}
	}
	if first == nil {
		return nil
	}
	return []rules.Violation{{File: file, Line: max(first.Line, 1), Col: max(first.Column, 1), Rule: rules.RuleEmptyFile,
		Message: "the project defines nothing: the file holds an empty mapping"}}
}

// decode runs spec.Decode on f as compose-go would read it.
func (s *session) decode(f *File) []rules.Violation {
	env := s.env
	return spec.Decode(f.Name, f.Docs, spec.Options{
		Interpolate: !s.opts.NoInterpolate,
		Lookup: func(name string) (string, bool) {
			v, ok := env[name]
			return v, ok
		},
	})
}

// dropCovered removes the findings at or inside (or around) a node that a
// schema violation already reports: a port list written as a string is a
// wrong type, not also an unreadable port.
func dropCovered(vs, schemaVs []rules.Violation) []rules.Violation {
	return slices.DeleteFunc(vs, func(v rules.Violation) bool {
		return slices.ContainsFunc(schemaVs, func(sv rules.Violation) bool {
			return sv.File == v.File && (within(v.Path, sv.Path) || within(sv.Path, v.Path))
		})
	})
}

// within reports whether model path p is q or lies below it.
func within(p, q string) bool {
	return p == q || strings.HasPrefix(p, q+".") || strings.HasPrefix(p, q+"[")
}

// projectFiles lists the main files and, depth first, the files they include
// and extend, each once.
func (s *session) projectFiles() []source {
	wd, _ := s.po.GetWorkingDir()
	var out []source
	seen := map[string]bool{}
	for _, f := range s.files {
		abs, _ := filepath.Abs(f.Name)
		seen[abs] = true
		out = append(out, source{file: f, dir: wd, main: true})
	}
	for i := 0; i < len(out); i++ {
		for _, ref := range s.refs(out[i]) {
			if seen[ref.path] {
				continue
			}
			seen[ref.path] = true
			f, err := readFile(ref.path)
			if err != nil {
				// A missing file is reported at the reference (resolveRefs);
				// one that does not parse, at its own error.
				if info, serr := os.Stat(ref.path); serr == nil && !info.IsDir() {
					s.refErrs = append(s.refErrs, asErrors(err)...)
				}
				continue
			}
			out = append(out, source{file: f, dir: filepath.Dir(ref.path), includedBy: ref.rule == rules.RuleUnresolvedInclude})
		}
	}
	return out
}

// fileRef is a reference from a compose file to another file.
type fileRef struct {
	node    *yaml.Node // the path as written
	path    string     // resolved, absolute
	rule    rules.Rule
	service string // for extends: the service to find there
	svcNode *yaml.Node
	from    string // for extends: the service that extends
}

func (s *session) refs(src source) []fileRef {
	var out []fileRef
	fileDir, _ := filepath.Abs(filepath.Dir(src.file.Name))
	for _, top := range tops(src.file) {
		for _, it := range seqItems(mapValue(top, "include")) {
			var paths []*yaml.Node
			if it.Kind == yaml.ScalarNode {
				paths = append(paths, it)
			} else if p := mapValue(it, "path"); p != nil {
				if p.Kind == yaml.ScalarNode {
					paths = append(paths, p)
				} else {
					paths = append(paths, seqItems(p)...)
				}
			}
			for _, p := range paths {
				out = append(out, fileRef{node: p, path: s.resolvePath(src.dir, p.Value), rule: rules.RuleUnresolvedInclude})
			}
		}
		for _, kv := range mapEntries(mapValue(top, "services")) {
			ext := mapValue(kv[1], "extends")
			if ext == nil || ext.Kind != yaml.MappingNode {
				continue
			}
			file, svc := mapValue(ext, "file"), mapValue(ext, "service")
			if file == nil || file.Kind != yaml.ScalarNode {
				continue
			}
			r := fileRef{node: file, path: s.resolvePath(fileDir, file.Value), rule: rules.RuleUnresolvedExtends, from: kv[0].Value}
			if svc != nil && svc.Kind == yaml.ScalarNode {
				r.service, r.svcNode = s.subst(svc.Value), svc
			}
			out = append(out, r)
		}
	}
	return out
}

// resolvePath substitutes p's variables and makes it absolute against dir.
func (s *session) resolvePath(dir, p string) string {
	p = s.subst(p)
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[2:])
		}
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	return p
}

func (s *session) subst(v string) string {
	if s.opts.NoInterpolate || !strings.Contains(v, "$") {
		return v
	}
	env := s.env
	out, err := template.SubstituteWithOptions(v, func(name string) (string, bool) {
		x, ok := env[name]
		return x, ok
	}, template.WithoutLogging)
	if err != nil {
		return v
	}
	return out
}

// resolveRefs reports the include and extends references of src that do
// not resolve, and its services' env files that are missing or malformed.
func (s *session) resolveRefs(src source) []rules.Violation {
	var out []rules.Violation
	at := func(n *yaml.Node, r rules.Rule, msg string) {
		out = append(out, rules.Violation{File: src.file.Name, Line: max(n.Line, 1), Col: max(n.Column, 1), Rule: r, Message: msg})
	}
	for _, r := range s.refs(src) {
		info, err := os.Stat(r.path)
		switch {
		case err != nil:
			at(r.node, r.rule, fmt.Sprintf("%s does not exist", strings.TrimSpace(r.node.Value)))
			continue
		case info.IsDir():
			at(r.node, r.rule, fmt.Sprintf("%s is a directory, not a compose file", r.node.Value))
			continue
		}
		if r.rule == rules.RuleUnresolvedInclude && s.isMainOrSelf(src, r.path) {
			at(r.node, r.rule, fmt.Sprintf("include cycle: %s is already part of the project", r.node.Value))
			continue
		}
		if r.rule != rules.RuleUnresolvedExtends || r.service == "" {
			continue
		}
		f, err := readFile(r.path)
		if err != nil {
			continue // reported in that file
		}
		if !definesService(f, r.service) {
			at(r.svcNode, r.rule, fmt.Sprintf("service %q extends %q, which %s does not define", r.from, r.service, r.node.Value))
		}
	}
	// extends within the file
	for _, top := range tops(src.file) {
		for _, kv := range mapEntries(mapValue(top, "services")) {
			ext := mapValue(kv[1], "extends")
			var svc *yaml.Node
			switch {
			case ext == nil:
				continue
			case ext.Kind == yaml.ScalarNode:
				svc = ext
			case ext.Kind == yaml.MappingNode && mapValue(ext, "file") == nil:
				svc = mapValue(ext, "service")
			}
			if svc == nil || svc.Kind != yaml.ScalarNode {
				continue
			}
			name := s.subst(svc.Value)
			if !definesService(src.file, name) {
				at(svc, rules.RuleUnresolvedExtends, fmt.Sprintf("service %q extends %q, which this file does not define", kv[0].Value, name))
				continue
			}
			if chain := s.extendsCycle(src.file, kv[0].Value); chain != nil {
				at(svc, rules.RuleUnresolvedExtends, fmt.Sprintf("circular extends: %s", strings.Join(chain, " extends ")))
			}
		}
	}
	if !s.opts.NoEnvResolution || s.opts.Lenient {
		// lint loads without env files but reports them (BR016)
		out = append(out, s.envFiles(src)...)
	}
	return out
}

// envFiles checks every required env_file of src's services: it must
// exist and parse as compose-go parses it.
func (s *session) envFiles(src source) []rules.Violation {
	var out []rules.Violation
	for _, top := range tops(src.file) {
		for _, kv := range mapEntries(mapValue(top, "services")) {
			ef := mapValue(kv[1], "env_file")
			var list []*yaml.Node
			if ef != nil && ef.Kind == yaml.ScalarNode {
				list = []*yaml.Node{ef}
			} else {
				list = seqItems(ef)
			}
			for _, it := range list {
				pathNode, required := it, true
				if it.Kind == yaml.MappingNode {
					pathNode = mapValue(it, "path")
					if req := mapValue(it, "required"); req != nil && req.Kind == yaml.ScalarNode {
						required = !(strings.EqualFold(s.subst(req.Value), "false"))
					}
				}
				if pathNode == nil || pathNode.Kind != yaml.ScalarNode {
					continue
				}
				p := s.resolvePath(src.dir, pathNode.Value)
				info, err := os.Stat(p)
				at := func(msg string) {
					out = append(out, rules.Violation{File: src.file.Name, Line: pathNode.Line, Col: pathNode.Column,
						Rule: rules.RuleEnvFile, Message: msg})
				}
				switch {
				case err != nil && required:
					at(fmt.Sprintf("service %q: env file %s does not exist", kv[0].Value, pathNode.Value))
				case err == nil && info.IsDir():
					at(fmt.Sprintf("service %q: env file %s is a directory", kv[0].Value, pathNode.Value))
				case err == nil:
					if _, perr := dotenv.GetEnvFromFile(types.Mapping(s.env), []string{p}); perr != nil {
						at(fmt.Sprintf("service %q: env file %s cannot be read: %v", kv[0].Value, pathNode.Value, perr))
					}
				}
			}
		}
	}
	return out
}

// isMainOrSelf reports whether path is src's own file or a main file: an
// include of it is a cycle compose-go refuses.
func (s *session) isMainOrSelf(src source, path string) bool {
	self, _ := filepath.Abs(src.file.Name)
	if path == self {
		return true
	}
	for _, f := range s.files {
		if abs, _ := filepath.Abs(f.Name); abs == path {
			return true
		}
	}
	return false
}

// extendsCycle follows the extends of service start within f (extends
// naming no file) and returns the chain when it comes back to start.
func (s *session) extendsCycle(f *File, start string) []string {
	chain := []string{start}
	cur := start
	for range 64 {
		var svc *yaml.Node
		for _, top := range tops(f) {
			if v := mapValue(mapValue(top, "services"), cur); v != nil {
				svc = v
			}
		}
		ext := mapValue(svc, "extends")
		var next *yaml.Node
		switch {
		case ext == nil:
			return nil
		case ext.Kind == yaml.ScalarNode:
			next = ext
		case ext.Kind == yaml.MappingNode && mapValue(ext, "file") == nil:
			next = mapValue(ext, "service")
		}
		if next == nil || next.Kind != yaml.ScalarNode {
			return nil
		}
		cur = s.subst(next.Value)
		chain = append(chain, cur)
		if cur == start {
			return chain
		}
		if slices.Contains(chain[:len(chain)-1], cur) {
			return nil // a cycle that does not pass through start: its members report it
		}
	}
	return nil
}

func definesService(f *File, name string) bool {
	for _, top := range tops(f) {
		if mapValue(mapValue(top, "services"), name) != nil || mapKey(mapValue(top, "services"), name) != nil {
			return true
		}
	}
	return false
}

// consistency finds every reference compose-go's consistency check
// refuses (it stops at the first): networks, named volumes, secrets,
// configs and services that no file of the project defines.
func consistency(srcs []source, profiles []string, subst func(string) string) []rules.Violation {
	defined := map[string]map[string]bool{}
	for _, sec := range []string{"services", "networks", "volumes", "secrets", "configs"} {
		defined[sec] = map[string]bool{}
	}
	defined["networks"]["default"] = true
	for _, src := range srcs {
		for _, top := range tops(src.file) {
			for sec, names := range defined {
				for _, kv := range mapEntries(mapValue(top, sec)) {
					names[kv[0].Value] = true
				}
			}
		}
	}
	var out []rules.Violation
	for _, src := range srcs {
		if !src.main && !src.includedBy {
			continue // extended files: only the extended service counts, merged into another
		}
		at := func(n *yaml.Node, r rules.Rule, msg string) {
			out = append(out, rules.Violation{File: src.file.Name, Line: n.Line, Col: n.Column, Rule: r, Message: msg})
		}
		for _, top := range tops(src.file) {
			for _, kv := range mapEntries(mapValue(top, "services")) {
				name, svc := kv[0].Value, kv[1]
				if !activeService(svc, profiles) {
					continue
				}
				for _, ref := range namesIn(mapValue(svc, "depends_on")) {
					if !defined["services"][ref.Value] {
						at(ref, rules.RuleUndefinedDependency, fmt.Sprintf("service %q depends on undefined service %q", name, ref.Value))
					}
				}
				for _, ref := range namesIn(mapValue(svc, "networks")) {
					if !defined["networks"][ref.Value] {
						at(ref, rules.RuleUndefinedNetwork, fmt.Sprintf("service %q refers to undefined network %q", name, ref.Value))
					}
				}
				for _, kind := range []struct {
					key  string
					rule rules.Rule
				}{{"secrets", rules.RuleUndefinedSecret}, {"configs", rules.RuleUndefinedConfig}} {
					for _, it := range seqItems(mapValue(svc, kind.key)) {
						ref := it
						if it.Kind == yaml.MappingNode {
							ref = mapValue(it, "source")
						}
						if ref != nil && ref.Kind == yaml.ScalarNode && !defined[kind.key][ref.Value] {
							at(ref, kind.rule, fmt.Sprintf("service %q refers to undefined %s %q", name, strings.TrimSuffix(kind.key, "s"), ref.Value))
						}
					}
				}
				for _, it := range seqItems(mapValue(svc, "volumes")) {
					if vol, n, ok := namedVolume(it); ok && !defined["volumes"][vol] {
						at(n, rules.RuleUndefinedVolume, fmt.Sprintf("service %q refers to undefined volume %q", name, vol))
					}
				}
				if nm := mapValue(svc, "network_mode"); nm != nil && nm.Kind == yaml.ScalarNode {
					if ref, ok := strings.CutPrefix(nm.Value, types.ServicePrefix); ok && !defined["services"][ref] {
						at(nm, rules.RuleUndefinedServiceRef, fmt.Sprintf("service %q uses the network of undefined service %q", name, ref))
					}
				}
				if first := healthcheckCommand(svc); first != nil {
					switch subst(first.Value) {
					case "CMD", "CMD-SHELL", "NONE":
					default:
						at(first, rules.RuleHealthcheckCommand, fmt.Sprintf(`service %q: healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE", not %q`, name, first.Value))
					}
				}
			}
		}
	}
	return out
}

// healthcheckCommand is the first item of svc's healthcheck.test when it
// is a list (a string is a CMD-SHELL command), which compose-go's
// consistency check requires to be CMD, CMD-SHELL or NONE.
func healthcheckCommand(svc *yaml.Node) *yaml.Node {
	items := seqItems(mapValue(mapValue(svc, "healthcheck"), "test"))
	if len(items) == 0 || items[0].Kind != yaml.ScalarNode {
		return nil
	}
	return items[0]
}

// activeService reports whether compose-go checks svc: a service with
// profiles is checked only when one of them is enabled.
func activeService(svc *yaml.Node, profiles []string) bool {
	ps := seqItems(mapValue(svc, "profiles"))
	if len(ps) == 0 {
		return true
	}
	for _, p := range ps {
		if slices.Contains(profiles, p.Value) || slices.Contains(profiles, "*") {
			return true
		}
	}
	return false
}

// namesIn lists the names of a list of names or the keys of a mapping
// (depends_on, networks).
func namesIn(n *yaml.Node) []*yaml.Node {
	switch {
	case n == nil:
		return nil
	case n.Kind == yaml.SequenceNode:
		var out []*yaml.Node
		for _, it := range seqItems(n) {
			if it.Kind == yaml.ScalarNode && !strings.Contains(it.Value, "$") {
				out = append(out, it)
			}
		}
		return out
	case n.Kind == yaml.MappingNode:
		var out []*yaml.Node
		for _, kv := range mapEntries(n) {
			if !strings.Contains(kv[0].Value, "$") {
				out = append(out, kv[0])
			}
		}
		return out
	}
	return nil
}

// namedVolume returns the named volume a service volume mounts, parsed
// with compose-go's own parser for the short syntax.
// The node to point at is the entry (short syntax) or its source.
func namedVolume(n *yaml.Node) (string, *yaml.Node, bool) {
	switch n.Kind {
	case yaml.ScalarNode:
		if strings.Contains(n.Value, "$") {
			return "", nil, false
		}
		v, err := format.ParseVolume(n.Value)
		if err != nil || v.Type != types.VolumeTypeVolume || v.Source == "" {
			return "", nil, false
		}
		return v.Source, n, true
	case yaml.MappingNode:
		t, src := mapValue(n, "type"), mapValue(n, "source")
		if t == nil || t.Value != types.VolumeTypeVolume || src == nil || src.Kind != yaml.ScalarNode ||
			src.Value == "" || strings.Contains(src.Value, "$") {
			return "", nil, false
		}
		return src.Value, src, true
	}
	return "", nil, false
}

// tops returns the top-level mappings of f's documents.
func tops(f *File) []*yaml.Node {
	var out []*yaml.Node
	for _, d := range f.Docs {
		n := d
		if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
			n = n.Content[0]
		}
		if n = derefNode(n); n != nil && n.Kind == yaml.MappingNode {
			out = append(out, n)
		}
	}
	return out
}

func derefNode(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 32; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

// mapEntries lists a mapping's entries, merge keys resolved shallowly and
// entries tagged !reset dropped.
func mapEntries(n *yaml.Node) [][2]*yaml.Node {
	n = derefNode(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	var out, merged [][2]*yaml.Node
	have := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], derefNode(n.Content[i+1])
		if isMergeKey(k) {
			if v != nil && v.Kind == yaml.SequenceNode {
				for _, m := range v.Content {
					merged = append(merged, mapEntries(m)...)
				}
			} else {
				merged = append(merged, mapEntries(v)...)
			}
			continue
		}
		if have[k.Value] || v == nil || v.Tag == "!reset" {
			have[k.Value] = true
			continue
		}
		have[k.Value] = true
		out = append(out, [2]*yaml.Node{k, v})
	}
	for _, kv := range merged {
		if !have[kv[0].Value] {
			have[kv[0].Value] = true
			out = append(out, kv)
		}
	}
	return out
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	for _, kv := range mapEntries(n) {
		if kv[0].Value == key {
			return kv[1]
		}
	}
	return nil
}

func mapKey(n *yaml.Node, key string) *yaml.Node {
	for _, kv := range mapEntries(n) {
		if kv[0].Value == key {
			return kv[0]
		}
	}
	return nil
}

func seqItems(n *yaml.Node) []*yaml.Node {
	n = derefNode(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	var out []*yaml.Node
	for _, c := range n.Content {
		if c = derefNode(c); c != nil && c.Tag != "!reset" {
			out = append(out, c)
		}
	}
	return out
}
