package apply

import (
	"slices"
	"strings"
)

// RmOptions change what RmPlan removes (berth rm).
type RmOptions struct {
	// Services limits the removal to these services' containers (all
	// when empty).
	Services []string
	// Known, when not nil, are the services of the compose files: the
	// containers of other services (orphans) are left alone, as Docker
	// Compose's rm does when it has the files.
	Known []string
	// Stop removes running containers too, stopping them first (--stop);
	// otherwise only stopped ones go.
	Stop bool
	// Volumes also removes the containers' anonymous volumes (--volumes).
	Volumes bool
}

// RmPlan removes the project's stopped service containers (and with Stop
// the running ones, stopped first), one-off containers excluded, as Docker
// Compose's rm does. Like DownPlan it reads only the observed state, and
// removes dependents before their dependencies (as read from the depends_on
// labels), so that with Stop a service is stopped before what it uses.
func RmPlan(obs *Observed, opts RmOptions) *Plan {
	b := &builder{plan: &Plan{FormatVersion: FormatVersion, Project: obs.Project, Fingerprint: obs.Fingerprint(), Observed: obs.Summary(), Steps: []Step{}}}
	byService := map[string][]Container{}
	dependents := map[string][]string{}
	for _, c := range obs.Containers {
		switch {
		case c.OneOff,
			len(opts.Services) > 0 && !slices.Contains(opts.Services, c.Service),
			opts.Known != nil && !slices.Contains(opts.Known, c.Service),
			running(c.State) && !opts.Stop:
			continue
		}
		byService[c.Service] = append(byService[c.Service], c)
		for _, e := range strings.Split(c.Labels[LabelDependsOn], ",") {
			if dep, _, _ := strings.Cut(e, ":"); dep != "" {
				dependents[dep] = append(dependents[dep], c.Service)
			}
		}
	}
	visit := inDependencyOrder(dependents, func(svc string, after []int) []int {
		var steps []int
		for _, c := range byService[svc] {
			steps = append(steps, b.add(Step{Resource: "container:" + c.Name, Action: Remove, Service: svc, Name: c.Name, OldID: c.ID,
				After: after, RemoveVolumes: opts.Volumes, Reasons: []Reason{{Code: Requested}}}))
		}
		return steps
	})
	for _, svc := range sortedKeys(byService) {
		visit(svc)
	}
	return b.plan
}

// running reports whether a container in state is running as Docker's
// State.Running says: paused and restarting containers are.
func running(state string) bool {
	switch state {
	case "running", "paused", "restarting":
		return true
	}
	return false
}
