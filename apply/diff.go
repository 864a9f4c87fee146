package apply

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"

	"github.com/berth-compose/berth/transform"
)

// Options change what Diff plans.
type Options struct {
	KeepOrphans   bool      // leave containers of services no longer in the files
	ForceRecreate bool      // recreate every container
	Wait          bool      // after the steps, wait until every service is running or healthy
	EnvFiles      []string  // explicit --env-file paths (absolute), for the environment_file label
	Version       string    // com.docker.compose.version; default ComposeVersion
	Build         bool      // build every image that has a build: section (--build)
	NoBuild       bool      // never build; a missing image is pulled or an error (--no-build)
	Now           time.Time // for pull_policy daily/weekly/every_<d>; zero never refreshes
	// RenewAnonVolumes recreates every container with new anonymous
	// volumes instead of mounting those of the container it replaces
	// (docker compose up -V/--renew-anon-volumes).
	RenewAnonVolumes bool
}

func (o Options) version() string {
	if o.Version == "" {
		return ComposeVersion
	}
	return o.Version
}

// Images lists the image references the project's services run, for
// Observe to look up.
func Images(p *types.Project) []string {
	var refs []string
	for _, s := range p.Services {
		refs = append(refs, ImageRef(p.Name, s))
	}
	slices.Sort(refs)
	return slices.Compact(refs)
}

// PlanFor observes the project's state in Docker and diffs the project
// against it.
func PlanFor(ctx context.Context, d Docker, p *types.Project, opts Options) (*Plan, error) {
	obs, err := Observe(ctx, d, p.Name, Images(p)...)
	if err != nil {
		return nil, err
	}
	if err := ReadInlineFiles(ctx, d, p, obs); err != nil {
		return nil, err
	}
	return Diff(p, obs, opts)
}

// Prepare returns the project as Compose runs it: env_file contents merged
// into environment and the default platform applied. It does not change p.
func Prepare(p *types.Project) (*types.Project, error) {
	q, err := p.WithServicesEnvironmentResolved(true)
	if err != nil {
		return nil, fmt.Errorf("resolving service environments: %w", err)
	}
	if err := transform.ApplyPlatforms(q); err != nil {
		return nil, err
	}
	return q, nil
}

// Diff compares the project with the observed state and returns the steps
// that make Docker match the project. It does no I/O and is deterministic:
// the same inputs give the same plan, byte for byte.
func Diff(p *types.Project, obs *Observed, opts Options) (*Plan, error) {
	hashes := map[string]string{}
	hs, err := transform.ServiceHashes(p, nil, true)
	if err != nil {
		return nil, fmt.Errorf("computing config hashes: %w", err)
	}
	for _, h := range hs {
		hashes[h[0]] = h[1]
	}
	q, err := Prepare(p)
	if err != nil {
		return nil, err
	}
	obs = canonical(obs)
	b := &builder{plan: &Plan{FormatVersion: FormatVersion, Project: p.Name, Fingerprint: obs.Fingerprint(), Observed: obs.Summary(), Images: Images(q), Steps: []Step{}}}

	// Images are built or pulled first.
	pulls, changing, err := b.imageSteps(q, obs, opts)
	if err != nil {
		return nil, err
	}

	// Containers that go away: orphans, and replicas above the scale.
	var removes []int
	var kept []string
	byService := map[string][]Container{}
	dupNets := duplicateNetworks(obs.Networks, obs.Containers)
	for _, c := range obs.Containers {
		if n, ok := attachedTo(c, dupNets); ok {
			// Its network is about to go: remove it, and create it again below.
			removes = append(removes, b.add(Step{Resource: "container:" + c.Name, Action: Remove, Service: c.Service, Name: c.Name, OldID: c.ID,
				Reasons: []Reason{{Code: Duplicate, Field: "networks." + n.Name + " id=" + short(n.ID)}}}))
			continue
		}
		_, enabled := q.Services[c.Service]
		_, disabled := q.DisabledServices[c.Service]
		switch {
		case c.OneOff:
			if c.State == "exited" || c.State == "dead" {
				removes = append(removes, b.removeContainer(c, Orphan, opts))
			}
		case !enabled && !disabled:
			if opts.KeepOrphans {
				kept = append(kept, c.Name)
				continue
			}
			removes = append(removes, b.removeContainer(c, Orphan, opts))
		case enabled:
			byService[c.Service] = append(byService[c.Service], c)
		}
	}
	if len(kept) > 0 {
		b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf("orphan containers kept (--keep-orphans): %s", strings.Join(kept, ", ")))
	}
	b.warnOrphans()
	for _, name := range sortedKeys(byService) {
		scale := scaleOf(q.Services[name])
		for _, c := range byService[name] {
			if c.Number > scale || c.Number < 1 {
				removes = append(removes, b.removeContainer(c, ScaleDown, opts))
			}
		}
	}

	// Networks and volumes.
	var netRemoves []int
	for _, n := range dupNets {
		netRemoves = append(netRemoves, b.add(Step{Resource: "network:" + n.Name, Action: RemoveNetwork, Name: n.Name, OldID: n.ID, After: slices.Clone(removes),
			Reasons: []Reason{{Code: Duplicate, Field: "id=" + short(n.ID)}}}))
	}
	removes = append(removes, netRemoves...)
	netSteps := map[string]int{}
	for _, key := range sortedKeys(q.Networks) {
		n := q.Networks[key]
		if n.External {
			continue
		}
		hash, err := networkHash(n)
		if err != nil {
			return nil, err
		}
		reasons, after := []Reason{{Code: Missing}}, []int(nil)
		if i := slices.IndexFunc(obs.Networks, func(o Network) bool {
			return o.Name == n.Name && !slices.ContainsFunc(dupNets, func(d Network) bool { return d.ID == o.ID })
		}); i >= 0 {
			rm, err := b.recreateNetwork(q, obs.Networks[i], hash, obs, removes)
			if err != nil {
				return nil, err
			}
			if rm == 0 {
				continue // up to date, or made without a hash to compare
			}
			reasons, after = b.plan.Steps[rm-1].Reasons, []int{rm}
		} else if slices.ContainsFunc(obs.Networks, func(o Network) bool { return o.Name == n.Name }) {
			continue
		}
		labels := resourceLabels(n.Labels, n.CustomLabels, LabelNetwork, key, q.Name, opts.version(), hash)
		spec := &NetworkSpec{Driver: n.Driver, DriverOpts: n.DriverOpts, Internal: n.Internal, Attachable: n.Attachable, Labels: labels}
		if n.EnableIPv6 != nil {
			spec.EnableIPv6 = *n.EnableIPv6
		}
		netSteps[key] = b.add(Step{Resource: "network:" + n.Name, Action: CreateNetwork, Name: n.Name, Network: spec, After: after, Reasons: reasons})
	}
	volSteps := map[string]int{}
	for _, key := range sortedKeys(q.Volumes) {
		v := q.Volumes[key]
		if v.External {
			continue
		}
		hash, err := volumeHash(v)
		if err != nil {
			return nil, err
		}
		if i := slices.IndexFunc(obs.Volumes, func(o Volume) bool { return o.Name == v.Name }); i >= 0 {
			if w := volumeWarning(key, v, obs.Volumes[i], hash); w != "" {
				b.plan.Warnings = append(b.plan.Warnings, w)
			}
			continue
		}
		labels := resourceLabels(v.Labels, v.CustomLabels, LabelVolume, key, q.Name, opts.version(), hash)
		volSteps[key] = b.add(Step{Resource: "volume:" + v.Name, Action: CreateVolume, Name: v.Name, Volume: &VolumeSpec{Driver: v.Driver, DriverOpts: v.DriverOpts, Labels: labels}, Reasons: []Reason{{Code: Missing}}})
	}

	// Containers, each service after the services it depends on.
	completedDeps := map[string]bool{} // services some dependent waits to complete
	for _, s := range q.Services {
		for dep, d := range s.DependsOn {
			if d.Condition == types.ServiceConditionCompletedSuccessfully {
				completedDeps[dep] = true
			}
		}
	}
	svcSteps := map[string][]int{}
	svcWaits := map[string][]Wait{}
	netKeys := map[string]string{}
	for key, n := range q.Networks {
		netKeys[n.Name] = key
	}
	for _, name := range transform.ServiceOrder(q) {
		s := q.Services[name]
		imageRef := ImageRef(q.Name, s)
		imageID := obs.Images[imageRef]
		var after []int
		after = append(after, removes...)
		if id, ok := pulls[imageRef]; ok {
			after = append(after, id)
		}
		for _, key := range sortedKeys(s.Networks) {
			if id, ok := netSteps[key]; ok {
				after = append(after, id)
			}
		}
		for _, v := range s.Volumes {
			if id, ok := volSteps[v.Source]; ok && (v.Type == types.VolumeTypeVolume || v.Type == "") {
				after = append(after, id)
			}
		}
		var waits []Wait
		for _, dep := range sortedKeys(s.DependsOn) {
			d := s.DependsOn[dep]
			after = append(after, svcSteps[dep]...)
			if _, ok := q.Services[dep]; !ok {
				if !d.Required {
					b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf("service %s: optional dependency %s (required: false) is not enabled; %s starts without it", name, dep, name))
				}
				continue // not selected (--no-deps), or disabled and not required
			}
			waits = append(waits, Wait{Service: dep, Condition: condition(d), Required: d.Required})
		}
		svcWaits[name] = waits
		// Two containers with one number (an interrupted recreate): keep
		// one, remove the others before anything is created in their place.
		byNumber := map[int][]Container{}
		for _, c := range byService[name] {
			byNumber[c.Number] = append(byNumber[c.Number], c)
		}
		existing := map[int]Container{}
		for _, n := range slices.Sorted(maps.Keys(byNumber)) {
			keep, extras := pickReplica(byNumber[n], ContainerName(q.Name, s, n))
			existing[n] = keep
			for _, c := range extras {
				id := b.add(Step{Resource: "container:" + c.Name, Action: Remove, Service: name, Name: c.Name, OldID: c.ID, After: slices.Clone(removes),
					Reasons: []Reason{{Code: Duplicate, Field: LabelNumber + "=" + strconv.Itoa(n)}}})
				svcSteps[name] = append(svcSteps[name], id)
				after = append(after, id)
			}
		}
		slices.Sort(after)
		after = slices.Compact(after)
		rs, err := resolveServiceRefs(s, hashes[name], b.refTargets(q, obs))
		if err != nil {
			return nil, err
		}
		for n := 1; n <= scaleOf(s); n++ {
			spec, err := containerSpec(q, rs.spec, n, rs.hash, imageID, opts)
			if err != nil {
				return nil, err
			}
			cname := ContainerName(q.Name, s, n)
			step := Step{Resource: "container:" + cname, Service: name, Name: cname, After: after, Waits: waits, Refs: rs.refs, HashInput: rs.hashInput}
			c, ok := existing[n]
			if !ok {
				step.Action, step.Container, step.Reasons = Create, spec, []Reason{{Code: Missing}}
				svcSteps[name] = append(svcSteps[name], b.add(step))
				continue
			}
			reasons := rs.recreateReasons(c, s, spec, imageID, diffEnv{image: obs.ImageConfigs[imageRef], netKeys: netKeys}, opts)
			if c.Name != cname {
				reasons = append(reasons, Reason{Code: NameChanged, Field: "name", Change: Changed, Old: c.Name, New: cname})
			}
			d := b.detached[c.ID]
			if _, ok := changing[imageRef]; ok && d != nil && len(reasons) == 0 {
				// A recreate that depends on the image would leave the
				// container off its networks when the image does not change:
				// it is recreated in any case.
				for _, name := range d.networks {
					reasons = append(reasons, Reason{Code: NetworkRecreated, New: name})
				}
			}
			if len(reasons) > 0 {
				step.KeepVolumes = replacement(spec, s, n, c, obs.ImageVolumes[imageRef], opts)
				step.Action, step.Container, step.Reasons, step.OldID = Recreate, spec, reasons, c.ID
				svcSteps[name] = append(svcSteps[name], b.add(step))
				continue
			}
			needStart := c.State != "running" && !(c.State == "exited" && c.ExitCode == 0 && completedDeps[name])
			if verb, ok := changing[imageRef]; ok {
				// The image is rebuilt or pulled again: recreate only if its ID
				// changes. The image VOLUME paths are those of the image as it
				// is now: the new one is not known before it is made.
				step.KeepVolumes = replacement(spec, s, n, c, obs.ImageVolumes[imageRef], opts)
				step.Action, step.Container, step.OldID = Recreate, spec, c.ID
				step.Reasons = []Reason{{Code: ImageChanged, Field: "services." + name + ".image", Change: Changed, Old: short(strings.TrimPrefix(imageID, "sha256:")), New: "(known after " + verb + ")"}}
				step.IfImageChanged = &ImageCheck{Ref: imageRef, ID: imageID, Start: needStart}
				svcSteps[name] = append(svcSteps[name], b.add(step))
				continue
			}
			if d != nil {
				svcSteps[name] = append(svcSteps[name], b.reattach(c, d, spec, after, waits, needStart)...)
				continue
			}
			if needStart {
				step.Action, step.OldID = Start, c.ID
				step.Reasons = []Reason{{Code: NotRunning, Field: "state", Old: c.State, New: "running"}}
				svcSteps[name] = append(svcSteps[name], b.add(step))
			}
		}
	}

	b.planRollouts(q)
	b.stopDependents(q, byService, svcSteps, svcWaits)

	if opts.Wait {
		for _, name := range transform.ServiceOrder(q) {
			if scaleOf(q.Services[name]) == 0 {
				continue
			}
			cond := "running_or_healthy"
			if completedDeps[name] {
				cond = types.ServiceConditionCompletedSuccessfully
			}
			b.plan.Wait = append(b.plan.Wait, Wait{Service: name, Condition: cond, Required: true})
		}
	}
	return b.plan, nil
}

// recreateReasons says why an existing container no longer matches its
// service, or returns nil when it does. The config hash decides, as in
// Compose; the reasons then name every field that differs (see
// containerFields). A changed inline config or secret recreates too: its
// content is not part of the hash.
func recreateReasons(c Container, s types.ServiceConfig, spec *ContainerSpec, hash, imageID string, env diffEnv, opts Options) []Reason {
	var out []Reason
	if opts.ForceRecreate {
		out = append(out, Reason{Code: ConfigChanged, Field: "--force-recreate"})
	}
	if opts.RenewAnonVolumes {
		out = append(out, Reason{Code: ConfigChanged, Field: "--renew-anon-volumes"})
	}
	var fields []Reason
	if c.ConfigHash != hash {
		fields = containerFields(s, spec, c, env.image, env.netKeys)
		if len(fields) == 0 {
			fields = unknownFields(s, c.ConfigHash, hash)
		}
		out = append(out, fields...)
	}
	out = append(out, inlineFileReasons(c, spec)...)
	if imageID != "" && c.ImageLabel != "" && c.ImageLabel != imageID {
		out = append(out, Reason{Code: ImageChanged, Field: "services." + s.Name + ".image", Change: Changed, Old: short(strings.TrimPrefix(c.ImageLabel, "sha256:")), New: short(strings.TrimPrefix(imageID, "sha256:"))})
	}
	// Compose checks networks of running containers only; a container an
	// interrupted apply created but did not connect to all its networks
	// yet is not running, and starting it as it is would not converge.
	for _, ep := range spec.Networks {
		named := slices.ContainsFunc(fields, func(r Reason) bool {
			return r.Change == Added && r.New == ep.Network && strings.HasPrefix(r.Field, "services."+s.Name+".networks.")
		})
		if !named && !slices.Contains(c.Networks, ep.Network) {
			out = append(out, Reason{Code: NetworkChange, Field: "services." + s.Name + ".networks", Change: Added, New: ep.Network})
		}
	}
	return out
}

// diffEnv is what recreateReasons needs of the project and the observed
// state beyond the container and its service.
type diffEnv struct {
	image   *dockerspec.DockerOCIImageConfig // the service's image config, nil when absent
	netKeys map[string]string                // network name -> key in the files
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return h
}

type builder struct {
	plan *Plan
	// detached holds, by container ID, the containers that recreateNetwork
	// takes off the networks it recreates.
	detached map[string]*detached
}

func (b *builder) add(s Step) int {
	s.ID = len(b.plan.Steps) + 1
	s.Actions = wireActions(s.Action)
	b.plan.Steps = append(b.plan.Steps, s)
	return s.ID
}

func (b *builder) removeContainer(c Container, why ReasonCode, _ Options) int {
	return b.add(Step{Resource: "container:" + c.Name, Action: Remove, Service: c.Service, Name: c.Name, OldID: c.ID, Reasons: []Reason{{Code: why}}})
}

// DownOptions change what DownPlan removes.
type DownOptions struct {
	Volumes bool     // also remove the project's named volumes
	Images  []string // images to remove after the containers (down --rmi, see DownImages)
}

// DownPlan removes every container and network of the project (and its
// volumes with Volumes), dependents before their dependencies, as read from
// the depends_on labels; it needs no compose file.
func DownPlan(obs *Observed, opts DownOptions) *Plan {
	b := &builder{plan: &Plan{FormatVersion: FormatVersion, Project: obs.Project, Fingerprint: obs.Fingerprint(), Observed: obs.Summary(), Steps: []Step{}}}
	// Services that others depend on go after them: order services so that
	// dependents come first.
	dependents := map[string][]string{}
	services := map[string]bool{}
	for _, c := range obs.Containers {
		services[c.Service] = true
		for _, e := range strings.Split(c.Labels[LabelDependsOn], ",") {
			if dep, _, _ := strings.Cut(e, ":"); dep != "" {
				dependents[dep] = append(dependents[dep], c.Service)
			}
		}
	}
	// A container is removed after the containers of the services that
	// depend on it.
	visit := inDependencyOrder(dependents, func(svc string, after []int) []int {
		var steps []int
		for _, c := range obs.Containers {
			if c.Service == svc {
				steps = append(steps, b.add(Step{Resource: "container:" + c.Name, Action: Remove, Service: svc, Name: c.Name, OldID: c.ID, After: after, Reasons: []Reason{{Code: Down}}}))
			}
		}
		return steps
	})
	for _, svc := range sortedKeys(services) {
		visit(svc)
	}
	var all []int
	for _, s := range b.plan.Steps {
		all = append(all, s.ID)
	}
	for _, n := range obs.Networks {
		b.add(Step{Resource: "network:" + n.Name, Action: RemoveNetwork, Name: n.Name, OldID: n.ID, After: all, Reasons: []Reason{{Code: Down}}})
	}
	for _, ref := range opts.Images {
		b.add(Step{Resource: "image:" + ref, Action: RemoveImage, Name: ref, After: all, Reasons: []Reason{{Code: Down}}})
	}
	if opts.Volumes {
		for _, v := range obs.Volumes {
			b.add(Step{Resource: "volume:" + v.Name, Action: RemoveVolume, Name: v.Name, After: all, Reasons: []Reason{{Code: Down}}})
		}
	}
	return b.plan
}

// scaleOf is the number of replicas a service runs.
func scaleOf(s types.ServiceConfig) int {
	return s.GetScale()
}

// resourceLabels are the labels of a network or volume berth creates: the
// file's labels, then the custom ones, then Compose's own (which win, as in
// Compose): kindLabel names the key in the file, plus project, version and
// config hash.
func resourceLabels(file, custom map[string]string, kindLabel, key, project, version, hash string) map[string]string {
	labels := make(map[string]string, len(file)+len(custom)+4)
	maps.Copy(labels, file)
	maps.Copy(labels, custom)
	labels[kindLabel] = key
	labels[LabelProject] = project
	labels[LabelVersion] = version
	labels[LabelConfigHash] = hash
	return labels
}
