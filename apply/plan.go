// Package apply converges Docker to a compose project the way Docker Compose
// does, in three steps that go one way: Observe reads the project's
// containers, networks and volumes from the Engine API; Diff compares them
// with the loaded project and returns a Plan (pure: no I/O, no clock);
// Execute carries the plan out and makes no decisions of its own.
package apply

import (
	"fmt"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/berth-compose/berth/internal/sensitive"
)

// FormatVersion is the version of the plan's JSON form. It changes only on a
// breaking change; new optional fields do not bump it.
const FormatVersion = 2

// Action is what a step does. The value is the wire value: never renamed,
// never reused.
type Action string

// The actions a plan can hold.
const (
	CreateNetwork Action = "create-network"
	RemoveNetwork Action = "remove-network"
	CreateVolume  Action = "create-volume"
	RemoveVolume  Action = "remove-volume"
	Pull          Action = "pull"
	Create        Action = "create"   // create and start a container
	Recreate      Action = "recreate" // wire "actions": ["remove", "create"]
	Start         Action = "start"
	Remove        Action = "remove" // stop and remove a container
	// Disconnect and Connect take a container off a network that is
	// recreated (its configuration changed) and put it back on the new one,
	// without recreating the container, as Docker Compose does.
	Disconnect Action = "disconnect"
	Connect    Action = "connect"

	// The actions of the Swarm target (package apply/swarm): services,
	// secrets and configs are Swarm objects; networks are the create-network
	// and remove-network above with the overlay driver.
	CreateService Action = "create-service"
	UpdateService Action = "update-service"
	RemoveService Action = "remove-service"
	CreateSecret  Action = "create-secret"
	RemoveSecret  Action = "remove-secret"
	CreateConfig  Action = "create-config"
	RemoveConfig  Action = "remove-config"
)

// TargetSwarm is Plan.Target for a plan of Swarm services; the empty
// target is containers on one engine.
const TargetSwarm = "swarm"

// ReasonCode says why a step is in the plan.
type ReasonCode string

// The reasons a step can give.
const (
	Missing       ReasonCode = "missing"
	ConfigChanged ReasonCode = "config_changed"
	ImageChanged  ReasonCode = "image_changed"
	NetworkChange ReasonCode = "network_changed"
	NotRunning    ReasonCode = "not_running"
	Orphan        ReasonCode = "orphan"
	ScaleDown     ReasonCode = "scale_down"
	Down          ReasonCode = "down"
	Duplicate     ReasonCode = "duplicate"    // a second container for one replica, a second network with one name
	NameChanged   ReasonCode = "name_changed" // a replacement left under its temporary name by an interrupted recreate
	// NetworkRecreated: a container is stopped, disconnected, connected or
	// started again because its network is recreated; Reason.New names it.
	NetworkRecreated ReasonCode = "network_recreated"
)

// Reason explains a step to people. Execute never reads it.
type Reason struct {
	Code ReasonCode `json:"code"`
	// Field is the compose path of what changed, "services.web.ports[1]"
	// (wire name "path").
	Field string `json:"path,omitempty"`
	// Change is added, removed or changed, for a reason with a path whose
	// old and new values were compared.
	Change string `json:"change,omitempty"`
	Old    string `json:"old,omitempty"`
	New    string `json:"new,omitempty"`
	// Sensitive marks a value that looks like a secret (a variable named
	// like a password, token or key, anything from secrets:): Masked
	// replaces Old and New.
	Sensitive bool `json:"sensitive,omitempty"`
	// Note says what the values cannot: that an old value is not known.
	Note string `json:"note,omitempty"`
}

// Wait is a condition on a service's containers that must hold before a
// step runs (depends_on), or after the whole plan (--wait).
type Wait struct {
	Service   string `json:"service"`
	Condition string `json:"condition"` // service_started, service_healthy, service_completed_successfully, running_or_healthy
	Required  bool   `json:"required"`
}

// Step is one change to one Docker resource.
type Step struct {
	ID       int      `json:"id"`
	Resource string   `json:"resource"` // "container:shop-web-1", "network:shop_default"
	Action   Action   `json:"action"`
	Actions  []string `json:"actions"` // the wire spelling: a recreate is ["remove","create"]
	Service  string   `json:"service,omitempty"`
	Reasons  []Reason `json:"reasons,omitempty"`
	After    []int    `json:"after,omitempty"`   // IDs of steps this one waits for
	Waits    []Wait   `json:"waits,omitempty"`   // depends_on conditions checked before starting
	Timeout  *int     `json:"timeout,omitempty"` // restart: seconds to wait for the stop before killing
	// Refs name containers the plan creates or recreates whose IDs this
	// step's container refers to (network_mode: service:X, volumes_from);
	// Execute replaces their placeholders in the spec and in HashInput, and
	// hashes HashInput into the config-hash label.
	Refs      []string `json:"refs,omitempty"`
	HashInput string   `json:"hash_input,omitempty"`

	// What Execute needs, by action.
	Name      string         `json:"name"`                   // container, network or volume name, or image reference
	OldID     string         `json:"old_id,omitempty"`       // recreate, start, remove: the existing container or network ID
	Container *ContainerSpec `json:"container,omitempty"`    // create, recreate
	Network   *NetworkSpec   `json:"network_spec,omitempty"` // create-network
	Volume    *VolumeSpec    `json:"volume_spec,omitempty"`  // create-volume
	Build     *BuildSpec     `json:"build_spec,omitempty"`   // build
	// Endpoint is the network a connect or disconnect step acts on (Name is
	// the container); a connect gives the endpoint settings of the file.
	Endpoint *EndpointSpec `json:"endpoint,omitempty"`
	// IfImageChanged makes a recreate depend on the ID of an image that a
	// build or pull step of the plan makes (see ImageCheck).
	IfImageChanged *ImageCheck `json:"if_image_changed,omitempty"`
	// KeepVolumes lists the anonymous volumes of the replaced container
	// that a recreate mounts in the replacement (already in its spec's
	// mounts): for people, Execute does not read it.
	KeepVolumes []KeptVolume `json:"keeps_anonymous_volumes,omitempty"`
	// RemoveVolumes makes a remove take the container's anonymous volumes
	// with it (berth rm -v).
	RemoveVolumes bool `json:"remove_volumes,omitempty"`

	// The Swarm target's specs, by action: create-service and
	// update-service (OldID is the service, Version its observed version),
	// create-secret, create-config.
	ServiceSpec *swarm.ServiceSpec `json:"service_spec,omitempty"`
	Version     uint64             `json:"version,omitempty"`
	SecretSpec  *swarm.SecretSpec  `json:"secret_spec,omitempty"`
	ConfigSpec  *swarm.ConfigSpec  `json:"config_spec,omitempty"`

	// Rollout says how a recreate replaces the container: start-first
	// (the replacement runs alongside until it is ready) or stop-first.
	Rollout *Rollout `json:"rollout,omitempty"`
}

// ContainerSpec is everything ContainerCreate needs, computed by Diff.
type ContainerSpec struct {
	Config     *container.Config     `json:"config"`
	HostConfig *container.HostConfig `json:"host_config"`
	// Networks in priority order: the first is given at create time, the
	// others are connected before start (API 1.41 takes one at create).
	Networks []EndpointSpec `json:"networks,omitempty"`
	// Files are the inline configs and secrets copied in before start.
	Files []InlineFile `json:"files,omitempty"`
}

// InlineFile is a config or secret defined with content: or environment:,
// copied into the container after it is created, as Compose does.
type InlineFile struct {
	Path     string `json:"path"`   // in the container
	Source   string `json:"source"` // "configs.app_conf", "secrets.token"
	Origin   string `json:"origin"` // content or environment
	Content  string `json:"content"`
	Secret   bool   `json:"secret,omitempty"`
	Mode     uint32 `json:"mode"`
	UID      int    `json:"uid,omitempty"`
	GID      int    `json:"gid,omitempty"`
	OwnerSet bool   `json:"owner_set,omitempty"` // uid or gid given: copy ownership
}

// EndpointSpec attaches a container to one network.
type EndpointSpec struct {
	Network  string                    `json:"network"`
	Endpoint *network.EndpointSettings `json:"endpoint"`
}

// NetworkSpec is a network to create.
type NetworkSpec struct {
	Driver     string            `json:"driver,omitempty"`
	DriverOpts map[string]string `json:"driver_opts,omitempty"`
	Internal   bool              `json:"internal,omitempty"`
	Attachable bool              `json:"attachable,omitempty"`
	EnableIPv6 bool              `json:"enable_ipv6,omitempty"`
	Labels     map[string]string `json:"labels"`
	// IPAM is the address configuration of a Swarm network (the container
	// target leaves it to the engine).
	IPAM *network.IPAM `json:"ipam,omitempty"`
}

// VolumeSpec is a volume to create.
type VolumeSpec struct {
	Driver     string            `json:"driver,omitempty"`
	DriverOpts map[string]string `json:"driver_opts,omitempty"`
	Labels     map[string]string `json:"labels"`
}

// Plan is what must change in Docker for it to match the project. It is also
// the wire form (`berth plan --format json`, `plan -o`).
type Plan struct {
	FormatVersion int    `json:"format_version"`
	Project       string `json:"project"`
	// Target is TargetSwarm for a plan of Swarm services, empty for
	// containers on one engine: `apply plan.json` executes it on its target.
	Target string `json:"target,omitempty"`
	// Fingerprint of the observed state the plan was made from; `apply
	// plan.json` observes again and refuses when it differs.
	Fingerprint string `json:"fingerprint"`
	// Observed is the state behind the fingerprint, one line per resource,
	// so that a refusal can say what changed.
	Observed []string `json:"observed"`
	// Images are the image references whose local IDs the fingerprint covers.
	Images []string `json:"images,omitempty"`
	Steps  []Step   `json:"steps"`
	// Wait lists the conditions checked after every step has run
	// (apply --wait); empty when the plan does not wait.
	Wait []Wait `json:"wait,omitempty"`
	// Warnings for people, such as orphans kept by --keep-orphans.
	Warnings []string `json:"warnings,omitempty"`
	// Totals counts the steps by kind; WriteJSON fills it in.
	Totals *Summary `json:"summary,omitempty"`
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Steps) == 0 }

// Summary counts the steps of a plan by kind.
type Summary struct {
	Build      int `json:"build"`
	Pull       int `json:"pull"`
	Create     int `json:"create"`
	Recreate   int `json:"recreate"`
	Update     int `json:"update,omitempty"` // Swarm services updated in place
	Start      int `json:"start"`
	Restart    int `json:"restart"`
	Stop       int `json:"stop"`
	Disconnect int `json:"disconnect"`
	Connect    int `json:"connect"`
	Remove     int `json:"remove"`
}

// Summary counts every step: creates and removes of networks and volumes
// with those of containers, image removals with removes.
func (p *Plan) Summary() Summary {
	var n Summary
	for _, s := range p.Steps {
		switch s.Action {
		case Build:
			n.Build++
		case Pull:
			n.Pull++
		case Create, CreateNetwork, CreateVolume, CreateService, CreateSecret, CreateConfig:
			n.Create++
		case Recreate:
			n.Recreate++
		case UpdateService:
			n.Update++
		case Start:
			n.Start++
		case Restart:
			n.Restart++
		case Stop:
			n.Stop++
		case Disconnect:
			n.Disconnect++
		case Connect:
			n.Connect++
		case Remove, RemoveNetwork, RemoveVolume, RemoveImage, RemoveService, RemoveSecret, RemoveConfig:
			n.Remove++
		}
	}
	return n
}

// Text is the summary line's counts: "1 to build, 2 to create, 1 to
// remove". Kinds without steps are left out, except create, recreate and
// remove, which are always there (update instead of recreate for a plan of
// Swarm services, which are updated in place).
func (n Summary) Text(target string) string {
	var parts []string
	replace := struct {
		n    int
		verb string
	}{n.Recreate, "recreate"}
	if target == TargetSwarm {
		replace.n, replace.verb = n.Update, "update"
	}
	for _, k := range []struct {
		n      int
		verb   string
		always bool
	}{
		{n.Build, "build", false}, {n.Pull, "pull", false}, {n.Create, "create", true}, {replace.n, replace.verb, true},
		{n.Start, "start", false}, {n.Restart, "restart", false}, {n.Stop, "stop", false},
		{n.Disconnect, "disconnect", false}, {n.Connect, "connect", false}, {n.Remove, "remove", true},
	} {
		if k.n > 0 || k.always {
			parts = append(parts, fmt.Sprintf("%d to %s", k.n, k.verb))
		}
	}
	return strings.Join(parts, ", ")
}

// Removes lists the steps that destroy something, for confirmation prompts.
func (p *Plan) Removes() []Step {
	var out []Step
	for _, s := range p.Steps {
		switch s.Action {
		case Remove, RemoveNetwork, RemoveVolume, Recreate, RemoveImage, RemoveService, RemoveSecret, RemoveConfig:
			out = append(out, s)
		}
	}
	return out
}

// Validate checks a plan read from a file before anything executes it.
func (p *Plan) Validate() error {
	if p.FormatVersion != FormatVersion {
		return fmt.Errorf("plan format_version %d is not supported (want %d)", p.FormatVersion, FormatVersion)
	}
	ids := map[int]bool{}
	for _, s := range p.Steps {
		if s.ID <= 0 || ids[s.ID] {
			return fmt.Errorf("plan step %d: missing or duplicate id", s.ID)
		}
		ids[s.ID] = true
	}
	for _, s := range p.Steps {
		for _, a := range s.After {
			if !ids[a] || a >= s.ID {
				return fmt.Errorf("plan step %d waits for step %d, which does not come before it", s.ID, a)
			}
		}
		switch s.Action {
		case Create, Recreate:
			if s.Container == nil || s.Container.Config == nil || s.Container.HostConfig == nil {
				return fmt.Errorf("plan step %d (%s %s) has no container spec", s.ID, s.Action, s.Resource)
			}
			if len(s.Refs) > 0 && s.HashInput == "" {
				return fmt.Errorf("plan step %d (%s %s) refers to containers but has no hash input", s.ID, s.Action, s.Resource)
			}
		case CreateNetwork:
			if s.Network == nil {
				return fmt.Errorf("plan step %d has no network spec", s.ID)
			}
		case CreateVolume:
			if s.Volume == nil {
				return fmt.Errorf("plan step %d has no volume spec", s.ID)
			}
		case Build:
			if s.Build == nil {
				return fmt.Errorf("plan step %d has no build spec", s.ID)
			}
		case Connect, Disconnect:
			if s.Endpoint == nil || s.Endpoint.Network == "" || s.OldID == "" {
				return fmt.Errorf("plan step %d (%s %s) has no network or container ID", s.ID, s.Action, s.Resource)
			}
		case CreateService, UpdateService:
			if s.ServiceSpec == nil || s.ServiceSpec.TaskTemplate.ContainerSpec == nil {
				return fmt.Errorf("plan step %d (%s %s) has no service spec", s.ID, s.Action, s.Resource)
			}
			if s.Action == UpdateService && s.OldID == "" {
				return fmt.Errorf("plan step %d (%s %s) has no service ID", s.ID, s.Action, s.Resource)
			}
		case CreateSecret:
			if s.SecretSpec == nil {
				return fmt.Errorf("plan step %d has no secret spec", s.ID)
			}
		case CreateConfig:
			if s.ConfigSpec == nil {
				return fmt.Errorf("plan step %d has no config spec", s.ID)
			}
		case Pull, Start, Restart, Stop, Remove, RemoveNetwork, RemoveVolume, RemoveImage, RemoveService, RemoveSecret, RemoveConfig:
		default:
			return fmt.Errorf("plan step %d: unknown action %q", s.ID, s.Action)
		}
		if s.Name == "" {
			return fmt.Errorf("plan step %d has no resource name", s.ID)
		}
	}
	return nil
}

// WireActions is the terraform-style spelling of an action, for
// Step.Actions: consumers scanning for "remove" see every destroy, including
// the one inside a recreate.
func WireActions(a Action) []string { return wireActions(a) }

func wireActions(a Action) []string {
	switch a {
	case Recreate:
		return []string{"remove", "create"}
	case Create, CreateNetwork, CreateVolume, CreateService, CreateSecret, CreateConfig:
		return []string{"create"}
	case UpdateService:
		return []string{"update"}
	case Remove, RemoveNetwork, RemoveVolume, RemoveImage, RemoveService, RemoveSecret, RemoveConfig:
		return []string{"remove"}
	default:
		return []string{string(a)}
	}
}

// Sensitive reports whether a variable or field name looks like it holds a
// secret: berth's one rule, which convert follows too (values it masks here
// never go into a Deployment).
func Sensitive(name string) bool { return sensitive.Name(name) }

// Masked is what a secret value is replaced with.
const Masked = "(sensitive)"

// Masked returns a copy of the plan with secret-looking values hidden: reason
// values of sensitive fields, and sensitive environment values in container
// specs. A masked plan is for display; it cannot be applied.
func (p *Plan) Masked() *Plan {
	q := *p
	q.Steps = make([]Step, len(p.Steps))
	for i, s := range p.Steps {
		s.Reasons = append([]Reason(nil), s.Reasons...)
		for j, r := range s.Reasons {
			if r.Sensitive {
				if r.Old != "" {
					r.Old = Masked
				}
				if r.New != "" {
					r.New = Masked
				}
				s.Reasons[j] = r
			}
		}
		s.Build = s.Build.masked()
		if s.HashInput != "" {
			s.HashInput = Masked // holds the environment
		}
		if s.Container != nil && s.Container.Config != nil {
			c := *s.Container
			cfg := *c.Config
			cfg.Env = maskEnv(c.Config.Env)
			c.Config = &cfg
			c.Files = slices.Clone(c.Files)
			for k, f := range c.Files {
				if f.Secret {
					f.Content = Masked
					c.Files[k] = f
				}
			}
			s.Container = &c
		}
		if s.ServiceSpec != nil && s.ServiceSpec.TaskTemplate.ContainerSpec != nil {
			spec := *s.ServiceSpec
			cs := *spec.TaskTemplate.ContainerSpec
			cs.Env = maskEnv(cs.Env)
			spec.TaskTemplate.ContainerSpec = &cs
			s.ServiceSpec = &spec
		}
		if s.SecretSpec != nil {
			sec := *s.SecretSpec
			sec.Data = []byte(Masked)
			s.SecretSpec = &sec
		}
		q.Steps[i] = s
	}
	return &q
}

// maskEnv hides the values of secret-looking KEY=VALUE entries.
func maskEnv(env []string) []string {
	out := make([]string, len(env))
	for i, kv := range env {
		name, _, ok := strings.Cut(kv, "=")
		if ok && Sensitive(name) {
			kv = name + "=" + Masked
		}
		out[i] = kv
	}
	return out
}
