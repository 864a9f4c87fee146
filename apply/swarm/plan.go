package swarm

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/load"
)

// LoadOptions returns lo set up to load a project for Swarm: the
// environment resolved (env_file merged into environment, as docker stack
// deploy sends it), since a service spec carries the variables themselves.
func LoadOptions(lo load.Options) load.Options {
	lo.NoEnvResolution = false
	lo.KeepEnvFile = false
	return lo
}

// PlanFor is the Swarm target's entry point: it checks that the engine
// manages a swarm, converts the project, observes its stack and returns
// the plan.
func PlanFor(ctx context.Context, d Docker, p *load.Project, opts Options) (*apply.Plan, error) {
	if err := CheckManager(ctx, d); err != nil {
		return nil, err
	}
	st, err := Convert(p, d.ClientVersion())
	if err != nil {
		return nil, err
	}
	for _, name := range st.External {
		if !container.NetworkMode(name).IsUserDefined() {
			continue // host, bridge, none: on every node, as docker stack deploy reasons
		}
		n, err := d.NetworkInspect(ctx, name, network.InspectOptions{})
		switch {
		case errdefs.IsNotFound(err):
			return nil, fmt.Errorf("network %s is declared external but does not exist: create it with \"docker network create --driver overlay %s\"", name, name)
		case err != nil:
			return nil, fmt.Errorf("inspecting network %s: %w", name, err)
		case n.Scope != "swarm":
			return nil, fmt.Errorf("network %s is declared external but its scope is %q: Swarm services need a swarm-scoped network", name, n.Scope)
		}
	}
	if err := checkPushed(ctx, d, p); err != nil {
		return nil, err
	}
	obs, err := Observe(ctx, d, p.Name)
	if err != nil {
		return nil, err
	}
	return Diff(st, obs, opts), nil
}

// checkPushed refuses, on a swarm of more than one node, a service that
// berth would build (build: with image:) when its image is not in a
// registry: Swarm does not build, and a node other than this one could only
// pull it. On one node the image may be local (Convert warns).
func checkPushed(ctx context.Context, d Docker, p *load.Project) error {
	var built []string
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		if s := p.Services[name]; s.Build != nil && s.Image != "" {
			built = append(built, name)
		}
	}
	if len(built) == 0 {
		return nil
	}
	nodes, err := d.NodeList(ctx, swarm.NodeListOptions{})
	if err != nil {
		return fmt.Errorf("listing the swarm's nodes: %w", err)
	}
	if len(nodes) < 2 {
		return nil
	}
	var errs load.Errors
	for _, name := range built {
		img := p.Services[name].Image
		auth, err := d.RegistryAuth(img)
		if err != nil {
			return err
		}
		if _, err := d.DistributionInspect(ctx, img, auth); err != nil {
			errs = append(errs, &load.Error{Pos: p.Sources.Nearest(load.PathOf("services", name, "build")),
				Msg: fmt.Sprintf("service %s: the swarm has %d nodes and Swarm does not build: %s must be in a registry every node can pull from, %s", name, len(nodes), img, unpushedReason(img, err))})
		}
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// Refresh observes the stack a saved plan is for and says why the plan no
// longer fits ("" when it does).
func Refresh(ctx context.Context, d Docker, plan *apply.Plan) (string, error) {
	obs, err := Observe(ctx, d, plan.Project)
	if err != nil {
		return "", err
	}
	return apply.StaleSummary(plan, obs.Stack, obs.Summary()), nil
}

// unpushedReason says why the registry could not show img, by the class of
// the engine's error: missing, refused for want of credentials, or not
// reachable at all; only the first is fixed by pushing.
func unpushedReason(img string, err error) string {
	switch {
	case errdefs.IsNotFound(err):
		return fmt.Sprintf("and the registry does not have it (%v): build and push it (berth build, docker push %s)", err, img)
	case errdefs.IsUnauthorized(err), errdefs.IsPermissionDenied(err):
		return fmt.Sprintf("and the registry refused to show it (%v): log in to it (docker login) or push it (docker push %s)", err, img)
	default:
		return fmt.Sprintf("and berth could not ask the registry for it (%v)", err)
	}
}
