package apply

import (
	"fmt"
	"slices"
	"strings"
)

// StopStartOptions say which services berth stop and berth start act on.
type StopStartOptions struct {
	Services []string // these services (all when empty)
	Timeout  *int     // stop: seconds to wait before killing; nil: the container's own stop timeout
}

// dependsOnEntries reads a container's depends_on label: each dependency
// with its condition.
func dependsOnEntries(c Container) map[string]string {
	out := map[string]string{}
	for _, e := range strings.Split(c.Labels[LabelDependsOn], ",") {
		parts := strings.Split(e, ":")
		if parts[0] == "" {
			continue
		}
		cond := "service_started"
		if len(parts) > 1 && parts[1] != "" {
			cond = parts[1]
		}
		out[parts[0]] = cond
	}
	return out
}

// byServiceOf groups the project's service containers (one-offs left out)
// and checks that every named service has one.
func byServiceOf(obs *Observed, services []string) (map[string][]Container, error) {
	containers := map[string][]Container{}
	for _, c := range obs.Containers {
		if !c.OneOff {
			containers[c.Service] = append(containers[c.Service], c)
		}
	}
	for _, s := range services {
		if _, ok := containers[s]; !ok {
			return nil, fmt.Errorf("service %q has no container in project %s", s, obs.Project)
		}
	}
	return containers, nil
}

// StopPlan stops the running containers of the project (or of the named
// services), the services that depend on others before those, as read from
// the depends_on labels: like DownPlan, it needs no compose file.
func StopPlan(obs *Observed, opts StopStartOptions) (*Plan, error) {
	containers, err := byServiceOf(obs, opts.Services)
	if err != nil {
		return nil, err
	}
	b := &builder{plan: &Plan{FormatVersion: FormatVersion, Project: obs.Project, Fingerprint: obs.Fingerprint(), Observed: obs.Summary(), Steps: []Step{}}}
	dependents := map[string][]string{}
	for svc, cs := range containers {
		for dep := range dependsOnEntries(cs[0]) {
			dependents[dep] = append(dependents[dep], svc)
		}
	}
	visit := inDependencyOrder(dependents, func(svc string, after []int) []int {
		after = slices.Compact(after)
		if len(opts.Services) > 0 && !slices.Contains(opts.Services, svc) {
			return after // keep the order through services left out
		}
		var steps []int
		for _, c := range containers[svc] {
			if c.State != "running" && c.State != "restarting" && c.State != "paused" {
				continue
			}
			steps = append(steps, b.add(Step{Resource: "container:" + c.Name, Action: Stop, Service: svc, Name: c.Name, OldID: c.ID,
				After: after, Timeout: opts.Timeout, Reasons: []Reason{{Code: Requested}}}))
		}
		return append(steps, after...)
	})
	for _, svc := range sortedKeys(containers) {
		visit(svc)
	}
	return b.plan, nil
}

// StartPlan starts the stopped containers of the project (or of the named
// services), dependencies first, each once the depends_on conditions of
// its labels hold, as Docker Compose's start does.
func StartPlan(obs *Observed, opts StopStartOptions) (*Plan, error) {
	containers, err := byServiceOf(obs, opts.Services)
	if err != nil {
		return nil, err
	}
	b := &builder{plan: &Plan{FormatVersion: FormatVersion, Project: obs.Project, Fingerprint: obs.Fingerprint(), Observed: obs.Summary(), Steps: []Step{}}}
	deps := map[string][]string{}
	for svc, cs := range containers {
		for dep := range dependsOnEntries(cs[0]) {
			if _, ok := containers[dep]; ok {
				deps[svc] = append(deps[svc], dep)
			}
		}
	}
	visit := inDependencyOrder(deps, func(svc string, after []int) []int {
		after = slices.Compact(after)
		if len(opts.Services) > 0 && !slices.Contains(opts.Services, svc) {
			return after
		}
		var waits []Wait
		entries := dependsOnEntries(containers[svc][0])
		for _, dep := range sortedKeys(entries) {
			if _, ok := containers[dep]; ok {
				waits = append(waits, Wait{Service: dep, Condition: entries[dep], Required: true})
			}
		}
		var steps []int
		for _, c := range containers[svc] {
			if c.State == "running" || c.State == "restarting" {
				continue
			}
			steps = append(steps, b.add(Step{Resource: "container:" + c.Name, Action: Start, Service: svc, Name: c.Name, OldID: c.ID,
				After: after, Waits: waits, Reasons: []Reason{{Code: Requested}}}))
		}
		return append(steps, after...)
	})
	for _, svc := range sortedKeys(containers) {
		visit(svc)
	}
	return b.plan, nil
}
