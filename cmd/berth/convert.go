package main

import (
	"errors"
	"fmt"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/companion"
)

// kubeProgram converts to Kubernetes. It is a program of its own so that
// berth does not link the Kubernetes libraries, which would add start-up
// time to every berth command (see cmd/berth-kube).
const kubeProgram = "berth-kube"

// exitCodeError passes a child program's exit code through.
type exitCodeError struct{ code int }

func (e exitCodeError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

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
			return a.runConvert(cmd, args)
		},
	}
}

func (a *app) runConvert(cmd *cobra.Command, args []string) error {
	bin, err := companion.Find(kubeProgram, "convert")
	if err != nil {
		return err
	}
	// Project flags given before "convert" were parsed by berth: hand them on.
	argv := append(a.project.Args(), args...)
	c := exec.CommandContext(cmd.Context(), bin, argv...)
	c.Stdin, c.Stdout, c.Stderr = a.in, a.out, a.err
	c.Env = a.env
	err = c.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return exitCodeError{ee.ExitCode()}
	}
	if err != nil {
		return fmt.Errorf("running %s: %w", bin, err)
	}
	return nil
}
