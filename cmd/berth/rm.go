package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/progress"
	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/load"
)

type rmOptions struct {
	force    bool
	stop     bool
	volumes  bool
	progress string
	lock     lockFlags
}

const rmHelp = `Remove the project's stopped service containers.

Only stopped containers are removed (the named services', or all), unless
--stop, which stops the running ones first, dependents before the services
they depend on. Anonymous volumes are kept
unless --volumes; named volumes and networks are never removed ("berth down"
removes networks). With the compose files at hand, containers of services no
longer in them (orphans) are left alone, as Docker Compose does; "berth
apply" removes those.

berth never asks for confirmation: --force is accepted and changes nothing.
So is -f, Docker Compose's "rm -f", when what follows it is not a compose
file (an existing file, a path, or a name ending in .yaml, .yml or .json);
otherwise -f is --file, as in every berth command ("berth -f x.yaml rm").`

func (a *app) rmCommand() *cobra.Command {
	var o rmOptions
	cmd := &cobra.Command{
		Use:   "rm [flags] [SERVICE...]",
		Short: "Remove the project's stopped containers",
		Long:  rmHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runRm(cmd, o, args)
		},
	}
	f := cmd.Flags()
	// -f stays the project's --file, as in every berth command; rmArgs
	// turns a -f that names no compose file into --force.
	f.BoolVar(&o.force, "force", false, "Accepted for Docker Compose's sake (also as -f when no compose file follows it): berth never asks for confirmation")
	f.BoolVarP(&o.stop, "stop", "s", false, "Stop running containers first and remove them too")
	f.BoolVarP(&o.volumes, "volumes", "v", false, "Also remove the containers' anonymous volumes")
	bindProgress(cmd, &o.progress)
	o.lock.bind(cmd)
	return cmd
}

func (a *app) runRm(cmd *cobra.Command, o rmOptions, services []string) error {
	r := dailyRun{progress: o.progress, lock: o.lock, done: "removed"}
	return a.runDaily(cmd, r, func(ctx context.Context, _ *apply.Engine, obs *apply.Observed, mode progress.Mode) (*apply.Plan, error) {
		opts := apply.RmOptions{Services: services, Stop: o.stop, Volumes: o.volumes}
		// The files, when they load and name this project, say which
		// services are the project's: a named service must be one of them.
		lo := a.LoadOptions()
		lo.NoEnvResolution = true
		lo.Lenient = true
		if p, err := load.Load(ctx, lo); err == nil && p.Name == obs.Project {
			// A service of a profile that is not enabled counts when named,
			// as naming it enables it in Docker Compose.
			opts.Known = p.Project.ServiceNames()
			for _, s := range services {
				if _, disabled := p.Project.DisabledServices[s]; disabled {
					opts.Known = append(opts.Known, s)
				} else if !slices.Contains(opts.Known, s) {
					return nil, cli.UsageError{Err: fmt.Errorf("no such service: %s", s)}
				}
			}
		}
		plan := apply.RmPlan(obs, opts)
		if plan.Empty() {
			fmt.Fprintln(a.Out, "No stopped containers")
			return nil, nil
		}
		if mode != progress.Quiet {
			var names []string
			for _, s := range plan.Steps {
				names = append(names, s.Name)
			}
			fmt.Fprintf(a.Out, "Going to remove %s\n", strings.Join(names, ", "))
		}
		return plan, nil
	})
}

// rmArgs rewrites the arguments of an rm command line so that Docker
// Compose's "rm -f" (force) works while -f stays berth's --file: a -f after
// "rm" that is not followed by a compose file becomes --force; "berth -f
// x.yaml rm" keeps its -f, which comes before the command. "logs -f"
// (follow) is read the same way. root is berth's command tree: its flags
// say which take a value.
func rmArgs(root *cobra.Command, args []string) []string {
	at := cli.CommandAt(root.PersistentFlags(), args)
	if at < 0 {
		return args
	}
	long, ok := shortF[args[at]]
	if !ok {
		return args
	}
	rm, _, err := root.Find([]string{args[at]})
	if err != nil {
		return args
	}
	takesValue := func(arg string) bool {
		return cli.TakesValue(rm.Flags(), arg) || cli.TakesValue(root.PersistentFlags(), arg)
	}
	out := slices.Clone(args)
	for i := at + 1; i < len(out); i++ {
		switch {
		case out[i] == "--":
			return out
		case out[i] == "-f":
			if i+1 < len(out) && composeFileArg(out[i+1]) {
				i++
				continue
			}
			out[i] = long
		case takesValue(out[i]):
			i++ // skip the value
		}
	}
	return out
}

// shortF is what -f means after the commands where Docker Compose gives it
// a meaning of its own.
var shortF = map[string]string{"rm": "--force", "logs": "--follow"}

// composeFileArg reports whether arg, following -f, is a compose file
// rather than a service name: "-" (stdin), a path, a YAML or JSON file
// name, or an existing file.
func composeFileArg(arg string) bool {
	if arg == "-" || strings.ContainsRune(arg, '/') || strings.ContainsRune(arg, os.PathSeparator) {
		return true
	}
	switch strings.ToLower(filepath.Ext(arg)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	if strings.HasPrefix(arg, "-") {
		return false
	}
	st, err := os.Stat(arg)
	return err == nil && st.Mode().IsRegular()
}
