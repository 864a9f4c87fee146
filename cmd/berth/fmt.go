package main

import "github.com/spf13/cobra"

// fmtCommand is replaced by the full `berth fmt`.
func (a *app) fmtCommand() *cobra.Command {
	return &cobra.Command{Use: "fmt [FILE...]", Short: "Rewrite compose files in canonical key order", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return usageError{errNotYet} }}
}
