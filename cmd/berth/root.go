package main

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/berth-compose/berth/internal/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// app is what every command shares: the streams, the environment berth was
// started with, and the project flags.
type app struct{ cli.App }

func run(ctx context.Context, args []string, s cli.Streams, env []string) int {
	a := &app{cli.App{Streams: s, Env: env}}
	return cli.Execute(ctx, a.rootCommand(args), args, s)
}

// command is one of berth's commands and the function that builds it.
type command struct {
	name  string
	build func() *cobra.Command
}

func (a *app) commands() []command {
	cmds := []command{
		{"config", a.configCommand},
		{"lint", a.lintCommand},
		{"rules", a.rulesCommand},
		{"fmt", a.fmtCommand},
		{"graph", a.graphCommand},
		{"convert", a.convertCommand},
	}
	for _, s := range cli.EngineCommands() {
		cmds = append(cmds, command{s.Name, func() *cobra.Command { return a.engineCommand(s) }})
	}
	return cmds
}

// rootCommand builds berth's command tree for args: only the command that
// args name, when they name one, and none for --version. Building a command
// defines its flags, and defining all of berth's (about a hundred) cost every
// start 0.5 ms of page faults and allocations, measured; help, completion
// and a mistyped command get the whole tree. BenchmarkVersion: 340 µs
// before, 62 µs after.
func (a *app) rootCommand(args []string) *cobra.Command {
	var showVersion bool
	root := &cobra.Command{
		Use:           "berth",
		Short:         "Validate, lint, render and apply Docker Compose projects",
		SilenceUsage:  true,
		SilenceErrors: true,
		// The version is printed here rather than by cobra, whose version
		// output goes through text/template.
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				_, err := fmt.Fprintf(cmd.OutOrStdout(), "berth %s\n", version)
				return err
			}
			return cmd.Help()
		},
	}
	a.Project.Register(root.PersistentFlags())
	root.Flags().BoolVarP(&showVersion, "version", "v", false, "version for berth")
	name := commandName(root.PersistentFlags(), args)
	if name == "" && slices.ContainsFunc(args, isVersionFlag) && !slices.ContainsFunc(args, isHelpFlag) {
		return root // --version needs no command
	}
	for _, c := range a.commands() {
		if name == "" || name == c.name {
			root.AddCommand(c.build())
		}
	}
	if name != "" && !root.HasSubCommands() {
		for _, c := range a.commands() { // not a command of berth's: cobra's suggestions need them all
			root.AddCommand(c.build())
		}
	}
	return root
}

func isVersionFlag(arg string) bool { return arg == "--version" || arg == "-v" }
func isHelpFlag(arg string) bool    { return arg == "--help" || arg == "-h" }

// commandName returns the command args name (see cli.CommandAt), or ""
// when they name none or cobra's "help" or "completion" (which need the
// whole tree).
func commandName(rootFlags *pflag.FlagSet, args []string) string {
	i := cli.CommandAt(rootFlags, args)
	if i < 0 {
		return ""
	}
	switch arg := args[i]; {
	case arg == "help", arg == "completion", strings.HasPrefix(arg, "__complete"):
		return ""
	default:
		return arg
	}
}
