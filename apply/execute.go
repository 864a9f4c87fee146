package apply

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"golang.org/x/sync/errgroup"
)

// ExecOptions are how Execute runs a plan; none of them changes what it does.
type ExecOptions struct {
	Parallel    int           // steps running at once; <= 0 means 4
	WaitTimeout time.Duration // bound on each depends_on wait and on the final wait; 0 means none
	Progress    func(Event)   // nil drops events
	PollEvery   time.Duration // health polling interval; 0 means 500ms, as Compose
}

// Event reports progress on one resource.
type Event struct {
	Resource string
	Status   string // "Creating", "Created", "Started", "Waiting", "Healthy", "Removed", "Error", ...
	Elapsed  time.Duration
	Detail   string
}

// StepError says which step failed.
type StepError struct {
	Step Step
	Err  error
}

func (e *StepError) Error() string {
	if e.Step.Service != "" {
		return fmt.Sprintf("service %s: %s %s: %v", e.Step.Service, e.Step.Action, e.Step.Name, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Step.Action, e.Step.Name, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

// Execute carries out the plan: every step after the steps it waits for, at
// most opts.Parallel at a time, and stops starting new steps after the first
// failure. It switches on Action and step data only; Reasons are never read.
func Execute(ctx context.Context, d Docker, plan *Plan, opts ExecOptions) error {
	if err := plan.Validate(); err != nil {
		return err
	}
	x := &executor{d: d, plan: plan, opts: opts}
	if x.opts.Parallel <= 0 {
		x.opts.Parallel = 4
	}
	if x.opts.PollEvery <= 0 {
		x.opts.PollEvery = 500 * time.Millisecond
	}
	if plan.waits() {
		wctx, stop := context.WithCancel(ctx)
		defer stop()
		x.watch(wctx)
	}
	done := map[int]chan struct{}{}
	for _, s := range plan.Steps {
		done[s.ID] = make(chan struct{})
	}
	sem := make(chan struct{}, x.opts.Parallel)
	g, gctx := errgroup.WithContext(ctx)
	for _, s := range plan.Steps {
		g.Go(func() error {
			for _, a := range s.After {
				select {
				case <-done[a]:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			select {
			case sem <- struct{}{}:
			case <-gctx.Done():
				return gctx.Err()
			}
			err := x.run(gctx, s)
			<-sem
			if err != nil {
				x.event(s.Resource, "Error", 0, err.Error())
				return &StepError{Step: s, Err: err}
			}
			close(done[s.ID])
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		// The first failure cancels the rest; report it, not the cancellations.
		return err
	}
	if len(plan.Wait) > 0 {
		wctx := ctx
		if opts.WaitTimeout > 0 {
			var cancel context.CancelFunc
			wctx, cancel = context.WithTimeout(ctx, opts.WaitTimeout)
			defer cancel()
		}
		for _, w := range plan.Wait {
			if err := x.wait(wctx, w); err != nil {
				return err
			}
		}
	}
	return nil
}

type executor struct {
	d       Docker
	plan    *Plan
	opts    ExecOptions
	startMu sync.Mutex // the engine races on port allocation when starts overlap (Compose serializes them too)
	images  imageIDs   // IDs of the images built or pulled by this run
	watcher watcher    // the project's container events, for waits
}

func (x *executor) event(resource, status string, elapsed time.Duration, detail string) {
	if x.opts.Progress != nil {
		x.opts.Progress(Event{Resource: resource, Status: status, Elapsed: elapsed, Detail: detail})
	}
}

func (x *executor) run(ctx context.Context, s Step) error {
	start := time.Now()
	switch s.Action {
	case Pull:
		return x.pullImage(ctx, s, start)
	case Build:
		return x.buildImage(ctx, s, start)
	case RemoveImage:
		return x.removeImage(ctx, s, start)
	case CreateNetwork:
		n := s.Network
		o := network.CreateOptions{Driver: n.Driver, Options: n.DriverOpts, Internal: n.Internal, Attachable: n.Attachable, Labels: n.Labels}
		if n.EnableIPv6 {
			o.EnableIPv6 = &n.EnableIPv6
		}
		resp, err := x.d.NetworkCreate(ctx, s.Name, o)
		if isConflict(err) {
			// A killed apply's create can finish in the engine after this
			// apply observed: adopt that network when it is this project's.
			if adopted, aerr := x.adoptNetwork(ctx, s); aerr != nil || adopted {
				return aerr
			}
		}
		if err != nil {
			return fmt.Errorf("creating network %s: %w", s.Name, err)
		}
		if err := x.yieldNetwork(ctx, s.Name, resp.ID); err != nil {
			return err
		}
		x.event(s.Resource, "Created", time.Since(start), "")
	case CreateVolume:
		v := s.Volume
		if _, err := x.d.VolumeCreate(ctx, volume.CreateOptions{Name: s.Name, Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: v.Labels}); err != nil {
			return fmt.Errorf("creating volume %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Created", time.Since(start), "")
	case Create:
		id, err := x.create(ctx, s, s.Name)
		if err != nil {
			return err
		}
		x.event(s.Resource, "Created", time.Since(start), "")
		return x.start(ctx, s, id, start)
	case Recreate:
		if s.Rollout.StartFirst() {
			return x.rollingRecreate(ctx, s, start)
		}
		if kept, err := x.keepUnchanged(ctx, s, start); kept || err != nil {
			return err
		}
		tmp := temporaryName(s)
		id, err := x.create(ctx, s, tmp)
		if err != nil {
			return err
		}
		if err := x.stopRemove(ctx, s.OldID); err != nil {
			return err
		}
		if err := x.d.ContainerRename(ctx, id, s.Name); err != nil {
			return fmt.Errorf("renaming %s to %s: %w", tmp, s.Name, err)
		}
		x.event(s.Resource, "Recreated", time.Since(start), "")
		return x.start(ctx, s, id, start)
	case Start:
		if kept, err := x.dependencyKept(ctx, s, start); kept || err != nil {
			return err
		}
		return x.start(ctx, s, s.OldID, start)
	case Restart:
		return x.restart(ctx, s, start)
	case Stop:
		if kept, err := x.dependencyKept(ctx, s, start); kept || err != nil {
			return err
		}
		return x.stop(ctx, s, start)
	case Remove:
		x.event(s.Resource, "Removing", 0, "")
		if err := x.stopRemoveWith(ctx, s.OldID, s.RemoveVolumes); err != nil {
			return err
		}
		x.event(s.Resource, "Removed", time.Since(start), "")
	case Disconnect:
		// Forced: the endpoint goes even if the engine still holds state
		// for it. Gone already (the container, or it is not on the network)
		// is what the step wants.
		if err := x.d.NetworkDisconnect(ctx, s.Endpoint.Network, s.OldID, true); err != nil && !isNotFound(err) && !notConnected(err) {
			return fmt.Errorf("disconnecting %s from network %s: %w", s.Name, s.Endpoint.Network, err)
		}
		x.event(s.Resource, "Disconnected", time.Since(start), s.Endpoint.Network)
	case Connect:
		if err := x.d.NetworkConnect(ctx, s.Endpoint.Network, s.OldID, s.Endpoint.Endpoint); err != nil {
			return fmt.Errorf("connecting %s to network %s: %w", s.Name, s.Endpoint.Network, err)
		}
		x.event(s.Resource, "Connected", time.Since(start), s.Endpoint.Network)
	case RemoveNetwork:
		if err := x.d.NetworkRemove(ctx, s.OldID); err != nil && !isNotFound(err) {
			return fmt.Errorf("removing network %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Removed", time.Since(start), "")
	case RemoveVolume:
		if err := x.d.VolumeRemove(ctx, s.Name, false); err != nil && !isNotFound(err) {
			return fmt.Errorf("removing volume %s: %w", s.Name, err)
		}
		x.event(s.Resource, "Removed", time.Since(start), "")
	default:
		return fmt.Errorf("unknown action %q", s.Action)
	}
	return nil
}

// create makes the container under name, attached to its first network at
// create time and to the others afterwards.
func (x *executor) create(ctx context.Context, s Step, name string) (string, error) {
	spec, err := x.resolveRefs(ctx, s)
	if err != nil {
		return "", err
	}
	spec = x.withImageLabel(spec)
	var nc *network.NetworkingConfig
	if len(spec.Networks) > 0 {
		nc = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{spec.Networks[0].Network: spec.Networks[0].Endpoint}}
	}
	x.event(s.Resource, "Creating", 0, "")
	resp, err := x.createOver(ctx, spec.Config, spec.HostConfig, nc, name, s.Resource)
	if err != nil {
		return "", fmt.Errorf("creating container %s: %w", name, err)
	}
	for _, ep := range spec.Networks[min(1, len(spec.Networks)):] {
		if err := x.d.NetworkConnect(ctx, ep.Network, resp.ID, ep.Endpoint); err != nil {
			return "", fmt.Errorf("connecting %s to network %s: %w", name, ep.Network, err)
		}
	}
	if err := x.injectFiles(ctx, resp.ID, spec.Files); err != nil {
		return "", fmt.Errorf("container %s: %w", name, err)
	}
	return resp.ID, nil
}

// start waits for the step's dependencies, then starts the container.
func (x *executor) start(ctx context.Context, s Step, id string, began time.Time) error {
	for _, w := range s.Waits {
		wctx, cancel := ctx, context.CancelFunc(func() {})
		if x.opts.WaitTimeout > 0 {
			wctx, cancel = context.WithTimeout(ctx, x.opts.WaitTimeout)
		}
		err := x.wait(wctx, w)
		cancel()
		if err != nil {
			return fmt.Errorf("dependency failed to start: %w", err)
		}
	}
	x.startMu.Lock()
	err := x.d.ContainerStart(ctx, id, container.StartOptions{})
	if isAmbiguous(err) { // a duplicate network appeared after ours was created
		if removed, rerr := x.resolveAmbiguous(ctx, s); rerr == nil && removed {
			err = x.d.ContainerStart(ctx, id, container.StartOptions{})
		}
	}
	x.startMu.Unlock()
	if err != nil {
		return fmt.Errorf("starting container %s: %w", s.Name, err)
	}
	x.event(s.Resource, "Started", time.Since(began), "")
	return nil
}

func (x *executor) stopRemove(ctx context.Context, id string) error {
	return x.stopRemoveWith(ctx, id, false)
}

// stopRemoveWith stops and removes a container, and its anonymous volumes
// with volumes.
func (x *executor) stopRemoveWith(ctx context.Context, id string, volumes bool) error {
	if err := x.d.ContainerStop(ctx, id, container.StopOptions{}); err != nil && !isNotFound(err) {
		return fmt.Errorf("stopping container %.12s: %w", id, err)
	}
	if err := x.d.ContainerRemove(ctx, id, container.RemoveOptions{Force: true, RemoveVolumes: volumes}); err != nil && !isNotFound(err) {
		if isConflict(err) && x.gone(ctx, id) { // a killed apply's removal still in progress
			return nil
		}
		return fmt.Errorf("removing container %.12s: %w", id, err)
	}
	return nil
}

// notConnected reports whether a disconnect failed because the container
// is not on the network.
func notConnected(err error) bool {
	return err != nil && strings.Contains(err.Error(), "is not connected")
}

// errNotYet means a wait condition does not hold yet; polling continues.
var errNotYet = errors.New("not yet")

// wait polls the service's containers until the condition holds, fails for
// good, or ctx ends.
func (x *executor) wait(ctx context.Context, w Wait) error {
	if w.Condition == "service_started" {
		return nil
	}
	res := "service:" + w.Service
	x.event(res, "Waiting", 0, conditionWords(w.Condition))
	began := time.Now()
	tick := time.NewTicker(x.opts.PollEvery)
	defer tick.Stop()
	woken, done := x.subscribe()
	defer done()
	var last error = notYet{state: "no state yet"}
	for {
		err := x.check(ctx, w)
		if err != nil && !errors.Is(err, errNotYet) && ctx.Err() != nil {
			// The deadline cut a Docker call short (a slow engine): that
			// is the wait timing out, with the state seen before it.
			err = last
		}
		switch {
		case err == nil:
			x.event(res, conditionMet(w.Condition), time.Since(began), "")
			return nil
		case !errors.Is(err, errNotYet):
			if !w.Required {
				x.event(res, "Skipped", time.Since(began), "optional dependency: "+err.Error())
				return nil
			}
			x.event(res, "Error", time.Since(began), err.Error())
			return err
		}
		last = err
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				err := x.timedOut(w, err)
				x.event(res, "Error", time.Since(began), err.Error())
				return err
			}
			return ctx.Err()
		case <-tick.C:
		case <-woken:
		}
	}
}

// timedOut is the error of a wait whose time ran out, in the file's words,
// with the last probe output and log lines of the container waited for.
func (x *executor) timedOut(w Wait, err error) error {
	we := &WaitError{Service: w.Service, Want: conditionWords(w.Condition), Within: x.opts.WaitTimeout}
	var n notYet
	if errors.As(err, &n) {
		we.Why = n.state
		if n.want != "" {
			we.Want = n.want
		}
		if n.id != "" {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if in, err := x.d.ContainerInspect(ctx, n.id); err == nil {
				we.Probe = lastProbeOutput(in)
			}
			we.Logs = x.lastLogs(ctx, n.id, logTail)
		}
	}
	return we
}

// conditionWords is a depends_on condition as people say it.
func conditionWords(c string) string {
	switch c {
	case "service_completed_successfully":
		return "completed successfully"
	case "service_healthy":
		return "healthy"
	}
	return "running"
}

func conditionMet(c string) string {
	switch c {
	case "service_completed_successfully":
		return "Exited"
	case "running_or_healthy":
		return "Running"
	}
	return "Healthy"
}

// notYet carries the latest state while a condition does not hold yet: the
// container waited for and what it should become, when known.
type notYet struct{ state, id, want string }

func (n notYet) Error() string   { return n.state }
func (n notYet) Is(t error) bool { return t == errNotYet }

func (x *executor) check(ctx context.Context, w Wait) error {
	list, err := x.d.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(
		filters.Arg("label", LabelProject+"="+x.plan.Project),
		filters.Arg("label", LabelService+"="+w.Service),
		filters.Arg("label", LabelOneOff+"=False"),
	)})
	if err != nil {
		return fmt.Errorf("listing containers of service %s: %w", w.Service, err)
	}
	if len(list) == 0 {
		return fmt.Errorf("service %s has no container", w.Service)
	}
	for _, c := range list {
		in, err := x.d.ContainerInspect(ctx, c.ID)
		if err != nil {
			return fmt.Errorf("inspecting container %.12s: %w", c.ID, err)
		}
		name := strings.TrimPrefix(in.Name, "/")
		st := in.State
		if st == nil {
			return notYet{state: "no state yet"}
		}
		switch w.Condition {
		case "service_completed_successfully":
			if st.Status != "exited" && st.Status != "dead" {
				return notYet{state: "container " + name + " is " + st.Status, id: c.ID}
			}
			if st.ExitCode != 0 {
				return fmt.Errorf("service %q didn't complete successfully: exit %d", w.Service, st.ExitCode)
			}
		default: // service_healthy, running_or_healthy
			if st.Status == "exited" || st.Status == "dead" {
				return fmt.Errorf("container %s exited (%d)", name, st.ExitCode)
			}
			hasCheck := in.Config != nil && in.Config.Healthcheck != nil && len(in.Config.Healthcheck.Test) > 0 && in.Config.Healthcheck.Test[0] != "NONE"
			if st.Health == nil || !hasCheck && st.Health.Status == "" {
				if w.Condition == "service_healthy" {
					if st.Health == nil {
						return fmt.Errorf("container %s has no healthcheck configured", name)
					}
				} else if st.Running {
					continue
				} else {
					return notYet{state: "container " + name + " is " + st.Status, id: c.ID, want: "running"}
				}
			}
			switch st.Health.Status {
			case "healthy":
			case "unhealthy":
				return fmt.Errorf("container %s is unhealthy%s", name, probeOutput(in))
			default:
				return notYet{state: "container " + name + " is " + string(st.Health.Status), id: c.ID, want: "healthy"}
			}
		}
	}
	return nil
}

// probeOutput is the output of the last health probe, for failure messages.
func probeOutput(in container.InspectResponse) string {
	if in.State == nil || in.State.Health == nil || len(in.State.Health.Log) == 0 {
		return ""
	}
	out := strings.TrimSpace(in.State.Health.Log[len(in.State.Health.Log)-1].Output)
	if out == "" {
		return ""
	}
	if len(out) > 300 {
		out = out[:300] + "..."
	}
	return " (last probe: " + out + ")"
}
