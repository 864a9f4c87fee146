package swarm

import (
	"context"
	"fmt"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"

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
	obs, err := Observe(ctx, d, p.Name)
	if err != nil {
		return nil, err
	}
	return Diff(st, obs, opts), nil
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
