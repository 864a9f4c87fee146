package apply

import (
	"fmt"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// A network whose config-hash label (networkHash) differs from the file is
// recreated, as Docker Compose does; one without the label (older Compose,
// older berth) is left as it is.

// NetworkConflictError says a network must be recreated but containers
// that berth does not stop are attached to it: another project's or
// unlabelled containers, and the project's own that no service of the
// files runs (one-off containers, orphans kept with --keep-orphans,
// services of a disabled profile).
type NetworkConflictError struct {
	Network    string
	Old, New   string // config hashes
	Containers []string
}

func (e *NetworkConflictError) Error() string {
	return fmt.Sprintf("network %s: its configuration changed (config-hash %s → %s) and it must be recreated, but containers %s are attached to it "+
		"and berth does not stop containers that no service of the project runs; disconnect or remove them, then run \"berth apply\" again",
		e.Network, short(e.Old), short(e.New), strings.Join(e.Containers, ", "))
}

// detached is a container of the project that the plan takes off networks
// that are recreated, to put it back on them afterwards.
type detached struct {
	running  bool     // it was running, so it is stopped first and started again
	stop     int      // its stop step, 0 when it was not running
	networks []string // the networks it is disconnected from
}

// recreateNetwork compares the observed network o with the file's network
// (hash). It returns 0 when o is up to date (or carries no hash, so was not
// created from a file that berth or Compose can compare). Otherwise it adds
// the steps that remove o and returns the ID of the last, for the create
// step to follow. As in Docker Compose, the project's containers attached to
// o are not recreated for it: each is stopped (if running) and disconnected
// before o goes; the container loop of Diff connects them to the new network
// and starts them again (see reattach). A container the plan removes anyway
// needs neither; one that berth does not run is a conflict.
func (b *builder) recreateNetwork(q *types.Project, o Network, hash string, obs *Observed, after []int) (int, error) {
	old := o.Labels[LabelConfigHash]
	if old == "" || old == hash {
		return 0, nil
	}
	removed := map[string]bool{}
	for _, s := range b.plan.Steps {
		if s.Action == Remove {
			removed[s.OldID] = true
		}
	}
	var attached []Container
	others := slices.Clone(o.Foreign)
	for _, c := range obs.Containers {
		if removed[c.ID] || !slices.Contains(c.Networks, o.Name) {
			continue
		}
		if _, enabled := q.Services[c.Service]; c.OneOff || !enabled {
			others = append(others, c.Name)
			continue
		}
		attached = append(attached, c)
	}
	if len(others) > 0 {
		slices.Sort(others)
		return 0, &NetworkConflictError{Network: o.Name, Old: old, New: hash, Containers: others}
	}
	if b.detached == nil {
		b.detached = map[string]*detached{}
	}
	why := []Reason{{Code: NetworkRecreated, New: o.Name}}
	waits := slices.Clone(after)
	for _, c := range attached {
		d := b.detached[c.ID]
		if d == nil {
			d = &detached{running: c.State == "running"}
			b.detached[c.ID] = d
			if d.running {
				d.stop = b.add(Step{Resource: "container:" + c.Name, Action: Stop, Service: c.Service, Name: c.Name, OldID: c.ID,
					After: slices.Clone(after), Reasons: why})
			}
		}
		dafter := slices.Clone(after)
		if d.stop > 0 {
			dafter = append(dafter, d.stop)
		}
		d.networks = append(d.networks, o.Name)
		waits = append(waits, b.add(Step{Resource: "container:" + c.Name, Action: Disconnect, Service: c.Service, Name: c.Name, OldID: c.ID,
			Endpoint: &EndpointSpec{Network: o.Name}, After: dafter, Reasons: why}))
	}
	key := o.Key
	if key == "" {
		key = o.Name
	}
	reasons := networkFieldReasons(key, q.Networks[o.Key], o)
	if len(reasons) == 0 {
		reasons = []Reason{{Code: ConfigChanged, Field: "networks." + key, Change: Changed,
			Note: fmt.Sprintf("a field the engine does not report back changed (config-hash %s → %s)", short(old), short(hash))}}
	}
	return b.add(Step{Resource: "network:" + o.Name, Action: RemoveNetwork, Name: o.Name, OldID: o.ID, After: waits, Reasons: reasons}), nil
}

// reattach adds, for a container that recreateNetwork took off its
// networks and that is not recreated, the steps that connect it to the new
// networks with the endpoint settings of the file, then start it when it
// was running (or must start anyway). after is what the container's steps
// wait for (the create-network steps among them). It returns the IDs of the
// steps it added.
func (b *builder) reattach(c Container, d *detached, spec *ContainerSpec, after []int, waits []Wait, needStart bool) []int {
	var ids []int
	for _, name := range d.networks {
		i := slices.IndexFunc(spec.Networks, func(ep EndpointSpec) bool { return ep.Network == name })
		if i < 0 {
			continue // the service is no longer on it
		}
		ep := spec.Networks[i]
		ids = append(ids, b.add(Step{Resource: "container:" + c.Name, Action: Connect, Service: c.Service, Name: c.Name, OldID: c.ID,
			Endpoint: &ep, After: slices.Clone(after), Reasons: []Reason{{Code: NetworkRecreated, New: name}}}))
	}
	if d.running || needStart {
		start := append(slices.Clone(after), ids...)
		slices.Sort(start)
		var why []Reason
		for _, name := range d.networks {
			why = append(why, Reason{Code: NetworkRecreated, New: name})
		}
		ids = append(ids, b.add(Step{Resource: "container:" + c.Name, Action: Start, Service: c.Service, Name: c.Name, OldID: c.ID,
			After: slices.Compact(start), Waits: waits, Reasons: why}))
	}
	return ids
}

// volumeWarning says when a volume no longer matches the file: berth never
// removes a named volume (it holds data), so it only tells.
func volumeWarning(key string, v types.VolumeConfig, o Volume, hash string) string {
	old := o.Labels[LabelConfigHash]
	if old == "" || old == hash {
		return ""
	}
	var fields []string
	for _, r := range volumeFieldReasons(key, v, o) {
		fields = append(fields, r.Field+": "+r.valueText())
	}
	what := fmt.Sprintf("config-hash %s → %s", short(old), short(hash))
	if len(fields) > 0 {
		what = strings.Join(fields, "; ")
	}
	return fmt.Sprintf("volume %s does not match its configuration in the compose files (%s); berth never removes a named volume: "+
		"remove it with \"berth down --volumes\" (its data is lost) for apply to create it again", o.Name, what)
}
