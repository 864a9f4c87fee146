package main

import (
	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
)

// engineCommand is one of berth's Docker Engine commands (plan, apply,
// down, ps, restart), handed on to the berth-engine program with its
// arguments (see cli.EngineProgram for why it is a program of its own). Its
// help, flags, output and exit status are berth-engine's.
func (a *app) engineCommand(s cli.Summary) *cobra.Command {
	return &cobra.Command{
		Use:   s.Use,
		Short: s.Short,
		Long: s.Short + ` (run "berth ` + s.Name + ` --help" for the flags).

berth runs the berth-engine program, found next to berth or on PATH, with
the same arguments; its output and exit status are berth's.`,
		// berth-engine parses every flag, the project flags included, and
		// completes them.
		DisableFlagParsing: true,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
			argv := append([]string{s.Name}, a.Project.Args()...)
			return a.Complete(cmd.Context(), cli.EngineProgram, append(append(argv, args...), toComplete))
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			// Project flags given before the command were parsed by berth: hand them on.
			argv := append([]string{s.Name}, a.Project.Args()...)
			return a.Forward(cmd.Context(), cli.EngineProgram, s.Name, append(argv, args...))
		},
	}
}
