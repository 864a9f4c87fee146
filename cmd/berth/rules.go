package main

import "github.com/spf13/cobra"

// rulesCommand is replaced by the full `berth rules [CODE]`.
func (a *app) rulesCommand() *cobra.Command {
	return &cobra.Command{Use: "rules [CODE]", Short: "List the lint rules or explain one", Hidden: true,
		RunE: func(*cobra.Command, []string) error { return usageError{errNotYet} }}
}
