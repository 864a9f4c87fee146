package apply

import "slices"

// inDependencyOrder returns a visit function for plans that act on services
// in dependency order (down, restart): visiting a service first visits, once
// each and in sorted order so that plans are stable, the services edges
// names for it, then calls emit with the IDs of the steps those added. emit
// returns the IDs of the steps it adds for svc.
func inDependencyOrder(edges map[string][]string, emit func(svc string, after []int) []int) func(string) {
	stepsOf := map[string][]int{}
	done := map[string]bool{}
	var visit func(string)
	visit = func(svc string) {
		if done[svc] {
			return
		}
		done[svc] = true
		var after []int
		next := slices.Clone(edges[svc])
		slices.Sort(next)
		for _, d := range slices.Compact(next) {
			visit(d)
			after = append(after, stepsOf[d]...)
		}
		slices.Sort(after)
		stepsOf[svc] = emit(svc, after)
	}
	return visit
}
