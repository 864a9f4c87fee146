package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/report"
	"github.com/berth-compose/berth/lint/rules"
)

const rulesHelp = `List the lint rules, or explain the ones named.

Without arguments, prints every rule: code, name, family, default severity,
whether it runs by default (rules marked "off" run only when enabled in
.berth.yaml), whether berth lint --fix can fix it, and its title.

With arguments (codes such as BR301 or names such as privileged), explains
each rule: why it matters, what to do instead, and a file where it fires next
to the same file fixed. docs/rules.md holds the same text.

--format json prints the same rules as JSON (format_version 1).

Exit status: 0, or 2 for an unknown rule or format.`

type rulesOptions struct {
	format string
}

func (a *app) rulesCommand() *cobra.Command {
	var o rulesOptions
	cmd := &cobra.Command{
		Use:   "rules [CODE|NAME...]",
		Short: "List the lint rules or explain one",
		Long:  rulesHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRules(cmd.OutOrStdout(), o, args)
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "text", "Output format: text or json")
	return cmd
}

// findRules resolves codes (any case) and names to rules, in the order given.
func findRules(all []*lint.Rule, args []string) ([]*lint.Rule, error) {
	var out []*lint.Rule
	for _, arg := range args {
		var found *lint.Rule
		for _, r := range all {
			if strings.EqualFold(arg, r.Code) || arg == r.Name {
				found = r
				break
			}
		}
		if found == nil {
			return nil, cli.UsageError{Err: fmt.Errorf("unknown rule %q: run \"berth rules\" to list them", arg)}
		}
		out = append(out, found)
	}
	return out, nil
}

func runRules(w io.Writer, o rulesOptions, args []string) error {
	all := rules.All()
	selected := all
	if len(args) > 0 {
		var err error
		if selected, err = findRules(all, args); err != nil {
			return err
		}
	}
	switch o.format {
	case "json":
		return writeRulesJSON(w, selected)
	case "text", "":
		if len(args) == 0 {
			return writeRulesTable(w, selected)
		}
		return explainRules(w, selected)
	}
	return cli.UsageError{Err: fmt.Errorf("unknown format %q: use text or json", o.format)}
}

func writeRulesTable(w io.Writer, rs []*lint.Rule) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tNAME\tFAMILY\tSEVERITY\tDEFAULT\tFIXABLE\tTITLE")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Code, r.Name, r.Family(), r.Severity,
			rules.OnOff(r.Default), rules.YesNo(r.Fixable), r.Title)
	}
	return tw.Flush()
}

func explainRules(w io.Writer, rs []*lint.Rule) error {
	var b strings.Builder
	for i, r := range rs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "%s %s: %s\n\n", r.Code, r.Name, r.Title)
		fmt.Fprintf(&b, "Family: %s · Severity: %s · Default: %s · Fixable: %s · Since: %s\n\n",
			r.Family(), r.Severity, rules.OnOff(r.Default), rules.YesNo(r.Fixable), r.Since)
		b.WriteString(strings.TrimSpace(r.Text) + "\n\n")
		b.WriteString("Bad:\n\n" + indent(r.Bad) + "\nGood:\n\n" + indent(r.Good))
		fmt.Fprintf(&b, "\nDocs: %s\n", report.RuleURI(r))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// indent prints a compose file four spaces in, as a block.
func indent(src string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(src, "\n"), "\n") {
		if l == "" {
			b.WriteString("\n")
			continue
		}
		b.WriteString("    " + l + "\n")
	}
	return b.String()
}

// rulesJSON is the wire form of `berth rules --format json`.
type rulesJSON struct {
	FormatVersion int        `json:"format_version"`
	Rules         []ruleJSON `json:"rules"`
}

type ruleJSON struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Family   string `json:"family"`
	Severity string `json:"severity"`
	Default  bool   `json:"default"`
	Fixable  bool   `json:"fixable"`
	Title    string `json:"title"`
	Text     string `json:"text"`
	Bad      string `json:"bad"`
	Good     string `json:"good"`
	Since    string `json:"since"`
	HelpURI  string `json:"help_uri"`
}

func writeRulesJSON(w io.Writer, rs []*lint.Rule) error {
	out := rulesJSON{FormatVersion: 1, Rules: make([]ruleJSON, 0, len(rs))}
	for _, r := range rs {
		out.Rules = append(out.Rules, ruleJSON{
			Code: r.Code, Name: r.Name, Family: r.Family(), Severity: r.Severity.String(),
			Default: r.Default, Fixable: r.Fixable, Title: r.Title, Text: r.Text,
			Bad: r.Bad, Good: r.Good, Since: r.Since, HelpURI: report.RuleURI(r),
		})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
