package apply

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/go-connections/nat"
	"github.com/docker/go-units"
	dockerspec "github.com/moby/docker-image-spec/specs-go/v1"
)

// The kinds of change a reason with a path names.
const (
	Added   = "added"
	Removed = "removed"
	Changed = "changed"
)

// fieldDiff collects, for one container, the fields of its service whose
// value in the files differs from the value the engine reports for the
// running container. Both sides go through the same conversion (the file's
// through containerSpec, the container's as the engine stored it at create
// time), so a container made by Docker Compose compares as one made by
// berth. Values the image supplies when the file leaves a field unset
// (command, entrypoint, environment, labels, user, working_dir, healthcheck,
// stop_signal) are merged into the file's side first, as the engine merges
// them at create time.
type fieldDiff struct {
	svc string // "services.web"
	out []Reason
}

func (d *fieldDiff) add(path, change, old, new string, sensitive bool) {
	d.out = append(d.out, Reason{Code: ConfigChanged, Field: path, Change: change, Old: old, New: new, Sensitive: sensitive})
}

// scalar compares one value; "" is unset.
func (d *fieldDiff) scalar(path, old, new string) {
	d.scalarS(path, old, new, false)
}

func (d *fieldDiff) scalarS(path, old, new string, sensitive bool) {
	switch {
	case old == new:
	case old == "":
		d.add(path, Added, "", new, sensitive)
	case new == "":
		d.add(path, Removed, old, "", sensitive)
	default:
		d.add(path, Changed, old, new, sensitive)
	}
}

// keyed compares two maps key by key: path.KEY for each.
func (d *fieldDiff) keyed(path string, old, new map[string]string, sensitive func(string) bool) {
	keys := slices.Sorted(maps.Keys(old))
	for k := range new {
		if _, ok := old[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		o, inOld := old[k]
		n, inNew := new[k]
		s := sensitive != nil && sensitive(k)
		switch {
		case inOld && inNew && o != n:
			d.add(path+"."+k, Changed, o, n, s)
		case inOld && !inNew:
			d.add(path+"."+k, Removed, o, "", s)
		case !inOld && inNew:
			d.add(path+"."+k, Added, "", n, s)
		}
	}
}

// identified compares two lists whose entries have an identity (a port's
// container port and protocol, a mount's target): an entry of the file
// whose identity the container lacks is added at its index in the file,
// one whose value differs is changed, and one of the container that the
// file lacks is removed.
func (d *fieldDiff) identified(path string, old, new []keyedValue) {
	have := map[string]string{}
	for _, o := range old {
		have[o.key] = o.value
	}
	want := map[string]bool{}
	for _, n := range new {
		want[n.key] = true
		o, ok := have[n.key]
		p := path + "[" + strconv.Itoa(n.index) + "]"
		switch {
		case !ok:
			d.add(p, Added, "", n.value, false)
		case o != n.value:
			d.add(p, Changed, o, n.value, false)
		}
	}
	for _, o := range old {
		if !want[o.key] {
			d.add(path, Removed, o.value, "", false)
		}
	}
}

// list compares two lists as wholes (order matters: command, dns).
func (d *fieldDiff) list(path string, old, new []string) {
	if slices.Equal(old, new) {
		return
	}
	d.scalar(path, listText(old), listText(new))
}

// set compares two lists as sets (cap_add, extra_hosts): each entry added
// or removed is named.
func (d *fieldDiff) set(path string, old, new []string) {
	o, n := toSet(old), toSet(new)
	for i, v := range new {
		if !o[v] {
			d.add(path+"["+strconv.Itoa(i)+"]", Added, "", v, false)
		}
	}
	for _, v := range old {
		if !n[v] {
			d.add(path, Removed, v, "", false)
		}
	}
}

type keyedValue struct {
	key, value string
	index      int // in the file's list
}

func toSet(l []string) map[string]bool {
	m := make(map[string]bool, len(l))
	for _, v := range l {
		m[v] = true
	}
	return m
}

func listText(l []string) string {
	if l == nil {
		return ""
	}
	b, _ := json.Marshal(l) // strings only: cannot fail
	return string(b)
}

func containerEnv(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	return m
}

// composeLabel reports whether a label is one Compose (or berth) writes
// itself; those are compared elsewhere (config-hash, image) or not at all
// (version, working_dir, config_files).
func composeLabel(k string) bool { return strings.HasPrefix(k, "com.docker.compose.") }

func userLabels(l map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range l {
		if !composeLabel(k) {
			out[k] = v
		}
	}
	return out
}

// withImageDefaults returns the file's container config as the engine
// completes it from the image at create time.
func withImageDefaults(cfg container.Config, img *dockerspec.DockerOCIImageConfig) container.Config {
	if img == nil {
		return cfg
	}
	if len(cfg.Entrypoint) == 0 {
		if len(cfg.Cmd) == 0 {
			cfg.Cmd = img.Cmd
		}
		if cfg.Entrypoint == nil {
			cfg.Entrypoint = img.Entrypoint
		}
	}
	env := containerEnv(img.Env)
	maps.Copy(env, containerEnv(cfg.Env))
	cfg.Env = nil
	for _, k := range slices.Sorted(maps.Keys(env)) {
		cfg.Env = append(cfg.Env, k+"="+env[k])
	}
	labels := maps.Clone(img.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, cfg.Labels)
	cfg.Labels = labels
	if cfg.User == "" {
		cfg.User = img.User
	}
	if cfg.WorkingDir == "" {
		cfg.WorkingDir = img.WorkingDir
	}
	if cfg.StopSignal == "" {
		cfg.StopSignal = img.StopSignal
	}
	if img.Healthcheck != nil {
		h := cfg.Healthcheck
		if h == nil {
			h = &container.HealthConfig{}
		} else {
			c := *h
			h = &c
		}
		ih := img.Healthcheck
		if len(h.Test) == 0 {
			h.Test = ih.Test
		}
		if h.Interval == 0 {
			h.Interval = ih.Interval
		}
		if h.Timeout == 0 {
			h.Timeout = ih.Timeout
		}
		if h.StartPeriod == 0 {
			h.StartPeriod = ih.StartPeriod
		}
		if h.StartInterval == 0 {
			h.StartInterval = ih.StartInterval
		}
		if h.Retries == 0 {
			h.Retries = ih.Retries
		}
		cfg.Healthcheck = h
	}
	return cfg
}

// containerFields lists every field of service s whose value in spec (the
// file) differs from container c as the engine reports it. img is the
// image's config (nil when the image is not present). netKeys maps network
// names to their keys in the files.
func containerFields(s types.ServiceConfig, spec *ContainerSpec, c Container, img *dockerspec.DockerOCIImageConfig, netKeys map[string]string) []Reason {
	d := &fieldDiff{svc: "services." + s.Name}
	p := d.svc + "."
	if c.Config == nil || c.HostConfig == nil {
		// Not inspected (a saved state): only what the list reports.
		d.scalar(p+"image", c.Image, spec.Config.Image)
		// The image's variables are not known: only those of the file count.
		have := containerEnv(c.Env)
		want := containerEnv(spec.Config.Env)
		for k := range have {
			if _, ok := want[k]; !ok {
				delete(have, k)
			}
		}
		d.keyed(p+"environment", have, want, Sensitive)
		return d.out
	}
	want := withImageDefaults(*spec.Config, img)
	have := *c.Config
	whc, hhc := spec.HostConfig, c.HostConfig

	d.scalar(p+"image", have.Image, want.Image)
	d.list(p+"entrypoint", have.Entrypoint, want.Entrypoint)
	d.list(p+"command", have.Cmd, want.Cmd)
	d.keyed(p+"environment", containerEnv(have.Env), containerEnv(want.Env), Sensitive)
	d.keyed(p+"labels", userLabels(have.Labels), userLabels(want.Labels), Sensitive)
	if dep := c.Labels[LabelDependsOn]; dep != want.Labels[LabelDependsOn] {
		d.scalar(p+"depends_on", dep, want.Labels[LabelDependsOn])
	}
	d.scalar(p+"user", have.User, want.User)
	d.scalar(p+"working_dir", have.WorkingDir, want.WorkingDir)
	d.scalar(p+"stop_signal", have.StopSignal, want.StopSignal)
	d.scalar(p+"stop_grace_period", secondsText(have.StopTimeout), secondsText(want.StopTimeout))
	if want.Hostname != "" || !strings.HasPrefix(c.ID, have.Hostname) {
		d.scalar(p+"hostname", have.Hostname, want.Hostname)
	}
	d.scalar(p+"domainname", have.Domainname, want.Domainname)
	d.scalar(p+"tty", boolText(have.Tty), boolText(want.Tty))
	d.scalar(p+"stdin_open", boolText(have.OpenStdin), boolText(want.OpenStdin))
	healthFields(d, p+"healthcheck", have.Healthcheck, want.Healthcheck)
	d.set(p+"expose", exposedOnly(have.ExposedPorts, hhc.PortBindings, img), exposedOnly(want.ExposedPorts, whc.PortBindings, img))
	d.identified(p+"ports", portEntries(hhc.PortBindings, nil), portEntries(whc.PortBindings, s.Ports))

	secretTargets := fileTargets(s)
	d.identified(p+"volumes", mountEntries(hhc, secretTargets, s.Volumes), mountEntries(whc, secretTargets, s.Volumes))
	d.identified(p+"secrets", fileMountEntries(hhc, secretTargets, true, nil), fileMountEntries(whc, secretTargets, true, &s))
	d.identified(p+"configs", fileMountEntries(hhc, secretTargets, false, nil), fileMountEntries(whc, secretTargets, false, &s))
	d.set(p+"tmpfs", tmpfsList(hhc.Tmpfs), tmpfsList(whc.Tmpfs))

	d.scalar(p+"restart", restartText(hhc.RestartPolicy), restartText(whc.RestartPolicy))
	d.set(p+"cap_add", hhc.CapAdd, whc.CapAdd)
	d.set(p+"cap_drop", hhc.CapDrop, whc.CapDrop)
	d.list(p+"dns", hhc.DNS, whc.DNS)
	d.list(p+"dns_search", hhc.DNSSearch, whc.DNSSearch)
	d.list(p+"dns_opt", hhc.DNSOptions, whc.DNSOptions)
	d.set(p+"extra_hosts", hhc.ExtraHosts, whc.ExtraHosts)
	d.set(p+"security_opt", hhc.SecurityOpt, whc.SecurityOpt)
	d.set(p+"group_add", hhc.GroupAdd, whc.GroupAdd)
	d.keyed(p+"sysctls", hhc.Sysctls, whc.Sysctls, nil)
	d.scalar(p+"privileged", boolText(hhc.Privileged), boolText(whc.Privileged))
	d.scalar(p+"read_only", boolText(hhc.ReadonlyRootfs), boolText(whc.ReadonlyRootfs))
	d.scalar(p+"init", boolPtrText(hhc.Init), boolPtrText(whc.Init))
	if whc.IpcMode != "" || (hhc.IpcMode != "private" && hhc.IpcMode != "shareable") {
		d.scalar(p+"ipc", string(hhc.IpcMode), string(whc.IpcMode))
	}
	d.scalar(p+"pid", string(hhc.PidMode), string(whc.PidMode))
	if whc.Runtime != "" || hhc.Runtime != "runc" {
		d.scalar(p+"runtime", hhc.Runtime, whc.Runtime)
	}
	if whc.ShmSize != 0 || hhc.ShmSize != 64*units.MiB {
		d.scalar(p+"shm_size", bytesText(hhc.ShmSize), bytesText(whc.ShmSize))
	}
	d.set(p+"devices", deviceList(hhc.Devices), deviceList(whc.Devices))
	resourceFields(d, s, hhc.Resources, whc.Resources)
	logFields(d, p+"logging", hhc.LogConfig, whc.LogConfig)
	networkFields(d, s, spec, c, netKeys)
	return d.out
}

func secondsText(p *int) string {
	if p == nil {
		return ""
	}
	return (time.Duration(*p) * time.Second).String()
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return ""
}

func boolPtrText(b *bool) string {
	if b == nil {
		return ""
	}
	return strconv.FormatBool(*b)
}

func bytesText(n int64) string {
	if n == 0 {
		return ""
	}
	return units.BytesSize(float64(n))
}

func durationText(d time.Duration) string {
	if d == 0 {
		return ""
	}
	return d.String()
}

func healthFields(d *fieldDiff, path string, have, want *container.HealthConfig) {
	if have == nil {
		have = &container.HealthConfig{}
	}
	if want == nil {
		want = &container.HealthConfig{}
	}
	d.list(path+".test", have.Test, want.Test)
	d.scalar(path+".interval", durationText(have.Interval), durationText(want.Interval))
	d.scalar(path+".timeout", durationText(have.Timeout), durationText(want.Timeout))
	d.scalar(path+".start_period", durationText(have.StartPeriod), durationText(want.StartPeriod))
	d.scalar(path+".start_interval", durationText(have.StartInterval), durationText(want.StartInterval))
	d.scalar(path+".retries", intText(int64(have.Retries)), intText(int64(want.Retries)))
}

func intText(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

// portEntries lists the published ports, keyed by container port and
// protocol (as Compose merges them) plus the host address; the index is
// the entry's position in the file's ports.
func portEntries(pm nat.PortMap, ports []types.ServicePortConfig) []keyedValue {
	var out []keyedValue
	for _, port := range slices.Sorted(maps.Keys(pm)) {
		for i, b := range pm[port] {
			v := string(port)
			if b.HostPort != "" {
				v = b.HostPort + ":" + v
			}
			if b.HostIP != "" {
				v = b.HostIP + ":" + v
			}
			kv := keyedValue{key: string(port) + "#" + strconv.Itoa(i), value: v}
			num, proto, _ := strings.Cut(string(port), "/")
			kv.index = slices.IndexFunc(ports, func(pc types.ServicePortConfig) bool {
				pp := pc.Protocol
				if pp == "" {
					pp = "tcp"
				}
				return strconv.Itoa(int(pc.Target)) == num && pp == proto && pc.Published == b.HostPort && pc.HostIP == b.HostIP
			})
			out = append(out, kv)
		}
	}
	return out
}

// exposedOnly is the exposed ports that neither ports: nor the image
// account for (expose:).
func exposedOnly(exposed nat.PortSet, bound nat.PortMap, img *dockerspec.DockerOCIImageConfig) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(exposed)) {
		if _, ok := bound[p]; ok {
			continue
		}
		if img != nil {
			if _, ok := img.ExposedPorts[string(p)]; ok {
				continue
			}
		}
		out = append(out, string(p))
	}
	return out
}

// fileTargets maps the container paths of the service's secrets (true) and
// configs (false).
func fileTargets(s types.ServiceConfig) map[string]bool {
	m := map[string]bool{}
	for _, sec := range s.Secrets {
		m[secretTarget(sec)] = true
	}
	for _, c := range s.Configs {
		m[configTarget(c)] = false
	}
	return m
}

func secretTarget(sec types.ServiceSecretConfig) string {
	target := sec.Target
	if target == "" {
		target = sec.Source
	}
	if !strings.HasPrefix(target, "/") {
		target = "/run/secrets/" + target
	}
	return target
}

func configTarget(c types.ServiceConfigObjConfig) string {
	if c.Target == "" {
		return "/" + c.Source
	}
	return c.Target
}

// isFileTarget reports whether a mount target holds a secret (kind true)
// or a config: one the files name, or any under /run/secrets.
func isFileTarget(targets map[string]bool, target string) (secret, ok bool) {
	if s, found := targets[target]; found {
		return s, true
	}
	if strings.HasPrefix(target, "/run/secrets/") {
		return true, true
	}
	return false, false
}

type mountView struct{ typ, source, target, opts string }

// mounts reads Binds and Mounts alike (Compose writes binds and named
// volumes as Binds, berth named volumes as Mounts).
func mounts(hc *container.HostConfig) []mountView {
	var out []mountView
	for _, b := range hc.Binds {
		parts := strings.Split(b, ":")
		if len(parts) < 2 {
			continue
		}
		m := mountView{source: parts[0], target: parts[1], typ: "volume"}
		if strings.HasPrefix(m.source, "/") {
			m.typ = "bind"
		}
		if len(parts) > 2 {
			var opts []string
			for _, o := range strings.Split(parts[2], ",") {
				if o == "ro" {
					opts = append(opts, o)
				}
			}
			m.opts = strings.Join(opts, ",")
		}
		out = append(out, m)
	}
	for _, mt := range hc.Mounts {
		m := mountView{typ: string(mt.Type), source: mt.Source, target: mt.Target}
		if mt.ReadOnly {
			m.opts = "ro"
		}
		if mt.TmpfsOptions != nil && mt.TmpfsOptions.SizeBytes != 0 {
			m.opts = strings.Trim(m.opts+",size="+strconv.FormatInt(mt.TmpfsOptions.SizeBytes, 10), ",")
		}
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b mountView) int { return strings.Compare(a.target, b.target) })
	return out
}

func (m mountView) text() string {
	v := m.typ + " " + m.source + ":" + m.target
	if m.source == "" {
		v = m.typ + " " + m.target
	}
	if m.opts != "" {
		v += ":" + m.opts
	}
	return v
}

// mountEntries lists volumes: entries by target, with their index in the
// file's vols. Where the file has an anonymous volume, the source is left
// out on both sides: a recreate mounts the old one again, under its
// engine-made name.
func mountEntries(hc *container.HostConfig, targets map[string]bool, vols []types.ServiceVolumeConfig) []keyedValue {
	var out []keyedValue
	for _, m := range mounts(hc) {
		if _, ok := isFileTarget(targets, m.target); ok {
			continue
		}
		i := slices.IndexFunc(vols, func(v types.ServiceVolumeConfig) bool { return v.Target == m.target })
		if m.typ == "volume" && (i >= 0 && vols[i].Source == "" || i < 0 && looksAnonymous(m.source)) {
			m.source = ""
		}
		out = append(out, keyedValue{key: m.target, value: m.text(), index: i})
	}
	return out
}

// looksAnonymous: Docker names an anonymous volume with 64 hex digits.
func looksAnonymous(name string) bool {
	if len(name) != 64 {
		return false
	}
	for _, c := range name {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// fileMountEntries lists the file secrets (secret) or configs mounted, by
// target; s gives the file's indexes.
func fileMountEntries(hc *container.HostConfig, targets map[string]bool, secret bool, s *types.ServiceConfig) []keyedValue {
	var out []keyedValue
	for _, m := range mounts(hc) {
		isSecret, ok := isFileTarget(targets, m.target)
		if !ok || isSecret != secret {
			continue
		}
		kv := keyedValue{key: m.target, value: m.source + ":" + m.target}
		if s != nil {
			if secret {
				kv.index = slices.IndexFunc(s.Secrets, func(x types.ServiceSecretConfig) bool { return secretTarget(x) == m.target })
			} else {
				kv.index = slices.IndexFunc(s.Configs, func(x types.ServiceConfigObjConfig) bool { return configTarget(x) == m.target })
			}
		}
		out = append(out, kv)
	}
	return out
}

func tmpfsList(m map[string]string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if m[k] != "" {
			out = append(out, k+":"+m[k])
		} else {
			out = append(out, k)
		}
	}
	return out
}

func restartText(p container.RestartPolicy) string {
	switch p.Name {
	case "", container.RestartPolicyDisabled:
		return "no"
	case container.RestartPolicyOnFailure:
		if p.MaximumRetryCount > 0 {
			return "on-failure:" + strconv.Itoa(p.MaximumRetryCount)
		}
	}
	return string(p.Name)
}

func deviceList(ds []container.DeviceMapping) []string {
	var out []string
	for _, d := range ds {
		v := d.PathOnHost + ":" + d.PathInContainer
		if d.CgroupPermissions != "" && d.CgroupPermissions != "rwm" {
			v += ":" + d.CgroupPermissions
		}
		out = append(out, v)
	}
	return out
}

// resourceFields compares limits under the key the file uses for them
// (mem_limit or deploy.resources.limits.memory, and so on).
func resourceFields(d *fieldDiff, s types.ServiceConfig, have, want container.Resources) {
	p := d.svc + "."
	var lim, res *types.Resource
	if s.Deploy != nil {
		lim, res = s.Deploy.Resources.Limits, s.Deploy.Resources.Reservations
	}
	pick := func(short string, set bool, long string) string {
		if set {
			return p + short
		}
		return p + long
	}
	d.scalar(pick("mem_limit", s.MemLimit != 0 && (lim == nil || lim.MemoryBytes == 0), "deploy.resources.limits.memory"), bytesText(have.Memory), bytesText(want.Memory))
	d.scalar(pick("mem_reservation", s.MemReservation != 0 && (res == nil || res.MemoryBytes == 0), "deploy.resources.reservations.memory"), bytesText(have.MemoryReservation), bytesText(want.MemoryReservation))
	d.scalar(pick("cpus", s.CPUS != 0 && (lim == nil || lim.NanoCPUs == 0), "deploy.resources.limits.cpus"), cpusText(have.NanoCPUs), cpusText(want.NanoCPUs))
	d.scalar(pick("pids_limit", s.PidsLimit != 0 && (lim == nil || lim.Pids == 0), "deploy.resources.limits.pids"), pidsText(have.PidsLimit), pidsText(want.PidsLimit))
	d.scalar(p+"cpu_shares", intText(have.CPUShares), intText(want.CPUShares))
	d.keyed(p+"ulimits", ulimitMap(have.Ulimits), ulimitMap(want.Ulimits), nil)
}

func cpusText(n int64) string {
	if n == 0 {
		return ""
	}
	return strconv.FormatFloat(float64(n)/1e9, 'f', -1, 64)
}

func pidsText(p *int64) string {
	if p == nil || *p <= 0 {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

func ulimitMap(us []*container.Ulimit) map[string]string {
	m := map[string]string{}
	for _, u := range us {
		if u == nil {
			continue
		}
		if u.Soft == u.Hard {
			m[u.Name] = strconv.FormatInt(u.Soft, 10)
		} else {
			m[u.Name] = fmt.Sprintf("%d:%d", u.Soft, u.Hard)
		}
	}
	return m
}

// logFields: a file without logging: gets the engine's default driver,
// which the container then reports; only another driver is a change.
func logFields(d *fieldDiff, path string, have, want container.LogConfig) {
	if want.Type == "" && len(want.Config) == 0 {
		if have.Type != "json-file" && have.Type != "" {
			d.scalar(path+".driver", have.Type, "")
		}
		return
	}
	if want.Type != "" {
		d.scalar(path+".driver", have.Type, want.Type)
	}
	d.keyed(path+".options", have.Config, want.Config, nil)
}

// networkFields compares the networks the container is attached to, with
// their aliases and addresses, and network_mode.
func networkFields(d *fieldDiff, s types.ServiceConfig, spec *ContainerSpec, c Container, netKeys map[string]string) {
	p := d.svc + "."
	haveMode, wantMode := string(c.HostConfig.NetworkMode), string(spec.HostConfig.NetworkMode)
	onNetworks := func(mode string, nets []string) bool {
		return mode == "" || mode == "default" || mode == "bridge" && len(nets) > 0 || slices.Contains(nets, mode)
	}
	var wantNets []string
	for _, ep := range spec.Networks {
		wantNets = append(wantNets, ep.Network)
	}
	haveOn, wantOn := onNetworks(haveMode, c.Networks), onNetworks(wantMode, wantNets)
	if !haveOn || !wantOn {
		oldMode, newMode := haveMode, wantMode
		if haveOn {
			oldMode = ""
		}
		if wantOn {
			newMode = ""
		}
		// A reference to another service's container is resolved when the
		// plan runs; its ID is not known here.
		if !(strings.HasPrefix(s.NetworkMode, types.ServicePrefix) && strings.HasPrefix(oldMode, "container:")) {
			d.scalar(p+"network_mode", oldMode, newMode)
		}
		return
	}
	key := func(name string) string {
		if k, ok := netKeys[name]; ok {
			return k
		}
		return name
	}
	for _, ep := range spec.Networks {
		np := p + "networks." + key(ep.Network)
		have, ok := c.Endpoints[ep.Network]
		if !ok {
			d.add(np, Added, "", ep.Network, false)
			continue
		}
		var haveAliases []string
		if have != nil {
			for _, a := range have.Aliases {
				if !strings.HasPrefix(c.ID, a) { // the engine adds the short ID
					haveAliases = append(haveAliases, a)
				}
			}
		}
		var wantAliases []string
		if ep.Endpoint != nil {
			wantAliases = ep.Endpoint.Aliases
		}
		d.set(np+".aliases", haveAliases, wantAliases)
		var haveIP, wantIP string
		if have != nil && have.IPAMConfig != nil {
			haveIP = have.IPAMConfig.IPv4Address
		}
		if ep.Endpoint != nil && ep.Endpoint.IPAMConfig != nil {
			wantIP = ep.Endpoint.IPAMConfig.IPv4Address
		}
		d.scalar(np+".ipv4_address", haveIP, wantIP)
	}
	for _, name := range slices.Sorted(maps.Keys(c.Endpoints)) {
		if !slices.Contains(wantNets, name) {
			d.add(p+"networks."+key(name), Removed, name, "", false)
		}
	}
}

// unreadable are the fields of a service that are part of its config hash
// but that the engine does not report back for a container.
var unreadable = []struct {
	name string
	set  func(s types.ServiceConfig) bool
}{
	{"annotations", func(s types.ServiceConfig) bool { return len(s.Annotations) > 0 }},
	{"post_start", func(s types.ServiceConfig) bool { return len(s.PostStart) > 0 }},
	{"pre_stop", func(s types.ServiceConfig) bool { return len(s.PreStop) > 0 }},
	{"develop", func(s types.ServiceConfig) bool { return s.Develop != nil }},
	{"attach", func(s types.ServiceConfig) bool { return s.Attach != nil }},
	{"platform", func(s types.ServiceConfig) bool { return s.Platform != "" }},
	{"env_file", func(s types.ServiceConfig) bool { return len(s.EnvFiles) > 0 }},
	{"extensions", func(s types.ServiceConfig) bool { return len(s.Extensions) > 0 }},
}

// unknownFields explains a config-hash that differs while every field the
// engine reports matches: it names the fields the file sets that cannot be
// read back, or says that none can be named.
func unknownFields(s types.ServiceConfig, oldHash, newHash string) []Reason {
	var out []Reason
	for _, u := range unreadable {
		if u.set(s) {
			out = append(out, Reason{Code: ConfigChanged, Field: "services." + s.Name + "." + u.name, Change: Changed, Note: "may have changed: the engine does not report its old value"})
		}
	}
	if len(out) == 0 {
		out = append(out, Reason{Code: ConfigChanged, Field: "services." + s.Name, Change: Changed,
			Note: fmt.Sprintf("a field the engine does not report back changed (config-hash %s → %s)", short(oldHash), short(newHash))})
	}
	return out
}

// networkFieldReasons names what differs between network n of the files
// (key in the files) and the network o the engine reports.
func networkFieldReasons(key string, n types.NetworkConfig, o Network) []Reason {
	d := &fieldDiff{svc: "networks." + key}
	p := d.svc + "."
	driver := n.Driver
	if driver == "" {
		driver = "bridge"
	}
	d.scalar(p+"driver", o.Driver, driver)
	d.keyed(p+"driver_opts", o.Options, n.DriverOpts, nil)
	ipamDriver := n.Ipam.Driver
	if ipamDriver == "" {
		ipamDriver = "default"
	}
	oldIpam := o.IPAMDriver
	if oldIpam == "" {
		oldIpam = "default"
	}
	d.scalar(p+"ipam.driver", oldIpam, ipamDriver)
	if len(n.Ipam.Config) > 0 {
		var want []keyedValue
		for i, c := range n.Ipam.Config {
			want = append(want, keyedValue{key: c.Subnet, value: ipamText(c.Subnet, c.IPRange, c.Gateway), index: i})
		}
		var have []keyedValue
		for _, c := range o.IPAM {
			have = append(have, keyedValue{key: c.Subnet, value: ipamText(c.Subnet, c.IPRange, c.Gateway)})
		}
		d.identified(p+"ipam.config", have, want)
	}
	d.keyed(p+"ipam.options", o.IPAMOptions, n.Ipam.Options, nil)
	labels := maps.Clone(map[string]string(n.Labels))
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, n.CustomLabels)
	d.keyed(p+"labels", userLabels(o.Labels), userLabels(labels), nil)
	d.scalar(p+"internal", boolText(o.Internal), boolText(n.Internal))
	d.scalar(p+"attachable", boolText(o.Attachable), boolText(n.Attachable))
	ipv6 := n.EnableIPv6 != nil && *n.EnableIPv6
	d.scalar(p+"enable_ipv6", boolText(o.EnableIPv6), boolText(ipv6))
	return d.out
}

func ipamText(subnet, ipRange, gateway string) string {
	v := subnet
	if ipRange != "" {
		v += " ip_range=" + ipRange
	}
	if gateway != "" {
		v += " gateway=" + gateway
	}
	return v
}

// volumeFieldReasons names what differs between volume v of the files and
// the volume o the engine reports.
func volumeFieldReasons(key string, v types.VolumeConfig, o Volume) []Reason {
	d := &fieldDiff{svc: "volumes." + key}
	p := d.svc + "."
	driver := v.Driver
	if driver == "" {
		driver = "local"
	}
	d.scalar(p+"driver", o.Driver, driver)
	d.keyed(p+"driver_opts", o.Options, v.DriverOpts, nil)
	labels := maps.Clone(map[string]string(v.Labels))
	if labels == nil {
		labels = map[string]string{}
	}
	maps.Copy(labels, v.CustomLabels)
	d.keyed(p+"labels", userLabels(o.Labels), userLabels(labels), nil)
	return d.out
}
