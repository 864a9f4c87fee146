// Package graph draws a loaded Compose project: its services, the
// depends_on edges between them with their conditions, the networks they
// join, the ports they publish and the volumes they mount. Build turns a
// project into a Graph, a plain sorted description; Mermaid and DOT render
// it. Both renderers read only the Graph, so they always draw the same thing.
//
// How a project becomes a picture:
//
//   - A service is a box labelled with its name, its image (or what it
//     builds), the ports it publishes (HOST:CONTAINER/PROTO, "*" for a host
//     port Docker picks) and a summary of its bind mounts, tmpfs and
//     anonymous volumes (the first few, then "+N more").
//   - depends_on is an arrow from the service to the one it waits for,
//     labelled with the condition (service_started, service_healthy,
//     service_completed_successfully); "restart: true" and "required: false"
//     are added to the label, and an optional (required: false) dependency
//     is drawn dashed.
//   - A network is a group (a Mermaid subgraph, a DOT cluster). A box can sit
//     in one group only, so a service sits in its primary network, the one
//     Docker Compose connects it to first (highest priority, then name), and
//     a dotted line without arrowhead joins it to each other network it is
//     on. A service with network_mode (host, none, service:..., container:...)
//     sits outside every group and says so in its label.
//   - A named volume is a cylinder outside the groups, joined to each service
//     that mounts it by a line labelled with the mount path (":ro" when
//     read-only).
//
// Everything is sorted by name, so the same project always gives the same
// bytes; node identifiers are derived from names with an injective ASCII
// encoding, and every text is escaped for the target language, so any name
// (dots, dashes, quotes, unicode) gives a valid Mermaid or DOT document.
package graph

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// maxMountLines is how many bind/tmpfs/anonymous mounts a service box lists
// before it summarizes the rest as "+N more": the box shows where a service
// touches the host without turning into a listing of the file system.
const maxMountLines = 3

// Graph is what Build found in a project, sorted and ready to draw.
type Graph struct {
	Project  string
	Services []Service // by name
	Networks []Network // networks at least one service joins, by name
	Volumes  []Volume  // named volumes at least one service mounts, by name
}

// Service is one box.
type Service struct {
	Name  string
	Image string // the image, or "build: CONTEXT" for a service that is only built

	// Networks holds the primary network first (the group the box sits
	// in), then the others by name; it is empty when the service is on no
	// network, and NetworkMode is set when it uses network_mode.
	Networks    []string
	NetworkMode string

	Ports     []string      // "8000:80/tcp", "127.0.0.1:*:80/tcp", ranges merged
	Mounts    []string      // bind, tmpfs and anonymous mounts, summarized
	Volumes   []VolumeMount // named volumes, by volume then target
	DependsOn []Dependency  // by service name

	// Missing marks a service that another one depends on but that is not
	// part of the loaded project (not selected, or in a disabled profile).
	Missing bool
}

// Dependency is one depends_on entry.
type Dependency struct {
	Service   string
	Condition string // service_started, service_healthy, service_completed_successfully
	Required  bool
	Restart   bool
}

// Grouped tells whether the box sits in a network's group.
func (s Service) Grouped() bool { return len(s.Networks) > 0 }

// OtherNetworks are the networks joined by a dotted line.
func (s Service) OtherNetworks() []string {
	if len(s.Networks) == 0 {
		return nil
	}
	return s.Networks[1:]
}

// Label is the text on the dependency's arrow.
func (d Dependency) Label() string {
	parts := []string{d.Condition}
	if d.Restart {
		parts = append(parts, "restart: true")
	}
	if !d.Required {
		parts = append(parts, "required: false")
	}
	return strings.Join(parts, ", ")
}

// VolumeMount is a named volume mounted into a service.
type VolumeMount struct {
	Volume   string
	Target   string
	ReadOnly bool
}

// Label is the text on the line from the service to the volume.
func (m VolumeMount) Label() string {
	if m.ReadOnly {
		return m.Target + ":ro"
	}
	return m.Target
}

// Network is one group.
type Network struct {
	Name     string
	External bool
	Members  []string // services whose primary network this is, by name
}

// Label is the group's title.
func (n Network) Label() string {
	if n.External {
		return "network: " + n.Name + " (external)"
	}
	return "network: " + n.Name
}

// Volume is one cylinder.
type Volume struct {
	Name     string
	External bool
}

// Label is the cylinder's text.
func (v Volume) Label() string {
	if v.External {
		return "volume: " + v.Name + " (external)"
	}
	return "volume: " + v.Name
}

// Build describes the project as a graph. It never fails: whatever loaded
// can be drawn.
func Build(p *types.Project) *Graph {
	g := &Graph{Project: p.Name}
	networks := map[string]*Network{}
	volumes := map[string]bool{}
	known := map[string]bool{}
	for name := range p.Services {
		known[name] = true
	}
	missing := map[string]bool{}

	for _, name := range sortedKeys(p.Services) {
		sc := p.Services[name]
		s := Service{Name: name, Image: image(sc, p.WorkingDir)}
		if sc.NetworkMode != "" {
			s.NetworkMode = sc.NetworkMode
		} else if byPriority := sc.NetworksByPriority(); len(byPriority) > 0 {
			s.Networks = append([]string{byPriority[0]}, slices.Sorted(slices.Values(byPriority[1:]))...)
			for i, n := range byPriority {
				nw := networks[n]
				if nw == nil {
					nw = &Network{Name: n, External: bool(p.Networks[n].External)}
					networks[n] = nw
				}
				if i == 0 {
					nw.Members = append(nw.Members, name)
				}
			}
		}
		s.Ports = ports(sc.Ports)
		s.Mounts, s.Volumes = mounts(sc, p.WorkingDir)
		for _, m := range s.Volumes {
			volumes[m.Volume] = true
		}
		for _, dep := range sortedKeys(sc.DependsOn) {
			d := sc.DependsOn[dep]
			cond := d.Condition
			if cond == "" {
				cond = types.ServiceConditionStarted
			}
			s.DependsOn = append(s.DependsOn, Dependency{Service: dep, Condition: cond, Required: d.Required, Restart: d.Restart})
			if !known[dep] {
				missing[dep] = true
			}
		}
		g.Services = append(g.Services, s)
	}
	for name := range missing {
		g.Services = append(g.Services, Service{Name: name, Missing: true})
	}
	slices.SortFunc(g.Services, func(a, b Service) int { return strings.Compare(a.Name, b.Name) })
	for _, n := range sortedKeys(networks) {
		g.Networks = append(g.Networks, *networks[n])
	}
	for _, v := range sortedKeys(volumes) {
		g.Volumes = append(g.Volumes, Volume{Name: v, External: bool(p.Volumes[v].External)})
	}
	return g
}

func image(s types.ServiceConfig, dir string) string {
	if s.Image != "" {
		return s.Image
	}
	if s.Build != nil {
		return "build: " + hostPath(s.Build.Context, dir)
	}
	return ""
}

// ports formats the published ports as HOST:CONTAINER/PROTO, with the host
// IP in front when there is one and "*" for a host port Docker picks.
// Compose expands a range into one entry per port; consecutive entries are
// merged back into a range so a box does not list a thousand ports.
func ports(in []types.ServicePortConfig) []string {
	type port struct {
		ip, proto       string
		target, pubFrom uint32
		published       string // as written when it is not a single number
		n               uint32 // ports in this run
	}
	var ps []port
	for _, p := range in {
		proto := p.Protocol
		if proto == "" {
			proto = "tcp"
		}
		x := port{ip: p.HostIP, proto: proto, target: p.Target, published: p.Published, n: 1}
		if v, err := strconv.ParseUint(p.Published, 10, 16); err == nil {
			x.pubFrom, x.published = uint32(v), ""
		}
		ps = append(ps, x)
	}
	slices.SortFunc(ps, func(a, b port) int {
		if c := strings.Compare(a.ip, b.ip); c != 0 {
			return c
		}
		if c := strings.Compare(a.proto, b.proto); c != 0 {
			return c
		}
		if c := int(a.target) - int(b.target); c != 0 {
			return c
		}
		if c := strings.Compare(a.published, b.published); c != 0 {
			return c
		}
		return int(a.pubFrom) - int(b.pubFrom)
	})
	var runs []port
	for _, x := range ps {
		if k := len(runs) - 1; k >= 0 {
			last := &runs[k]
			if last.ip == x.ip && last.proto == x.proto && last.published == "" && x.published == "" &&
				x.target == last.target+last.n && (last.pubFrom == 0) == (x.pubFrom == 0) &&
				(x.pubFrom == 0 || x.pubFrom == last.pubFrom+last.n) {
				last.n++
				continue
			}
		}
		runs = append(runs, x)
	}
	// Merged, the runs are listed by container port, so the tcp and udp
	// entries of one port sit together.
	slices.SortStableFunc(runs, func(a, b port) int {
		if c := int(a.target) - int(b.target); c != 0 {
			return c
		}
		if c := strings.Compare(a.proto, b.proto); c != 0 {
			return c
		}
		return strings.Compare(a.ip, b.ip)
	})
	var out []string
	for _, r := range runs {
		host := r.published
		if host == "" {
			host = "*"
			if r.pubFrom != 0 {
				host = portRange(r.pubFrom, r.n)
			}
		}
		s := host + ":" + portRange(r.target, r.n) + "/" + r.proto
		if r.ip != "" {
			ip := r.ip
			if strings.Contains(ip, ":") {
				ip = "[" + ip + "]"
			}
			s = ip + ":" + s
		}
		out = append(out, s)
	}
	return slices.Compact(out)
}

func portRange(from, n uint32) string {
	if n == 1 {
		return strconv.FormatUint(uint64(from), 10)
	}
	return fmt.Sprintf("%d-%d", from, from+n-1)
}

// mounts splits a service's mounts into named volumes (drawn as nodes) and
// summary lines for the rest.
func mounts(s types.ServiceConfig, dir string) ([]string, []VolumeMount) {
	var lines []string
	var named []VolumeMount
	for _, v := range s.Volumes {
		ro := ""
		if v.ReadOnly {
			ro = ":ro"
		}
		switch {
		case v.Type == types.VolumeTypeVolume && v.Source != "":
			named = append(named, VolumeMount{Volume: v.Source, Target: v.Target, ReadOnly: v.ReadOnly})
		case v.Type == types.VolumeTypeVolume:
			lines = append(lines, "anonymous volume "+v.Target+ro)
		case v.Type == types.VolumeTypeBind:
			lines = append(lines, "bind "+hostPath(v.Source, dir)+":"+v.Target+ro)
		case v.Type == types.VolumeTypeTmpfs:
			lines = append(lines, "tmpfs "+v.Target)
		default:
			lines = append(lines, v.Type+" "+v.Source+":"+v.Target+ro)
		}
	}
	for _, t := range s.Tmpfs {
		lines = append(lines, "tmpfs "+t)
	}
	slices.Sort(lines)
	if len(lines) > maxMountLines {
		n := len(lines) - maxMountLines
		lines = append(lines[:maxMountLines], fmt.Sprintf("+%d more", n))
	}
	slices.SortFunc(named, func(a, b VolumeMount) int {
		if c := strings.Compare(a.Volume, b.Volume); c != 0 {
			return c
		}
		return strings.Compare(a.Target, b.Target)
	})
	return lines, named
}

// hostPath shows a host path the way a reader of the compose file knows it:
// relative to the project directory when it shares more than the root with
// it ("./src", "../shared"), as written otherwise ("/var/run/docker.sock").
// This also keeps the output the same on every machine that checks the
// project out.
func hostPath(p, dir string) string {
	if dir == "" || !filepath.IsAbs(p) || !filepath.IsAbs(dir) {
		return p
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil {
		return p
	}
	if rel == "." {
		return "."
	}
	if !strings.HasPrefix(rel, "..") {
		return "./" + filepath.ToSlash(rel)
	}
	// Outside the project: relative only when the two paths share a
	// directory below the root (/home/u/proj and /home/u/data, not /srv).
	first := func(s string) string {
		s = strings.TrimPrefix(filepath.ToSlash(s), "/")
		head, _, _ := strings.Cut(s, "/")
		return head
	}
	if first(p) != "" && first(p) == first(dir) {
		return filepath.ToSlash(rel)
	}
	return p
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
