package apply

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// This file holds the rolling recreate: a container whose service can run
// twice at once is replaced start-first. The replacement is created under
// the temporary name a stop-first recreate uses ("<old ID[:12]>_<name>"),
// joined to the service's networks and aliases, started, and waited for
// (healthy with a healthcheck, running without); only then is the old
// container stopped and removed and the replacement renamed. A SIGKILL at
// any point leaves the old container, the replacement, or both: the next
// Diff keeps the one under the final name and removes the other
// (pickReplica), so there is at most one extra container and it goes.

// The orders a recreate can use (deploy.update_config.order).
const (
	StartFirst = "start-first"
	StopFirst  = "stop-first"
)

// The failure actions of a start-first recreate
// (deploy.update_config.failure_action).
const (
	FailRollback = "rollback" // remove the replacement, keep the old container; the apply fails
	FailPause    = "pause"    // keep both for inspection, stop the service's update; the apply fails
	FailContinue = "continue" // replace the old container all the same and go on
)

// Rollout is how a recreate replaces its container, and why.
type Rollout struct {
	Order string `json:"order"` // start-first or stop-first
	Why   string `json:"why"`   // for people
	// FailureAction applies to start-first only: rollback, pause or
	// continue.
	FailureAction string `json:"failure_action,omitempty"`
	// DelayMS is waited before this replica is replaced: it is not in the
	// service's first batch (update_config.delay).
	DelayMS int64 `json:"delay_ms,omitempty"`
	// MonitorMS is how long the replacement must stay up once ready
	// before the old container goes (update_config.monitor).
	MonitorMS int64 `json:"monitor_ms,omitempty"`
}

// StartFirst reports whether the recreate starts the replacement first.
func (r *Rollout) StartFirst() bool { return r != nil && r.Order == StartFirst }

// String is the plan's line for people.
func (r *Rollout) String() string {
	s := "order " + r.Order + ": " + r.Why
	if r.StartFirst() {
		s += "; on failure: " + r.FailureAction
	}
	if r.DelayMS > 0 {
		s += fmt.Sprintf("; after a delay of %s", time.Duration(r.DelayMS)*time.Millisecond)
	}
	return s
}

// rolloutFor decides the order of a recreate of one of s's containers.
// Without update_config.order, start-first is chosen only when two
// containers of the service can certainly run at once: nothing that two
// containers cannot share (a fixed name, a host port, a fixed address, the
// host's network) and nothing that two writers would corrupt (a named
// volume or bind mounted read-write, anonymous volumes carried over).
func rolloutFor(q *types.Project, s types.ServiceConfig, step Step) *Rollout {
	var uc types.UpdateConfig
	if s.Deploy != nil && s.Deploy.UpdateConfig != nil {
		uc = *s.Deploy.UpdateConfig
	}
	r := &Rollout{}
	switch uc.Order {
	case StartFirst:
		r.Order, r.Why = StartFirst, "deploy.update_config.order is start-first"
	case StopFirst:
		r.Order, r.Why = StopFirst, "deploy.update_config.order is stop-first"
	default:
		if why := cannotRunTwice(q, s, step); why != "" {
			r.Order, r.Why = StopFirst, why
		} else {
			r.Order, r.Why = StartFirst, "two containers of "+s.Name+" can run at once"
		}
	}
	if r.StartFirst() {
		r.FailureAction = uc.FailureAction
		if r.FailureAction == "" {
			r.FailureAction = FailRollback
		}
		r.MonitorMS = time.Duration(uc.Monitor).Milliseconds()
	}
	return r
}

// cannotRunTwice says why two containers of s cannot run side by side, or
// returns "".
func cannotRunTwice(q *types.Project, s types.ServiceConfig, step Step) string {
	if s.ContainerName != "" {
		return "container_name " + s.ContainerName + " is fixed"
	}
	for _, p := range s.Ports {
		if p.Published != "" && p.Published != "0" {
			return "it publishes host port " + p.Published
		}
	}
	switch mode := s.NetworkMode; {
	case mode == "host":
		return "network_mode is host"
	case strings.HasPrefix(mode, types.ServicePrefix) || strings.HasPrefix(mode, types.ContainerPrefix):
		return "network_mode is " + mode
	}
	for name, n := range s.Networks {
		if n != nil && (n.Ipv4Address != "" || n.Ipv6Address != "" || n.MacAddress != "") {
			return "it has a fixed address on network " + name
		}
	}
	if s.MacAddress != "" {
		return "its mac_address is fixed"
	}
	if len(step.KeepVolumes) > 0 {
		return "its anonymous volumes go to the replacement"
	}
	for _, v := range s.Volumes {
		if v.ReadOnly {
			continue
		}
		switch v.Type {
		case types.VolumeTypeVolume, "":
			if v.Source != "" {
				return "it writes to volume " + v.Source + " (one writer at a time)"
			}
		case types.VolumeTypeBind:
			return "it writes to bind mount " + v.Source + " (one writer at a time)"
		}
	}
	if len(s.VolumesFrom) > 0 {
		return "it uses volumes_from"
	}
	for _, other := range sortedKeys(q.Services) {
		o := q.Services[other]
		if o.NetworkMode == types.ServicePrefix+s.Name {
			return "service " + other + " shares its network namespace"
		}
		if slices.Contains(o.VolumesFrom, s.Name) || slices.ContainsFunc(o.VolumesFrom, func(v string) bool { return strings.HasPrefix(v, s.Name+":") }) {
			return "service " + other + " mounts its volumes"
		}
	}
	return ""
}

// planRollouts gives every container recreate its order, and makes the
// start-first recreates of a service go update_config.parallelism replicas
// at a time (default 1, 0 all at once), each batch update_config.delay
// after the one before.
func (b *builder) planRollouts(q *types.Project) {
	prev := map[string][]int{} // service -> indexes of its start-first recreates
	for i := range b.plan.Steps {
		s := &b.plan.Steps[i]
		svc, ok := q.Services[s.Service]
		if s.Action != Recreate || !ok {
			continue
		}
		s.Rollout = rolloutFor(q, svc, *s)
		if !s.Rollout.StartFirst() {
			continue
		}
		par, delay := 1, time.Duration(0)
		if svc.Deploy != nil && svc.Deploy.UpdateConfig != nil {
			if p := svc.Deploy.UpdateConfig.Parallelism; p != nil {
				par = int(*p)
			}
			delay = time.Duration(svc.Deploy.UpdateConfig.Delay)
		}
		done := prev[s.Service]
		if par > 0 && len(done) >= par {
			before := b.plan.Steps[done[len(done)-par]].ID
			s.After = append(slices.Clone(s.After), before)
			slices.Sort(s.After)
			s.After = slices.Compact(s.After)
			s.Rollout.DelayMS = delay.Milliseconds()
		}
		prev[s.Service] = append(done, i)
	}
}

// temporaryName is the name a recreate gives the replacement until the old
// container is gone.
func temporaryName(s Step) string { return fmt.Sprintf("%.12s_%s", s.OldID, s.Name) }

// RolloutError is a start-first recreate whose replacement did not become
// ready; the old container still serves.
type RolloutError struct {
	Service       string
	Replacement   string // the replacement's name (removed after a rollback)
	FailureAction string
	Err           error
}

func (e *RolloutError) Error() string {
	switch e.FailureAction {
	case FailPause:
		return fmt.Sprintf("%v; update of %s paused: the old container still serves, the replacement %s is kept for inspection (the next apply removes it)", e.Err, e.Service, e.Replacement)
	}
	return fmt.Sprintf("%v; rolled back: the replacement was removed and the old container still serves", e.Err)
}

func (e *RolloutError) Unwrap() error { return e.Err }

// rollingRecreate replaces a container start-first (see the top of the
// file).
func (x *executor) rollingRecreate(ctx context.Context, s Step, began time.Time) error {
	if kept, err := x.keepUnchanged(ctx, s, began); kept || err != nil {
		return err
	}
	r := s.Rollout
	if r.DelayMS > 0 {
		x.event(s.Resource, "Waiting", 0, "update_config.delay")
		select {
		case <-time.After(time.Duration(r.DelayMS) * time.Millisecond):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	tmp := temporaryName(s)
	id, err := x.create(ctx, s, tmp)
	if err != nil {
		return err
	}
	if err := x.start(ctx, s, id, began); err != nil {
		return x.rolloutFailed(ctx, s, id, tmp, err)
	}
	x.event(s.Resource, "Waiting", time.Since(began), "replacement "+tmp)
	if err := x.waitReady(ctx, s.Service, id, time.Duration(r.MonitorMS)*time.Millisecond); err != nil {
		return x.rolloutFailed(ctx, s, id, tmp, err)
	}
	return x.replaceOld(ctx, s, id, tmp, began, "")
}

// replaceOld removes the old container and gives the replacement its name.
// It runs to the end once begun: a cancelled apply would otherwise leave two
// containers serving.
func (x *executor) replaceOld(ctx context.Context, s Step, id, tmp string, began time.Time, detail string) error {
	ctx = context.WithoutCancel(ctx)
	x.event(s.Resource, "Stopping", 0, "old container")
	if err := x.stopRemove(ctx, s.OldID); err != nil {
		return err
	}
	if err := x.d.ContainerRename(ctx, id, s.Name); err != nil {
		return fmt.Errorf("renaming %s to %s: %w", tmp, s.Name, err)
	}
	x.event(s.Resource, "Recreated", time.Since(began), detail)
	return nil
}

// rolloutFailed carries out the failure action of a replacement that did
// not become ready.
func (x *executor) rolloutFailed(ctx context.Context, s Step, id, tmp string, cause error) error {
	action := s.Rollout.FailureAction
	if ctx.Err() != nil && !errors.Is(cause, errWaitTimedOut) {
		action = FailRollback // interrupted: do not leave a second container behind
	}
	switch action {
	case FailContinue:
		return x.replaceOld(ctx, s, id, tmp, time.Now(), "replacement not ready (update_config.failure_action: continue): "+cause.Error())
	case FailPause:
	default:
		x.event(s.Resource, "Removing", 0, "replacement "+tmp)
		if err := x.stopRemove(context.WithoutCancel(ctx), id); err != nil {
			return errors.Join(cause, fmt.Errorf("rolling back: %w", err))
		}
	}
	return &RolloutError{Service: s.Service, Replacement: tmp, FailureAction: action, Err: cause}
}
