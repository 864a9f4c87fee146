package rules

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
)

func cutColon(s string) string {
	name, _, _ := strings.Cut(s, ":")
	return name
}

// csLookup finds a service, enabled or disabled by profiles.
func csLookup(p *types.Project, name string) (types.ServiceConfig, bool) {
	if s, ok := p.Services[name]; ok {
		return s, true
	}
	s, ok := p.DisabledServices[name]
	return s, ok
}

// csEdgeRef finds where service s makes itself depend on target: a
// depends_on entry, a link, a volumes_from entry or a service: namespace
// (normalization turns all of them into depends_on entries).
func csEdgeRef(p *lint.Pass, s csService, deps []csDep, target string) csRef {
	for _, d := range deps {
		if d.target == target {
			return d.at
		}
	}
	if r, found, _ := csFindRef(p, csPath(s.name, "links"), target, "", cutColon); found {
		return r
	}
	for _, it := range csItems(p, csPath(s.name, "volumes_from")) {
		if raw, ok := p.Raw(it); ok {
			if t, ok := csVolumesFrom(raw); ok && t == target {
				return csRef{it, false}
			}
		}
	}
	for _, key := range []string{"network_mode", "ipc", "pid", "uts", "cgroup"} {
		path := csPath(s.name, key)
		if raw, ok := p.Raw(path); ok && raw == "service:"+target {
			return csRef{path, false}
		}
	}
	return csRef{csPath(s.name), true}
}

func runDependencyCycle(p *lint.Pass) {
	svcs := csServices(p.Project)
	idx := map[string]int{}
	for i, s := range svcs {
		idx[s.name] = i
	}
	adj := make([][]int, len(svcs))
	for i, s := range svcs {
		for _, t := range csSortedKeys(s.cfg.DependsOn) {
			if j, ok := idx[t]; ok {
				adj[i] = append(adj[i], j)
			}
		}
	}
	// Tarjan's strongly connected components: an edge lies on a cycle
	// exactly when both ends are in the same component (or it is a loop).
	comp := make([]int, len(svcs))
	index := make([]int, len(svcs))
	low := make([]int, len(svcs))
	onStack := make([]bool, len(svcs))
	for i := range index {
		index[i] = -1
	}
	var stack []int
	next, ncomp := 0, 0
	var visit func(v int)
	visit = func(v int) {
		index[v], low[v] = next, next
		next++
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range adj[v] {
			if index[w] < 0 {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] == index[v] {
			for {
				w := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				onStack[w] = false
				comp[w] = ncomp
				if w == v {
					break
				}
			}
			ncomp++
		}
	}
	for v := range svcs {
		if index[v] < 0 {
			visit(v)
		}
	}
	size := make([]int, ncomp)
	for _, c := range comp {
		size[c]++
	}
	for i, s := range svcs {
		var deps []csDep
		for _, j := range adj[i] {
			if comp[i] != comp[j] || (i != j && size[comp[i]] < 2) {
				continue
			}
			if deps == nil {
				deps = csDeps(p, s)
			}
			var members []string
			for k, o := range svcs {
				if comp[k] == comp[i] {
					members = append(members, o.name)
				}
			}
			r := csEdgeRef(p, s, deps, svcs[j].name)
			if i == j {
				r.report(p, "service %q depends on itself", s.name)
			} else {
				r.report(p, "service %q depends on %q, which is part of a dependency cycle (%s)", s.name, svcs[j].name, strings.Join(members, ", "))
			}
		}
	}
}
