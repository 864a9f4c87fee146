package apply

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
)

// Restart stops a container and starts it again (berth restart, and the
// dependents of a recreated service that declare depends_on restart: true).
const Restart Action = "restart"

// Reasons for a restart.
const (
	// DependencyRecreated: a depends_on dependency with restart: true is
	// recreated; Reason.New names it.
	DependencyRecreated ReasonCode = "dependency_recreated"
	// Requested: berth restart named the service (or restarts them all).
	Requested ReasonCode = "requested"
)

// text is a reason without a field, for people: "dependency db recreated".
func (r Reason) text() string {
	if r.Code == DependencyRecreated && r.New != "" {
		return "dependency " + r.New + " recreated"
	}
	return string(r.Code)
}

// restartDependents adds a Restart step for every container of a service
// that depends with restart: true on a service being recreated, unless that
// container already has a step of its own (it is then created, recreated or
// started after its dependency anyway). Docker Compose does the same: the
// dependents of a recreated service are stopped and started again, so that
// they reconnect to the new container.
func (b *builder) restartDependents(q *types.Project, byService map[string][]Container, svcSteps map[string][]int) {
	recreated := map[string][]int{} // service -> its recreate steps
	hasStep := map[string]bool{}    // container name -> has a step
	for _, s := range b.plan.Steps {
		if s.Action == Recreate && s.Service != "" {
			recreated[s.Service] = append(recreated[s.Service], s.ID)
		}
		if strings.HasPrefix(s.Resource, "container:") {
			hasStep[s.Name] = true
		}
	}
	if len(recreated) == 0 {
		return
	}
	for _, name := range sortedKeys(q.Services) {
		s := q.Services[name]
		var deps []string
		var after []int
		for _, dep := range sortedKeys(s.DependsOn) {
			if d := s.DependsOn[dep]; d.Restart && len(recreated[dep]) > 0 {
				deps = append(deps, dep)
				after = append(after, svcSteps[dep]...)
			}
		}
		if len(deps) == 0 {
			continue
		}
		slices.Sort(after)
		for _, c := range byService[name] {
			if hasStep[c.Name] || c.Number < 1 || c.Number > scaleOf(s) {
				continue
			}
			var reasons []Reason
			for _, dep := range deps {
				reasons = append(reasons, Reason{Code: DependencyRecreated, New: dep})
			}
			svcSteps[name] = append(svcSteps[name], b.add(Step{
				Resource: "container:" + c.Name, Action: Restart, Service: name, Name: c.Name, OldID: c.ID,
				After: slices.Compact(after), Reasons: reasons,
			}))
		}
	}
}

// RestartOptions change what RestartPlan restarts.
type RestartOptions struct {
	Services []string // restart these services (all when empty)
	NoDeps   bool     // do not also restart the dependents with restart: true
	Timeout  *int     // seconds to wait for a container to stop before killing it; nil: its own stop timeout
}

// RestartPlan restarts the project's containers, dependencies before their
// dependents, as read from the depends_on labels (it needs no compose file,
// like DownPlan). Services named in opts are restarted with, transitively,
// the services that depend on them with restart: true, as Docker Compose's
// restart does.
func RestartPlan(obs *Observed, opts RestartOptions) (*Plan, error) {
	b := &builder{plan: &Plan{FormatVersion: FormatVersion, Project: obs.Project, Fingerprint: obs.Fingerprint(), Observed: obs.Summary(), Steps: []Step{}}}
	deps := map[string][]string{}      // service -> the services it depends on
	restartOn := map[string][]string{} // service -> dependents with restart: true
	containers := map[string][]Container{}
	for _, c := range obs.Containers {
		if c.OneOff {
			continue
		}
		if _, seen := containers[c.Service]; !seen {
			for _, e := range strings.Split(c.Labels[LabelDependsOn], ",") {
				parts := strings.Split(e, ":")
				if parts[0] == "" {
					continue
				}
				deps[c.Service] = append(deps[c.Service], parts[0])
				// Compose reads a missing restart field as true (labels of
				// older versions).
				if len(parts) < 3 || parts[2] == "true" {
					restartOn[parts[0]] = append(restartOn[parts[0]], c.Service)
				}
			}
		}
		containers[c.Service] = append(containers[c.Service], c)
	}
	selected := map[string]bool{}
	var add func(string)
	add = func(svc string) {
		if selected[svc] {
			return
		}
		selected[svc] = true
		if !opts.NoDeps {
			for _, d := range restartOn[svc] {
				if _, ok := containers[d]; ok {
					add(d)
				}
			}
		}
	}
	if len(opts.Services) == 0 {
		for svc := range containers {
			selected[svc] = true
		}
	}
	for _, svc := range opts.Services {
		if _, ok := containers[svc]; !ok {
			return nil, fmt.Errorf("service %q has no container in project %s", svc, obs.Project)
		}
		add(svc)
	}
	visit := inDependencyOrder(deps, func(svc string, after []int) []int {
		if !selected[svc] {
			return nil
		}
		var steps []int
		for _, c := range containers[svc] {
			steps = append(steps, b.add(Step{Resource: "container:" + c.Name, Action: Restart, Service: svc,
				Name: c.Name, OldID: c.ID, After: after, Timeout: opts.Timeout, Reasons: []Reason{{Code: Requested}}}))
		}
		return steps
	})
	for _, svc := range sortedKeys(containers) {
		visit(svc)
	}
	return b.plan, nil
}

// restart stops the container (within the step's timeout) and starts it
// again once its dependencies' conditions hold.
func (x *executor) restart(ctx context.Context, s Step, began time.Time) error {
	x.event(s.Resource, "Restarting", 0, "")
	if err := x.d.ContainerStop(ctx, s.OldID, container.StopOptions{Timeout: s.Timeout}); err != nil {
		return fmt.Errorf("stopping container %s: %w", s.Name, err)
	}
	return x.start(ctx, s, s.OldID, began)
}
