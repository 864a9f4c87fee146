package main

import (
	"bytes"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform/graph"
)

const graphHelp = `Draw the project: services, their depends_on edges with the condition,
networks as groups, published ports and volumes.

Loads the files like "berth config" (same -f, -p, --project-directory,
--env-file and --profile flags); SERVICE arguments draw only those services
and what they depend on.

An arrow means "depends on" and is labelled with the condition
(service_started, service_healthy, service_completed_successfully), plus
"restart: true" and "required: false" when set; an optional dependency is
dashed. A service sits in the group of its primary network (the one Docker
Compose connects first: highest priority, then name) and a dotted line joins
it to each other network it is on. Named volumes are cylinders joined to the
services that mount them by the mount path; bind mounts, tmpfs and anonymous
volumes are listed in the service's box.

Output is Mermaid (paste it into a ` + "```mermaid" + ` block on GitHub) or, with
--format dot, Graphviz DOT (dot -Tsvg). The same files always give the same
bytes.

Exit status: 0 when the project loads, 2 when it does not.`

func (a *app) graphCommand() *cobra.Command {
	var format, output string
	cmd := &cobra.Command{
		Use:   "graph [flags] [SERVICE...]",
		Short: "Draw services, dependencies, networks, ports and volumes (Mermaid or DOT)",
		Long:  graphHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			f, err := graph.ParseFormat(format)
			if err != nil {
				return cli.UsageError{Err: err}
			}
			lo := a.LoadOptions()
			lo.Services = args
			// The graph shows no environment, so env_file is not read
			// (as for config --services).
			lo.NoEnvResolution = true
			p, err := load.Load(cmd.Context(), lo)
			if err != nil {
				return cli.InputError{Err: err}
			}
			var buf bytes.Buffer
			if err := graph.Render(&buf, graph.Build(p.Project), f); err != nil {
				return err
			}
			return a.WriteOutput(output, buf.Bytes())
		},
	}
	cmd.Flags().StringVar(&format, "format", "mermaid", "Output format: mermaid or dot")
	cmd.Flags().StringVarP(&output, "output", "o", "", "Write to this file instead of stdout")
	return cmd
}
