package apply

import (
	"fmt"
	"slices"
	"strings"
)

// A network whose config-hash label (networkHash) differs from the file is
// recreated, as Docker Compose does; one without the label (older Compose,
// older berth) is left as it is.

// NetworkConflictError says a network must be recreated but containers
// that the plan keeps are attached to it.
type NetworkConflictError struct {
	Network    string
	Old, New   string // config hashes
	Containers []string
}

func (e *NetworkConflictError) Error() string {
	return fmt.Sprintf("network %s: its configuration changed (config-hash %s → %s) and it must be recreated, but containers %s are attached to it; "+
		"run \"berth down\" and then \"berth apply\" to recreate it with its containers", e.Network, short(e.Old), short(e.New), strings.Join(e.Containers, ", "))
}

// recreateNetwork compares the observed network o with the file's network
// (hash). It returns 0 when o is up to date (or carries no hash, so was not
// created from a file that berth or Compose can compare). Otherwise it adds
// the step that removes o and returns its ID, for the create step to follow;
// a container the plan does not already remove and that is attached to o is
// a conflict.
func (b *builder) recreateNetwork(o Network, hash string, obs *Observed, after []int) (int, error) {
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
	var attached []string
	for _, c := range obs.Containers {
		if !removed[c.ID] && slices.Contains(c.Networks, o.Name) {
			attached = append(attached, c.Name)
		}
	}
	if len(attached) > 0 {
		return 0, &NetworkConflictError{Network: o.Name, Old: old, New: hash, Containers: attached}
	}
	return b.add(Step{Resource: "network:" + o.Name, Action: RemoveNetwork, Name: o.Name, OldID: o.ID, After: slices.Clone(after),
		Reasons: []Reason{{Code: ConfigChanged, Field: "networks." + o.Key + " (config-hash)", Old: short(old), New: short(hash)}}}), nil
}

// volumeWarning says when a volume no longer matches the file: berth never
// removes a named volume (it holds data), so it only tells.
func volumeWarning(o Volume, hash string) string {
	old := o.Labels[LabelConfigHash]
	if old == "" || old == hash {
		return ""
	}
	return fmt.Sprintf("volume %s does not match its configuration in the compose files (config-hash %s → %s); berth never removes a named volume: "+
		"remove it with \"berth down --volumes\" (its data is lost) for apply to create it again", o.Name, short(old), short(hash))
}
