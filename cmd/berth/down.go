package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
)

type downOptions struct {
	volumes  bool
	progress string
}

const downHelp = `Stop and remove the project's containers and networks.

The project's resources are found by Docker Compose's labels, so down also
removes what "docker compose up" created, and works without the compose
files when -p names the project. Named volumes are kept unless --volumes.`

func (a *app) downCommand() *cobra.Command {
	var o downOptions
	cmd := &cobra.Command{
		Use:   "down [flags]",
		Short: "Remove the project's containers and networks",
		Long:  downHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			name, err := a.projectName(ctx)
			if err != nil {
				return err
			}
			d, err := apply.NewClient()
			if err != nil {
				return err
			}
			defer d.Close()
			obs, err := apply.Observe(ctx, d, name)
			if err != nil {
				return err
			}
			plan := apply.DownPlan(obs, apply.DownOptions{Volumes: o.volumes})
			began := time.Now()
			if err := apply.Execute(ctx, d, plan, apply.ExecOptions{Progress: a.progressPrinter(o.progress)}); err != nil {
				return fmt.Errorf("down failed: %w", err)
			}
			_, _, _, removed := plan.Counts()
			if o.progress != "quiet" {
				fmt.Fprintf(a.out, "Down complete in %.1fs: %d removed.\n", time.Since(began).Seconds(), removed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.volumes, "volumes", "v", false, "Also remove the project's named volumes")
	f.StringVar(&o.progress, "progress", "plain", "Progress output: plain, json or quiet")
	return cmd
}
