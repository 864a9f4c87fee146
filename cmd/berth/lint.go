package main

import "github.com/spf13/cobra"

// lintCommand is replaced by the full `berth lint` (many files, formats,
// fixes, config, policies).
func (a *app) lintCommand() *cobra.Command {
	return &cobra.Command{Use: "lint [FILE...]", Short: "Lint compose files", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return usageError{errNotYet} }}
}
