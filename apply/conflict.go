package apply

import (
	"context"
	"fmt"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
)

// isConflict reports whether the engine answered 409 (a container or
// network name already in use); the Docker client types its errors by the
// engine's status.
func isConflict(err error) bool {
	return cerrdefs.IsConflict(err)
}

// isNotFound reports whether the engine answered 404 (no such container,
// network, volume or image).
func isNotFound(err error) bool {
	return cerrdefs.IsNotFound(err)
}

// createOver creates a container under name. When the name is taken by a
// container of this project that the plan did not know of, that container
// goes first: an apply killed while its ContainerCreate was in flight leaves
// a container the engine finishes creating after the next apply observed
// (the name is reserved before the container is listed), and that container
// may lack networks the kill kept it from connecting. A name held by a
// container of another project is reported, never taken.
func (x *executor) createOver(ctx context.Context, cfg *container.Config, hc *container.HostConfig, nc *network.NetworkingConfig, name, resource string) (container.CreateResponse, error) {
	const attempts = 20
	for attempt := 1; ; attempt++ {
		resp, err := x.d.ContainerCreate(ctx, cfg, hc, nc, nil, name)
		if !isConflict(err) || attempt == attempts {
			return resp, err
		}
		in, ierr := x.d.ContainerInspect(ctx, name)
		switch {
		case isNotFound(ierr):
			// Reserved but not created yet, or removed since: try again.
		case ierr != nil:
			return resp, err
		case in.Config == nil || in.Config.Labels[LabelProject] != x.plan.Project:
			return resp, err
		default:
			if rerr := x.d.ContainerRemove(ctx, in.ID, container.RemoveOptions{Force: true}); rerr != nil && !isNotFound(rerr) {
				return resp, fmt.Errorf("%w (removing the leftover %.12s: %v)", err, in.ID, rerr)
			}
			x.event(resource, "Replacing", 0, fmt.Sprintf("removed %.12s, left under this name by an interrupted apply", in.ID))
			continue
		}
		select {
		case <-ctx.Done():
			return resp, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// gone waits up to ten seconds for a container that another request is
// removing to be gone, and reports whether it went.
func (x *executor) gone(ctx context.Context, id string) bool {
	for range 100 {
		if _, err := x.d.ContainerInspect(ctx, id); isNotFound(err) {
			return true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(100 * time.Millisecond):
		}
	}
	return false
}
