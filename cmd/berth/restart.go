package main

import (
	"context"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/progress"
	"github.com/berth-compose/berth/internal/cli"
)

type restartOptions struct {
	timeout  time.Duration
	noDeps   bool
	progress string
	lock     lockFlags
}

const restartHelp = `Restart the project's containers.

Each container is stopped (killed after --timeout seconds) and started
again, dependencies before the services that depend on them. Naming services
restarts those, and with them every service that declares depends_on with
restart: true on one of them (unless --no-deps), as Docker Compose does.

The containers are found by Docker Compose's labels: restart works on what
"docker compose up" created, and without the compose files when -p names the
project. It does not apply changes made to the files; that is "berth apply".`

func (a *app) restartCommand() *cobra.Command {
	var o restartOptions
	cmd := &cobra.Command{
		Use:   "restart [flags] [SERVICE...]",
		Short: "Restart the project's containers",
		Long:  restartHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRestart(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.VarP(newDurationValue(&o.timeout, 0), "timeout", "t", "How long to wait for a container to stop before killing it, in seconds or as a duration (default: its stop_grace_period, else 10s)")
	f.BoolVar(&o.noDeps, "no-deps", false, "Do not also restart the services that depend on the named ones with restart: true")
	bindProgress(cmd, &o.progress)
	o.lock.bind(cmd)
	return cmd
}

func (a *app) runRestart(cmd *cobra.Command, o restartOptions, services []string) error {
	r := dailyRun{progress: o.progress, lock: o.lock, done: "restarted"}
	return a.runDaily(cmd, r, func(_ context.Context, _ *apply.Engine, obs *apply.Observed, _ progress.Mode) (*apply.Plan, error) {
		plan, err := apply.RestartPlan(obs, apply.RestartOptions{Services: services, NoDeps: o.noDeps, Timeout: timeoutSeconds(cmd, o.timeout)})
		if err != nil {
			return nil, cli.UsageError{Err: err}
		}
		return plan, nil
	})
}
