package main

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/progress"
	"github.com/berth-compose/berth/internal/cli"
)

type pullOptions struct {
	quiet           bool
	ignoreFailures  bool
	ignoreBuildable bool
	includeDeps     bool
	policy          string
	parallel        int
	progress        string
}

const pullHelp = `Pull the images of the services that have an image:.

As Docker Compose's pull, and unlike apply (which pulls only what
pull_policy asks for): every image: is pulled, even when it is present,
except for services with pull_policy never or build, and for images present
under a tag other than latest when pull_policy is missing. Services that only
build are skipped; --ignore-buildable also skips those with both build: and
image:. Each image is pulled once.

A failed pull does not stop the others. It is an error (exit 1) unless
--ignore-pull-failures; for a service that can be built instead, it is
reported as a warning that says to run "berth build", and still fails the
command without --ignore-pull-failures, as in Docker Compose.`

func (a *app) pullCommand() *cobra.Command {
	var o pullOptions
	cmd := &cobra.Command{
		Use:   "pull [flags] [SERVICE...]",
		Short: "Pull the services' images",
		Long:  pullHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runPull(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Print nothing but errors (as --progress quiet)")
	f.BoolVar(&o.ignoreFailures, "ignore-pull-failures", false, "Pull what can be pulled and exit 0 when some pulls fail")
	f.BoolVar(&o.ignoreBuildable, "ignore-buildable", false, "Skip the services that have a build: section")
	f.BoolVar(&o.includeDeps, "include-deps", false, "With SERVICE arguments: also pull the services they depend on")
	f.StringVar(&o.policy, "policy", "", "Pull policy for every service with image: missing or always (default: each service's pull_policy)")
	f.IntVar(&o.parallel, "parallel", 4, "Maximum number of images pulled at once")
	bindProgress(cmd, &o.progress)
	return cmd
}

func (a *app) runPull(cmd *cobra.Command, o pullOptions, services []string) error {
	ctx := cmd.Context()
	switch o.policy {
	case "", types.PullPolicyMissing, types.PullPolicyAlways:
	default:
		return cli.UsageError{Err: fmt.Errorf("--policy must be missing or always, not %q", o.policy)}
	}
	if o.quiet {
		o.progress = string(progress.Quiet)
	}
	prog, mode, err := a.progressFor(o.progress)
	if err != nil {
		return err
	}
	defer prog.Close()
	p, err := a.loadForApply(ctx, services, !o.includeDeps)
	if err != nil {
		return cli.InputError{Err: err}
	}
	d, err := a.engine(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	obs, err := apply.Observe(ctx, d, p.Name, apply.Images(p.Project)...)
	if err != nil {
		return err
	}
	plan, skipped := apply.PullPlan(p.Project, obs.Images, apply.PullOptions{IgnoreBuildable: o.ignoreBuildable, Policy: o.policy})
	for _, s := range skipped {
		prog.Event(apply.Event{Resource: "service:" + s.Service, Status: "Skipped", Detail: s.Why})
	}
	began := time.Now()
	errs, err := apply.ExecuteEach(ctx, d, plan, apply.ExecOptions{Parallel: o.parallel, Progress: prog.Event})
	prog.Close()
	if err != nil {
		return err
	}
	var failed, mustBuild []string
	var first error
	for i, e := range errs {
		if e == nil {
			continue
		}
		svc := plan.Steps[i].Service
		if apply.Buildable(p.Project, svc) {
			mustBuild = append(mustBuild, svc)
			fmt.Fprintf(a.Err, "berth: warning: service %s: pulling %s failed: %v\n", svc, plan.Steps[i].Name, unwrapStep(e))
		} else if o.ignoreFailures {
			fmt.Fprintf(a.Err, "berth: warning: service %s: pulling %s failed (ignored): %v\n", svc, plan.Steps[i].Name, unwrapStep(e))
		}
		failed = append(failed, svc)
		if first == nil {
			first = e
		}
	}
	if len(mustBuild) > 0 {
		fmt.Fprintf(a.Err, "berth: warning: some service images must be built from source instead:\n    berth build %s\n", strings.Join(mustBuild, " "))
	}
	if len(failed) > 0 && !o.ignoreFailures {
		if len(failed) == 1 {
			return fmt.Errorf("pull failed: %w", first)
		}
		return fmt.Errorf("pull failed for %d services (%s); first: %w", len(failed), strings.Join(failed, ", "), first)
	}
	if mode != progress.Quiet {
		fmt.Fprintf(a.Out, "Pull complete in %.1fs: %d pulled, %d failed, %d skipped.\n", time.Since(began).Seconds(), len(plan.Steps)-len(failed), len(failed), len(skipped))
	}
	return nil
}

// unwrapStep is a step's own error, without the "service X: pull Y:"
// prefix the warning already says.
func unwrapStep(err error) error {
	var se *apply.StepError
	if errors.As(err, &se) {
		return se.Err
	}
	return err
}
