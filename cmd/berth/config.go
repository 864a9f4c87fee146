package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/spf13/cobra"
	"go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform"
)

type configOptions struct {
	format           string
	output           string
	quiet            bool
	noInterpolate    bool
	noNormalize      bool
	noPathResolution bool
	noEnvResolution  bool
	noConsistency    bool
	services         bool
	volumes          bool
	networks         bool
	images           bool
	profiles         bool
	hash             string
	variables        bool
	environment      bool
	resolveDefaults  bool
}

const configHelp = `Parse, validate and render the compose files in canonical form.

The output is byte for byte what "docker compose config" prints for the same
files, flags and environment. Before loading, every file is validated against
the compose-spec CUE schema and every problem is reported as file:line:col.

Beyond Compose, --resolve-defaults also writes out the defaults the Docker
engine applies (healthcheck timings, restart policy, ...).

Exit status: 0 when the project loads, 2 when it does not.`

func (a *app) configCommand() *cobra.Command {
	var o configOptions
	cmd := &cobra.Command{
		Use:   "config [flags] [SERVICE...]",
		Short: "Validate and print the canonical compose configuration",
		Long:  configHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runConfig(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "", "Output format: yaml or json")
	f.StringVarP(&o.output, "output", "o", "", "Write to this file instead of stdout")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "Only validate, print nothing")
	f.BoolVar(&o.noInterpolate, "no-interpolate", false, "Don't interpolate environment variables")
	f.BoolVar(&o.noNormalize, "no-normalize", false, "Don't normalize the compose model")
	f.BoolVar(&o.noPathResolution, "no-path-resolution", false, "Don't resolve file paths")
	f.BoolVar(&o.noEnvResolution, "no-env-resolution", false, "Don't resolve service env files")
	f.BoolVar(&o.noConsistency, "no-consistency", false, "Don't check model consistency")
	f.BoolVar(&o.services, "services", false, "Print the service names, one per line")
	f.BoolVar(&o.volumes, "volumes", false, "Print the volume names, one per line")
	f.BoolVar(&o.networks, "networks", false, "Print the network names, one per line")
	f.BoolVar(&o.images, "images", false, "Print the image names, one per line")
	f.BoolVar(&o.profiles, "profiles", false, "Print the profile names, one per line")
	f.StringVar(&o.hash, "hash", "", `Print the config hash of these services ("*" for all, or a,b)`)
	f.BoolVar(&o.variables, "variables", false, "Print the variables the model uses and their defaults")
	f.BoolVar(&o.environment, "environment", false, "Print the environment used for interpolation")
	f.BoolVar(&o.resolveDefaults, "resolve-defaults", false, "Also write out the Docker engine's defaults")
	return cmd
}

func (a *app) runConfig(cmd *cobra.Command, o configOptions, args []string) error {
	format, err := transform.ParseFormat(o.format)
	if err != nil {
		return cli.UsageError{Err: err}
	}
	lo := a.LoadOptions()
	lo.NoInterpolate = o.noInterpolate
	lo.NoNormalize = o.noNormalize
	lo.NoPathResolution = o.noPathResolution
	lo.NoEnvResolution = o.noEnvResolution
	lo.NoConsistency = o.noConsistency
	ctx := cmd.Context()

	// Listing modes load like Compose does for them: without resolving
	// env_file, since only names are printed.
	listing := o.services || o.volumes || o.networks || o.hash != ""
	if listing {
		lo.NoEnvResolution = true
	}
	if o.variables {
		return a.printVariables(cmd, lo, format)
	}
	if o.noInterpolate && !listing && !o.profiles && !o.images && !o.environment {
		return a.printModel(cmd, lo, format, o, args)
	}
	if !listing {
		lo.Services = args
	}
	p, err := load.Load(ctx, lo)
	if err != nil {
		return cli.InputError{Err: err}
	}

	switch {
	case o.services:
		return a.printLines(o, transform.ServiceOrder(p.Project))
	case o.volumes:
		return a.printLines(o, sortedKeys(p.Volumes))
	case o.networks:
		return a.printLines(o, sortedKeys(p.Networks))
	case o.hash != "":
		var names []string
		if o.hash != "*" {
			names = strings.Split(o.hash, ",")
		}
		hashes, err := transform.ServiceHashes(p.Project, names, !o.noEnvResolution)
		if err != nil {
			return cli.InputError{Err: err}
		}
		var lines []string
		for _, h := range hashes {
			lines = append(lines, h[0]+" "+h[1])
		}
		return a.printLines(o, lines)
	case o.profiles:
		return a.printLines(o, profiles(p.Project))
	case o.images:
		return a.printLines(o, images(p.Project))
	case o.environment:
		return a.printLines(o, p.Environment.Values())
	}

	proj := p.Project
	if !o.noEnvResolution {
		if proj, err = proj.WithServicesEnvironmentResolved(true); err != nil {
			return cli.InputError{Err: err}
		}
	}
	if !o.noConsistency {
		if err := proj.CheckContainerNameUnicity(); err != nil {
			return cli.InputError{Err: err}
		}
	}
	if o.resolveDefaults {
		if proj, err = transform.ResolveDefaults(proj); err != nil {
			return err
		}
	}
	content, err := transform.Canonical(proj, format)
	if err != nil {
		return err
	}
	if o.quiet {
		return nil
	}
	return a.WriteOutput(o.output, content)
}

// printModel renders the raw model for --no-interpolate.
func (a *app) printModel(cmd *cobra.Command, lo load.Options, format transform.Format, o configOptions, args []string) error {
	if len(args) > 0 {
		fmt := "service filtering is not applied when --no-interpolate is set, the full model will be rendered"
		a.PrintWarning(load.Warning{Msg: fmt})
	}
	model, err := load.Model(cmd.Context(), lo)
	if err != nil {
		return cli.InputError{Err: err}
	}
	content, err := transform.Model(model, format)
	if err != nil {
		return err
	}
	if o.quiet {
		return nil
	}
	return a.WriteOutput(o.output, content)
}

// printVariables lists the variables the model references, as Compose's
// `config --variables` does.
func (a *app) printVariables(cmd *cobra.Command, lo load.Options, format transform.Format) error {
	lo.NoInterpolate = true
	lo.NoEnvResolution = true
	model, err := load.Model(cmd.Context(), lo)
	if err != nil {
		return cli.InputError{Err: err}
	}
	vars := template.ExtractVariables(model, template.DefaultPattern)
	names := sortedKeys(vars)
	switch cmd.Flags().Lookup("format").Value.String() {
	case "yaml":
		b, err := yaml.Marshal(vars)
		if err != nil {
			return err
		}
		_, err = a.Out.Write(b)
		return err
	case "json":
		b, err := json.MarshalIndent(vars, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintln(a.Out, string(b))
		return err
	}
	var buf bytes.Buffer
	w := tabwriter.NewWriter(&buf, 0, 0, 3, ' ', 0)
	fmt.Fprintln(w, "NAME\tREQUIRED\tDEFAULT VALUE\tALTERNATE VALUE")
	for _, n := range names {
		v := vars[n]
		fmt.Fprintf(w, "%s\t%t\t%s\t%s\n", n, v.Required, v.DefaultValue, v.PresenceValue)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err = a.Out.Write(buf.Bytes())
	_ = format
	return err
}

func (a *app) printLines(o configOptions, lines []string) error {
	if o.quiet {
		return nil
	}
	var buf bytes.Buffer
	for _, l := range lines {
		buf.WriteString(l)
		buf.WriteByte('\n')
	}
	return a.WriteOutput(o.output, buf.Bytes())
}

func profiles(p *types.Project) []string {
	set := map[string]bool{}
	for _, s := range p.AllServices() {
		for _, pr := range s.Profiles {
			set[pr] = true
		}
	}
	return sortedKeys(set)
}

// images lists the image of each service (project-service when it only
// builds), then the images of its pre_start hooks, in service name order.
func images(p *types.Project) []string {
	var out []string
	for _, name := range sortedKeys(p.Services) {
		s := p.Services[name]
		img := s.Image
		if img == "" {
			img = p.Name + "-" + name
		}
		out = append(out, img)
		for _, h := range s.PreStart {
			if h.Image != "" && h.Image != img {
				out = append(out, h.Image)
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
