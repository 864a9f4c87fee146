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

// Restart stops a container and starts it again (berth restart).
const Restart Action = "restart"

// Stop stops a container and leaves it: a dependent with depends_on
// restart: true, while its dependency is recreated (a Start step follows).
const Stop Action = "stop"

// Reasons for a restart.
const (
	// DependencyRecreated: a dependency is recreated (depends_on with
	// restart: true, or a network_mode/volumes_from reference); Reason.New
	// names it.
	DependencyRecreated ReasonCode = "dependency_recreated"
	// Requested: berth restart named the service (or restarts them all).
	Requested ReasonCode = "requested"
)

// text is a reason without a field, for people: "dependency db recreated".
func (r Reason) text() string {
	if r.Code == DependencyRecreated && r.New != "" {
		return "dependency " + r.New + " recreated"
	}
	if r.Code == NetworkRecreated && r.New != "" {
		return "network " + r.New + " recreated"
	}
	return string(r.Code)
}

// stopDependents stops, before a service is recreated, every running
// container of a service that depends on it with restart: true, and starts
// it again once the service is recreated (and its depends_on conditions
// hold), as Docker Compose does: a dependent must not run against a
// dependency that is going away. A container that has a step of its own
// (it is created, recreated, started or removed) is left to that step. A
// container that is not running and has no step is a one-shot that
// completed: starting it would run it again.
//
// The stop steps go right before the first recreate of the dependencies
// (step IDs are renumbered so that every step still waits only for steps
// before it); the recreates wait for them. The start steps go last.
func (b *builder) stopDependents(q *types.Project, byService map[string][]Container, svcSteps map[string][]int, waits map[string][]Wait) {
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
	type dependent struct {
		c      Container
		deps   []string // the recreated services it depends on with restart: true
		before int      // the first recreate step of those
		stop   int      // its stop step, once numbered
		check  *ImageCheck
	}
	var stops []*dependent
	for _, name := range sortedKeys(q.Services) {
		s := q.Services[name]
		var deps []string
		before := 0
		for _, dep := range sortedKeys(s.DependsOn) {
			if d := s.DependsOn[dep]; d.Restart && len(recreated[dep]) > 0 {
				deps = append(deps, dep)
				if before == 0 || recreated[dep][0] < before {
					before = recreated[dep][0]
				}
			}
		}
		if len(deps) == 0 {
			continue
		}
		check := commonImageCheck(b.plan.Steps, deps, recreated)
		for _, c := range byService[name] {
			if hasStep[c.Name] || c.State != "running" || c.Number < 1 || c.Number > scaleOf(s) {
				continue
			}
			stops = append(stops, &dependent{c: c, deps: deps, before: before, check: check})
		}
	}
	if len(stops) == 0 {
		return
	}

	// Renumber the plan with the stop steps inserted.
	old := b.plan.Steps
	newID := make([]int, len(old)+1) // old step ID -> new
	steps := make([]Step, 0, len(old)+2*len(stops))
	renumber := func(ids []int) []int {
		var out []int
		for _, id := range ids {
			out = append(out, newID[id])
		}
		return out
	}
	for _, s := range old {
		for _, d := range stops {
			if d.before != s.ID {
				continue
			}
			// The stop waits for what the recreate waits for (images,
			// networks): the dependent goes down when its dependency does,
			// not while an image is still building.
			d.stop = len(steps) + 1
			steps = append(steps, Step{ID: d.stop, Resource: "container:" + d.c.Name, Action: Stop, Actions: wireActions(Stop),
				Service: d.c.Service, Name: d.c.Name, OldID: d.c.ID, After: renumber(s.After), Reasons: dependencyReasons(d.deps), IfImageChanged: d.check})
		}
		newID[s.ID] = len(steps) + 1
		s.ID, s.After = newID[s.ID], renumber(s.After)
		steps = append(steps, s)
	}
	for _, d := range stops {
		for _, dep := range d.deps {
			for _, r := range recreated[dep] {
				st := &steps[newID[r]-1]
				st.After = append(st.After, d.stop)
				slices.Sort(st.After)
				st.After = slices.Compact(st.After)
			}
		}
	}
	b.plan.Steps = steps
	for svc, ids := range svcSteps {
		svcSteps[svc] = renumber(ids)
	}

	for _, d := range stops {
		after := []int{d.stop}
		for _, dep := range d.deps {
			after = append(after, svcSteps[dep]...)
		}
		slices.Sort(after)
		svc := d.c.Service
		svcSteps[svc] = append(svcSteps[svc], b.add(Step{
			Resource: "container:" + d.c.Name, Action: Start, Service: svc, Name: d.c.Name, OldID: d.c.ID,
			After: slices.Compact(after), Waits: waits[svc], Reasons: dependencyReasons(d.deps), IfImageChanged: d.check,
		}))
	}
}

// commonImageCheck returns the image check that every recreate of deps
// carries, when they all depend on one image that the plan builds or pulls
// (the dependent is then stopped and started only if that image changes),
// or nil.
func commonImageCheck(steps []Step, deps []string, recreated map[string][]int) *ImageCheck {
	var check *ImageCheck
	for _, dep := range deps {
		for _, id := range recreated[dep] {
			c := steps[id-1].IfImageChanged
			if c == nil || check != nil && (c.Ref != check.Ref || c.ID != check.ID) {
				return nil
			}
			check = &ImageCheck{Ref: c.Ref, ID: c.ID}
		}
	}
	return check
}

func dependencyReasons(deps []string) []Reason {
	var out []Reason
	for _, dep := range deps {
		out = append(out, Reason{Code: DependencyRecreated, New: dep})
	}
	return out
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

// stop stops the container of a Stop step.
func (x *executor) stop(ctx context.Context, s Step, began time.Time) error {
	x.event(s.Resource, "Stopping", 0, "")
	if err := x.d.ContainerStop(ctx, s.OldID, container.StopOptions{Timeout: s.Timeout}); err != nil && !isNotFound(err) {
		return fmt.Errorf("stopping container %s: %w", s.Name, err)
	}
	x.event(s.Resource, "Stopped", time.Since(began), "")
	return nil
}

// dependencyKept reports whether the stop or start of a restart: true
// dependent is skipped: the recreate of its dependency is conditional on an
// image that a build or pull left unchanged, so that recreate is skipped.
func (x *executor) dependencyKept(ctx context.Context, s Step, began time.Time) (bool, error) {
	c := s.IfImageChanged
	if unchanged, err := x.imageUnchanged(ctx, c); !unchanged || err != nil {
		return false, err
	}
	x.event(s.Resource, "Running", time.Since(began), "image "+short(strings.TrimPrefix(c.ID, "sha256:"))+" of its dependency did not change")
	return true, nil
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
