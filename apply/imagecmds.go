package apply

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"
)

// BuildOptions change what BuildPlan builds (berth build).
type BuildOptions struct {
	NoCache bool              // build without the builder's cache (--no-cache)
	Pull    bool              // pull newer versions of the base images (--pull)
	Args    map[string]string // build args over those of every build: section (--build-arg)
	Version string            // com.docker.compose.version; default ComposeVersion
}

// BuildPlan builds the image of every service of p that has a build:
// section, present or not, as `apply --build` does: named, labelled and
// sent to the engine the same way. Services without build: have nothing to
// build and are left out, as Docker Compose does; services that build one
// image name build it once. The plan observes nothing and changes no
// container.
func BuildPlan(p *types.Project, opts BuildOptions) (*Plan, error) {
	q, err := Prepare(p)
	if err != nil {
		return nil, err
	}
	b := &builder{plan: &Plan{FormatVersion: FormatVersion, Project: p.Name, Steps: []Step{}}}
	seen := map[string]bool{}
	for _, name := range sortedKeys(q.Services) {
		s := q.Services[name]
		if s.Build == nil {
			continue
		}
		ref := ImageRef(q.Name, s)
		if seen[ref] {
			continue
		}
		seen[ref] = true
		spec, err := buildSpec(q, s, Options{Version: opts.Version})
		if err != nil {
			return nil, err
		}
		spec.NoCache = spec.NoCache || opts.NoCache
		spec.Pull = spec.Pull || opts.Pull
		for k, v := range opts.Args {
			if spec.Args == nil {
				spec.Args = map[string]string{}
			}
			spec.Args[k] = v
		}
		b.add(Step{Resource: "image:" + ref, Action: Build, Service: name, Name: ref, Build: spec, Reasons: []Reason{{Code: Rebuild, Field: "berth build"}}})
	}
	return b.plan, nil
}

// PullOptions change what PullPlan pulls (berth pull).
type PullOptions struct {
	// IgnoreBuildable leaves out the services that have a build: section
	// (--ignore-buildable).
	IgnoreBuildable bool
	// Policy replaces the pull_policy of every service with image:
	// (--policy missing|always).
	Policy string
}

// Skipped is a service PullPlan does not pull, and why, for people.
type Skipped struct {
	Service string
	Why     string
}

// PullPlan pulls the image: of the project's services the way Docker
// Compose's pull does, which is not apply's pull_policy: a service without
// image: (it only builds) is skipped, so is one whose pull_policy is never
// or build; with pull_policy missing (or if_not_present) the image is
// skipped when it is present locally under a tag other than latest; every
// other image is pulled, whatever is present (the default policy pulls).
// An image that several services use is pulled once. present holds the
// image references present locally (Observed.Images).
func PullPlan(p *types.Project, present map[string]string, opts PullOptions) (*Plan, []Skipped) {
	b := &builder{plan: &Plan{FormatVersion: FormatVersion, Project: p.Name, Steps: []Step{}}}
	var skipped []Skipped
	pulledBy := map[string]string{}
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		if s.Image == "" {
			skipped = append(skipped, Skipped{name, "no image to be pulled"})
			continue
		}
		policy := s.PullPolicy
		if opts.Policy != "" {
			policy = opts.Policy
		}
		switch policy {
		case types.PullPolicyNever, types.PullPolicyBuild:
			skipped = append(skipped, Skipped{name, "pull_policy is " + policy})
			continue
		case types.PullPolicyMissing, types.PullPolicyIfNotPresent:
			if _, ok := present[s.Image]; ok && pinnedTag(s.Image) {
				skipped = append(skipped, Skipped{name, "image is already present locally"})
				continue
			}
		}
		if s.Build != nil && opts.IgnoreBuildable {
			skipped = append(skipped, Skipped{name, "image can be built"})
			continue
		}
		if other, ok := pulledBy[s.Image]; ok {
			skipped = append(skipped, Skipped{name, "image is already being pulled by " + other})
			continue
		}
		pulledBy[s.Image] = name
		b.add(Step{Resource: "image:" + s.Image, Action: Pull, Service: name, Name: s.Image, Reasons: []Reason{{Code: Refresh, Field: "berth pull"}}})
	}
	return b.plan, skipped
}

// pinnedTag reports whether ref names a tag other than latest: only such an
// image is taken as it is when present (a digest reference, or latest,
// explicit or implied, may have moved on in the registry).
func pinnedTag(ref string) bool {
	if strings.Contains(ref, "@") {
		return false
	}
	i := strings.LastIndex(ref, ":")
	if i < 0 || strings.Contains(ref[i:], "/") { // a registry port, not a tag
		return false
	}
	return ref[i+1:] != "latest"
}

// Buildable reports whether the image of service name can be built instead
// of pulled: the service, or another one running the same image, has a
// build: section.
func Buildable(p *types.Project, name string) bool {
	s, ok := p.Services[name]
	if !ok {
		return false
	}
	if s.Build != nil {
		return true
	}
	for _, o := range p.Services {
		if o.Build != nil && s.Image != "" && o.Image == s.Image {
			return true
		}
	}
	return false
}

// ExecuteEach runs every step of plan on its own, at most opts.Parallel at
// a time, so that one failure does not stop the others (berth pull pulls
// what it can); the steps must not wait for one another. It returns the
// error of each step, in the plan's order (nil for the steps that
// succeeded).
func ExecuteEach(ctx context.Context, d Docker, plan *Plan, opts ExecOptions) ([]error, error) {
	if err := plan.Validate(); err != nil {
		return nil, err
	}
	for _, s := range plan.Steps {
		if len(s.After) > 0 {
			return nil, fmt.Errorf("plan step %d waits for another step; ExecuteEach runs steps independently", s.ID)
		}
	}
	parallel := opts.Parallel
	if parallel <= 0 {
		parallel = 4
	}
	errs := make([]error, len(plan.Steps))
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, s := range plan.Steps {
		one := *plan
		one.Steps = []Step{s}
		one.Wait = nil
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			errs[i] = Execute(ctx, d, &one, opts)
		}()
	}
	wg.Wait()
	return errs, nil
}
