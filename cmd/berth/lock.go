package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply"
)

// defaultLockTimeout is how long a command waits for another holding the
// project's lock: long enough for an apply of a few services to finish.
const defaultLockTimeout = 5 * time.Minute

// lockFlags is --lock-timeout, on every command that changes a project.
type lockFlags struct{ timeout time.Duration }

func (l *lockFlags) bind(cmd *cobra.Command) {
	cmd.Flags().Var(newDurationValue(&l.timeout, defaultLockTimeout), "lock-timeout",
		"How long to wait for another berth that holds the project's lock, in seconds or as a duration (30, 2m); 0 fails at once")
}

// lockProject takes the project's lock for cmd, saying so while it waits,
// and returns the function that releases it.
func (a *app) lockProject(ctx context.Context, cmd *cobra.Command, d apply.Docker, project string, l lockFlags) (func(), error) {
	lock, err := apply.AcquireLock(ctx, d, project, apply.LockOptions{
		Command: cmd.CommandPath(),
		Timeout: l.timeout,
		Waiting: func(h apply.LockHolder) {
			fmt.Fprintf(a.Err, "Waiting up to %s for the lock of project %s, held by %s\n", l.timeout, project, h)
		},
		Broke: func(h apply.LockHolder) {
			fmt.Fprintf(a.Err, "Broke the stale lock of project %s: %s is no longer running\n", project, h)
		},
	})
	if err != nil {
		return nil, err
	}
	return func() {
		if err := lock.Release(ctx); err != nil {
			fmt.Fprintf(a.Err, "warning: %v\n", err)
		}
	}, nil
}

// observeLocked is observeProject under the project's lock: the state is
// read once no other berth changes it. The caller calls unlock, then closes
// the engine.
func (a *app) observeLocked(ctx context.Context, cmd *cobra.Command, l lockFlags) (d *apply.Engine, obs *apply.Observed, unlock func(), err error) {
	name, err := a.projectName(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	d, err = a.engine(ctx)
	if err != nil {
		return nil, nil, nil, err
	}
	unlock, err = a.lockProject(ctx, cmd, d, name, l)
	if err != nil {
		d.Close()
		return nil, nil, nil, err
	}
	obs, err = apply.Observe(ctx, d, name)
	if err != nil {
		unlock()
		d.Close()
		return nil, nil, nil, err
	}
	return d, obs, unlock, nil
}

const unlockHelp = `Break the project's lock.

apply, down, restart, rm, start and stop hold a lock on the project while
they run, kept in Docker itself (a volume named berth-lock.PROJECT, labelled
with the holder's host, pid, command and start time), so that two of them on
one engine, from one machine or several, never change the project at once.
A second one waits (--lock-timeout, default 5m; 0 fails at once).

A lock whose holder ran on this machine and is no longer running is stale,
and the next command breaks it by itself. A holder on another machine cannot
be checked from here: when it is gone (a CI runner killed), "berth unlock"
breaks its lock.`

func (a *app) unlockCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "unlock [flags]",
		Short: "Break the project's lock left by a berth that is gone",
		Long:  unlockHelp,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			name, err := a.projectName(ctx)
			if err != nil {
				return err
			}
			d, err := a.engine(ctx)
			if err != nil {
				return err
			}
			defer d.Close()
			h, err := apply.BreakLock(ctx, d, name)
			if errors.Is(err, apply.ErrNotLocked) {
				fmt.Fprintf(a.Out, "Project %s is not locked.\n", name)
				return nil
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(a.Out, "Broke the lock of project %s, held by %s.\n", name, h)
			return nil
		},
	}
}
