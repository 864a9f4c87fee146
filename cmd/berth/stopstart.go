package main

import (
	"fmt"
	"math"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/progress"
	"github.com/berth-compose/berth/internal/cli"
)

type stopStartOptions struct {
	timeout     time.Duration
	waitTimeout time.Duration
	progress    string
	lock        lockFlags
}

const stopHelp = `Stop the project's running containers without removing them.

Services that depend on others are stopped before those. Each container is
sent its stop signal and killed after --timeout (default: its
stop_grace_period, else 10s). "berth start" starts them again; "berth apply"
does too, as it starts every container that should run.

The containers are found by Docker Compose's labels: stop works on what
"docker compose up" created, and without the compose files when -p names
the project.`

const startHelp = `Start the project's stopped containers.

Dependencies are started first, and each service once the depends_on
conditions recorded on its containers hold (healthy, completed), as Docker
Compose's start does. Containers are not created or changed: that is
"berth apply".`

func (a *app) stopCommand() *cobra.Command {
	var o stopStartOptions
	cmd := &cobra.Command{
		Use:   "stop [flags] [SERVICE...]",
		Short: "Stop the project's containers",
		Long:  stopHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runStopStart(cmd, o, args, true)
		},
	}
	cmd.Flags().VarP(newDurationValue(&o.timeout, 0), "timeout", "t", "How long to wait for a container to stop before killing it, in seconds or as a duration (default: its stop_grace_period, else 10s)")
	bindProgress(cmd, &o.progress)
	o.lock.bind(cmd)
	return cmd
}

func (a *app) startCommand() *cobra.Command {
	var o stopStartOptions
	cmd := &cobra.Command{
		Use:   "start [flags] [SERVICE...]",
		Short: "Start the project's stopped containers",
		Long:  startHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runStopStart(cmd, o, args, false)
		},
	}
	cmd.Flags().Var(newDurationValue(&o.waitTimeout, 0), "wait-timeout", "How long to wait for each dependency's condition, in seconds or as a duration (0: no limit)")
	bindProgress(cmd, &o.progress)
	o.lock.bind(cmd)
	return cmd
}

func (a *app) runStopStart(cmd *cobra.Command, o stopStartOptions, services []string, stop bool) error {
	ctx := cmd.Context()
	prog, mode, err := a.progressFor(o.progress)
	if err != nil {
		return err
	}
	defer prog.Close()
	d, obs, unlock, err := a.observeLocked(ctx, cmd, o.lock)
	if err != nil {
		return err
	}
	defer d.Close()
	defer unlock()
	opts := apply.StopStartOptions{Services: services}
	if cmd.Flags().Changed("timeout") {
		secs := int(math.Ceil(o.timeout.Seconds()))
		opts.Timeout = &secs
	}
	plan, verb := (*apply.Plan)(nil), "Start"
	if stop {
		plan, err = apply.StopPlan(obs, opts)
		verb = "Stop"
	} else {
		plan, err = apply.StartPlan(obs, opts)
	}
	if err != nil {
		return cli.UsageError{Err: err}
	}
	began := time.Now()
	err = apply.Execute(ctx, d, plan, apply.ExecOptions{Progress: prog.Event, WaitTimeout: o.waitTimeout})
	prog.Close()
	if err != nil {
		return fmt.Errorf("%s failed: %w", cmd.Name(), err)
	}
	if mode != progress.Quiet {
		past := map[bool]string{true: "stopped", false: "started"}[stop]
		fmt.Fprintf(a.Out, "%s complete in %.1fs: %d %s.\n", verb, time.Since(began).Seconds(), len(plan.Steps), past)
	}
	return nil
}
