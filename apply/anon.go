package apply

import (
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/docker/docker/api/types/mount"
)

// A container gets an anonymous volume at every path its image declares
// as VOLUME and at every volume entry of its service without a source
// (`volumes: [/data]`). The engine names such a volume at random, so a
// container created from the same spec gets a new, empty one. Docker
// Compose therefore hands the replacement of a recreated container the
// old container's anonymous volumes, mounted at the same targets, unless
// `up -V/--renew-anon-volumes` asks for new ones; berth does the same.
//
// Which old mounts are carried over follows Compose: a volume mounted at a
// target where the replacement would get an anonymous volume (an image
// VOLUME, or a service volume entry without a source). Where the compose
// file now declares something else at that target (a named volume, a bind,
// a tmpfs, a secret or config), the declaration wins. Two deliberate
// departures, both where Compose keeps a mount the file no longer asks
// for: berth carries over only volumes (Compose also keeps a bind mount
// found at such a target, though its data lives on the host and nothing is
// lost without it), and a tmpfs entry at the target replaces the old
// volume (Compose reads any entry without a source as anonymous).

// KeptVolume is an anonymous volume of the container a recreate replaces
// that the replacement mounts again.
type KeptVolume struct {
	Target string `json:"target"`
	Volume string `json:"volume"` // the engine's name for it
}

// inheritVolumes points the anonymous volume mounts of spec, the
// replacement of old, at old's volumes, and adds mounts for the image
// VOLUME paths (imageVolumes) where old had a volume and nothing is
// declared. It returns what it carried over, in target order.
func inheritVolumes(spec *ContainerSpec, s types.ServiceConfig, old Container, imageVolumes []string) []KeptVolume {
	hc := spec.HostConfig
	declared := declaredTargets(spec, s)
	var kept []KeptVolume
	var added []mount.Mount
	for _, m := range old.Mounts {
		if m.Type != string(mount.TypeVolume) || m.Name == "" {
			continue
		}
		if i := slices.IndexFunc(hc.Mounts, func(n mount.Mount) bool { return n.Target == m.Target }); i >= 0 {
			if n := hc.Mounts[i]; n.Type == mount.TypeVolume && n.Source == "" {
				hc.Mounts[i].Source = m.Name // keeps the entry's read_only and nocopy
				kept = append(kept, KeptVolume{Target: m.Target, Volume: m.Name})
			}
			continue
		}
		if declared[m.Target] || !slices.Contains(imageVolumes, m.Target) {
			continue
		}
		added = append(added, mount.Mount{Type: mount.TypeVolume, Source: m.Name, Target: m.Target, ReadOnly: !m.RW})
		kept = append(kept, KeptVolume{Target: m.Target, Volume: m.Name})
	}
	slices.SortFunc(added, func(a, b mount.Mount) int { return strings.Compare(a.Target, b.Target) })
	hc.Mounts = append(hc.Mounts, added...)
	slices.SortFunc(kept, func(a, b KeptVolume) int { return strings.Compare(a.Target, b.Target) })
	return kept
}

// declaredTargets are the paths the service mounts something at: its
// volume entries (binds included) and its tmpfs entries.
func declaredTargets(spec *ContainerSpec, s types.ServiceConfig) map[string]bool {
	out := map[string]bool{}
	for _, v := range s.Volumes {
		out[v.Target] = true
	}
	for t := range spec.HostConfig.Tmpfs {
		out[t] = true
	}
	return out
}

// replacement finishes the spec of a container that replaces old: it
// names the replica it replaces and, unless opts.RenewAnonVolumes, mounts
// old's anonymous volumes. Docker Compose (v5) writes the replace label
// only when it carries anonymous volumes over, whether or not there are any.
func replacement(spec *ContainerSpec, s types.ServiceConfig, n int, old Container, imageVolumes []string, opts Options) []KeptVolume {
	if opts.RenewAnonVolumes {
		return nil
	}
	replaced := s.ContainerName
	if replaced == "" {
		replaced = s.Name + "-" + strconv.Itoa(n)
	}
	spec.Config.Labels[LabelReplace] = replaced
	return inheritVolumes(spec, s, old, imageVolumes)
}
