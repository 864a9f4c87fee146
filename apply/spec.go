package apply

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/go-connections/nat"
)

// ComposeVersion is the com.docker.compose.version value berth writes: the
// Docker Compose release whose behaviour (and config hash) berth matches.
const ComposeVersion = "5.5.1"

// ContainerName is Compose's name for replica n of a service.
func ContainerName(project string, s types.ServiceConfig, n int) string {
	if s.ContainerName != "" {
		return s.ContainerName
	}
	return project + "-" + s.Name + "-" + strconv.Itoa(n)
}

// ImageRef is the image a service runs: image:, or Compose's default name
// for a service that only builds.
func ImageRef(project string, s types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	return project + "-" + s.Name
}

// serviceLabels are the labels of replica n, as Compose writes them: the
// user's labels, overridden by Compose's own.
func serviceLabels(p *types.Project, s types.ServiceConfig, n int, hash, imageID string, opts Options) map[string]string {
	l := map[string]string{}
	for k, v := range s.Labels {
		l[k] = v
	}
	for k, v := range s.CustomLabels {
		l[k] = v
	}
	l[LabelProject] = p.Name
	l[LabelService] = s.Name
	l[LabelVersion] = opts.version()
	l[LabelWorkingDir] = p.WorkingDir
	l[LabelConfigFiles] = strings.Join(p.ComposeFiles, ",")
	if len(opts.EnvFiles) > 0 {
		l[LabelEnvFile] = strings.Join(opts.EnvFiles, ",")
	}
	l[LabelOneOff] = "False"
	l[LabelNumber] = strconv.Itoa(n)
	l[LabelConfigHash] = hash
	l[LabelDependsOn] = dependsOnLabel(s)
	if imageID != "" {
		l[LabelImage] = imageID
	}
	return l
}

// dependsOnLabel is `dep:condition:restart` entries joined by commas, sorted
// (Compose writes them in map order).
func dependsOnLabel(s types.ServiceConfig) string {
	var deps []string
	for name, d := range s.DependsOn {
		deps = append(deps, fmt.Sprintf("%s:%s:%t", name, condition(d), d.Restart))
	}
	slices.Sort(deps)
	return strings.Join(deps, ",")
}

func condition(d types.ServiceDependency) string {
	if d.Condition == "" {
		return types.ServiceConditionStarted
	}
	return d.Condition
}

// containerSpec converts a service into what ContainerCreate takes, the way
// Compose's convert does, for the fields berth supports.
func containerSpec(p *types.Project, s types.ServiceConfig, n int, hash, imageID string, opts Options) (*ContainerSpec, error) {
	name := ContainerName(p.Name, s, n)
	cfg := &container.Config{
		Hostname:     s.Hostname,
		Domainname:   s.DomainName,
		User:         s.User,
		Tty:          s.Tty,
		OpenStdin:    s.StdinOpen,
		Image:        ImageRef(p.Name, s),
		WorkingDir:   s.WorkingDir,
		Labels:       serviceLabels(p, s, n, hash, imageID, opts),
		StopSignal:   s.StopSignal,
		ExposedPorts: nat.PortSet{},
	}
	if s.Command != nil {
		cfg.Cmd = []string(s.Command)
	}
	if s.Entrypoint != nil {
		cfg.Entrypoint = []string(s.Entrypoint)
	}
	if s.StopGracePeriod != nil {
		secs := int(time.Duration(*s.StopGracePeriod).Seconds())
		cfg.StopTimeout = &secs
	}
	for _, k := range sortedKeys(s.Environment) {
		if v := s.Environment[k]; v != nil {
			cfg.Env = append(cfg.Env, k+"="+*v)
		} else {
			cfg.Env = append(cfg.Env, k)
		}
	}
	if hc := s.HealthCheck; hc != nil {
		h := &container.HealthConfig{Test: []string(hc.Test)}
		if hc.Disable {
			h.Test = []string{"NONE"}
		}
		if hc.Interval != nil {
			h.Interval = time.Duration(*hc.Interval)
		}
		if hc.Timeout != nil {
			h.Timeout = time.Duration(*hc.Timeout)
		}
		if hc.StartPeriod != nil {
			h.StartPeriod = time.Duration(*hc.StartPeriod)
		}
		if hc.StartInterval != nil {
			h.StartInterval = time.Duration(*hc.StartInterval)
		}
		if hc.Retries != nil {
			h.Retries = int(*hc.Retries)
		}
		cfg.Healthcheck = h
	}

	hc := &container.HostConfig{
		PortBindings:   nat.PortMap{},
		Privileged:     s.Privileged,
		ReadonlyRootfs: s.ReadOnly,
		CapAdd:         s.CapAdd,
		CapDrop:        s.CapDrop,
		DNS:            s.DNS,
		DNSSearch:      s.DNSSearch,
		DNSOptions:     s.DNSOpts,
		SecurityOpt:    s.SecurityOpt,
		Sysctls:        map[string]string(s.Sysctls),
		Init:           s.Init,
		GroupAdd:       s.GroupAdd,
		Runtime:        s.Runtime,
		IpcMode:        container.IpcMode(s.Ipc),
		PidMode:        container.PidMode(s.Pid),
		ShmSize:        int64(s.ShmSize),
	}
	if len(s.ExtraHosts) > 0 {
		hc.ExtraHosts = s.ExtraHosts.AsList(":")
	}
	hc.Resources.Memory = int64(s.MemLimit)
	hc.Resources.MemoryReservation = int64(s.MemReservation)
	hc.Resources.NanoCPUs = int64(s.CPUS * 1e9)
	hc.Resources.CPUShares = s.CPUShares
	for _, dev := range s.Devices {
		perm := dev.Permissions
		if perm == "" {
			perm = "rwm"
		}
		hc.Resources.Devices = append(hc.Resources.Devices, container.DeviceMapping{PathOnHost: dev.Source, PathInContainer: dev.Target, CgroupPermissions: perm})
	}
	if s.PidsLimit != 0 {
		pl := s.PidsLimit
		hc.Resources.PidsLimit = &pl
	}
	if s.Deploy != nil && s.Deploy.Resources.Limits != nil {
		lim := s.Deploy.Resources.Limits
		if lim.MemoryBytes != 0 {
			hc.Resources.Memory = int64(lim.MemoryBytes)
		}
		if lim.NanoCPUs != 0 {
			hc.Resources.NanoCPUs = int64(float64(lim.NanoCPUs) * 1e9)
		}
		if lim.Pids != 0 {
			pl := lim.Pids
			hc.Resources.PidsLimit = &pl
		}
	}
	for _, name := range sortedKeys(s.Ulimits) {
		u := s.Ulimits[name]
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		hc.Resources.Ulimits = append(hc.Resources.Ulimits, &container.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	if s.Logging != nil {
		hc.LogConfig = container.LogConfig{Type: s.Logging.Driver, Config: s.Logging.Options}
	}
	restart, err := restartPolicy(s)
	if err != nil {
		return nil, err
	}
	hc.RestartPolicy = restart
	for _, t := range s.Tmpfs {
		if hc.Tmpfs == nil {
			hc.Tmpfs = map[string]string{}
		}
		path, opt, _ := strings.Cut(t, ":")
		hc.Tmpfs[path] = opt
	}

	for _, e := range s.Expose {
		port, proto, _ := strings.Cut(e, "/")
		if proto == "" {
			proto = "tcp"
		}
		cfg.ExposedPorts[nat.Port(port+"/"+proto)] = struct{}{}
	}
	for _, pc := range s.Ports {
		proto := pc.Protocol
		if proto == "" {
			proto = "tcp"
		}
		port := nat.Port(fmt.Sprintf("%d/%s", pc.Target, proto))
		cfg.ExposedPorts[port] = struct{}{}
		hc.PortBindings[port] = append(hc.PortBindings[port], nat.PortBinding{HostIP: pc.HostIP, HostPort: pc.Published})
	}

	for _, v := range s.Volumes {
		m, bind, err := volumeMount(p, s, v)
		if err != nil {
			return nil, err
		}
		if bind != "" {
			hc.Binds = append(hc.Binds, bind)
		} else {
			hc.Mounts = append(hc.Mounts, m)
		}
	}
	var files []InlineFile
	for _, sec := range s.Secrets {
		def, ok := p.Secrets[sec.Source]
		if !ok {
			return nil, fmt.Errorf("service %s: secret %q is not defined", s.Name, sec.Source)
		}
		target := secretTarget(sec)
		if def.File == "" {
			f, err := inlineFile(p, s, types.FileObjectConfig(def), types.FileReferenceConfig(sec), "secrets", target)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
			continue
		}
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: def.File, Target: target, ReadOnly: true})
	}
	for _, c := range s.Configs {
		def, ok := p.Configs[c.Source]
		if !ok {
			return nil, fmt.Errorf("service %s: config %q is not defined", s.Name, c.Source)
		}
		target := configTarget(c)
		if def.File == "" {
			f, err := inlineFile(p, s, types.FileObjectConfig(def), types.FileReferenceConfig(c), "configs", target)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
			continue
		}
		hc.Mounts = append(hc.Mounts, mount.Mount{Type: mount.TypeBind, Source: def.File, Target: target, ReadOnly: true})
	}

	spec := &ContainerSpec{Config: cfg, HostConfig: hc, Files: files}
	switch mode := s.NetworkMode; {
	case mode == "" || mode == "bridge" && len(s.Networks) > 0:
		for _, key := range s.NetworksByPriority() {
			net, ok := p.Networks[key]
			if !ok {
				return nil, fmt.Errorf("service %s refers to undefined network %s", s.Name, key)
			}
			ep := &network.EndpointSettings{Aliases: []string{name, s.Name}}
			if c := s.Networks[key]; c != nil {
				ep.Aliases = append(ep.Aliases, c.Aliases...)
				if c.Ipv4Address != "" || c.Ipv6Address != "" {
					ep.IPAMConfig = &network.EndpointIPAMConfig{IPv4Address: c.Ipv4Address, IPv6Address: c.Ipv6Address, LinkLocalIPs: c.LinkLocalIPs}
				}
				ep.MacAddress = c.MacAddress
			}
			spec.Networks = append(spec.Networks, EndpointSpec{Network: net.Name, Endpoint: ep})
		}
		if len(spec.Networks) > 0 {
			hc.NetworkMode = container.NetworkMode(spec.Networks[0].Network)
		} else {
			hc.NetworkMode = "none"
		}
	case strings.HasPrefix(mode, types.ServicePrefix):
		// Diff resolves service references before it gets here.
		return nil, fmt.Errorf("service %s: network_mode %q was not resolved", s.Name, mode)
	default:
		hc.NetworkMode = container.NetworkMode(mode)
	}
	hc.VolumesFrom = s.VolumesFrom // resolved by Diff: container IDs or names
	return spec, nil
}

// volumeMount converts one volume entry: binds become Binds entries (the
// engine creates a missing host path, as Compose relies on), the rest mounts.
func volumeMount(p *types.Project, s types.ServiceConfig, v types.ServiceVolumeConfig) (mount.Mount, string, error) {
	switch v.Type {
	case types.VolumeTypeBind:
		b := v.Source + ":" + v.Target
		var opts []string
		if v.ReadOnly {
			opts = append(opts, "ro")
		}
		if v.Bind != nil {
			if v.Bind.SELinux != "" {
				opts = append(opts, v.Bind.SELinux)
			}
			if v.Bind.Propagation != "" {
				opts = append(opts, v.Bind.Propagation)
			}
		}
		if len(opts) > 0 {
			b += ":" + strings.Join(opts, ",")
		}
		return mount.Mount{}, b, nil
	case types.VolumeTypeVolume, "":
		m := mount.Mount{Type: mount.TypeVolume, Target: v.Target, ReadOnly: v.ReadOnly}
		if v.Source != "" {
			def, ok := p.Volumes[v.Source]
			if !ok {
				return m, "", fmt.Errorf("service %s refers to undefined volume %s", s.Name, v.Source)
			}
			m.Source = def.Name
		}
		if v.Volume != nil && v.Volume.NoCopy {
			m.VolumeOptions = &mount.VolumeOptions{NoCopy: true}
		}
		return m, "", nil
	case types.VolumeTypeTmpfs:
		m := mount.Mount{Type: mount.TypeTmpfs, Target: v.Target, ReadOnly: v.ReadOnly}
		if v.Tmpfs != nil {
			m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size), Mode: os.FileMode(v.Tmpfs.Mode)}
		}
		return m, "", nil
	default:
		return mount.Mount{}, "", fmt.Errorf("service %s: volume type %q is not supported yet", s.Name, v.Type)
	}
}

func restartPolicy(s types.ServiceConfig) (container.RestartPolicy, error) {
	r := s.Restart
	if r == "" && s.Deploy != nil && s.Deploy.RestartPolicy != nil {
		switch s.Deploy.RestartPolicy.Condition {
		case "any":
			r = "always"
		case "on-failure":
			r = "on-failure"
			if m := s.Deploy.RestartPolicy.MaxAttempts; m != nil {
				r += ":" + strconv.FormatUint(*m, 10)
			}
		}
	}
	name, count, _ := strings.Cut(r, ":")
	p := container.RestartPolicy{Name: container.RestartPolicyMode(name)}
	switch name {
	case "", "no":
		p.Name = container.RestartPolicyDisabled
	case "always", "unless-stopped":
	case "on-failure":
		if count != "" {
			n, err := strconv.Atoi(count)
			if err != nil {
				return p, fmt.Errorf("service %s: invalid restart policy %q", s.Name, r)
			}
			p.MaximumRetryCount = n
		}
	default:
		return p, fmt.Errorf("service %s: invalid restart policy %q", s.Name, r)
	}
	return p, nil
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// inlineFile is a config or secret given by content: or environment:, which
// Compose copies into the container before it starts (no mount), at its
// target with its mode (0444 by default), uid and gid.
func inlineFile(p *types.Project, s types.ServiceConfig, def types.FileObjectConfig, ref types.FileReferenceConfig, kind, target string) (InlineFile, error) {
	f := InlineFile{Path: target, Source: kind + "." + ref.Source, Secret: kind == "secrets", Mode: 0o444}
	// compose-go fills Content in from environment: too; environment: names
	// the origin then.
	switch {
	case def.Environment != "":
		v, ok := p.Environment[def.Environment]
		if !ok {
			return f, fmt.Errorf("service %s: environment variable %q required by %s %q is not set", s.Name, def.Environment, strings.TrimSuffix(kind, "s"), ref.Source)
		}
		f.Content, f.Origin = v, "environment"
	case def.Content != "":
		f.Content, f.Origin = def.Content, "content"
	default:
		return f, fmt.Errorf("service %s: %s %q has no file, content or environment", s.Name, strings.TrimSuffix(kind, "s"), ref.Source)
	}
	if s.ReadOnly {
		return f, fmt.Errorf("service %s: cannot create %s %q in a read-only service: file is the only kind supported there", s.Name, strings.TrimSuffix(kind, "s"), ref.Source)
	}
	if ref.Mode != nil {
		f.Mode = uint32(*ref.Mode)
	}
	var err error
	if f.UID, err = idOf(ref.UID); err != nil {
		return f, fmt.Errorf("service %s: %s %q: uid: %w", s.Name, strings.TrimSuffix(kind, "s"), ref.Source, err)
	}
	if f.GID, err = idOf(ref.GID); err != nil {
		return f, fmt.Errorf("service %s: %s %q: gid: %w", s.Name, strings.TrimSuffix(kind, "s"), ref.Source, err)
	}
	f.OwnerSet = ref.UID != "" || ref.GID != ""
	return f, nil
}

func idOf(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(s)
}
