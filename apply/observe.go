package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
	"github.com/docker/docker/client"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"golang.org/x/sync/errgroup"
)

// Docker is the part of the Engine API that apply uses, with the Docker
// client's own method signatures: *client.Client implements it, *Engine
// (the client with the Docker CLI's registry credentials) too, and tests
// can fake it.
type Docker interface {
	ContainerList(ctx context.Context, options container.ListOptions) ([]container.Summary, error)
	ContainerInspect(ctx context.Context, container string) (container.InspectResponse, error)
	ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, containerName string) (container.CreateResponse, error)
	ContainerStart(ctx context.Context, container string, options container.StartOptions) error
	ContainerStop(ctx context.Context, container string, options container.StopOptions) error
	ContainerRemove(ctx context.Context, container string, options container.RemoveOptions) error
	ContainerRename(ctx context.Context, container, newContainerName string) error
	ContainerLogs(ctx context.Context, container string, options container.LogsOptions) (io.ReadCloser, error)
	NetworkList(ctx context.Context, options network.ListOptions) ([]network.Summary, error)
	NetworkCreate(ctx context.Context, name string, options network.CreateOptions) (network.CreateResponse, error)
	NetworkConnect(ctx context.Context, network, container string, config *network.EndpointSettings) error
	NetworkDisconnect(ctx context.Context, network, container string, force bool) error
	NetworkRemove(ctx context.Context, network string) error
	VolumeList(ctx context.Context, options volume.ListOptions) (volume.ListResponse, error)
	VolumeCreate(ctx context.Context, options volume.CreateOptions) (volume.Volume, error)
	VolumeRemove(ctx context.Context, volumeID string, force bool) error
	ImageInspect(ctx context.Context, image string, opts ...client.ImageInspectOption) (image.InspectResponse, error)
	ImagePull(ctx context.Context, ref string, options image.PullOptions) (io.ReadCloser, error)
	ImageBuild(ctx context.Context, context io.Reader, options build.ImageBuildOptions) (build.ImageBuildResponse, error)
	ImageRemove(ctx context.Context, image string, options image.RemoveOptions) ([]image.DeleteResponse, error)
	// Inline configs and secrets are copied into a container before it
	// starts, and read back by the plan.
	CopyToContainer(ctx context.Context, container, path string, content io.Reader, options container.CopyToContainerOptions) error
	CopyFromContainer(ctx context.Context, container, srcPath string) (io.ReadCloser, container.PathStat, error)
}

// Compose's label keys.
const (
	LabelProject     = "com.docker.compose.project"
	LabelService     = "com.docker.compose.service"
	LabelNumber      = "com.docker.compose.container-number"
	LabelConfigHash  = "com.docker.compose.config-hash"
	LabelOneOff      = "com.docker.compose.oneoff"
	LabelVersion     = "com.docker.compose.version"
	LabelWorkingDir  = "com.docker.compose.project.working_dir"
	LabelConfigFiles = "com.docker.compose.project.config_files"
	LabelEnvFile     = "com.docker.compose.project.environment_file"
	LabelDependsOn   = "com.docker.compose.depends_on"
	LabelImage       = "com.docker.compose.image"
	LabelReplace     = "com.docker.compose.replace"
	LabelNetwork     = "com.docker.compose.network"
	LabelVolume      = "com.docker.compose.volume"
)

// Observed is the project's state in Docker.
type Observed struct {
	Project    string
	Containers []Container // sorted by name
	Networks   []Network   // sorted by name
	Volumes    []Volume    // sorted by name
	// Images maps the image references the project uses to the local
	// image ID; a reference missing here is not present locally.
	Images map[string]string
	// ImageTime is when each present image was pulled or tagged (its
	// creation time if the engine does not say), for pull_policy: daily.
	// It is not part of the fingerprint.
	ImageTime map[string]time.Time
	// ImageVolumes lists, per present image reference, the paths its
	// image config declares as VOLUME, sorted: a container gets an
	// anonymous volume at each one that nothing else is mounted at.
	ImageVolumes map[string][]string
	// ImageConfigs holds the config of each present image: what the engine
	// fills in for the fields a service leaves unset.
	ImageConfigs map[string]*dockerspec.DockerOCIImageConfig
}

// Container is one container of the project, as Compose's labels describe it.
type Container struct {
	ID         string
	Name       string
	Service    string
	Number     int
	ConfigHash string
	ImageLabel string // com.docker.compose.image
	OneOff     bool
	State      string // created, running, exited, ...
	Health     string // "", starting, healthy, unhealthy
	ExitCode   int
	Labels     map[string]string
	Networks   []string         // names of the networks it is attached to, sorted
	NetworkIDs []string         // IDs of those networks, sorted (names can be ambiguous)
	Env        []string         // Config.Env, for reasons
	Image      string           // Config.Image
	Ports      []container.Port // published ports, for ps
	Status     string           // Docker's human status, for ps
	Created    time.Time        // for ps
	// Mounts are its mounts as the engine reports them, sorted by target:
	// a recreate mounts its anonymous volumes in the replacement.
	Mounts []Mount
	// Config, HostConfig and Endpoints are what the engine stored at create
	// time (inspect), for the plan to name each field that changed.
	Config     *container.Config
	HostConfig *container.HostConfig
	Endpoints  map[string]*network.EndpointSettings
	// Files holds, by path in the container, the sha256 of the inline
	// configs and secrets (content:, environment:) the service's files
	// inject; see ReadInlineFiles. Empty when none were read.
	Files map[string]string
}

// Mount is one mount of a container.
type Mount struct {
	Type   string // volume, bind, tmpfs, ...
	Name   string // the volume name, for a volume
	Source string // the host path, for a bind
	Target string
	RW     bool
}

// Network is one network labelled with the project.
type Network struct {
	ID, Name, Key string
	Labels        map[string]string
	Created       time.Time // picks the network kept among duplicates
	// Foreign names the containers attached to it that are not the
	// project's (another project's, or unlabelled), sorted: berth does not
	// stop them to recreate the network.
	Foreign []string
	// What the engine reports of its configuration, for the plan to name
	// what changed.
	Driver                           string
	Options                          map[string]string
	IPAMDriver                       string
	IPAMOptions                      map[string]string
	IPAM                             []network.IPAMConfig
	Internal, Attachable, EnableIPv6 bool
}

// Volume is one volume labelled with the project.
type Volume struct {
	Name, Key string
	Labels    map[string]string
	Driver    string
	Options   map[string]string
}

// Observe reads the project's containers (every container with the project
// label and a config-hash label, as Compose finds them), networks and
// volumes. images are the references whose local IDs to look up.
func Observe(ctx context.Context, d Docker, project string, images ...string) (*Observed, error) {
	o := &Observed{Project: project, Images: map[string]string{}, ImageTime: map[string]time.Time{}, ImageVolumes: map[string][]string{}, ImageConfigs: map[string]*dockerspec.DockerOCIImageConfig{}}
	// Containers, networks, volumes and images are read at once, and the
	// containers inspected several at a time: an engine busy with health
	// probes answers each call in tens of milliseconds, and a no-op plan is
	// mostly these calls.
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		list, err := d.ContainerList(gctx, container.ListOptions{All: true, Filters: filters.NewArgs(
			filters.Arg("label", LabelProject+"="+project),
			filters.Arg("label", LabelConfigHash),
		)})
		if err != nil {
			return fmt.Errorf("listing containers of project %s: %w", project, err)
		}
		found := make([]*Container, len(list))
		ig, ictx := errgroup.WithContext(gctx)
		ig.SetLimit(8)
		for i, s := range list {
			ig.Go(func() error {
				c, err := observeContainer(ictx, d, s)
				found[i] = c
				return err
			})
		}
		if err := ig.Wait(); err != nil {
			return err
		}
		for _, c := range found {
			if c != nil {
				o.Containers = append(o.Containers, *c)
			}
		}
		slices.SortFunc(o.Containers, func(a, b Container) int { return strings.Compare(a.Name, b.Name) })
		return nil
	})
	g.Go(func() error {
		nets, err := d.NetworkList(gctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+project))})
		if err != nil {
			return fmt.Errorf("listing networks of project %s: %w", project, err)
		}
		o.Networks = make([]Network, len(nets))
		ng, nctx := errgroup.WithContext(gctx)
		ng.SetLimit(4)
		for i, n := range nets {
			o.Networks[i] = Network{ID: n.ID, Name: n.Name, Key: n.Labels[LabelNetwork], Labels: n.Labels, Created: n.Created,
				Driver: n.Driver, Options: n.Options, IPAMDriver: n.IPAM.Driver, IPAMOptions: n.IPAM.Options, IPAM: n.IPAM.Config,
				Internal: n.Internal, Attachable: n.Attachable, EnableIPv6: n.EnableIPv6}
			ng.Go(func() error {
				foreign, err := foreignContainers(nctx, d, project, n.ID)
				o.Networks[i].Foreign = foreign
				if err != nil {
					return fmt.Errorf("listing containers on network %s: %w", n.Name, err)
				}
				return nil
			})
		}
		if err := ng.Wait(); err != nil {
			return err
		}
		slices.SortFunc(o.Networks, func(a, b Network) int { return strings.Compare(a.Name, b.Name) })
		return nil
	})
	g.Go(func() error {
		vols, err := d.VolumeList(gctx, volume.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+project))})
		if err != nil {
			return fmt.Errorf("listing volumes of project %s: %w", project, err)
		}
		for _, v := range vols.Volumes {
			if v == nil {
				continue
			}
			o.Volumes = append(o.Volumes, Volume{Name: v.Name, Key: v.Labels[LabelVolume], Labels: v.Labels, Driver: v.Driver, Options: v.Options})
		}
		slices.SortFunc(o.Volumes, func(a, b Volume) int { return strings.Compare(a.Name, b.Name) })
		return nil
	})
	g.Go(func() error {
		for _, ref := range images {
			if _, done := o.Images[ref]; done || ref == "" {
				continue
			}
			img, err := d.ImageInspect(gctx, ref)
			if err != nil {
				if isNotFound(err) {
					continue
				}
				return fmt.Errorf("inspecting image %s: %w", ref, err)
			}
			o.Images[ref] = img.ID
			o.ImageTime[ref] = imageTime(img)
			o.ImageConfigs[ref] = img.Config
			if img.Config != nil && len(img.Config.Volumes) > 0 {
				o.ImageVolumes[ref] = sortedKeys(img.Config.Volumes)
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return o, nil
}

// foreignContainers lists the names of the containers attached to network
// id that are not the project's as Observe finds them (project label and a
// config-hash label).
func foreignContainers(ctx context.Context, d Docker, project, id string) ([]string, error) {
	list, err := d.ContainerList(ctx, container.ListOptions{All: true, Filters: filters.NewArgs(filters.Arg("network", id))})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, c := range list {
		if _, hashed := c.Labels[LabelConfigHash]; c.Labels[LabelProject] == project && hashed {
			continue
		}
		name := c.ID
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, name)
	}
	slices.Sort(out)
	return out, nil
}

func observeContainer(ctx context.Context, d Docker, s container.Summary) (*Container, error) {
	in, err := d.ContainerInspect(ctx, s.ID)
	if err != nil {
		if isNotFound(err) {
			return nil, nil // removed since the list: not part of the state
		}
		return nil, fmt.Errorf("inspecting container %s: %w", s.ID, err)
	}
	l := s.Labels
	n, _ := strconv.Atoi(l[LabelNumber])
	c := &Container{
		ID:         s.ID,
		Name:       strings.TrimPrefix(in.Name, "/"),
		Service:    l[LabelService],
		Number:     n,
		ConfigHash: l[LabelConfigHash],
		ImageLabel: l[LabelImage],
		OneOff:     l[LabelOneOff] == "True",
		Labels:     l,
		Ports:      s.Ports,
		Status:     s.Status,
		Created:    time.Unix(s.Created, 0),
	}
	if in.State != nil {
		c.State = in.State.Status
		c.ExitCode = in.State.ExitCode
		if in.State.Health != nil {
			c.Health = string(in.State.Health.Status)
		}
	}
	c.Config, c.HostConfig = in.Config, in.HostConfig
	if in.Config != nil {
		c.Env = in.Config.Env
		c.Image = in.Config.Image
	}
	if in.NetworkSettings != nil {
		c.Endpoints = in.NetworkSettings.Networks
		for name, ep := range in.NetworkSettings.Networks {
			c.Networks = append(c.Networks, name)
			if ep != nil && ep.NetworkID != "" {
				c.NetworkIDs = append(c.NetworkIDs, ep.NetworkID)
			}
		}
		slices.Sort(c.Networks)
		slices.Sort(c.NetworkIDs)
	}
	for _, m := range in.Mounts {
		c.Mounts = append(c.Mounts, Mount{Type: string(m.Type), Name: m.Name, Source: m.Source, Target: m.Destination, RW: m.RW})
	}
	slices.SortFunc(c.Mounts, func(a, b Mount) int { return strings.Compare(a.Target, b.Target) })
	return c, nil
}

// Summary lists the observed state a plan depends on, one sorted line per
// resource: containers with ID, state, config hash and image label, networks
// with ID, volumes, and the image IDs of the references. Health is left out:
// it changes on its own while nothing else does.
func (o *Observed) Summary() []string {
	var out []string
	for _, c := range o.Containers {
		out = append(out, fmt.Sprintf("container %s %.12s %s %.12s %s", c.Name, c.ID, c.State, c.ConfigHash, c.ImageLabel))
	}
	for _, n := range o.Networks {
		out = append(out, fmt.Sprintf("network %s %.12s", n.Name, n.ID))
	}
	for _, v := range o.Volumes {
		out = append(out, "volume "+v.Name)
	}
	for ref, id := range o.Images {
		out = append(out, fmt.Sprintf("image %s %s", ref, id))
	}
	slices.Sort(out)
	return out
}

// Fingerprint identifies the observed state a plan was made from.
func (o *Observed) Fingerprint() string {
	return fingerprint(o.Project, o.Summary())
}

func fingerprint(project string, summary []string) string {
	b, _ := json.Marshal(struct {
		P string
		S []string
	}{project, summary}) // strings only: cannot fail
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Stale explains why a saved plan no longer fits the state now observed, or
// returns "" when the plan is still current.
func Stale(p *Plan, now *Observed) string {
	return StaleSummary(p, now.Project, now.Summary())
}

// Fingerprint identifies an observed state given as one line per resource:
// what Plan.Fingerprint holds, for every target.
func Fingerprint(project string, summary []string) string { return fingerprint(project, summary) }

// StaleSummary is Stale for any target: cur is the state now observed, one
// line per resource, as the plan's Observed holds it.
func StaleSummary(p *Plan, project string, cur []string) string {
	if p.Project != project {
		return fmt.Sprintf("plan is for project %q, not %q", p.Project, project)
	}
	if p.Fingerprint == fingerprint(project, cur) {
		return ""
	}
	was := map[string]bool{}
	for _, l := range p.Observed {
		was[l] = true
	}
	is := map[string]bool{}
	for _, l := range cur {
		is[l] = true
	}
	var diffs []string
	for _, l := range cur {
		if !was[l] {
			diffs = append(diffs, "now: "+l)
		}
	}
	for _, l := range p.Observed {
		if !is[l] {
			diffs = append(diffs, "was: "+l)
		}
	}
	if len(diffs) == 0 {
		return "Docker state changed since the plan was made"
	}
	return "Docker state changed since the plan was made:\n  " + strings.Join(diffs, "\n  ")
}
