package transform

import (
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
)

// ServiceOrder lists the project's services so that each one comes after the
// services it depends on, ties broken by name. Compose breaks ties in Go map
// order, which changes from run to run; a stable order is what scripts need.
func ServiceOrder(p *types.Project) []string {
	names := make([]string, 0, len(p.Services))
	for n := range p.Services {
		names = append(names, n)
	}
	slices.Sort(names)
	seen := map[string]bool{}
	var out []string
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true // set before the dependencies: a cycle cannot recurse forever
		s, ok := p.Services[n]
		if !ok {
			return
		}
		deps := make([]string, 0, len(s.DependsOn))
		for d := range s.DependsOn {
			deps = append(deps, d)
		}
		slices.Sort(deps)
		for _, d := range deps {
			visit(d)
		}
		out = append(out, n)
	}
	for _, n := range names {
		visit(n)
	}
	return out
}
