package main

import (
	"github.com/spf13/cobra"
)

// kubeProgram converts to Kubernetes. It is a program of its own so that
// berth does not link the Kubernetes libraries, which would add start-up
// time to every berth command (see cmd/berth-kube).
const kubeProgram = "berth-kube"

func (a *app) convertCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "convert --to kubernetes [flags] [SERVICE...]",
		Short: "Convert the project to Kubernetes manifests",
		Long: `Convert the project to Kubernetes manifests (run "berth convert --help" for the flags).

berth runs the berth-kube program, found next to berth or on PATH, with the
same arguments; its output, warnings and exit status are berth's.`,
		// berth-kube parses every flag, the project flags included.
		DisableFlagParsing: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Project flags given before "convert" were parsed by berth: hand them on.
			return a.Forward(cmd.Context(), kubeProgram, "convert", append(a.Project.Args(), args...))
		},
	}
}
