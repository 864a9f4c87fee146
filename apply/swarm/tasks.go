package swarm

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/volume"
)

// Task is one task of a stack's service, as `berth ps --swarm` lists it.
type Task struct {
	Name    string `json:"name"`    // stack_web.1, or stack_web.NODE for a global service
	Service string `json:"service"` // the compose name
	ID      string `json:"id"`
	Node    string `json:"node"` // the node's hostname
	Desired string `json:"desired_state"`
	State   string `json:"state"`
	Error   string `json:"error,omitempty"`
	Image   string `json:"image"`
}

// Tasks lists the tasks of the stack's services that should run or ran
// last, slot by slot, sorted by name.
func Tasks(ctx context.Context, d Docker, stack string) ([]Task, error) {
	obs, err := Observe(ctx, d, stack)
	if err != nil {
		return nil, err
	}
	nodes, err := d.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing nodes: %w", err)
	}
	hostname := map[string]string{}
	for _, n := range nodes {
		hostname[n.ID] = n.Description.Hostname
	}
	var out []Task
	for _, s := range obs.Services {
		tasks, err := d.TaskList(ctx, swarm.TaskListOptions{Filters: filters.NewArgs(filters.Arg("service", s.ID), filters.Arg("desired-state", "running"))})
		if err != nil {
			return nil, fmt.Errorf("listing the tasks of %s: %w", s.Spec.Name, err)
		}
		for _, t := range tasks {
			name := fmt.Sprintf("%s.%d", s.Spec.Name, t.Slot)
			if t.Slot == 0 {
				name = s.Spec.Name + "." + hostname[t.NodeID]
			}
			image := ""
			if t.Spec.ContainerSpec != nil {
				image, _, _ = strings.Cut(t.Spec.ContainerSpec.Image, "@")
			}
			out = append(out, Task{Name: name, Service: strings.TrimPrefix(s.Spec.Name, stack+"_"), ID: t.ID, Node: hostname[t.NodeID],
				Desired: string(t.DesiredState), State: string(t.Status.State), Error: t.Status.Err, Image: image})
		}
	}
	slices.SortFunc(out, func(a, b Task) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// Volumes is what RemoveVolumes needs of the engine.
type Volumes interface {
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	VolumeList(ctx context.Context, options volume.ListOptions) (volume.ListResponse, error)
	VolumeRemove(ctx context.Context, volumeID string, force bool) error
}

// RemoveVolumes removes the stack's named volumes on the engine's own node,
// once the containers of its tasks there are gone: Swarm creates a
// service's volumes on every node that runs its tasks and never removes
// them (docker stack rm keeps them too). It returns how many it removed.
func RemoveVolumes(ctx context.Context, d Volumes, stack string) (int, error) {
	f := filters.NewArgs(filters.Arg("label", LabelNamespace+"="+stack))
	for tries := 0; ; tries++ {
		cs, err := d.ContainerList(ctx, container.ListOptions{All: true, Filters: f})
		if err != nil {
			return 0, fmt.Errorf("listing the stack's containers: %w", err)
		}
		if len(cs) == 0 {
			break
		}
		if tries == 240 {
			return 0, fmt.Errorf("stack %s: %d task containers still there after a minute; its volumes are kept", stack, len(cs))
		}
		if err := sleep(ctx, 250*time.Millisecond); err != nil {
			return 0, err
		}
	}
	vols, err := d.VolumeList(ctx, volume.ListOptions{Filters: f})
	if err != nil {
		return 0, fmt.Errorf("listing the stack's volumes: %w", err)
	}
	for _, v := range vols.Volumes {
		if err := d.VolumeRemove(ctx, v.Name, false); err != nil {
			return 0, fmt.Errorf("removing volume %s: %w", v.Name, err)
		}
	}
	return len(vols.Volumes), nil
}
