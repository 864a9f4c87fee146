package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/progress"
)

type downOptions struct {
	volumes       bool
	removeOrphans bool
	progress      string
	lock          lockFlags
	rmi           string
	swarm         bool
}

const downHelp = `Stop and remove the project's containers and networks.

The project's resources are found by Docker Compose's labels, so down also
removes what "docker compose up" created, and works without the compose
files when -p names the project. Named volumes are kept unless --volumes.

--rmi local also removes the images built for the project's services
(named <project>-<service>), --rmi all every image its services use. An image
still used by a container of another project is reported and kept.

Every container with the project's label goes, those of services no longer
in the files (orphans) included: --remove-orphans, which Docker Compose's
down needs for them, is accepted and changes nothing.

With --swarm, down removes the stack of that name, whether berth or
"docker stack deploy" made it.`

func (a *app) downCommand() *cobra.Command {
	var o downOptions
	cmd := &cobra.Command{
		Use:   "down [flags]",
		Short: "Remove the project's containers and networks",
		Long:  downHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			var err error
			if o.swarm, err = a.swarmTarget(cmd, o.swarm); err != nil {
				return err
			}
			if o.swarm {
				return a.runSwarmDown(ctx, o)
			}
			if err := checkRmi(o.rmi); err != nil {
				return err
			}
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
			images, err := a.downImages(ctx, o.rmi, obs)
			if err != nil {
				return err
			}
			plan := apply.DownPlan(obs, apply.DownOptions{Volumes: o.volumes, Images: images})
			began := time.Now()
			err = apply.Execute(ctx, d, plan, apply.ExecOptions{Progress: prog.Event})
			prog.Close()
			if err != nil {
				return fmt.Errorf("down failed: %w", err)
			}
			_, _, _, removed := plan.Counts()
			if mode != progress.Quiet {
				fmt.Fprintf(a.Out, "Down complete in %.1fs: %d removed.\n", time.Since(began).Seconds(), removed)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&o.volumes, "volumes", "v", false, "Also remove the project's named volumes")
	f.BoolVar(&o.removeOrphans, "remove-orphans", false, "Accepted for Docker Compose's sake: down always removes orphan containers")
	bindProgress(cmd, &o.progress)
	o.lock.bind(cmd)
	f.StringVar(&o.rmi, "rmi", "", "Also remove images: local (built for the project) or all")
	f.BoolVar(&o.swarm, "swarm", false, "Remove the project's Swarm stack: services, then its networks, secrets and configs (with -v, its volumes on this node)")
	return cmd
}
