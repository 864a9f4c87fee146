package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/progress"
	"github.com/berth-compose/berth/apply/swarm"
	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/load"
)

// diffFlags are the flags plan and apply share: they change the plan.
type diffFlags struct {
	keepOrphans   bool
	removeOrphans bool
	forceRecreate bool
	wait          bool
	showSensitive bool
	build         bool
	noBuild       bool
	noDeps        bool
	renewAnon     bool
	swarm         bool
}

func (o *diffFlags) bind(cmd *cobra.Command) {
	f := cmd.Flags()
	f.BoolVar(&o.keepOrphans, "keep-orphans", false, "Keep containers of services that are no longer in the compose files")
	f.BoolVar(&o.removeOrphans, "remove-orphans", false, "Remove containers of services that are no longer in the compose files (the default; accepted as Docker Compose's up takes it)")
	f.BoolVar(&o.forceRecreate, "force-recreate", false, "Recreate every container even if its configuration is unchanged")
	f.BoolVar(&o.wait, "wait", true, "Wait until every service is running, healthy or completed")
	f.BoolVar(&o.showSensitive, "show-sensitive", false, "Show secret-looking values instead of masking them")
	f.BoolVar(&o.build, "build", false, "Build every image that has a build: section, even if it is present")
	f.BoolVar(&o.noBuild, "no-build", false, "Never build images; a missing image is pulled or an error")
	f.BoolVar(&o.noDeps, "no-deps", false, "With SERVICE arguments: leave their dependencies out (as docker compose up --no-deps)")
	f.BoolVarP(&o.renewAnon, "renew-anon-volumes", "V", false, "Recreate every container with new anonymous volumes instead of keeping those of the container it replaces")
	f.BoolVar(&o.swarm, "swarm", false, swarmUsage)
}

// loadForApply loads the project the way `docker compose up` does: env_file
// kept for apply.Prepare to merge, services named on the command line (with
// their dependencies) selected.
// With noDeps only the named services are selected; their dependencies are
// neither created nor waited for.
func (a *app) loadForApply(ctx context.Context, services []string, noDeps bool) (*load.Project, error) {
	lo := apply.LoadOptions(a.LoadOptions())
	lo.Services = services
	p, err := load.Load(ctx, lo)
	if err != nil || !noDeps || len(services) == 0 {
		return p, err
	}
	p.Project, err = p.Project.WithSelectedServices(services, types.IgnoreDependencies)
	return p, err
}

func (a *app) applyOptions(o diffFlags) (apply.Options, error) {
	opts := apply.Options{KeepOrphans: o.keepOrphans, ForceRecreate: o.forceRecreate, Wait: o.wait, Build: o.build, NoBuild: o.noBuild, RenewAnonVolumes: o.renewAnon, Now: time.Now()}
	if o.build && o.noBuild {
		return opts, cli.UsageError{Err: errors.New("--build and --no-build cannot be used together")}
	}
	if o.keepOrphans && o.removeOrphans {
		return opts, cli.UsageError{Err: errors.New("--keep-orphans and --remove-orphans cannot be used together")}
	}
	for _, f := range a.Project.EnvFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			return opts, err
		}
		opts.EnvFiles = append(opts.EnvFiles, abs)
	}
	return opts, nil
}

// projectName is -p when given, otherwise the name the compose files give.
func (a *app) projectName(ctx context.Context) (string, error) {
	if a.Project.Name != "" {
		return a.Project.Name, nil
	}
	lo := a.LoadOptions()
	lo.NoEnvResolution = true
	lo.Lenient = true
	p, err := load.Load(ctx, lo)
	if err != nil {
		return "", cli.InputError{Err: err}
	}
	return p.Name, nil
}

// observeProject connects to the engine and observes the project named by -p
// or the compose files: what down, ps and restart act on. The caller closes
// the engine.
func (a *app) observeProject(ctx context.Context) (*apply.Engine, *apply.Observed, error) {
	name, err := a.projectName(ctx)
	if err != nil {
		return nil, nil, err
	}
	d, err := a.engine(ctx)
	if err != nil {
		return nil, nil, err
	}
	obs, err := apply.Observe(ctx, d, name)
	if err != nil {
		d.Close()
		return nil, nil, err
	}
	return d, obs, nil
}

func (a *app) showPlan(w io.Writer, p *apply.Plan, o diffFlags, format string) error {
	if !o.showSensitive {
		p = p.Masked()
	}
	switch format {
	case "", "text":
		return apply.WriteHumanWith(w, p, apply.HumanOptions{Color: a.Getenv("NO_COLOR") == "" && a.Getenv("TERM") != "dumb" && cli.IsTerminal(w)})
	case "json":
		return apply.WriteJSON(w, p)
	}
	return cli.UsageError{Err: fmt.Errorf("unknown format %q: want text or json", format)}
}

type applyOptions struct {
	diffFlags
	lock        lockFlags
	yes         bool
	parallel    int
	waitTimeout time.Duration
	progress    string
	// withRegistryAuth sends registry credentials with Swarm services.
	withRegistryAuth bool
}

const applyHelp = `Make Docker match the compose files, or execute a saved plan.

Without an argument, apply computes the plan (as "berth plan" shows it),
prints it and executes it: images first (built from build: when missing,
with --build or pull_policy: build; pulled as pull_policy says), then
networks and volumes, then containers in dependency order, at most
--parallel at a time, each started only once the depends_on conditions of
its dependencies hold. A container whose image was rebuilt or pulled again
is recreated only if the image's ID changed. With --wait (the default) it
then waits until every service is running, healthy or completed.

With a plan file written by "berth plan -o", apply executes exactly that plan,
and refuses when Docker has changed since the plan was made.

Containers of services removed from the files are removed unless
--keep-orphans (--remove-orphans, which Docker Compose's up needs for this,
is accepted and changes nothing). Named volumes are never removed.

With --swarm the project is a stack on the swarm the engine manages: its
services, overlay networks, secrets and configs are planned and applied as
"docker stack deploy" would make them (with docker stack's labels), with
.env interpolation, depends_on as the order (each dependency's condition
waited for), and a wait until every task of every changed service runs
(healthy, with a healthcheck). Updates follow deploy.update_config; a
failed update is rolled back as rollback_config says, and apply exits 1
naming the service, the node and the task's error.

Exit status: 0 when Docker matches the files, 1 when apply failed, 2 when the
files could not be loaded.`

func (a *app) applyCommand() *cobra.Command {
	var o applyOptions
	cmd := &cobra.Command{
		Use:   "apply [flags] [PLAN_FILE | SERVICE...]",
		Short: "Converge Docker to the compose files",
		Long:  applyHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.swarm, err = a.swarmTarget(cmd, o.swarm); err != nil {
				return err
			}
			if o.withRegistryAuth && !o.swarm && len(args) == 0 {
				return cli.UsageError{Err: errors.New("--with-registry-auth applies to --swarm only: the container target pulls with the Docker config's credentials itself")}
			}
			return a.runApply(cmd, o, args)
		},
	}
	o.bind(cmd)
	f := cmd.Flags()
	f.IntVar(&o.parallel, "parallel", 4, "Maximum number of steps run at once")
	f.Var(newDurationValue(&o.waitTimeout, 0), "wait-timeout", "How long to wait for each dependency, each replacement and the final wait, in seconds or as a duration (60, 2m; 0: no limit)")
	bindProgress(cmd, &o.progress)
	o.lock.bind(cmd)
	f.BoolVar(&o.withRegistryAuth, "with-registry-auth", false, "With --swarm: send the Docker config's registry credentials with each service, so that every node can pull from a private registry (as docker stack deploy --with-registry-auth)")
	f.BoolVarP(&o.yes, "yes", "y", false, "Do not ask before removing or recreating containers (apply asks only on a terminal)")
	return cmd
}

func (a *app) runApply(cmd *cobra.Command, o applyOptions, args []string) error {
	ctx := cmd.Context()
	prog, mode, err := a.progressFor(o.progress)
	if err != nil {
		return err
	}
	defer prog.Close()
	d, err := a.engine(ctx)
	if err != nil {
		return err
	}
	defer d.Close()

	var plan *apply.Plan
	saved := len(args) == 1 && isPlanFile(args[0])
	if saved {
		var err error
		plan, err = apply.ReadFile(args[0])
		if err != nil {
			return cli.InputError{Err: err}
		}
		unlock, err := a.lockProject(ctx, cmd, d, plan.Project, o.lock)
		if err != nil {
			return err
		}
		defer unlock()
		var why string
		if plan.Target == apply.TargetSwarm {
			why, err = swarm.Refresh(ctx, d, plan)
		} else {
			var obs *apply.Observed
			if obs, err = apply.Observe(ctx, d, plan.Project, plan.Images...); err == nil {
				why = apply.Stale(plan, obs)
			}
		}
		if err != nil {
			return err
		}
		if why != "" {
			return fmt.Errorf("saved plan %s is stale: %s\nrun \"berth plan\" again", args[0], why)
		}
		if plan.Target == apply.TargetSwarm {
			return a.runSwarmApply(ctx, d, plan, o, prog, mode)
		}
	} else if o.swarm {
		if err := checkSwarmFlags(o.diffFlags, args); err != nil {
			return err
		}
		plan, err := a.swarmPlan(ctx, d, o.diffFlags)
		if err != nil {
			return err
		}
		unlock, err := a.lockProject(ctx, cmd, d, plan.Project, o.lock)
		if err != nil {
			return err
		}
		defer unlock()
		return a.runSwarmApply(ctx, d, plan, o, prog, mode)
	} else {
		p, err := a.loadForApply(ctx, args, o.noDeps)
		if err != nil {
			return cli.InputError{Err: err}
		}
		opts, err := a.applyOptions(o.diffFlags)
		if err != nil {
			return err
		}
		unlock, err := a.lockProject(ctx, cmd, d, p.Name, o.lock)
		if err != nil {
			return err
		}
		defer unlock()
		plan, err = apply.PlanFor(ctx, d, p.Project, opts)
		if err != nil {
			return err
		}
	}
	ask := mustConfirm(plan, saved, o.yes, stdinIsTerminal(a.In) && cli.IsTerminal(a.Out))
	if mode != progress.Quiet || ask {
		if err := a.showPlan(a.Out, plan, o.diffFlags, "text"); err != nil {
			return err
		}
	}
	if plan.Empty() && len(plan.Wait) == 0 {
		return nil
	}
	if ask {
		ok, err := confirm(a.In, a.Out, plan)
		if err != nil {
			return err
		}
		if !ok {
			return errors.New("apply cancelled: nothing was changed")
		}
	}
	if !plan.Empty() && mode != progress.Quiet {
		fmt.Fprintln(a.Out)
	}
	began := time.Now()
	var kept keptCounter // recreates skipped because a rebuilt image kept its ID
	var failures failureCounter
	err = apply.Execute(ctx, d, plan, apply.ExecOptions{
		Parallel:    o.parallel,
		WaitTimeout: o.waitTimeout,
		Progress:    failures.count(kept.count(prog.Event)),
	})
	prog.Close()
	if err != nil {
		if mode != progress.Quiet {
			fmt.Fprintf(a.Out, "Apply failed after %.1fs: %d failed.\n", time.Since(began).Seconds(), max(1, failures.n()))
		}
		return fmt.Errorf("apply failed: %w", err)
	}
	if mode == progress.Quiet {
		return nil
	}
	n := plan.Summary()
	fmt.Fprintf(a.Out, "Apply complete in %.1fs: %d created, %d recreated, %d started, %d removed.\n",
		time.Since(began).Seconds(), n.Create, n.Recreate-kept.n(), n.Start+n.Restart, n.Remove)
	return nil
}

// isPlanFile tells a saved plan from a service name: it ends in .json or
// names an existing file.
func isPlanFile(arg string) bool {
	if filepath.Ext(arg) == ".json" {
		return true
	}
	st, err := os.Stat(arg)
	return err == nil && st.Mode().IsRegular()
}
