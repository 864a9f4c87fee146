// Package swarm is berth's Swarm target: a compose project deployed as a
// stack of Swarm services, overlay networks, secrets and configs, through
// the Engine API's Swarm endpoints on the client the rest of berth uses.
//
// It goes the way the container target (package apply) goes, with the same
// plan model: Convert turns the loaded project into the specs `docker stack
// deploy` would send (docker/cli's own convert package makes them), Observe
// reads the stack by docker stack's label, Diff compares the two into an
// apply.Plan, Execute carries it out and waits for every service to
// converge. What it creates carries docker stack's labels, so `docker stack
// ls/services/ps/rm` work on a berth deployment and the other way round.
package swarm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/api/types/swarm"
	"github.com/docker/docker/api/types/system"
)

// Docker is the part of the Engine API the Swarm target uses;
// *apply.Engine has it.
type Docker interface {
	Info(ctx context.Context) (system.Info, error)
	SwarmInspect(ctx context.Context) (swarm.Swarm, error)
	ClientVersion() string
	ServiceList(ctx context.Context, options swarm.ServiceListOptions) ([]swarm.Service, error)
	ServiceInspectWithRaw(ctx context.Context, serviceID string, opts swarm.ServiceInspectOptions) (swarm.Service, []byte, error)
	ServiceCreate(ctx context.Context, service swarm.ServiceSpec, options swarm.ServiceCreateOptions) (swarm.ServiceCreateResponse, error)
	ServiceUpdate(ctx context.Context, serviceID string, version swarm.Version, service swarm.ServiceSpec, options swarm.ServiceUpdateOptions) (swarm.ServiceUpdateResponse, error)
	ServiceRemove(ctx context.Context, serviceID string) error
	TaskList(ctx context.Context, options swarm.TaskListOptions) ([]swarm.Task, error)
	NodeList(ctx context.Context, options swarm.NodeListOptions) ([]swarm.Node, error)
	NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
	NetworkInspect(ctx context.Context, networkID string, options network.InspectOptions) (network.Inspect, error)
	NetworkCreate(ctx context.Context, name string, options network.CreateOptions) (network.CreateResponse, error)
	NetworkRemove(ctx context.Context, network string) error
	SecretList(ctx context.Context, options swarm.SecretListOptions) ([]swarm.Secret, error)
	SecretCreate(ctx context.Context, secret swarm.SecretSpec) (swarm.SecretCreateResponse, error)
	SecretRemove(ctx context.Context, id string) error
	ConfigList(ctx context.Context, options swarm.ConfigListOptions) ([]swarm.Config, error)
	ConfigCreate(ctx context.Context, config swarm.ConfigSpec) (swarm.ConfigCreateResponse, error)
	ConfigRemove(ctx context.Context, id string) error
	DistributionInspect(ctx context.Context, image, encodedRegistryAuth string) (registry.DistributionInspect, error)
	// RegistryAuth is the Docker config's credential for ref's registry,
	// encoded for the Engine API, or "" when it has none.
	RegistryAuth(ref string) (string, error)
}

// LabelNamespace is docker stack's label: the stack a Swarm object belongs
// to.
const LabelNamespace = convert.LabelNamespace

// NotManagerError says the engine cannot deploy services: it is not a
// manager of a swarm.
type NotManagerError struct {
	State swarm.LocalNodeState // inactive, pending, active (a worker), error, locked
}

func (e *NotManagerError) Error() string {
	if e.State == swarm.LocalNodeStateActive {
		return "this Docker engine is a swarm worker, not a manager: run berth against a manager node (DOCKER_HOST or --context), or promote this node with \"docker node promote\" on a manager"
	}
	return fmt.Sprintf("this Docker engine is not part of a swarm (state %q): run \"docker swarm init\" to make it a manager, or \"docker swarm join --token TOKEN MANAGER:2377\" with the token \"docker swarm join-token manager\" prints on a manager", e.State)
}

// Observed is what the swarm holds of one stack.
type Observed struct {
	Stack    string
	Services []swarm.Service
	Networks []network.Summary
	Secrets  []swarm.Secret
	Configs  []swarm.Config
	// NetworkNames are the names of every swarm network by ID, the
	// stack's and the external ones its services attach to.
	NetworkNames map[string]string
}

// CheckManager returns a *NotManagerError unless the engine manages a swarm.
func CheckManager(ctx context.Context, d Docker) error {
	// Only a manager answers the swarm inspect, and cheaply; the full info
	// (ten times the engine's time) is read only to say what else it is.
	if _, err := d.SwarmInspect(ctx); err == nil {
		return nil
	}
	info, err := d.Info(ctx)
	if err != nil {
		return fmt.Errorf("reading the engine's swarm state: %w", err)
	}
	if !info.Swarm.ControlAvailable {
		return &NotManagerError{State: info.Swarm.LocalNodeState}
	}
	return nil
}

// Observe reads the stack's services, networks, secrets and configs by
// docker stack's namespace label.
func Observe(ctx context.Context, d Docker, stack string) (*Observed, error) {
	if err := CheckManager(ctx, d); err != nil {
		return nil, err
	}
	f := filters.NewArgs(filters.Arg("label", LabelNamespace+"="+stack))
	o := &Observed{Stack: stack}
	var err error
	if o.Services, err = d.ServiceList(ctx, swarm.ServiceListOptions{Filters: f}); err != nil {
		return nil, fmt.Errorf("listing the services of stack %s: %w", stack, err)
	}
	nets, err := d.NetworkList(ctx, network.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("listing networks: %w", err)
	}
	o.NetworkNames = map[string]string{}
	for _, n := range nets {
		if n.Scope != "swarm" {
			continue
		}
		o.NetworkNames[n.ID] = n.Name
		if n.Labels[LabelNamespace] == stack {
			o.Networks = append(o.Networks, n)
		}
	}
	if o.Secrets, err = d.SecretList(ctx, swarm.SecretListOptions{Filters: f}); err != nil {
		return nil, fmt.Errorf("listing the secrets of stack %s: %w", stack, err)
	}
	if o.Configs, err = d.ConfigList(ctx, swarm.ConfigListOptions{Filters: f}); err != nil {
		return nil, fmt.Errorf("listing the configs of stack %s: %w", stack, err)
	}
	slices.SortFunc(o.Services, func(a, b swarm.Service) int { return strings.Compare(a.Spec.Name, b.Spec.Name) })
	slices.SortFunc(o.Networks, func(a, b network.Summary) int { return strings.Compare(a.Name, b.Name) })
	slices.SortFunc(o.Secrets, func(a, b swarm.Secret) int { return strings.Compare(a.Spec.Name, b.Spec.Name) })
	slices.SortFunc(o.Configs, func(a, b swarm.Config) int { return strings.Compare(a.Spec.Name, b.Spec.Name) })
	return o, nil
}

// Empty reports whether the stack has nothing left in the swarm.
func (o *Observed) Empty() bool {
	return len(o.Services)+len(o.Networks)+len(o.Secrets)+len(o.Configs) == 0
}

// Summary is the observed state, one line per object, for a plan's
// fingerprint: a service's version changes with every update of its spec.
func (o *Observed) Summary() []string {
	var out []string
	for _, s := range o.Services {
		out = append(out, fmt.Sprintf("service:%s id=%s version=%d", s.Spec.Name, s.ID, s.Version.Index))
	}
	for _, n := range o.Networks {
		out = append(out, fmt.Sprintf("network:%s id=%s", n.Name, n.ID))
	}
	for _, s := range o.Secrets {
		out = append(out, fmt.Sprintf("secret:%s id=%s version=%d", s.Spec.Name, s.ID, s.Version.Index))
	}
	for _, c := range o.Configs {
		out = append(out, fmt.Sprintf("config:%s id=%s version=%d", c.Spec.Name, c.ID, c.Version.Index))
	}
	slices.Sort(out)
	return out
}

// IsNotManager reports whether err says the engine is no swarm manager.
func IsNotManager(err error) bool {
	var nm *NotManagerError
	return errors.As(err, &nm)
}
