package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/internal/cli"
)

// psContainer is one row of `berth ps --format json`.
type psContainer struct {
	Name     string   `json:"name"`
	Service  string   `json:"service"`
	Number   int      `json:"number"`
	ID       string   `json:"id"`
	Image    string   `json:"image"`
	State    string   `json:"state"`
	Health   string   `json:"health"`
	ExitCode int      `json:"exit_code"`
	Status   string   `json:"status"`
	Ports    []string `json:"ports"`
}

func (a *app) psCommand() *cobra.Command {
	var format string
	var onSwarm bool
	cmd := &cobra.Command{
		Use:   "ps [flags]",
		Short: "List the project's containers",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return cli.UsageError{Err: fmt.Errorf("unknown format %q: want table or json", format)}
			}
			ctx := cmd.Context()
			if onSwarm {
				return a.runSwarmPs(ctx, format)
			}
			d, obs, err := a.observeProject(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			rows := []psContainer{}
			for _, c := range obs.Containers {
				if c.OneOff {
					continue
				}
				rows = append(rows, psContainer{Name: c.Name, Service: c.Service, Number: c.Number, ID: c.ID, Image: c.Image,
					State: c.State, Health: c.Health, ExitCode: c.ExitCode, Status: c.Status, Ports: ports(c)})
			}
			if format == "json" {
				b, err := json.MarshalIndent(map[string]any{"format_version": 1, "project": obs.Project, "containers": rows}, "", "  ")
				if err != nil {
					return err
				}
				_, err = a.Out.Write(append(b, '\n'))
				return err
			}
			tw := tabwriter.NewWriter(a.Out, 0, 4, 3, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSERVICE\tSTATE\tHEALTH\tPORTS")
			for _, r := range rows {
				state := r.State
				if state == "exited" {
					state = fmt.Sprintf("exited (%d)", r.ExitCode)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Name, r.Service, state, r.Health, strings.Join(r.Ports, ", "))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "Output format: table or json")
	cmd.Flags().BoolVar(&onSwarm, "swarm", false, "List the tasks of the project's Swarm stack")
	return cmd
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
