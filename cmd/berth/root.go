package main

import (
	"context"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// app is what every command shares: the streams, the environment berth was
// started with, and the project flags.
type app struct{ cli.App }

func run(ctx context.Context, args []string, s cli.Streams, env []string) int {
	a := &app{cli.App{Streams: s, Env: env}}
	return cli.Execute(ctx, a.rootCommand(), args, s)
}

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Validate, lint, render and apply Docker Compose projects",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("berth {{.Version}}\n")
	a.Project.Register(root.PersistentFlags())
	root.AddCommand(a.configCommand(), a.lintCommand(), a.rulesCommand(), a.fmtCommand(), a.graphCommand(), a.convertCommand())
	root.AddCommand(a.engineCommands()...)
	return root
}
