// Command berth-engine runs berth's Docker Engine commands: plan, apply,
// down, ps, restart, build, pull and rm. berth hands those commands on to it with their
// arguments; it is a program of its own so that berth itself does not link
// the HTTP, TLS and Engine API code (see cli.EngineProgram). Like cmd/berth,
// this package only wires flags to the library packages (apply, load).
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ())
	stop()
	os.Exit(code)
}

// app is what every command shares: the streams, the environment, and the
// project flags.
type app struct{ cli.App }

func run(ctx context.Context, args []string, s cli.Streams, env []string) int {
	a := &app{cli.App{Streams: s, Env: env}}
	root := a.rootCommand()
	return cli.Execute(ctx, root, rmArgs(root, args), s)
}

func (a *app) rootCommand() *cobra.Command {
	// Named berth: people call these commands as berth's, and help and
	// errors should say so.
	root := &cobra.Command{
		Use:           "berth",
		Short:         "berth's Docker Engine commands",
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetVersionTemplate("berth-engine {{.Version}}\n")
	a.Project.Register(root.PersistentFlags())
	root.AddCommand(a.planCommand(), a.applyCommand(), a.downCommand(), a.psCommand(), a.restartCommand(),
		a.buildCommand(), a.pullCommand(), a.rmCommand())
	return root
}
