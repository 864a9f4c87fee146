package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/internal/cli"
)

type planOptions struct {
	diffFlags
	format           string
	output           string
	detailedExitcode bool
}

const planHelp = `Show what "berth apply" would change in Docker, and why.

Each step is a create (+), recreate (~), start or restart (>), stop (|) or
remove (-) of a network, volume or container, a container's disconnect (|)
from or connect (>) to a network being recreated, or the build or pull (+)
of an image, with its reasons: every field that changed, as a compose path
(services.web.ports[1]) added (+), removed (-) or changed (~) with its old
and new value, read back from the engine; a changed image, a missing
resource, an orphan, a recreated dependency or network. The last line counts
the steps by kind. Secret-looking values are masked unless --show-sensitive.
Colour on a terminal, none with NO_COLOR.

-o writes the plan with a fingerprint of the observed state, for
"berth apply PLAN_FILE". The file holds the full container configuration,
secrets included, and is written readable by its owner only.

With --swarm the plan is for the project as a Swarm stack: a create (+),
update (~, with the fields old → new) or remove (-) per service, overlay
network, secret and config, and a warning, with its position, for every key
of the files Swarm ignores.

Exit status: 0 success; with --detailed-exitcode 0 no changes, 2 changes
pending, 1 error.`

// planFor makes the plan of the container target, or with --swarm the
// Swarm target's.
func (a *app) planFor(ctx context.Context, o planOptions, args []string) (*apply.Plan, error) {
	if o.swarm {
		if err := checkSwarmFlags(o.diffFlags, args); err != nil {
			return nil, err
		}
		d, err := a.engine(ctx)
		if err != nil {
			return nil, err
		}
		defer d.Close()
		return a.swarmPlan(ctx, d, o.diffFlags)
	}
	p, err := a.loadForApply(ctx, args, o.noDeps)
	if err != nil {
		return nil, cli.InputError{Err: err}
	}
	opts, err := a.applyOptions(o.diffFlags)
	if err != nil {
		return nil, err
	}
	d, err := a.engine(ctx)
	if err != nil {
		return nil, err
	}
	defer d.Close()
	return apply.PlanFor(ctx, d, p.Project, opts)
}

// errChangesPending is how plan --detailed-exitcode exits with 2.
var errChangesPending = errors.New("plan has changes (--detailed-exitcode)")

func (a *app) planCommand() *cobra.Command {
	var o planOptions
	cmd := &cobra.Command{
		Use:   "plan [flags] [SERVICE...]",
		Short: "Show what apply would change",
		Long:  planHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.swarm, err = a.swarmTarget(cmd, o.swarm); err == nil {
				err = a.runPlan(cmd, o, args)
			}
			if o.detailedExitcode && err != nil && !errors.Is(err, errChangesPending) {
				// 2 means "changes" here: every failure is 1.
				var ie cli.InputError
				if errors.As(err, &ie) {
					return ie.Err
				}
			}
			return err
		},
	}
	o.bind(cmd)
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "Output format: text or json")
	f.StringVarP(&o.output, "out", "o", "", "Save the plan (with secrets) to this file, for berth apply")
	f.BoolVar(&o.detailedExitcode, "detailed-exitcode", false, "Exit 0 without changes, 2 with changes, 1 on error")
	return cmd
}

func (a *app) runPlan(cmd *cobra.Command, o planOptions, args []string) error {
	ctx := cmd.Context()
	if o.format != "text" && o.format != "json" {
		return cli.UsageError{Err: fmt.Errorf("unknown format %q: want text or json", o.format)}
	}
	plan, err := a.planFor(ctx, o, args)
	if err != nil {
		return err
	}
	if o.output != "" {
		var buf bytes.Buffer
		if err := apply.WriteJSON(&buf, plan); err != nil {
			return err
		}
		if err := os.WriteFile(o.output, buf.Bytes(), 0o600); err != nil {
			return fmt.Errorf("writing plan: %w", err)
		}
	}
	if err := a.showPlan(a.Out, plan, o.diffFlags, o.format); err != nil {
		return err
	}
	if o.output != "" && o.format == "text" {
		fmt.Fprintf(a.Out, "\nSaved the plan to %s. Apply exactly this plan with:\n  berth apply %s\n", o.output, o.output)
	}
	if o.detailedExitcode && !plan.Empty() {
		return cli.InputError{Err: errChangesPending}
	}
	return nil
}
