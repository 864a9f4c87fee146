package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/progress"
	"github.com/berth-compose/berth/apply/swarm"
	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/rules"
	"github.com/berth-compose/berth/load"
)

const swarmUsage = "Deploy to Docker Swarm: the project is a stack of services on the swarm the engine manages"

// checkSwarmFlags refuses the container target's flags that mean nothing
// for Swarm services.
func checkSwarmFlags(o diffFlags, args []string) error {
	for flag, set := range map[string]bool{
		"--keep-orphans": o.keepOrphans, "--force-recreate": o.forceRecreate, "--build": o.build,
		"--no-deps": o.noDeps, "--renew-anon-volumes": o.renewAnon,
	} {
		if set {
			return cli.UsageError{Err: fmt.Errorf("%s does not apply to --swarm (or target: swarm in .berth.yaml)", flag)}
		}
	}
	if len(args) > 0 {
		return cli.UsageError{Err: errors.New("--swarm (or target: swarm in .berth.yaml) deploys the whole stack: SERVICE arguments are not supported")}
	}
	return nil
}

// swarmPlan loads the project with its environment resolved and plans it
// as a stack. What the files ask and Swarm cannot do is an input error.
func (a *app) swarmPlan(ctx context.Context, d *apply.Engine, o diffFlags) (*apply.Plan, error) {
	p, err := load.Load(ctx, swarm.LoadOptions(a.LoadOptions()))
	if err != nil {
		return nil, cli.InputError{Err: err}
	}
	plan, err := swarm.PlanFor(ctx, d, p, swarm.Options{Wait: o.wait})
	var le *load.Error
	var les load.Errors
	if errors.As(err, &le) || errors.As(err, &les) {
		return nil, cli.InputError{Err: err}
	}
	return plan, err
}

// runSwarmApply executes a Swarm plan, printed first unless quiet.
func (a *app) runSwarmApply(ctx context.Context, d *apply.Engine, plan *apply.Plan, o applyOptions, prog progress.Renderer, mode progress.Mode) error {
	if mode != progress.Quiet {
		if err := a.showPlan(a.Out, plan, o.diffFlags, "text"); err != nil {
			return err
		}
	}
	if plan.Empty() && len(plan.Wait) == 0 {
		return nil
	}
	if !plan.Empty() && mode != progress.Quiet {
		fmt.Fprintln(a.Out)
	}
	began := time.Now()
	err := swarm.Execute(ctx, d, plan, swarm.ExecOptions{WaitTimeout: o.waitTimeout, Progress: prog.Event, WithRegistryAuth: o.withRegistryAuth})
	prog.Close()
	if err != nil {
		return fmt.Errorf("apply failed: %w", err)
	}
	if mode != progress.Quiet {
		n := plan.Summary()
		fmt.Fprintf(a.Out, "Apply complete in %.1fs: %d created, %d updated, %d removed.\n", time.Since(began).Seconds(), n.Create, n.Update, n.Remove)
	}
	return nil
}

func (a *app) runSwarmDown(ctx context.Context, o downOptions) error {
	if o.rmi != "" {
		return cli.UsageError{Err: errors.New("--rmi does not apply to --swarm: images stay on every node")}
	}
	prog, mode, err := a.progressFor(o.progress)
	if err != nil {
		return err
	}
	defer prog.Close()
	name, err := a.projectName(ctx)
	if err != nil {
		return err
	}
	d, err := a.engine(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	obs, err := swarm.Observe(ctx, d, name)
	if err != nil {
		return err
	}
	plan := swarm.DownPlan(obs)
	began := time.Now()
	err = swarm.Execute(ctx, d, plan, swarm.ExecOptions{Progress: prog.Event})
	prog.Close()
	if err != nil {
		return fmt.Errorf("down failed: %w", err)
	}
	removed := plan.Summary().Remove
	if o.volumes {
		n, err := swarm.RemoveVolumes(ctx, d, name)
		if err != nil {
			return fmt.Errorf("down failed: %w", err)
		}
		removed += n
	}
	if mode != progress.Quiet {
		fmt.Fprintf(a.Out, "Down complete in %.1fs: %d removed.\n", time.Since(began).Seconds(), removed)
	}
	return nil
}

func (a *app) runSwarmPs(ctx context.Context, format string) error {
	name, err := a.projectName(ctx)
	if err != nil {
		return err
	}
	d, err := a.engine(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	tasks, err := swarm.Tasks(ctx, d, name)
	if err != nil {
		return err
	}
	if tasks == nil {
		tasks = []swarm.Task{}
	}
	if format == "json" {
		b, err := json.MarshalIndent(map[string]any{"format_version": 1, "project": name, "target": apply.TargetSwarm, "tasks": tasks}, "", "  ")
		if err != nil {
			return err
		}
		_, err = a.Out.Write(append(b, '\n'))
		return err
	}
	tw := tabwriter.NewWriter(a.Out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSERVICE\tNODE\tDESIRED\tSTATE\tERROR")
	for _, t := range tasks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.Name, t.Service, t.Node, t.Desired, t.State, t.Error)
	}
	return tw.Flush()
}

// swarmTarget decides --swarm: the flag when it is given, else the
// target: of the .berth.yaml that governs the project's directory (found
// upward to the repository root, as lint finds it), else containers.
func (a *app) swarmTarget(cmd *cobra.Command, flag bool) (bool, error) {
	if cmd.Flags().Changed("swarm") {
		return flag, nil
	}
	lo := a.LoadOptions()
	dir := lo.ProjectDir
	if dir == "" && len(lo.Files) > 0 && lo.Files[0] != "-" {
		dir = filepath.Dir(lo.Files[0])
	}
	if dir == "" {
		dir = "."
	}
	path, err := lint.FindConfig(dir)
	if err != nil {
		return false, cli.InputError{Err: err}
	}
	if path == "" {
		return false, nil
	}
	fc, err := lint.ReadConfig(path, rules.All())
	if err != nil {
		return false, cli.InputError{Err: err}
	}
	return fc.Target == "swarm", nil
}
