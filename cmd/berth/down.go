package main

import (
	"context"

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
			r := dailyRun{progress: o.progress, lock: o.lock, done: "removed", count: func(p *apply.Plan) int { return p.Summary().Remove }}
			return a.runDaily(cmd, r, func(ctx context.Context, _ *apply.Engine, obs *apply.Observed, _ progress.Mode) (*apply.Plan, error) {
				images, err := a.downImages(ctx, o.rmi, obs)
				if err != nil {
					return nil, err
				}
				return apply.DownPlan(obs, apply.DownOptions{Volumes: o.volumes, Images: images}), nil
			})
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
