package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/apply/progress"
	"github.com/berth-compose/berth/internal/cli"
)

const progressUsage = "Progress output: auto (tty on a terminal, plain otherwise), tty, plain, json or quiet"

func bindProgress(cmd *cobra.Command, mode *string) {
	cmd.Flags().StringVar(mode, "progress", string(progress.Auto), progressUsage)
}

// progressFor checks a --progress value and returns its renderer, writing to
// stderr so that stdout keeps the plan and the summary: auto is tty when
// stderr is a terminal (a person watches) and plain otherwise (CI logs).
func (a *app) progressFor(flag string) (progress.Renderer, progress.Mode, error) {
	mode, err := progress.ParseMode(flag)
	if err != nil {
		return nil, "", cli.UsageError{Err: err}
	}
	mode = mode.Resolve(cli.IsTerminal(a.Err))
	opts := progress.Options{Color: a.Getenv("NO_COLOR") == "", Width: progress.Width(a.Err)}
	if mode == progress.TTY {
		opts.Refresh = 200 * time.Millisecond
	}
	return progress.New(mode, a.Err, opts), mode, nil
}
