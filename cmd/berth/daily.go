package main

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/apply/progress"
)

// dailyRun is what stop, start, restart, rm and down share: they act on
// what runs (not on the files), under the project's lock, with progress.
type dailyRun struct {
	progress    string
	lock        lockFlags
	waitTimeout time.Duration
	// done names what the summary counts ("stopped", "removed").
	done string
	// count is what the summary counts; nil counts the plan's steps.
	count func(*apply.Plan) int
}

// planFunc makes a daily command's plan from what runs; a nil plan means
// there is nothing to do (the func has said so).
type planFunc func(ctx context.Context, d *apply.Engine, obs *apply.Observed, mode progress.Mode) (*apply.Plan, error)

// runDaily locks the project, observes it, executes the plan made from it
// and prints "<Command> complete in <s>: <n> <done>." unless quiet.
func (a *app) runDaily(cmd *cobra.Command, r dailyRun, plan planFunc) error {
	ctx := cmd.Context()
	prog, mode, err := a.progressFor(r.progress)
	if err != nil {
		return err
	}
	defer prog.Close()
	d, obs, unlock, err := a.observeLocked(ctx, cmd, r.lock)
	if err != nil {
		return err
	}
	defer d.Close()
	defer unlock()
	p, err := plan(ctx, d, obs, mode)
	if err != nil || p == nil {
		return err
	}
	began := time.Now()
	err = apply.Execute(ctx, d, p, apply.ExecOptions{Progress: prog.Event, WaitTimeout: r.waitTimeout})
	prog.Close()
	if err != nil {
		return fmt.Errorf("%s failed: %w", cmd.Name(), err)
	}
	if mode != progress.Quiet {
		n := len(p.Steps)
		if r.count != nil {
			n = r.count(p)
		}
		name := cmd.Name()
		fmt.Fprintf(a.Out, "%s%s complete in %.1fs: %d %s.\n", strings.ToUpper(name[:1]), name[1:], time.Since(began).Seconds(), n, r.done)
	}
	return nil
}

// timeoutSeconds is a --timeout flag as the Engine API takes it: whole
// seconds, rounded up, or nil when the flag is not given (each container's
// own stop_grace_period then).
func timeoutSeconds(cmd *cobra.Command, timeout time.Duration) *int {
	if !cmd.Flags().Changed("timeout") {
		return nil
	}
	secs := int(math.Ceil(timeout.Seconds()))
	return &secs
}
