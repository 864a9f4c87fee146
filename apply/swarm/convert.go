package swarm

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/docker/cli/cli/compose/convert"
	cliloader "github.com/docker/cli/cli/compose/loader"
	composetypes "github.com/docker/cli/cli/compose/types"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"
	"go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/load"
)

// Stack is what the compose files ask of a swarm: the Engine API objects
// `docker stack deploy` would make of them, converted by docker/cli's own
// convert package, so that both tools make the same specs from one file.
type Stack struct {
	Name     string
	Services []Service // dependencies first
	// Networks the services use, by full name; External the names of those
	// declared external, which must exist.
	Networks map[string]network.CreateOptions
	External []string
	Secrets  []Object
	Configs  []Object
	// Warnings are the keys Swarm ignores, with their positions.
	Warnings []load.Warning
}

// Service is one compose service as a Swarm service.
type Service struct {
	Name string // the compose name; the Swarm service is Stack.Name + "_" + Name
	Spec swarm.ServiceSpec
	// DependsOn are the conditions on other services that must hold before
	// this one is created or updated.
	DependsOn []apply.Wait
	// Healthcheck says whether the service's tasks report health: a task
	// with one becomes running only once healthy.
	Healthcheck bool
}

// Object is a secret or config to be stored in the swarm.
type Object struct {
	Key string // the key under top-level secrets: or configs:
	// Name is the object's name as docker stack names it (STACK_KEY, or the
	// file's name:). Swarm objects are immutable: a changed content is
	// stored under Versioned(), and the services roll to it.
	Name string
	// Fixed: the file gives the name, so berth never versions it.
	Fixed      bool
	External   bool
	Data       []byte
	Labels     map[string]string
	Driver     *swarm.Driver
	Templating *swarm.Driver
}

// Digest is the object's content digest, the value of LabelContent.
func (o Object) Digest() string {
	sum := sha256.Sum256(o.Data)
	return hex.EncodeToString(sum[:])
}

// Versioned is the name of the object with this content when an object of
// Name with other content already exists.
func (o Object) Versioned() string { return o.Name + "_" + o.Digest()[:12] }

// LabelContent is the label berth puts on the secrets and configs it
// creates: the SHA-256 of their content, which Swarm does not give back
// for secrets.
const LabelContent = "com.docker.berth.content-sha256"

// Convert makes the Stack of a project loaded with its environment
// resolved (load.Load with env_file inlined). Keys Swarm cannot honour are
// errors (load.Errors, with positions) before anything is sent; keys it
// ignores are Stack.Warnings. apiVersion is the engine's API version, which
// convert consults for the network field it fills.
func Convert(p *load.Project, apiVersion string) (*Stack, error) {
	warnings, errs := check(p)
	if len(errs) > 0 {
		return nil, errs
	}
	cfg, err := dockerCLIConfig(p)
	if err != nil {
		return nil, err
	}
	ns := convert.NewNamespace(p.Name)
	st := &Stack{Name: p.Name, Warnings: warnings}

	declared := map[string]struct{}{}
	for _, s := range cfg.Services {
		if len(s.Networks) == 0 {
			declared["default"] = struct{}{}
		}
		for n := range s.Networks {
			declared[n] = struct{}{}
		}
	}
	st.Networks, st.External = convert.Networks(ns, cfg.Networks, declared)
	for name, o := range st.Networks {
		if o.Driver == "" {
			o.Driver = "overlay" // what docker stack deploy defaults to
			st.Networks[name] = o
		}
	}
	slices.Sort(st.External)

	if st.Secrets, err = objects(p, ns, "secrets"); err != nil {
		return nil, err
	}
	if st.Configs, err = objects(p, ns, "configs"); err != nil {
		return nil, err
	}

	byName := map[string]composetypes.ServiceConfig{}
	for _, s := range cfg.Services {
		byName[s.Name] = s
	}
	for _, name := range deployOrder(p) {
		s := byName[name]
		secrets := []*swarm.SecretReference{}
		for i, ref := range s.Secrets {
			obj, ok := findObject(st.Secrets, ref.Source)
			if !ok {
				return nil, fmt.Errorf("service %s: undefined secret %q", name, ref.Source)
			}
			target := fileTarget(p, "secrets", name, i, ref.Source, ref.Target)
			secrets = append(secrets, &swarm.SecretReference{SecretName: obj.Name, File: &swarm.SecretReferenceFileTarget{
				Name: target, UID: cmp.Or(ref.UID, "0"), GID: cmp.Or(ref.GID, "0"), Mode: fileMode(ref.Mode)}})
		}
		configs := []*swarm.ConfigReference{}
		for i, ref := range s.Configs {
			obj, ok := findObject(st.Configs, ref.Source)
			if !ok {
				return nil, fmt.Errorf("service %s: undefined config %q", name, ref.Source)
			}
			target := fileTarget(p, "configs", name, i, ref.Source, ref.Target)
			configs = append(configs, &swarm.ConfigReference{ConfigName: obj.Name, File: &swarm.ConfigReferenceFileTarget{
				Name: target, UID: cmp.Or(ref.UID, "0"), GID: cmp.Or(ref.GID, "0"), Mode: fileMode(ref.Mode)}})
		}
		// Sorted as docker stack deploy sorts them, so that both make the
		// same spec.
		slices.SortStableFunc(secrets, func(a, b *swarm.SecretReference) int { return strings.Compare(a.SecretName, b.SecretName) })
		slices.SortStableFunc(configs, func(a, b *swarm.ConfigReference) int { return strings.Compare(a.ConfigName, b.ConfigName) })
		spec, err := convert.Service(apiVersion, ns, s, cfg.Networks, cfg.Volumes, secrets, configs)
		if err != nil {
			return nil, &load.Error{Pos: p.Sources.Nearest(load.PathOf("services", name)), Msg: fmt.Sprintf("service %s: %v", name, err), Err: err}
		}
		svc := Service{Name: name, Spec: spec, Healthcheck: spec.TaskTemplate.ContainerSpec.Healthcheck != nil &&
			!slices.Equal(spec.TaskTemplate.ContainerSpec.Healthcheck.Test, []string{"NONE"})}
		ps := p.Services[name]
		for _, dep := range slices.Sorted(maps.Keys(ps.DependsOn)) {
			d := ps.DependsOn[dep]
			svc.DependsOn = append(svc.DependsOn, apply.Wait{Service: dep, Condition: d.Condition, Required: d.Required})
		}
		st.Services = append(st.Services, svc)
	}
	return st, nil
}

func findObject(objs []Object, key string) (Object, bool) {
	for _, o := range objs {
		if o.Key == key {
			return o, true
		}
	}
	return Object{}, false
}

func fileMode(m *uint32) os.FileMode {
	if m == nil {
		return 0o444
	}
	return os.FileMode(*m)
}

// fileTarget is the file name a secret or config reference gives. compose-go
// spells a secret's default target /run/secrets/NAME; docker stack deploy
// sends NAME, which Swarm mounts at the same place, and berth sends what
// docker stack deploy does so that the specs compare equal.
func fileTarget(p *load.Project, kind, service string, i int, source, target string) string {
	if _, written := p.Sources.Lookup(load.PathOf("services", service, kind, i, "target")); written {
		return target
	}
	return source
}

// objects converts the top-level secrets or configs with their content, as
// docker/cli's convert.Secrets and convert.Configs do, and also from
// environment: and content:, which compose-go reads and docker/cli does
// not.
func objects(p *load.Project, ns convert.Namespace, kind string) ([]Object, error) {
	type source struct {
		name, file, env, content, driver, template string
		opts                                       map[string]string
		labels                                     map[string]string
		external                                   bool
	}
	var srcs map[string]source
	switch kind {
	case "secrets":
		srcs = map[string]source{}
		for k, s := range p.Secrets {
			srcs[k] = source{s.Name, s.File, s.Environment, s.Content, s.Driver, s.TemplateDriver, s.DriverOpts, s.Labels, bool(s.External)}
		}
	default:
		srcs = map[string]source{}
		for k, c := range p.Configs {
			srcs[k] = source{c.Name, c.File, c.Environment, c.Content, c.Driver, c.TemplateDriver, c.DriverOpts, c.Labels, bool(c.External)}
		}
	}
	var out []Object
	for _, key := range slices.Sorted(maps.Keys(srcs)) {
		s := srcs[key]
		// compose-go fills in every name; one the files give is kept, as
		// docker stack deploy keeps it, and never versioned.
		_, fixed := p.Sources.Lookup(load.PathOf(kind, key, "name"))
		o := Object{Key: key, Name: ns.Scope(key), Fixed: fixed, External: s.external}
		if fixed || s.external {
			o.Name = cmp.Or(s.name, key)
		}
		if s.external {
			out = append(out, o)
			continue
		}
		o.Labels = convert.AddStackLabel(ns, s.labels)
		switch {
		case s.driver != "":
			o.Driver = &swarm.Driver{Name: s.driver, Options: s.opts}
			o.Data = []byte{}
		case s.file != "":
			data, err := os.ReadFile(s.file)
			if err != nil {
				return nil, &load.Error{Pos: p.Sources.Nearest(load.PathOf(kind, key, "file")), Msg: fmt.Sprintf("%s %s: %v", kind[:len(kind)-1], key, err), Err: err}
			}
			o.Data = data
		case s.env != "":
			v, ok := p.Environment[s.env]
			if !ok {
				return nil, &load.Error{Pos: p.Sources.Nearest(load.PathOf(kind, key, "environment")), Msg: fmt.Sprintf("%s %s: variable %s is not set", kind[:len(kind)-1], key, s.env)}
			}
			o.Data = []byte(v)
		default:
			o.Data = []byte(s.content)
		}
		if s.template != "" {
			o.Templating = &swarm.Driver{Name: s.template}
		}
		out = append(out, o)
	}
	return out, nil
}

// deployOrder lists the services with every service after those it
// depends on, ties by name.
func deployOrder(p *load.Project) []string {
	var out []string
	done := map[string]bool{}
	var visit func(string)
	visit = func(name string) {
		if done[name] {
			return
		}
		done[name] = true
		s := p.Services[name]
		for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
			if _, ok := p.Services[dep]; ok {
				visit(dep)
			}
		}
		out = append(out, name)
	}
	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		visit(name)
	}
	return out
}

// dockerCLIConfig gives the project to docker/cli's loader, the one docker
// stack deploy reads files with: compose-go's canonical form (interpolated
// from .env and --env-file, merged, normalized) with the keys Swarm ignores
// left out, since they are warned about, and the few values whose shape the
// two models spell differently rewritten from the typed model.
func dockerCLIConfig(p *load.Project) (*composetypes.Config, error) {
	b, err := p.Project.MarshalYAML()
	if err != nil {
		return nil, fmt.Errorf("rendering project %s: %w", p.Name, err)
	}
	var dict map[string]any
	if err := yaml.Unmarshal(b, &dict); err != nil {
		return nil, fmt.Errorf("rendering project %s: %w", p.Name, err)
	}
	delete(dict, "name")
	services, _ := dict["services"].(map[string]any)
	for name, raw := range services {
		svc, _ := raw.(map[string]any)
		for k := range svc {
			if !serviceKeys[k] {
				delete(svc, k)
			}
		}
		if deploy, ok := svc["deploy"].(map[string]any); ok {
			for k := range deploy {
				if !deployKeys[k] {
					delete(deploy, k)
				}
			}
		}
		s := p.Services[name]
		if len(s.Ports) > 0 {
			var ports []any
			for _, port := range s.Ports {
				published := uint64(0)
				if port.Published != "" {
					if published, err = strconv.ParseUint(port.Published, 10, 32); err != nil {
						return nil, &load.Error{Pos: p.Sources.Nearest(load.PathOf("services", name, "ports")),
							Msg: fmt.Sprintf("service %s: published port %q: Swarm publishes one port per entry, not a range", name, port.Published)}
					}
				}
				ports = append(ports, map[string]any{"mode": port.Mode, "target": port.Target, "published": published, "protocol": port.Protocol})
			}
			svc["ports"] = ports
		}
		if len(s.ExtraHosts) > 0 {
			var hosts []any
			for _, host := range slices.Sorted(maps.Keys(s.ExtraHosts)) {
				for _, ip := range s.ExtraHosts[host] {
					hosts = append(hosts, host+":"+ip)
				}
			}
			svc["extra_hosts"] = hosts
		}
	}
	cfg, err := cliloader.Load(composetypes.ConfigDetails{
		WorkingDir:  p.WorkingDir,
		ConfigFiles: []composetypes.ConfigFile{{Filename: "compose.yaml", Config: dict}},
		Environment: map[string]string{},
	}, func(o *cliloader.Options) {
		// compose-go validated and interpolated already: a second pass
		// would expand the $ of values that came out of $$.
		o.SkipValidation = true
		o.SkipInterpolation = true
	})
	if err != nil {
		return nil, fmt.Errorf("converting project %s for Swarm: %w", p.Name, err)
	}
	return cfg, nil
}
