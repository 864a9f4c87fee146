package apply

import (
	"cmp"
	"slices"
	"strings"
)

// This file holds what lets an apply that was killed half-way converge on
// the next run: Diff reads whatever an interrupted run left behind (a second
// container for one replica, a replacement still under its temporary name,
// a second network with the same name) and plans it away, always the same
// way for the same state.

// canonical returns a copy of obs with its lists in one fixed order, so that
// Diff does not depend on the order in which Observe, or a test, lists
// resources.
func canonical(obs *Observed) *Observed {
	o := *obs
	o.Containers = slices.Clone(obs.Containers)
	for i, c := range o.Containers {
		c.Networks = slices.Clone(c.Networks)
		slices.Sort(c.Networks)
		c.NetworkIDs = slices.Clone(c.NetworkIDs)
		slices.Sort(c.NetworkIDs)
		c.Mounts = slices.Clone(c.Mounts)
		slices.SortFunc(c.Mounts, func(a, b Mount) int { return strings.Compare(a.Target, b.Target) })
		o.Containers[i] = c
	}
	slices.SortFunc(o.Containers, func(a, b Container) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	o.Networks = slices.Clone(obs.Networks)
	slices.SortFunc(o.Networks, func(a, b Network) int {
		return cmp.Or(strings.Compare(a.Name, b.Name), a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	o.Volumes = slices.Clone(obs.Volumes)
	slices.SortFunc(o.Volumes, func(a, b Volume) int { return strings.Compare(a.Name, b.Name) })
	return &o
}

// duplicateNetworks returns the networks to remove because another network
// of the project has the same name. Docker before API 1.44 allows two
// networks with one name (two applies racing can make them), and then
// refuses to attach a container by that name. The one kept is the one most
// of the project's containers are attached to, then the oldest, then the
// lowest ID: the choice depends on the state only.
func duplicateNetworks(nets []Network, containers []Container) []Network {
	attached := map[string]int{}
	for _, c := range containers {
		for _, id := range c.NetworkIDs {
			attached[id]++
		}
	}
	byName := map[string][]Network{}
	for _, n := range nets {
		byName[n.Name] = append(byName[n.Name], n)
	}
	var extras []Network
	for _, name := range sortedKeys(byName) {
		group := slices.Clone(byName[name])
		if len(group) < 2 {
			continue
		}
		slices.SortFunc(group, func(a, b Network) int {
			return cmp.Or(cmp.Compare(attached[b.ID], attached[a.ID]), a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
		})
		extras = append(extras, group[1:]...)
	}
	return extras
}

// attachedTo reports whether the container is attached to one of the
// networks (by ID).
func attachedTo(c Container, nets []Network) (Network, bool) {
	for _, n := range nets {
		if slices.Contains(c.NetworkIDs, n.ID) {
			return n, true
		}
	}
	return Network{}, false
}

// pickReplica chooses, among the containers that carry one replica's
// number, the one to keep; the others are removed. A recreate creates the
// replacement under a temporary name "<old ID[:12]>_<name>" before it
// removes the old container and renames the new one, so a killed recreate
// leaves two containers, or only the replacement under its temporary name.
// The container under the final name wins (what remains of the old one is
// recreated again if it is out of date), then a running one, then the
// lowest name and ID.
func pickReplica(cands []Container, final string) (keep Container, extras []Container) {
	cands = slices.Clone(cands)
	rank := func(c Container) int {
		switch {
		case c.Name == final:
			return 0
		case c.State == "running":
			return 1
		}
		return 2
	}
	slices.SortFunc(cands, func(a, b Container) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), strings.Compare(a.Name, b.Name), strings.Compare(a.ID, b.ID))
	})
	return cands[0], cands[1:]
}
