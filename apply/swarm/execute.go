package swarm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"golang.org/x/sync/errgroup"

	"github.com/berth-compose/berth/apply"
)

// ExecOptions tune Execute.
type ExecOptions struct {
	// WaitTimeout bounds each wait for a service to converge; 0 is no
	// limit (a service whose tasks keep failing fails the apply anyway).
	WaitTimeout time.Duration
	// Progress receives an event per change and per converging service.
	Progress func(apply.Event)
	// WithRegistryAuth sends the Docker config's credential for each
	// service's image registry with the service, as docker stack deploy
	// --with-registry-auth does, so that every node can pull from a private
	// registry. Swarm stores it with the service, on the managers.
	WithRegistryAuth bool
	// Poll is how often convergence is checked; 0 is 50ms (a look is one
	// service inspect and one task list, a few milliseconds of the
	// manager's time, and each poll's delay is added to a dependency chain).
	Poll time.Duration
}

// ConvergeError says a service did not converge: which, on which node its
// last task failed, and why.
type ConvergeError struct {
	Service string // the Swarm service name
	Node    string // the hostname of the node of the last failed task, if any
	Reason  string // what berth saw: rolled back, paused, tasks failing, timed out
	TaskErr string // the last task's error or status message
}

func (e *ConvergeError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %s: %s", e.Service, e.Reason)
	if e.TaskErr != "" {
		if e.Node != "" {
			fmt.Fprintf(&b, "; last task error on node %s: %s", e.Node, e.TaskErr)
		} else {
			fmt.Fprintf(&b, "; last task error: %s", e.TaskErr)
		}
	}
	return b.String()
}

// Execute carries out a Swarm plan in step order: each service's depends_on
// conditions are waited for before it is created or updated, services that
// go are waited for until their tasks are gone before the networks, secrets
// and configs they used are removed, and with plan.Wait every created or
// updated service is waited for until it has converged.
func Execute(ctx context.Context, d Docker, plan *apply.Plan, opts ExecOptions) error {
	if plan.Target != apply.TargetSwarm {
		return fmt.Errorf("plan for project %s is not a Swarm plan", plan.Project)
	}
	if err := CheckManager(ctx, d); err != nil {
		return err
	}
	x := &executor{d: d, opts: opts, ids: map[string]string{}, updated: map[string]bool{}, began: time.Now()}
	if x.opts.Progress == nil {
		x.opts.Progress = func(apply.Event) {}
	}
	if x.opts.Poll == 0 {
		x.opts.Poll = 50 * time.Millisecond
	}
	var removed []string
	for _, s := range plan.Steps {
		if s.Action == apply.RemoveService {
			removed = append(removed, s.OldID)
		}
	}
	// The plan holds networks, secrets and configs first, then services,
	// then removals. Services go as their depends_on allow, side by side,
	// as Compose starts containers: one waiting for its dependency to be
	// healthy holds back only what depends on it.
	steps := plan.Steps
	first := slices.IndexFunc(steps, isServiceStep)
	if first < 0 {
		first = len(steps)
	}
	end := first
	for end < len(steps) && isServiceStep(steps[end]) {
		end++
	}
	for i, s := range steps {
		if i == first && end > first {
			if err := x.services(ctx, plan.Project, steps[first:end]); err != nil {
				return err
			}
		}
		if i >= first && i < end {
			continue
		}
		if (s.Action == apply.RemoveNetwork || s.Action == apply.RemoveSecret || s.Action == apply.RemoveConfig) && len(removed) > 0 {
			if err := x.tasksGone(ctx, plan.Project, removed); err != nil {
				return err
			}
			removed = nil
		}
		if err := x.step(ctx, plan.Project, s); err != nil {
			return err
		}
	}
	for _, w := range plan.Wait {
		if err := x.wait(ctx, plan.Project, w); err != nil {
			return err
		}
	}
	return nil
}

func isServiceStep(s apply.Step) bool {
	return s.Action == apply.CreateService || s.Action == apply.UpdateService
}

// step waits for s's depends_on conditions, then carries it out.
func (x *executor) step(ctx context.Context, stack string, s apply.Step) error {
	for _, w := range s.Waits {
		if err := x.wait(ctx, stack, w); err != nil {
			return &apply.StepError{Step: s, Err: err}
		}
	}
	if err := x.run(ctx, s); err != nil {
		x.event(s.Resource, "Error", time.Time{}, err.Error())
		return &apply.StepError{Step: s, Err: err}
	}
	return nil
}

// services carries out the service steps, each once the steps it comes
// after (its dependencies) are done; the first failure cancels the rest.
func (x *executor) services(ctx context.Context, stack string, steps []apply.Step) error {
	done := map[int]chan struct{}{}
	for _, s := range steps {
		done[s.ID] = make(chan struct{})
	}
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range steps {
		g.Go(func() error {
			for _, a := range s.After {
				if ch, ok := done[a]; ok { // steps before these are done already
					select {
					case <-ch:
					case <-gctx.Done():
						return gctx.Err()
					}
				}
			}
			if err := x.step(gctx, stack, s); err != nil {
				return err
			}
			close(done[s.ID])
			return nil
		})
	}
	return g.Wait()
}

type executor struct {
	d     Docker
	opts  ExecOptions
	began time.Time

	mu      sync.Mutex        // guards ids and updated: services are created side by side
	ids     map[string]string // service name → ID, of the services this run created or updated
	updated map[string]bool   // by ID: updated (not created) by this run
}

func (x *executor) serviceID(name string) string {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.ids[name]
}

func (x *executor) updatedByThisRun(id string) bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.updated[id]
}

func (x *executor) event(resource, status string, start time.Time, detail string) {
	var el time.Duration
	if !start.IsZero() {
		el = time.Since(start)
	}
	x.opts.Progress(apply.Event{Resource: resource, Status: status, Elapsed: el, Detail: detail})
}

func (x *executor) run(ctx context.Context, s apply.Step) error {
	start := time.Now()
	switch s.Action {
	case apply.CreateNetwork:
		x.event(s.Resource, "Creating", time.Time{}, "")
		n := s.Network
		_, err := x.d.NetworkCreate(ctx, s.Name, network.CreateOptions{Driver: n.Driver, Options: n.DriverOpts, Internal: n.Internal,
			Attachable: n.Attachable, Labels: n.Labels, IPAM: n.IPAM, Scope: "swarm"})
		if err != nil {
			return fmt.Errorf("creating network %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Created", start, "")
	case apply.CreateSecret:
		x.event(s.Resource, "Creating", time.Time{}, "")
		if _, err := x.d.SecretCreate(ctx, *s.SecretSpec); err != nil {
			return fmt.Errorf("creating secret %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Created", start, "")
	case apply.CreateConfig:
		x.event(s.Resource, "Creating", time.Time{}, "")
		if _, err := x.d.ConfigCreate(ctx, *s.ConfigSpec); err != nil {
			return fmt.Errorf("creating config %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Created", start, "")
	case apply.CreateService, apply.UpdateService:
		spec, err := x.resolveRefs(ctx, *s.ServiceSpec)
		if err != nil {
			return err
		}
		var auth string
		if x.opts.WithRegistryAuth && spec.TaskTemplate.ContainerSpec != nil {
			if auth, err = x.d.RegistryAuth(spec.TaskTemplate.ContainerSpec.Image); err != nil {
				return err
			}
		}
		if s.Action == apply.CreateService {
			x.event(s.Resource, "Creating", time.Time{}, "")
			resp, err := x.d.ServiceCreate(ctx, spec, swarm.ServiceCreateOptions{EncodedRegistryAuth: auth})
			if err != nil {
				return fmt.Errorf("creating service %s: %w", s.Name, err)
			}
			x.mu.Lock()
			x.ids[s.Name] = resp.ID
			x.mu.Unlock()
			x.event(s.Resource, "Created", start, strings.Join(resp.Warnings, "; "))
			return nil
		}
		x.event(s.Resource, "Updating", time.Time{}, "")
		uo := swarm.ServiceUpdateOptions{EncodedRegistryAuth: auth}
		if auth == "" {
			uo.RegistryAuthFrom = swarm.RegistryAuthFromSpec // keep what the service was given
		}
		resp, err := x.d.ServiceUpdate(ctx, s.OldID, swarm.Version{Index: s.Version}, spec, uo)
		if err != nil {
			return fmt.Errorf("updating service %s: %w", s.Name, err)
		}
		x.mu.Lock()
		x.ids[s.Name] = s.OldID
		x.updated[s.OldID] = true
		x.mu.Unlock()
		x.event(s.Resource, "Updated", start, strings.Join(resp.Warnings, "; "))
	case apply.RemoveService:
		x.event(s.Resource, "Removing", time.Time{}, "")
		if err := x.d.ServiceRemove(ctx, s.OldID); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("removing service %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Removed", start, "")
	case apply.RemoveSecret:
		x.event(s.Resource, "Removing", time.Time{}, "")
		if err := x.d.SecretRemove(ctx, s.OldID); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("removing secret %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Removed", start, "")
	case apply.RemoveConfig:
		x.event(s.Resource, "Removing", time.Time{}, "")
		if err := x.d.ConfigRemove(ctx, s.OldID); err != nil && !errdefs.IsNotFound(err) {
			return fmt.Errorf("removing config %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Removed", start, "")
	case apply.RemoveNetwork:
		x.event(s.Resource, "Removing", time.Time{}, "")
		if err := x.removeNetwork(ctx, s.OldID); err != nil {
			return fmt.Errorf("removing network %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Removed", start, "")
	default:
		return fmt.Errorf("action %s is not one of the Swarm target's", s.Action)
	}
	return nil
}

// removeNetwork retries while the network's last endpoints go (a removed
// service's tasks leave their network attachments a moment after they are
// gone), for about ten seconds.
func (x *executor) removeNetwork(ctx context.Context, id string) error {
	for tries := 0; ; tries++ {
		err := x.d.NetworkRemove(ctx, id)
		if errdefs.IsNotFound(err) {
			return nil
		}
		if err == nil {
			return x.networkGone(ctx, id)
		}
		// Engine 20.10 answers 500 for a network the managers removed a
		// moment ago (docker stack rm does not wait): look whether it is
		// still there rather than read the message.
		nets, lerr := x.d.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("id", id))})
		if lerr == nil && len(nets) == 0 {
			return nil
		}
		if tries >= 40 {
			return err
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
}

// networkGone waits until the engine no longer lists a removed network: the
// managers remove it, and the node's copy goes a moment later.
func (x *executor) networkGone(ctx context.Context, id string) error {
	for range 40 {
		nets, err := x.d.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("id", id))})
		if err != nil {
			return fmt.Errorf("listing networks: %w", err)
		}
		if len(nets) == 0 {
			return nil
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return err
		}
	}
	return nil
}

// resolveRefs fills in the IDs of the secrets and configs a spec names,
// some of which this plan has just created.
func (x *executor) resolveRefs(ctx context.Context, spec swarm.ServiceSpec) (swarm.ServiceSpec, error) {
	cs := *spec.TaskTemplate.ContainerSpec
	if len(cs.Secrets) > 0 {
		all, err := x.d.SecretList(ctx, swarm.SecretListOptions{})
		if err != nil {
			return spec, fmt.Errorf("listing secrets: %w", err)
		}
		cs.Secrets = slices.Clone(cs.Secrets)
		for i, r := range cs.Secrets {
			r := *r
			idx := slices.IndexFunc(all, func(s swarm.Secret) bool { return s.Spec.Name == r.SecretName })
			if idx < 0 {
				return spec, fmt.Errorf("secret %s not found", r.SecretName)
			}
			r.SecretID = all[idx].ID
			cs.Secrets[i] = &r
		}
	}
	if len(cs.Configs) > 0 {
		all, err := x.d.ConfigList(ctx, swarm.ConfigListOptions{})
		if err != nil {
			return spec, fmt.Errorf("listing configs: %w", err)
		}
		cs.Configs = slices.Clone(cs.Configs)
		for i, r := range cs.Configs {
			r := *r
			idx := slices.IndexFunc(all, func(c swarm.Config) bool { return c.Spec.Name == r.ConfigName })
			if idx < 0 {
				return spec, fmt.Errorf("config %s not found", r.ConfigName)
			}
			r.ConfigID = all[idx].ID
			cs.Configs[i] = &r
		}
	}
	spec.TaskTemplate.ContainerSpec = &cs
	return spec, nil
}

// tasksGone waits until the removed services have no task left, so that
// their networks, secrets and configs can go.
func (x *executor) tasksGone(ctx context.Context, stack string, services []string) error {
	start := time.Now()
	for {
		left := 0
		for _, id := range services {
			tasks, err := x.d.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", id))})
			if errdefs.IsNotFound(err) {
				continue // the service is gone, and its tasks with it
			}
			if err != nil {
				return fmt.Errorf("listing tasks: %w", err)
			}
			left += len(tasks)
		}
		if left == 0 {
			return nil
		}
		if x.opts.WaitTimeout > 0 && time.Since(start) > x.opts.WaitTimeout {
			return fmt.Errorf("stack %s: %d tasks of removed services still there after %s", stack, left, x.opts.WaitTimeout)
		}
		if err := sleep(ctx, x.opts.Poll); err != nil {
			return err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// errTimeout marks a wait that ran out of time.
var errTimeout = errors.New("timed out")
