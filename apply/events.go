package apply

import (
	"context"
	"sync"

	"github.com/docker/docker/api/types/events"
	"github.com/docker/docker/api/types/filters"
)

// A wait re-checks its condition the moment the engine reports an event
// of one of the project's containers (start, health_status, die, ...),
// rather than on the next poll: a dependency chain then starts each
// service as soon as its dependencies are ready. Polling stays as the
// backstop should the event stream fail.

// eventSource is a Docker that reports events (the Engine does; an engine
// that does not is polled).
type eventSource interface {
	Events(ctx context.Context, options events.ListOptions) (<-chan events.Message, <-chan error)
}

// watcher fans the project's container events out to the waits under way.
type watcher struct {
	mu      sync.Mutex
	waiters map[chan struct{}]struct{}
}

// watch subscribes to the project's container events until ctx ends.
func (x *executor) watch(ctx context.Context) {
	es, ok := x.d.(eventSource)
	if !ok {
		return
	}
	msgs, errs := es.Events(ctx, events.ListOptions{Filters: filters.NewArgs(
		filters.Arg("type", string(events.ContainerEventType)),
		filters.Arg("label", LabelProject+"="+x.plan.Project),
	)})
	w := &x.watcher
	go func() {
		for {
			select {
			case <-msgs:
				w.mu.Lock()
				for ch := range w.waiters {
					select {
					case ch <- struct{}{}:
					default: // a wake-up is pending already
					}
				}
				w.mu.Unlock()
			case <-errs:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
}

// subscribe returns a channel that receives a value after each event, and
// the function that ends the subscription.
func (x *executor) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	w := &x.watcher
	w.mu.Lock()
	if w.waiters == nil {
		w.waiters = map[chan struct{}]struct{}{}
	}
	w.waiters[ch] = struct{}{}
	w.mu.Unlock()
	return ch, func() {
		w.mu.Lock()
		delete(w.waiters, ch)
		w.mu.Unlock()
	}
}

// waits reports whether executing the plan waits for a container's state:
// a depends_on condition, a start-first recreate, or the final wait.
func (p *Plan) waits() bool {
	if len(p.Wait) > 0 {
		return true
	}
	for _, s := range p.Steps {
		if len(s.Waits) > 0 || s.Rollout.StartFirst() {
			return true
		}
	}
	return false
}

var _ eventSource = (*Engine)(nil) // the Engine's waits react to events
