package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/progress"
	"github.com/berth-compose/berth/internal/cli"
)

type buildOptions struct {
	noCache  bool
	pull     bool
	quiet    bool
	withDeps bool
	args     []string
	parallel int
	progress string
}

const buildHelp = `Build the images of the services that have a build: section.

Every such service is built (the named ones, or all), whether its image is
present or not, as "berth apply --build" would build it: tagged with its
image: name (or <project>-<service>), labelled with the project and service,
with the engine's classic builder. Named services without build: are
skipped, as Docker Compose does. The containers are left as they are; "berth
apply" then recreates those whose image changed.

Exit status: 0 when every image was built, 1 when a build failed (with the
builder's message), 2 when the files could not be loaded.`

func (a *app) buildCommand() *cobra.Command {
	var o buildOptions
	cmd := &cobra.Command{
		Use:   "build [flags] [SERVICE...]",
		Short: "Build the services' images",
		Long:  buildHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runBuild(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.noCache, "no-cache", false, "Do not use the builder's cache")
	f.BoolVar(&o.pull, "pull", false, "Always pull newer versions of the base images")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Print nothing but errors (as --progress quiet)")
	f.BoolVar(&o.withDeps, "with-dependencies", false, "With SERVICE arguments: also build the services they depend on")
	f.StringArrayVar(&o.args, "build-arg", nil, "Set a build arg for every service: KEY=VALUE, or KEY to take its value from the environment")
	f.IntVar(&o.parallel, "parallel", 4, "Maximum number of images built at once")
	bindProgress(cmd, &o.progress)
	return cmd
}

func (a *app) runBuild(cmd *cobra.Command, o buildOptions, services []string) error {
	ctx := cmd.Context()
	if o.quiet {
		o.progress = string(progress.Quiet)
	}
	prog, mode, err := a.progressFor(o.progress)
	if err != nil {
		return err
	}
	defer prog.Close()
	p, err := a.loadForApply(ctx, services, !o.withDeps)
	if err != nil {
		return cli.InputError{Err: err}
	}
	plan, err := apply.BuildPlan(p.Project, apply.BuildOptions{NoCache: o.noCache, Pull: o.pull, Args: buildArgs(o.args, p.Project.Environment)})
	if err != nil {
		return cli.InputError{Err: err}
	}
	if plan.Empty() {
		if mode != progress.Quiet {
			fmt.Fprintln(a.Out, "No service to build: none of them has a build: section.")
		}
		return nil
	}
	d, err := a.engine(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	began := time.Now()
	err = apply.Execute(ctx, d, plan, apply.ExecOptions{Parallel: o.parallel, Progress: prog.Event})
	prog.Close()
	if err != nil {
		return fmt.Errorf("build failed: %w", err)
	}
	if mode != progress.Quiet {
		fmt.Fprintf(a.Out, "Build complete in %.1fs: %d built.\n", time.Since(began).Seconds(), len(plan.Steps))
	}
	return nil
}

// buildArgs reads --build-arg: KEY=VALUE, or KEY alone for the value the
// project's environment gives (left out when it has none), as Docker
// Compose does.
func buildArgs(flags []string, env types.Mapping) map[string]string {
	if len(flags) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, f := range flags {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			if v, ok = env[k]; !ok {
				continue
			}
		}
		out[k] = v
	}
	return out
}
