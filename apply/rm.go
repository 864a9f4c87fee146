package apply

import "slices"

// RmOptions change what RmPlan removes (berth rm).
type RmOptions struct {
	// Services limits the removal to these services' containers (all
	// when empty).
	Services []string
	// Known, when not nil, are the services of the compose files: the
	// containers of other services (orphans) are left alone, as Docker
	// Compose's rm does when it has the files.
	Known []string
	// Stop removes running containers too, stopping them first (--stop);
	// otherwise only stopped ones go.
	Stop bool
	// Volumes also removes the containers' anonymous volumes (--volumes).
	Volumes bool
}

// RmPlan removes the project's stopped service containers (and with Stop
// the running ones, stopped first), one-off containers excluded, as Docker
// Compose's rm does. Like DownPlan it reads only the observed state.
func RmPlan(obs *Observed, opts RmOptions) *Plan {
	b := &builder{plan: &Plan{FormatVersion: FormatVersion, Project: obs.Project, Fingerprint: obs.Fingerprint(), Observed: obs.Summary(), Steps: []Step{}}}
	for _, c := range obs.Containers {
		switch {
		case c.OneOff,
			len(opts.Services) > 0 && !slices.Contains(opts.Services, c.Service),
			opts.Known != nil && !slices.Contains(opts.Known, c.Service),
			running(c.State) && !opts.Stop:
			continue
		}
		b.add(Step{Resource: "container:" + c.Name, Action: Remove, Service: c.Service, Name: c.Name, OldID: c.ID,
			RemoveVolumes: opts.Volumes, Reasons: []Reason{{Code: Requested}}})
	}
	return b.plan
}

// running reports whether a container in state is running as Docker's
// State.Running says: paused and restarting containers are.
func running(state string) bool {
	switch state {
	case "running", "paused", "restarting":
		return true
	}
	return false
}
