package apply

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
)

// Docker before API 1.44 lets two networks share a name: its duplicate
// check and the create are not one atomic step. An apply killed while its
// NetworkCreate was in flight, or two applies at once, can then leave two
// networks named <project>_<key>, and a container attached by that name
// fails to start ("network ... is ambiguous"). Every process resolves such a
// pair the same way: the oldest network (then the lowest ID) stays, so two
// applies racing agree without talking to each other, and each removes only
// what it created or what has no endpoints.

// sameName lists the networks named exactly name, oldest first.
func sameName(ctx context.Context, d Docker, name string) ([]network.Summary, error) {
	list, err := d.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("name", name))})
	if err != nil {
		return nil, fmt.Errorf("listing networks named %s: %w", name, err)
	}
	list = slices.DeleteFunc(list, func(n network.Summary) bool { return n.Name != name })
	slices.SortFunc(list, func(a, b network.Summary) int {
		return cmp.Or(a.Created.Compare(b.Created), strings.Compare(a.ID, b.ID))
	})
	return list, nil
}

// yieldNetwork is called right after this process created network id named
// name: when an older network of that name exists, ours goes.
func (x *executor) yieldNetwork(ctx context.Context, name, id string) error {
	list, err := sameName(ctx, x.d, name)
	if err != nil {
		return err
	}
	if len(list) < 2 || list[0].ID == id {
		return nil
	}
	if err := x.d.NetworkRemove(ctx, id); err != nil && !isNotFound(err) {
		return fmt.Errorf("removing network %s (%.12s), a duplicate of %.12s: %w", name, id, list[0].ID, err)
	}
	x.event("network:"+name, "Duplicate", 0, fmt.Sprintf("kept the older %.12s", list[0].ID))
	return nil
}

// isAmbiguous reports whether the engine refused a network name that
// matches several networks.
func isAmbiguous(err error) bool {
	return err != nil && strings.Contains(err.Error(), "is ambiguous")
}

// resolveAmbiguous removes, for each of the step's networks that has
// duplicates, every duplicate but the oldest that has no endpoints. It
// reports whether it removed any.
func (x *executor) resolveAmbiguous(ctx context.Context, s Step) (bool, error) {
	removed := false
	if s.Container == nil {
		return false, nil
	}
	for _, ep := range s.Container.Networks {
		list, err := sameName(ctx, x.d, ep.Network)
		if err != nil {
			return removed, err
		}
		for _, n := range list[min(1, len(list)):] {
			if err := x.d.NetworkRemove(ctx, n.ID); err != nil && !isNotFound(err) {
				continue // it has endpoints: someone uses it; not ours to remove
			}
			removed = true
			x.event("network:"+ep.Network, "Duplicate", 0, fmt.Sprintf("removed %.12s, kept the older %.12s", n.ID, list[0].ID))
		}
	}
	return removed, nil
}

// adoptNetwork is called when creating the step's network failed because
// the name is taken. A network of that name carrying this project's labels
// (the same project and network key) was created by an earlier apply whose
// create finished after this one observed: it is used as is, and reported.
// Any other network of that name is not berth's to take.
func (x *executor) adoptNetwork(ctx context.Context, s Step) (bool, error) {
	list, err := sameName(ctx, x.d, s.Name)
	if err != nil {
		return false, err
	}
	want := s.Network.Labels
	for _, n := range list {
		if n.Labels[LabelProject] == want[LabelProject] && n.Labels[LabelNetwork] == want[LabelNetwork] {
			x.event(s.Resource, "Exists", 0, fmt.Sprintf("adopted %.12s, created by an earlier apply", n.ID))
			return true, nil
		}
	}
	return false, nil
}
