package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=..."; a
// binary from `go install ...@VERSION` reports the module version instead.
var version = "dev"

func berthVersion() string {
	if version != "dev" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return version
}

// app is what every command shares: the streams, the environment berth was
// started with, the project flags, and the Docker context flag.
type app struct {
	cli.App
	dockerContext string // --context
}

func run(ctx context.Context, args []string, s cli.Streams, env []string) int {
	a := &app{App: cli.App{Streams: s, Env: env}}
	root := a.rootCommand()
	return cli.Execute(ctx, root, rmArgs(root, args), s)
}

// engineAnnotation marks the commands that change Docker: they finish the
// step they are in when interrupted (see interruptible).
const engineAnnotation = "berth.engine"

func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Validate, lint, render and apply Docker Compose projects",
		Version:       berthVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRun: func(cmd *cobra.Command, _ []string) {
			if cmd.Annotations[engineAnnotation] != "" {
				cmd.SetContext(interruptible(cmd.Context()))
			}
		},
	}
	root.SetVersionTemplate("berth {{.Version}}\n")
	a.Project.Register(root.PersistentFlags())
	a.registerEngineFlags(root.PersistentFlags())
	root.AddCommand(
		a.configCommand(), a.lintCommand(), a.rulesCommand(), a.fmtCommand(), a.graphCommand(), a.convertCommand(),
	)
	for _, c := range []*cobra.Command{
		a.planCommand(), a.applyCommand(), a.downCommand(), a.psCommand(), a.restartCommand(),
		a.buildCommand(), a.pullCommand(), a.rmCommand(),
		a.stopCommand(), a.startCommand(), a.logsCommand(), a.unlockCommand(),
	} {
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[engineAnnotation] = "true"
		root.AddCommand(c)
	}
	return root
}

// interruptible returns a context that an interrupt or a termination
// request ends, so that a command talking to Docker finishes the step it is
// in (a container half replaced is worse than a late exit) and stops. A
// second signal ends the process: the handler is removed after the first.
// Commands that only read and print keep the default, which ends the
// process at once.
func interruptible(parent context.Context) context.Context {
	ctx, stop := signal.NotifyContext(parent, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	return ctx
}
