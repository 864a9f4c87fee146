package swarm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/docker/cli/cli/compose/convert"
	"github.com/docker/docker/api/types/swarm"

	"github.com/berth-compose/berth/apply"
)

// Options change the plan.
type Options struct {
	// Wait makes the plan wait, after its last step, until every service it
	// creates or updates has converged.
	Wait bool
}

// Diff compares the stack the files ask for with the one observed and
// returns the plan that makes the swarm match: networks, secrets and
// configs first, then services in dependency order, then what the files no
// longer have (services, then the secrets, configs and networks no service
// uses). It is pure: no I/O.
func Diff(st *Stack, obs *Observed, opts Options) *apply.Plan {
	b := &builder{plan: &apply.Plan{FormatVersion: apply.FormatVersion, Project: st.Name, Target: apply.TargetSwarm,
		Observed: obs.Summary(), Steps: []apply.Step{}}}
	b.plan.Fingerprint = apply.Fingerprint(st.Name, b.plan.Observed)
	for _, w := range st.Warnings {
		msg := w.Msg
		if w.Pos.Line > 0 {
			msg = w.Pos.String() + ": " + msg
		}
		b.plan.Warnings = append(b.plan.Warnings, msg)
	}

	var creates []int
	observedNet := map[string]bool{}
	for _, n := range obs.Networks {
		observedNet[n.Name] = true
	}
	for _, name := range slices.Sorted(maps.Keys(st.Networks)) {
		if observedNet[name] {
			continue
		}
		o := st.Networks[name]
		creates = append(creates, b.add(apply.Step{Resource: "network:" + name, Action: apply.CreateNetwork, Name: name,
			Reasons: []apply.Reason{{Code: apply.Missing}},
			Network: &apply.NetworkSpec{Driver: o.Driver, DriverOpts: o.Options, Internal: o.Internal, Attachable: o.Attachable, Labels: o.Labels, IPAM: o.IPAM}}))
	}

	secretNames, secretIDs, secretSteps := b.objects("secret", st.Secrets, secretsOf(obs))
	configNames, configIDs, configSteps := b.objects("config", st.Configs, configsOf(obs))
	creates = append(append(creates, secretSteps...), configSteps...)

	observedSvc := map[string]swarm.Service{}
	for _, s := range obs.Services {
		observedSvc[s.Spec.Name] = s
	}
	ns := convert.NewNamespace(st.Name)
	stepOf := map[string]int{}
	wanted := map[string]bool{}
	for _, svc := range st.Services {
		spec := svc.Spec
		cs := *spec.TaskTemplate.ContainerSpec
		cs.Secrets = nil
		for _, r := range svc.Spec.TaskTemplate.ContainerSpec.Secrets {
			r := *r
			r.SecretName = secretNames[r.SecretName]
			r.SecretID = secretIDs[r.SecretName]
			cs.Secrets = append(cs.Secrets, &r)
		}
		cs.Configs = nil
		for _, r := range svc.Spec.TaskTemplate.ContainerSpec.Configs {
			r := *r
			r.ConfigName = configNames[r.ConfigName]
			r.ConfigID = configIDs[r.ConfigName]
			cs.Configs = append(cs.Configs, &r)
		}
		slices.SortStableFunc(cs.Secrets, func(a, b *swarm.SecretReference) int { return strings.Compare(a.SecretName, b.SecretName) })
		slices.SortStableFunc(cs.Configs, func(a, b *swarm.ConfigReference) int { return strings.Compare(a.ConfigName, b.ConfigName) })
		spec.TaskTemplate.ContainerSpec = &cs
		name := ns.Scope(svc.Name)
		wanted[name] = true

		var after []int
		for _, w := range svc.DependsOn {
			if id, ok := stepOf[w.Service]; ok {
				after = append(after, id)
			}
		}
		after = append(after, creates...)
		step := apply.Step{Resource: "service:" + name, Service: svc.Name, Name: name, After: after, Waits: svc.DependsOn}
		old, exists := observedSvc[name]
		if !exists {
			step.Action = apply.CreateService
			step.Reasons = []apply.Reason{{Code: apply.Missing}}
		} else {
			// As docker stack deploy does: an image left unchanged in the
			// files keeps the digest the registry gave it, and ForceUpdate
			// is kept so that the tasks do not roll for nothing.
			if cs.Image == old.Spec.Labels[convert.LabelImage] && old.Spec.TaskTemplate.ContainerSpec != nil {
				cs.Image = old.Spec.TaskTemplate.ContainerSpec.Image
			}
			spec.TaskTemplate.ForceUpdate = old.Spec.TaskTemplate.ForceUpdate
			reasons := SpecDiff("services."+svc.Name, withNetworkNames(old.Spec, obs.NetworkNames), spec)
			if len(reasons) == 0 {
				continue
			}
			step.Action = apply.UpdateService
			step.OldID = old.ID
			step.Version = old.Version.Index
			step.Reasons = reasons
		}
		step.ServiceSpec = &spec
		stepOf[svc.Name] = b.add(step)
		if opts.Wait {
			b.plan.Wait = append(b.plan.Wait, apply.Wait{Service: svc.Name, Condition: "running_or_healthy", Required: true})
		}
	}

	// What the files no longer have goes once the services that stay have
	// moved off it.
	deps := slices.Collect(maps.Values(stepOf))
	slices.Sort(deps)
	var removes []int
	for _, s := range obs.Services {
		if !wanted[s.Spec.Name] {
			removes = append(removes, b.add(apply.Step{Resource: "service:" + s.Spec.Name, Action: apply.RemoveService,
				Service: ns.Descope(s.Spec.Name), Name: s.Spec.Name, OldID: s.ID, After: deps, Reasons: []apply.Reason{{Code: apply.Orphan}}}))
		}
	}
	after := append(deps, removes...)
	usedSecret := setOf(slices.Collect(maps.Values(secretNames))...)
	for _, s := range obs.Secrets {
		if !usedSecret[s.Spec.Name] {
			b.add(apply.Step{Resource: "secret:" + s.Spec.Name, Action: apply.RemoveSecret, Name: s.Spec.Name, OldID: s.ID, After: after,
				Reasons: []apply.Reason{{Code: apply.Orphan}}})
		}
	}
	usedConfig := setOf(slices.Collect(maps.Values(configNames))...)
	for _, c := range obs.Configs {
		if !usedConfig[c.Spec.Name] {
			b.add(apply.Step{Resource: "config:" + c.Spec.Name, Action: apply.RemoveConfig, Name: c.Spec.Name, OldID: c.ID, After: after,
				Reasons: []apply.Reason{{Code: apply.Orphan}}})
		}
	}
	for _, n := range obs.Networks {
		if _, ok := st.Networks[n.Name]; !ok {
			b.add(apply.Step{Resource: "network:" + n.Name, Action: apply.RemoveNetwork, Name: n.Name, OldID: n.ID, After: after,
				Reasons: []apply.Reason{{Code: apply.Orphan}}})
		}
	}
	return b.plan
}

// DownPlan removes every object of the observed stack: services first,
// then (once their tasks are gone) secrets, configs and networks.
func DownPlan(obs *Observed) *apply.Plan {
	return Diff(&Stack{Name: obs.Stack}, obs, Options{})
}

type builder struct{ plan *apply.Plan }

func (b *builder) add(s apply.Step) int {
	s.ID = len(b.plan.Steps) + 1
	s.Actions = apply.WireActions(s.Action)
	b.plan.Steps = append(b.plan.Steps, s)
	return s.ID
}

// stored is a secret or config as observed.
type stored struct {
	id, name string
	labels   map[string]string
	data     []byte // configs only: Swarm never returns a secret's data
	readable bool
}

func secretsOf(o *Observed) []stored {
	var out []stored
	for _, s := range o.Secrets {
		out = append(out, stored{id: s.ID, name: s.Spec.Name, labels: s.Spec.Labels})
	}
	return out
}

func configsOf(o *Observed) []stored {
	var out []stored
	for _, c := range o.Configs {
		out = append(out, stored{id: c.ID, name: c.Spec.Name, labels: c.Spec.Labels, data: c.Spec.Data, readable: true})
	}
	return out
}

// objects plans the secrets or configs: an object whose content the swarm
// holds already is used as it is; new content is a new object (Swarm's are
// immutable), named as docker stack names it when that name is free, else
// with its content digest appended. It returns the name each key's
// references use (by the name Convert gave), the IDs of the objects that
// exist, and the create steps.
func (b *builder) objects(kind string, want []Object, have []stored) (names, ids map[string]string, steps []int) {
	names, ids = map[string]string{}, map[string]string{}
	byName := map[string]stored{}
	for _, h := range have {
		byName[h.name] = h
	}
	for _, o := range want {
		if o.External {
			names[o.Name] = o.Name
			continue
		}
		digest := o.Digest()
		same := func(h stored) bool {
			if d, ok := h.labels[LabelContent]; ok {
				return d == digest
			}
			return h.readable && bytes.Equal(h.data, o.Data)
		}
		chosen := ""
		switch h, ok := byName[o.Name]; {
		case ok && (o.Fixed || same(h)):
			chosen = o.Name
			if o.Fixed && !same(h) && (h.readable || h.labels[LabelContent] != "") {
				b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf("%s %s: the content changed, but the file fixes its name %s and Swarm cannot change a stored %s: give it a new name", kind, o.Key, o.Name, kind))
			}
		case ok && !h.readable && h.labels[LabelContent] == "":
			// Made by docker stack deploy: Swarm does not give a secret's
			// data back, and nothing recorded its digest.
			chosen = o.Name
			b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf("%s %s: %s was not created by berth and Swarm does not return its content: berth assumes it is unchanged (remove it, or change the content's name, to roll a new one)", kind, o.Key, o.Name))
		default:
			if h, ok := byName[o.Versioned()]; ok && same(h) {
				chosen = o.Versioned()
			}
		}
		names[o.Name] = chosen
		if chosen != "" {
			ids[chosen] = byName[chosen].id
			continue
		}
		chosen = o.Name
		reason := apply.Reason{Code: apply.Missing}
		if _, taken := byName[o.Name]; taken {
			chosen = o.Versioned()
			reason = apply.Reason{Code: apply.ConfigChanged, Field: kind + "s." + o.Key, Old: o.Name, New: chosen}
		}
		names[o.Name] = chosen
		labels := maps.Clone(o.Labels)
		labels[LabelContent] = digest
		ann := swarm.Annotations{Name: chosen, Labels: labels}
		step := apply.Step{Resource: kind + ":" + chosen, Name: chosen, Reasons: []apply.Reason{reason}}
		if kind == "secret" {
			step.Action = apply.CreateSecret
			step.SecretSpec = &swarm.SecretSpec{Annotations: ann, Data: o.Data, Driver: o.Driver, Templating: o.Templating}
		} else {
			step.Action = apply.CreateConfig
			step.ConfigSpec = &swarm.ConfigSpec{Annotations: ann, Data: o.Data, Templating: o.Templating}
		}
		steps = append(steps, b.add(step))
	}
	return names, ids, steps
}

// SpecDiff lists the fields in which two service specs differ, old → new,
// each under prefix ("services.web"): the environment by variable (so that
// secret-looking ones are masked), labels by key, other fields by their
// path in the Engine API's spec (TaskTemplate.ContainerSpec.Image).
// Defaults the engine fills in when it stores a spec do not count.
func SpecDiff(prefix string, old, new swarm.ServiceSpec) []apply.Reason {
	var reasons []apply.Reason
	oldEnv, newEnv := []string(nil), []string(nil)
	if old.TaskTemplate.ContainerSpec != nil {
		oc := *old.TaskTemplate.ContainerSpec
		oldEnv, oc.Env = oc.Env, nil
		old.TaskTemplate.ContainerSpec = &oc
	}
	if new.TaskTemplate.ContainerSpec != nil {
		nc := *new.TaskTemplate.ContainerSpec
		newEnv, nc.Env = nc.Env, nil
		new.TaskTemplate.ContainerSpec = &nc
	}
	oe, ne := envMap(oldEnv), envMap(newEnv)
	for _, k := range slices.Sorted(maps.Keys(union(oe, ne))) {
		if oe[k] != ne[k] {
			reasons = append(reasons, apply.Reason{Code: apply.ConfigChanged, Field: prefix + ".environment." + k, Old: oe[k], New: ne[k]})
		}
	}
	of, nf := flatten(old), flatten(new)
	for _, k := range slices.Sorted(maps.Keys(union(of, nf))) {
		o, n := of[k], nf[k]
		if o == n {
			continue
		}
		if n == "" && engineDefault(k, o) {
			continue
		}
		code := apply.ConfigChanged
		if k == "TaskTemplate.ContainerSpec.Image" {
			code = apply.ImageChanged
		}
		reasons = append(reasons, apply.Reason{Code: code, Field: prefix + "." + k, Old: o, New: n})
	}
	return reasons
}

// engineDefault reports whether a field the stored spec has and the new one
// lacks is a value the engine fills in by itself.
func engineDefault(path, value string) bool {
	switch path {
	case "TaskTemplate.ContainerSpec.Isolation":
		return value == "default"
	case "TaskTemplate.Runtime":
		return value == "container"
	case "EndpointSpec.Mode":
		return value == "vip"
	case "Mode.Replicated.Replicas":
		return value == "1"
	case "UpdateConfig.FailureAction", "RollbackConfig.FailureAction":
		return value == "pause"
	case "UpdateConfig.Order", "RollbackConfig.Order":
		return value == "stop-first"
	}
	return false
}

// withNetworkNames returns the spec with the networks it attaches to named
// as the files name them: the engine stores their IDs.
func withNetworkNames(spec swarm.ServiceSpec, names map[string]string) swarm.ServiceSpec {
	nets := make([]swarm.NetworkAttachmentConfig, len(spec.TaskTemplate.Networks))
	for i, n := range spec.TaskTemplate.Networks {
		if name, ok := names[n.Target]; ok {
			n.Target = name
		}
		nets[i] = n
	}
	spec.TaskTemplate.Networks = nets
	return spec
}

func envMap(env []string) map[string]string {
	m := map[string]string{}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

func union(a, b map[string]string) map[string]string {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}

// flatten renders a spec as path → JSON value of every leaf, lists of
// scalars as one value; empty values are left out, so that a field the
// engine returns empty equals one never sent.
func flatten(spec swarm.ServiceSpec) map[string]string {
	raw, _ := json.Marshal(spec) // a struct of plain fields: cannot fail
	var v any
	_ = json.Unmarshal(raw, &v)
	out := map[string]string{}
	var walk func(path string, v any)
	walk = func(path string, v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if k == "SecretID" || k == "ConfigID" {
					continue // names identify them; an ID is known only once created
				}
				walk(strings.TrimPrefix(path+"."+k, "."), e)
			}
		case []any:
			scalars := true
			for _, e := range x {
				switch e.(type) {
				case map[string]any, []any:
					scalars = false
				}
			}
			if scalars {
				if len(x) > 0 {
					b, _ := json.Marshal(x)
					out[path] = string(b)
				}
				return
			}
			for i, e := range x {
				walk(fmt.Sprintf("%s[%d]", path, i), e)
			}
		case nil:
		case string:
			if x != "" {
				out[path] = x
			}
		case bool:
			if x {
				out[path] = "true"
			}
		case float64:
			if x != 0 {
				b, _ := json.Marshal(x)
				out[path] = string(b)
			}
		}
	}
	walk("", v)
	return out
}
