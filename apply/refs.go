package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"

	"github.com/berth-compose/berth/transform"
)

// A service can share another container's namespaces (network_mode, ipc,
// pid: service:X or container:NAME) or mount its volumes (volumes_from: X or
// container:NAME). Docker Compose resolves a service reference to the ID of
// the service's first container before it hashes the service and creates
// the container, so the config hash of the dependent changes whenever that
// container is replaced: the dependent is recreated with it. berth does the
// same. When the referenced container is itself created or recreated by the
// plan, its ID is known only while the plan runs: the step then carries a
// placeholder, resolved by Execute (resolveRefs).

// refPlaceholder stands for the ID of the container named name until
// Execute knows it. Its characters survive JSON encoding unchanged.
func refPlaceholder(name string) string { return "{{berth-ref " + name + "}}" }

// refTarget is the container a service reference points at.
type refTarget struct {
	id      string // known ID, or the placeholder
	name    string // container name
	pending bool   // created or recreated by this plan: ID known at execution
}

// resolvedService is a service with its references resolved.
type resolvedService struct {
	spec      types.ServiceConfig // for containerSpec: host config values (volumes_from keep their mode)
	hash      string              // config hash; "" when it depends on a pending reference
	hashInput string              // the JSON hashed, with placeholders, when hash is ""
	refs      []string            // names of the pending containers
	recreated []string            // services referenced whose container this plan replaces
}

// serviceRef returns the service a namespace mode refers to ("service:X").
func serviceRef(mode string) string {
	name, ok := strings.CutPrefix(mode, types.ServicePrefix)
	if !ok {
		return ""
	}
	return name
}

// resolveServiceRefs resolves the references of s. target finds the first
// container of a service. It returns hash unchanged when s has none.
func resolveServiceRefs(s types.ServiceConfig, hash string, target func(service string) (refTarget, bool)) (resolvedService, error) {
	out := resolvedService{spec: s, hash: hash}
	hashed := s // what Compose hashes: volumes_from without their mode
	hashed.VolumesFrom = slices.Clone(s.VolumesFrom)
	out.spec.VolumesFrom = slices.Clone(s.VolumesFrom)
	changed := false
	use := func(svc, what string) (string, error) {
		t, ok := target(svc)
		if !ok {
			return "", fmt.Errorf("service %s: cannot share %s with service %s: it has no container", s.Name, what, svc)
		}
		changed = true
		if t.pending {
			if !slices.Contains(out.refs, t.name) {
				out.refs = append(out.refs, t.name)
			}
			if !slices.Contains(out.recreated, svc) {
				out.recreated = append(out.recreated, svc)
			}
		}
		return t.id, nil
	}
	for i, v := range s.VolumesFrom {
		parts := strings.Split(v, ":")
		if parts[0] == "container" {
			if len(parts) < 2 || parts[1] == "" {
				return out, fmt.Errorf("service %s: invalid volumes_from %q", s.Name, v)
			}
			hashed.VolumesFrom[i] = parts[1]
			out.spec.VolumesFrom[i] = strings.Join(parts[1:], ":")
			changed = true
			continue
		}
		id, err := use(parts[0], "volumes")
		if err != nil {
			return out, err
		}
		hashed.VolumesFrom[i] = id
		out.spec.VolumesFrom[i] = strings.Join(append([]string{id}, parts[1:]...), ":")
	}
	for _, ns := range []struct {
		what string
		mode *string
		spec *string
	}{
		{"network namespace", &hashed.NetworkMode, &out.spec.NetworkMode},
		{"IPC namespace", &hashed.Ipc, &out.spec.Ipc},
		{"PID namespace", &hashed.Pid, &out.spec.Pid},
	} {
		if svc := serviceRef(*ns.mode); svc != "" {
			id, err := use(svc, ns.what)
			if err != nil {
				return out, err
			}
			*ns.mode = types.ContainerPrefix + id
			*ns.spec = *ns.mode
		}
	}
	if !changed {
		return out, nil
	}
	b, err := transform.ServiceHashJSON(hashed)
	if err != nil {
		return out, err
	}
	if len(out.refs) > 0 {
		out.hash, out.hashInput = "", string(b)
		return out, nil
	}
	sum := sha256.Sum256(b)
	out.hash = hex.EncodeToString(sum[:])
	return out, nil
}

// refTargets finds, for resolveServiceRefs, the first container of a
// service: its name is replica 1's (first by name, as Compose sorts); its ID
// is the observed one unless the plan so far creates or recreates it. A
// service that is not selected (--no-deps) is found among the observed
// containers, first by name, as Compose finds it.
func (b *builder) refTargets(q *types.Project, obs *Observed) func(string) (refTarget, bool) {
	return func(svc string) (refTarget, bool) {
		s, ok := q.Services[svc]
		if !ok {
			for _, c := range obs.Containers { // sorted by name
				if c.Service == svc && !c.OneOff {
					return refTarget{id: c.ID, name: c.Name}, true
				}
			}
			return refTarget{}, false
		}
		if scaleOf(s) < 1 {
			return refTarget{}, false
		}
		name := ContainerName(q.Name, s, 1)
		for _, st := range b.plan.Steps {
			if st.Name == name && (st.Action == Create || st.Action == Recreate) {
				return refTarget{id: refPlaceholder(name), name: name, pending: true}, true
			}
		}
		for _, c := range obs.Containers {
			if c.Service == svc && c.Name == name && !c.OneOff {
				return refTarget{id: c.ID, name: name}, true
			}
		}
		return refTarget{}, false
	}
}

// resolveRefs returns the container spec of a step with every pending
// reference replaced by the ID of the container now carrying that name, and
// the config-hash label computed from the resolved JSON, as Compose computes
// it. A step without references is returned as is.
func (x *executor) resolveRefs(ctx context.Context, s Step) (*ContainerSpec, error) {
	if len(s.Refs) == 0 {
		return s.Container, nil
	}
	var pairs []string
	for _, name := range s.Refs {
		in, err := x.d.ContainerInspect(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("resolving the container %s that %s refers to: %w", name, s.Name, err)
		}
		pairs = append(pairs, refPlaceholder(name), in.ID)
	}
	r := strings.NewReplacer(pairs...)
	spec := *s.Container
	cfg, hc := *spec.Config, *spec.HostConfig
	cfg.Labels = make(map[string]string, len(spec.Config.Labels))
	for k, v := range spec.Config.Labels {
		cfg.Labels[k] = v
	}
	sum := sha256.Sum256([]byte(r.Replace(s.HashInput)))
	cfg.Labels[LabelConfigHash] = hex.EncodeToString(sum[:])
	hc.NetworkMode = container.NetworkMode(r.Replace(string(hc.NetworkMode)))
	hc.IpcMode = container.IpcMode(r.Replace(string(hc.IpcMode)))
	hc.PidMode = container.PidMode(r.Replace(string(hc.PidMode)))
	hc.VolumesFrom = slices.Clone(hc.VolumesFrom)
	for i, v := range hc.VolumesFrom {
		hc.VolumesFrom[i] = r.Replace(v)
	}
	spec.Config, spec.HostConfig = &cfg, &hc
	return &spec, nil
}

// recreateReasons says why c must be recreated: the containers it refers to
// are replaced by the plan (its hash will change with their IDs), or the
// reasons any container has.
func (rs resolvedService) recreateReasons(c Container, s types.ServiceConfig, spec *ContainerSpec, imageID string, env diffEnv, opts Options) []Reason {
	if len(rs.recreated) == 0 {
		return recreateReasons(c, s, spec, rs.hash, imageID, env, opts)
	}
	var out []Reason
	for _, dep := range rs.recreated {
		out = append(out, Reason{Code: DependencyRecreated, New: dep})
	}
	return out
}
