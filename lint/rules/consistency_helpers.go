package rules

import (
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// csService is one service of the project, enabled or disabled by profiles:
// consistency rules check every service written, whatever profile is active.
type csService struct {
	name     string
	cfg      types.ServiceConfig
	disabled bool
}

// csServices lists enabled and profile-disabled services, sorted by name.
func csServices(p *load.Project) []csService {
	var out []csService
	for name, s := range p.Services {
		out = append(out, csService{name, s, false})
	}
	for name, s := range p.DisabledServices {
		if _, dup := p.Services[name]; !dup {
			out = append(out, csService{name, s, true})
		}
	}
	slices.SortFunc(out, func(a, b csService) int { return strings.Compare(a.name, b.name) })
	return out
}

// csDefined reports whether name is a service of the project, active
// or not.
func csDefined(p *load.Project, name string) bool {
	if _, ok := p.Services[name]; ok {
		return true
	}
	_, ok := p.DisabledServices[name]
	return ok
}

// csCoActive reports whether two services can run together: services whose
// profiles are both set and disjoint are alternatives (a dev and a prod
// variant), not neighbours.
func csCoActive(a, b types.ServiceConfig) bool {
	if len(a.Profiles) == 0 || len(b.Profiles) == 0 {
		return true
	}
	for _, x := range a.Profiles {
		if x == "*" || slices.Contains(b.Profiles, x) || slices.Contains(b.Profiles, "*") {
			return true
		}
	}
	return false
}

func csPath(name string, rest ...any) string {
	return load.PathOf(append([]any{"services", name}, rest...)...)
}

func csWritten(p *lint.Pass, path string) bool {
	_, ok := p.Project.Sources.Lookup(path)
	return ok
}

// items lists the paths of the elements of the list written at path.
func csItems(p *lint.Pass, path string) []string {
	var out []string
	for i := 0; ; i++ {
		ip := path + "[" + strconv.Itoa(i) + "]"
		if _, ok := p.Project.Sources.Value(ip); !ok {
			if _, ok := p.Project.Sources.Key(ip + ".source"); !ok {
				return out
			}
		}
		out = append(out, ip)
	}
}

// csRef is where a service names something: a list element or a mapping key.
type csRef struct {
	path string
	key  bool
}

func (r csRef) report(p *lint.Pass, format string, args ...any) {
	if r.key {
		p.ReportKeyf(r.path, format, args...)
	} else {
		p.Reportf(r.path, format, args...)
	}
}

// csFindRef finds where the collection at base names name: as a mapping key
// (base.name), as a list element whose text, cut by cut, is name, or as a
// list element whose sub-key field is name. found is false when base names
// it nowhere in writing; skip is true when some element is written with a
// variable, so a missing match proves nothing.
func csFindRef(p *lint.Pass, base, name, field string, cut func(string) string) (r csRef, found, skip bool) {
	if _, ok := p.Project.Sources.Key(base + csKey(name)); ok {
		return csRef{base + csKey(name), true}, true, false
	}
	for _, it := range csItems(p, base) {
		if raw, ok := p.Raw(it); ok {
			if lint.HasVariable(raw) {
				skip = true
				continue
			}
			v := raw
			if cut != nil {
				v = cut(raw)
			}
			if v == name {
				return csRef{it, false}, true, false
			}
			continue
		}
		if field == "" {
			continue
		}
		fp := it + "." + field
		if raw, ok := p.Raw(fp); ok {
			if lint.HasVariable(raw) {
				skip = true
				continue
			}
			if raw == name {
				return csRef{fp, false}, true, false
			}
		}
	}
	return csRef{base, true}, false, skip
}

// csKey is the path segment for mapping key k.
func csKey(k string) string {
	s := load.PathOf("x", k)
	return s[1:]
}

// csDep is a depends_on entry as written.
type csDep struct {
	target    string
	condition string
	required  bool
	at        csRef
}

// csDeps lists the depends_on entries the user wrote for s (not the
// implicit ones normalization adds for links, volumes_from and service:
// namespaces), in the order written for lists and sorted for mappings.
func csDeps(p *lint.Pass, s csService) []csDep {
	var out []csDep
	base := csPath(s.name, "depends_on")
	for _, it := range csItems(p, base) {
		raw, ok := p.Raw(it)
		if !ok || lint.HasVariable(raw) {
			continue
		}
		d := csDep{target: raw, condition: types.ServiceConditionStarted, required: true, at: csRef{it, false}}
		if c, ok := s.cfg.DependsOn[raw]; ok {
			d.condition, d.required = c.Condition, c.Required
		}
		out = append(out, d)
	}
	names := make([]string, 0, len(s.cfg.DependsOn))
	for n := range s.cfg.DependsOn {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		kp := base + csKey(n)
		if _, ok := p.Project.Sources.Key(kp); ok {
			c := s.cfg.DependsOn[n]
			out = append(out, csDep{target: n, condition: c.Condition, required: c.Required, at: csRef{kp, true}})
		}
	}
	return out
}

// csServiceRef is the service named by a "service:NAME" namespace value.
func csServiceRef(v string) (string, bool) {
	return strings.CutPrefix(v, "service:")
}

// csVolumesFrom is the service a volumes_from entry names, if any
// ("name", "name:ro", "service:name:rw"; "container:x" names a container).
func csVolumesFrom(v string) (string, bool) {
	if strings.HasPrefix(v, "container:") {
		return "", false
	}
	v = strings.TrimPrefix(v, "service:")
	name, _, _ := strings.Cut(v, ":")
	return name, name != ""
}
