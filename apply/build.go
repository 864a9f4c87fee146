package apply

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
)

// The image actions.
const (
	Build       Action = "build"        // build an image from a service's build: section
	RemoveImage Action = "remove-image" // down --rmi
)

// The image reasons.
const (
	// Rebuild: the image is built although it is present (--build, or
	// pull_policy: build).
	Rebuild ReasonCode = "rebuild"
	// Refresh: the image is pulled although it is present (pull_policy
	// always, daily, weekly or every_<duration>).
	Refresh ReasonCode = "refresh"
)

// LabelImageBuilder is the label Compose's classic (non-BuildKit) builder
// puts on the images it builds; berth drives the same builder.
const LabelImageBuilder = "com.docker.compose.image.builder"

// BuildSpec is what a build step sends to the engine's /build endpoint,
// computed by Diff from a service's build: section. The context directory
// is read (and .dockerignore applied) when the step runs.
type BuildSpec struct {
	Context          string            `json:"context"`                     // absolute directory
	Dockerfile       string            `json:"dockerfile,omitempty"`        // relative to Context, or absolute
	DockerfileInline string            `json:"dockerfile_inline,omitempty"` // the Dockerfile's text
	Args             map[string]string `json:"args,omitempty"`
	Target           string            `json:"target,omitempty"`
	Labels           map[string]string `json:"labels"`
	Tags             []string          `json:"tags,omitempty"` // more tags besides the step's image name
	Network          string            `json:"network,omitempty"`
	ExtraHosts       []string          `json:"extra_hosts,omitempty"` // host:ip
	CacheFrom        []string          `json:"cache_from,omitempty"`
	ShmSize          int64             `json:"shm_size,omitempty"`
	Platform         string            `json:"platform,omitempty"`
	NoCache          bool              `json:"no_cache,omitempty"`
	Pull             bool              `json:"pull,omitempty"`
}

// ImageCheck makes a recreate conditional on an image that an earlier step
// of the plan builds or pulls: when the image's ID after that step is still
// ID, the container is kept as it is (and started when Start is set),
// since its image did not change. Without it, `apply --build` would
// recreate every container of a rebuilt service even when the build came
// out of the cache. On the stop and start of a depends_on restart: true
// dependent, it is the check of the dependency's recreate: both are
// skipped when that recreate is.
type ImageCheck struct {
	Ref   string `json:"ref"`
	ID    string `json:"id"`
	Start bool   `json:"start,omitempty"`
}

// imageSteps adds the build and pull steps the project needs, Compose's
// way: a service with build: is built when its image is missing, with
// --build, or with pull_policy: build (and never pulled, unless --no-build);
// other images are pulled as pull_policy says (missing, the default; always;
// never; daily, weekly, every_<duration>). It returns the step that makes
// each image, and the images that are present but may get a new ID from
// their step, with the verb for people ("build", "pull").
func (b *builder) imageSteps(q *types.Project, obs *Observed, opts Options) (map[string]int, map[string]string, error) {
	steps, changing := map[string]int{}, map[string]string{}
	// Services that build come first: when a built service and a plain one
	// share an image name, the image is built.
	names := sortedKeys(q.Services)
	slices.SortStableFunc(names, func(a, c string) int {
		return boolOrder(q.Services[a].Build == nil) - boolOrder(q.Services[c].Build == nil)
	})
	for _, name := range names {
		s := q.Services[name]
		ref := ImageRef(q.Name, s)
		if _, done := steps[ref]; done {
			continue
		}
		id, present := obs.Images[ref]
		policy, every, err := s.GetPullPolicy()
		if err != nil {
			return nil, nil, fmt.Errorf("service %s: %w", name, err)
		}
		field := "services." + name + ".pull_policy"
		if s.Build != nil && !opts.NoBuild {
			var why Reason
			switch {
			case opts.Build:
				why = Reason{Code: Rebuild, Field: "--build"}
			case policy == types.PullPolicyBuild:
				why = Reason{Code: Rebuild, Field: field, New: "build"}
			case !present:
				why = Reason{Code: Missing}
			default:
				continue
			}
			spec, err := buildSpec(q, s, opts)
			if err != nil {
				return nil, nil, err
			}
			steps[ref] = b.add(Step{Resource: "image:" + ref, Action: Build, Service: name, Name: ref, Build: spec, Reasons: []Reason{why}})
			if present {
				changing[ref] = "build"
			}
			continue
		}
		if s.Image == "" { // built, never pulled (--no-build)
			if !present {
				return nil, nil, fmt.Errorf("service %s: image %s is not present locally and --no-build was given", name, ref)
			}
			continue
		}
		var why *Reason
		switch policy {
		case types.PullPolicyNever, types.PullPolicyBuild:
			if !present {
				how := "pull_policy is " + policy
				switch {
				case s.Build != nil:
					how = "--no-build was given"
				case policy == types.PullPolicyBuild:
					how = "pull_policy is build but the service has no build section"
				}
				return nil, nil, fmt.Errorf("service %s: image %s is not present locally and %s", name, ref, how)
			}
		case types.PullPolicyAlways:
			why = &Reason{Code: Refresh, Field: field, New: policy}
		case types.PullPolicyRefresh:
			if t := obs.ImageTime[ref]; present && !opts.Now.IsZero() && !t.IsZero() && opts.Now.Sub(t) >= every {
				why = &Reason{Code: Refresh, Field: field, Old: "pulled " + t.UTC().Format(time.RFC3339), New: s.PullPolicy}
			}
		}
		if !present {
			why = &Reason{Code: Missing}
		}
		if why == nil {
			continue
		}
		steps[ref] = b.add(Step{Resource: "image:" + ref, Action: Pull, Service: name, Name: ref, Reasons: []Reason{*why}})
		if present && id != "" {
			changing[ref] = "pull"
		}
	}
	return steps, changing, nil
}

func boolOrder(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildSpec converts a service's build: section. Options that only
// BuildKit implements are refused rather than silently dropped.
func buildSpec(q *types.Project, s types.ServiceConfig, opts Options) (*BuildSpec, error) {
	bc := s.Build
	fail := func(what string) error {
		return fmt.Errorf("service %s: build.%s needs BuildKit; berth builds with the engine's classic builder", s.Name, what)
	}
	switch {
	case len(bc.Secrets) > 0:
		return nil, fail("secrets")
	case len(bc.SSH) > 0:
		return nil, fail("ssh")
	case len(bc.AdditionalContexts) > 0:
		return nil, fail("additional_contexts")
	case len(bc.CacheTo) > 0:
		return nil, fail("cache_to")
	case len(bc.Platforms) > 1:
		return nil, fail("platforms (more than one)")
	case bc.Privileged || len(bc.Entitlements) > 0:
		return nil, fail("privileged/entitlements")
	}
	if isRemoteContext(bc.Context) {
		return nil, fmt.Errorf("service %s: remote build context %s is not supported; clone it and use a directory", s.Name, bc.Context)
	}
	spec := &BuildSpec{
		Context:          bc.Context,
		Dockerfile:       bc.Dockerfile,
		DockerfileInline: bc.DockerfileInline,
		Target:           bc.Target,
		Tags:             bc.Tags,
		Network:          bc.Network,
		CacheFrom:        bc.CacheFrom,
		ShmSize:          int64(bc.ShmSize),
		Platform:         s.Platform,
		NoCache:          bc.NoCache,
		Pull:             bc.Pull,
		Labels:           map[string]string{},
	}
	if !filepath.IsAbs(spec.Context) {
		spec.Context = filepath.Join(q.WorkingDir, spec.Context)
	}
	if len(bc.Platforms) == 1 && spec.Platform == "" {
		spec.Platform = bc.Platforms[0]
	}
	for k, v := range bc.Args {
		if v != nil { // an arg without a value and without a variable to resolve it is not sent
			if spec.Args == nil {
				spec.Args = map[string]string{}
			}
			spec.Args[k] = *v
		}
	}
	if len(bc.ExtraHosts) > 0 {
		spec.ExtraHosts = bc.ExtraHosts.AsList(":")
	}
	for k, v := range bc.Labels {
		spec.Labels[k] = v
	}
	spec.Labels[LabelProject] = q.Name
	spec.Labels[LabelService] = s.Name
	spec.Labels[LabelVersion] = opts.version()
	spec.Labels[LabelImageBuilder] = "classic"
	return spec, nil
}

// prepare opens the build context and returns it with the options of the
// /build request that builds it as ref.
func (spec *BuildSpec) prepare(ref string) (*buildContext, build.ImageBuildOptions, error) {
	o := build.ImageBuildOptions{
		Tags:        append([]string{ref}, spec.Tags...),
		Target:      spec.Target,
		Labels:      spec.Labels,
		NetworkMode: spec.Network,
		ExtraHosts:  spec.ExtraHosts,
		CacheFrom:   spec.CacheFrom,
		ShmSize:     spec.ShmSize,
		Platform:    spec.Platform,
		NoCache:     spec.NoCache,
		PullParent:  spec.Pull,
		Remove:      true,
		ForceRemove: true,
		Version:     build.BuilderV1,
	}
	if len(spec.Args) > 0 {
		o.BuildArgs = map[string]*string{}
		for k, v := range spec.Args {
			o.BuildArgs[k] = &v
		}
	}
	if st, err := os.Stat(spec.Context); err != nil || !st.IsDir() {
		if err == nil {
			err = fmt.Errorf("%s is not a directory", spec.Context)
		}
		return nil, o, fmt.Errorf("build context: %w", err)
	}
	var extra []byte
	switch {
	case spec.DockerfileInline != "":
		extra = []byte(spec.DockerfileInline)
	default:
		df := spec.Dockerfile
		if df == "" {
			df = "Dockerfile"
		}
		if !filepath.IsAbs(df) {
			df = filepath.Join(spec.Context, df)
		}
		// Both paths with their symbolic links resolved, as the docker CLI
		// resolves them: a Dockerfile linked from outside the context is
		// sent along, not as a link the builder could not follow.
		ctxDir, err := filepath.EvalSymlinks(spec.Context)
		if err != nil {
			return nil, o, fmt.Errorf("build context: %w", err)
		}
		if df, err = filepath.EvalSymlinks(df); err != nil {
			return nil, o, fmt.Errorf("reading Dockerfile: %w", err)
		}
		rel, err := filepath.Rel(ctxDir, df)
		if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			// Outside the context: sent along under a name of its own, as the
			// docker CLI does.
			if extra, err = os.ReadFile(df); err != nil {
				return nil, o, fmt.Errorf("reading Dockerfile: %w", err)
			}
		} else {
			o.Dockerfile = filepath.ToSlash(rel)
		}
	}
	bc, err := newBuildContext(spec.Context, o.Dockerfile)
	if err != nil {
		return nil, o, err
	}
	if extra != nil {
		o.Dockerfile = extraFileName(extra)
		bc.extra = &contextFile{name: o.Dockerfile, body: extra}
	}
	return bc, o, nil
}

// masked hides the values of secret-looking build args.
func (spec *BuildSpec) masked() *BuildSpec {
	if spec == nil || len(spec.Args) == 0 {
		return spec
	}
	c := *spec
	c.Args = map[string]string{}
	for k, v := range spec.Args {
		if Sensitive(k) {
			v = Masked
		}
		c.Args[k] = v
	}
	return &c
}

// streamMessage is one message of the engine's JSON progress stream (build,
// pull): an error arrives in it, not as an HTTP status, since the status
// was sent before the work started.
type streamMessage struct {
	Stream      string `json:"stream"`
	Status      string `json:"status"`
	Error       string `json:"error"`
	ErrorDetail *struct {
		Message string `json:"message"`
	} `json:"errorDetail"`
	Aux json.RawMessage `json:"aux"`
}

// readStream reads a progress stream to its end and returns the error it
// reports, with the engine's message. each sees every message.
func readStream(r io.Reader, each func(streamMessage)) error {
	dec := json.NewDecoder(r)
	for {
		var m streamMessage
		if err := dec.Decode(&m); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("reading the engine's progress stream: %w", err)
		}
		if m.ErrorDetail != nil && m.ErrorDetail.Message != "" {
			return errors.New(strings.TrimSpace(m.ErrorDetail.Message))
		}
		if m.Error != "" {
			return errors.New(strings.TrimSpace(m.Error))
		}
		if each != nil {
			each(m)
		}
	}
}

// imageIDs are the IDs of the images the plan's build and pull steps made,
// for the com.docker.compose.image label of the containers created after
// them and for ImageCheck.
type imageIDs struct {
	mu sync.Mutex
	m  map[string]string
}

func (i *imageIDs) set(ref, id string) {
	i.mu.Lock()
	defer i.mu.Unlock()
	if i.m == nil {
		i.m = map[string]string{}
	}
	i.m[ref] = id
}

func (i *imageIDs) get(ref string) (string, bool) {
	i.mu.Lock()
	defer i.mu.Unlock()
	id, ok := i.m[ref]
	return id, ok
}

// record looks up the ID of an image a step just made.
func (x *executor) record(ctx context.Context, ref string) (string, error) {
	in, err := x.d.ImageInspect(ctx, ref)
	if err != nil {
		return "", fmt.Errorf("inspecting image %s: %w", ref, err)
	}
	x.images.set(ref, in.ID)
	return in.ID, nil
}

// buildImage runs a build step: the context is streamed to the engine
// while it is read, and the builder's own message fails the step.
func (x *executor) buildImage(ctx context.Context, s Step, began time.Time) error {
	bc, o, err := s.Build.prepare(s.Name)
	if err != nil {
		return err
	}
	x.event(s.Resource, "Building", 0, "")
	// The context is tarred while the engine reads it; closing the stream
	// stops the tarring when the engine stops reading.
	body, err := bc.open()
	if err != nil {
		return err
	}
	defer body.Close()
	resp, err := x.d.ImageBuild(ctx, body, o)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var tail outputTail
	err = readStream(resp.Body, func(m streamMessage) {
		tail.add(m.Stream)
		if line := strings.TrimSpace(m.Stream); strings.HasPrefix(line, "Step ") {
			x.event(s.Resource, "Building", time.Since(began), line)
		}
	})
	if err != nil {
		return tail.wrap(err)
	}
	id, err := x.record(ctx, s.Name)
	if err != nil {
		return err
	}
	x.event(s.Resource, "Built", time.Since(began), short(strings.TrimPrefix(id, "sha256:")))
	return nil
}

// pullImage runs a pull step; an error in the progress stream (unknown
// image, unreachable registry, denied) fails it with the engine's message.
func (x *executor) pullImage(ctx context.Context, s Step, began time.Time) error {
	x.event(s.Resource, "Pulling", 0, "")
	rc, err := x.d.ImagePull(ctx, s.Name, image.PullOptions{})
	if err != nil {
		return err
	}
	err = readStream(rc, nil)
	rc.Close()
	if err != nil {
		return err
	}
	id, err := x.record(ctx, s.Name)
	if err != nil {
		return err
	}
	x.event(s.Resource, "Pulled", time.Since(began), short(strings.TrimPrefix(id, "sha256:")))
	return nil
}

// keepUnchanged carries out a recreate's ImageCheck: it reports true (and
// starts the container if asked) when the image the plan built or pulled
// kept its ID.
func (x *executor) keepUnchanged(ctx context.Context, s Step, began time.Time) (bool, error) {
	c := s.IfImageChanged
	if unchanged, err := x.imageUnchanged(ctx, c); !unchanged || err != nil {
		return false, err
	}
	x.event(s.Resource, "Unchanged", time.Since(began), "image "+short(strings.TrimPrefix(c.ID, "sha256:"))+" did not change")
	if c.Start {
		return true, x.start(ctx, s, s.OldID, began)
	}
	return true, nil
}

// imageUnchanged reports whether the image c checks still has its ID after
// the plan's builds and pulls (false when c is nil).
func (x *executor) imageUnchanged(ctx context.Context, c *ImageCheck) (bool, error) {
	if c == nil {
		return false, nil
	}
	id, ok := x.images.get(c.Ref)
	if !ok {
		var err error
		if id, err = x.record(ctx, c.Ref); err != nil {
			return false, err
		}
	}
	return id == c.ID, nil
}

// withImageLabel returns cfg with the com.docker.compose.image label of an
// image the plan built or pulled (whose ID Diff could not know).
func (x *executor) withImageLabel(spec *ContainerSpec) *ContainerSpec {
	id, ok := x.images.get(spec.Config.Image)
	if !ok {
		return spec
	}
	c, cfg := *spec, *spec.Config
	cfg.Labels = make(map[string]string, len(spec.Config.Labels)+1)
	for k, v := range spec.Config.Labels {
		cfg.Labels[k] = v
	}
	cfg.Labels[LabelImage] = id
	c.Config = &cfg
	return &c
}

// removeImage runs a down --rmi step. An image still used by a container
// (of another project) or already gone is reported, not an error, as
// Docker Compose does.
func (x *executor) removeImage(ctx context.Context, s Step, began time.Time) error {
	x.event(s.Resource, "Removing", 0, "")
	_, err := x.d.ImageRemove(ctx, s.Name, image.RemoveOptions{PruneChildren: true})
	switch {
	case err == nil:
		x.event(s.Resource, "Removed", time.Since(began), "")
	case isConflict(err):
		x.event(s.Resource, "In use", time.Since(began), strings.TrimPrefix(err.Error(), "Error response from daemon: "))
	case isNotFound(err):
		x.event(s.Resource, "Not found", time.Since(began), "")
	default:
		return fmt.Errorf("removing image %s: %w", s.Name, err)
	}
	return nil
}

// DownImages lists the images `down --rmi` removes: with "local" the images
// Docker Compose names after the project (<project>-<service>, for services
// without image:), with "all" every image the services use. p is the loaded
// project, or nil when down runs without compose files; the images of the
// project's containers are added either way, a container running
// <project>-<service> counting as local.
func DownImages(mode string, p *types.Project, obs *Observed) ([]string, error) {
	switch mode {
	case "":
		return nil, nil
	case "local", "all":
	default:
		return nil, fmt.Errorf("--rmi must be local or all, not %q", mode)
	}
	var refs []string
	if p != nil {
		for _, s := range p.Services {
			if mode == "local" && s.Image != "" {
				continue
			}
			refs = append(refs, ImageRef(p.Name, s))
		}
	}
	for _, c := range obs.Containers {
		if c.OneOff || c.Image == "" || strings.HasPrefix(c.Image, "sha256:") {
			continue
		}
		if mode == "local" && c.Image != obs.Project+"-"+c.Service {
			continue
		}
		refs = append(refs, c.Image)
	}
	slices.Sort(refs)
	return slices.Compact(refs), nil
}

// imageTime is when an image arrived locally: its last tag time (a pull or
// a build tags it), else its creation time.
func imageTime(in image.InspectResponse) time.Time {
	if in.Metadata.LastTagTime.After(time.Time{}) {
		return in.Metadata.LastTagTime
	}
	t, _ := time.Parse(time.RFC3339Nano, in.Created)
	return t
}

// outputTail keeps the last lines of a build's output: a failing RUN's
// message ("returned a non-zero code: 2") says nothing without the output
// that came before it.
type outputTail struct{ lines []string }

const tailLines = 15

func (t *outputTail) add(stream string) {
	for _, l := range strings.Split(stream, "\n") {
		if l = strings.TrimRight(l, " \r\t"); strings.TrimSpace(l) == "" || strings.HasPrefix(strings.TrimSpace(l), "---> ") {
			continue
		}
		t.lines = append(t.lines, l)
		if len(t.lines) > tailLines {
			t.lines = t.lines[1:]
		}
	}
}

func (t *outputTail) wrap(err error) error {
	if len(t.lines) == 0 {
		return err
	}
	return fmt.Errorf("%w\nlast build output:\n  %s", err, strings.Join(t.lines, "\n  "))
}
