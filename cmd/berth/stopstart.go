package main

import (
	"context"
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
	done := map[bool]string{true: "stopped", false: "started"}[stop]
	r := dailyRun{progress: o.progress, lock: o.lock, waitTimeout: o.waitTimeout, done: done}
	return a.runDaily(cmd, r, func(_ context.Context, _ *apply.Engine, obs *apply.Observed, _ progress.Mode) (*apply.Plan, error) {
		opts := apply.StopStartOptions{Services: services, Timeout: timeoutSeconds(cmd, o.timeout)}
		plan, err := apply.StartPlan(obs, opts)
		if stop {
			plan, err = apply.StopPlan(obs, opts)
		}
		if err != nil {
			return nil, cli.UsageError{Err: err}
		}
		return plan, nil
	})
}
