package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/internal/cli"
)

// psContainer is one row of `berth ps --format json`.
type psContainer struct {
	Name     string    `json:"name"`
	Service  string    `json:"service"`
	Number   int       `json:"number"`
	ID       string    `json:"id"`
	Image    string    `json:"image"`
	Created  time.Time `json:"created"`
	State    string    `json:"state"`
	Health   string    `json:"health"`
	ExitCode int       `json:"exit_code"`
	Status   string    `json:"status"`
	Ports    []string  `json:"ports"`
}

type psOptions struct {
	format   string
	all      bool
	quiet    bool
	services bool
	status   []string
	swarm    bool // the tasks of the Swarm stack instead
}

// psStates are the values --status takes: Docker's container states.
var psStates = []string{"paused", "restarting", "removing", "running", "dead", "created", "exited"}

const psHelp = `List the project's containers.

As Docker Compose's ps: the running containers, or all of them with -a;
NAME, IMAGE, SERVICE, CREATED, STATUS (with the health) and PORTS. -q prints
only IDs, --services only the service names; --status keeps the containers
in the given states (repeatable, implies -a for those states).`

func (a *app) psCommand() *cobra.Command {
	var o psOptions
	cmd := &cobra.Command{
		Use:   "ps [flags] [SERVICE...]",
		Short: "List the project's containers",
		Long:  psHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.format != "table" && o.format != "json" {
				return cli.UsageError{Err: fmt.Errorf("unknown format %q: want table or json", o.format)}
			}
			for _, s := range o.status {
				if !slices.Contains(psStates, s) {
					return cli.UsageError{Err: fmt.Errorf("unknown --status %q: want one of %s", s, strings.Join(psStates, ", "))}
				}
			}
			ctx := cmd.Context()
			var err error
			if o.swarm, err = a.swarmTarget(cmd, o.swarm); err != nil {
				return err
			}
			if o.swarm {
				return a.runSwarmPs(ctx, o.format)
			}
			d, obs, err := a.observeProject(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			rows := []psContainer{}
			for _, c := range obs.Containers {
				switch {
				case c.OneOff:
					continue
				case len(args) > 0 && !slices.Contains(args, c.Service):
					continue
				case len(o.status) > 0 && !slices.Contains(o.status, c.State):
					continue
				case len(o.status) == 0 && !o.all && c.State != "running" && c.State != "restarting" && c.State != "paused":
					continue
				}
				rows = append(rows, psContainer{Name: c.Name, Service: c.Service, Number: c.Number, ID: c.ID, Image: c.Image, Created: c.Created,
					State: c.State, Health: c.Health, ExitCode: c.ExitCode, Status: c.Status, Ports: ports(c)})
			}
			return a.writePs(obs.Project, rows, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "table", "Output format: table or json")
	f.BoolVarP(&o.all, "all", "a", false, "Show all containers, stopped ones included")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only show container IDs")
	f.BoolVar(&o.services, "services", false, "Only show the services' names")
	f.StringArrayVar(&o.status, "status", nil, "Only show containers in this state: "+strings.Join(psStates, ", "))
	f.BoolVar(&o.swarm, "swarm", false, "List the tasks of the project's Swarm stack")
	return cmd
}

func (a *app) writePs(project string, rows []psContainer, o psOptions) error {
	switch {
	case o.quiet:
		for _, r := range rows {
			fmt.Fprintln(a.Out, r.ID)
		}
		return nil
	case o.services:
		var names []string
		for _, r := range rows {
			names = append(names, r.Service)
		}
		slices.Sort(names)
		for _, n := range slices.Compact(names) {
			fmt.Fprintln(a.Out, n)
		}
		return nil
	case o.format == "json":
		b, err := json.MarshalIndent(map[string]any{"format_version": 1, "project": project, "containers": rows}, "", "  ")
		if err != nil {
			return err
		}
		_, err = a.Out.Write(append(b, '\n'))
		return err
	}
	tw := tabwriter.NewWriter(a.Out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "NAME\tIMAGE\tSERVICE\tCREATED\tSTATUS\tPORTS")
	for _, r := range rows {
		created := units.HumanDuration(time.Since(r.Created)) + " ago"
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.Image, r.Service, created, r.Status, strings.Join(r.Ports, ", "))
	}
	return tw.Flush()
}

// ports renders published ports the way docker ps does: 127.0.0.1:8080->80/tcp.
func ports(c apply.Container) []string {
	var out []string
	for _, p := range c.Ports {
		if p.PublicPort == 0 {
			out = append(out, fmt.Sprintf("%d/%s", p.PrivatePort, p.Type))
			continue
		}
		out = append(out, fmt.Sprintf("%s:%d->%d/%s", p.IP, p.PublicPort, p.PrivatePort, p.Type))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
