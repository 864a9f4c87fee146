package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform/kube"
)

const convertHelp = `Convert the project to Kubernetes manifests.

Every service becomes a Deployment (a StatefulSet, DaemonSet or Job where
the compose file says so), with a Service when it has ports or another
service reaches it by name, ConfigMaps for env_file and configs, Secrets for
secrets, PersistentVolumeClaims for named volumes and one NetworkPolicy per
network. Every compose key that is not carried over is reported on stderr
with its file:line:col and the reason; --strict makes those errors.

Secret-looking environment values (the names plan masks: PASSWORD,
SECRET, TOKEN, KEY, ...) go into a Secret <service>-env that the container
refers to, never into a Deployment or ConfigMap; the moved variables are
listed on stderr by name.

The output is one multi-document YAML stream on stdout, or in FILE with
-o FILE, or one file per object plus kustomization.yaml with -o DIR/.
--to helm -o DIR/ writes a Helm chart instead (Chart.yaml, values.yaml,
templates/): its values set each service's image, replicas, environment,
resources and Service type, and with the default values it renders the
objects of --to kubernetes. It is byte-for-byte reproducible: sorted, no
timestamps, no versions.

Exit status: 0 converted, 1 warnings with --strict, 2 usage or load error.`

type convertOptions struct {
	to         string
	output     string
	strict     bool
	volumeSize string
	namespace  string
}

// strictError is the failure of --strict: the warnings were printed.
type strictError struct{ n int }

func (e strictError) Error() string {
	return fmt.Sprintf("%d warning(s) and --strict: nothing written", e.n)
}

func (a *app) convertCommand() *cobra.Command {
	var o convertOptions
	cmd := &cobra.Command{
		Use:   "convert --to kubernetes|helm [flags] [SERVICE...]",
		Short: "Convert the project to Kubernetes manifests",
		Long:  convertHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runConvert(cmd, o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "Target: kubernetes (manifests) or helm (a chart, with -o DIR/)")
	f.StringVarP(&o.output, "output", "o", "", "Write to FILE, or one file per object to DIR/ (default: stdout)")
	f.BoolVar(&o.strict, "strict", false, "Treat every key that is not converted as an error (exit 1, nothing written)")
	f.StringVar(&o.volumeSize, "volume-size", "1Gi", "Storage request of a volume without a kompose.volume.size label")
	f.StringVarP(&o.namespace, "namespace", "n", "", "Put every object in this namespace, and create it first (default: none, kubectl's)")
	return cmd
}

func (a *app) runConvert(cmd *cobra.Command, o convertOptions, services []string) error {
	helm := false
	switch strings.ToLower(o.to) {
	case "kubernetes", "k8s":
	case "helm":
		helm = true
		if o.output == "" {
			return cli.UsageError{Err: errors.New("--to helm writes a chart directory: give it with -o DIR/")}
		}
		if st, err := os.Stat(o.output); err == nil && !st.IsDir() {
			return cli.UsageError{Err: fmt.Errorf("--to helm writes a chart directory, and %s is a file", o.output)}
		}
	case "":
		return cli.UsageError{Err: errors.New("--to is required: berth converts --to kubernetes or --to helm")}
	default:
		return cli.UsageError{Err: fmt.Errorf("--to %s: berth converts --to kubernetes or --to helm", o.to)}
	}
	lo := a.LoadOptions()
	lo.Services = services
	// env_file entries stay files: they become ConfigMaps.
	lo.KeepEnvFile = true
	lo.NoEnvResolution = true
	p, err := load.Load(cmd.Context(), lo)
	if err != nil {
		return cli.InputError{Err: err}
	}
	res, err := kube.Convert(p, kube.Options{VolumeSize: o.volumeSize, Namespace: o.namespace})
	if err != nil {
		return cli.InputError{Err: err}
	}
	level := "warning: "
	if o.strict {
		level = "error: "
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(a.Err, level+w.String())
	}
	// Moved values lose nothing: told about, never an error of --strict.
	for _, n := range res.Notices {
		fmt.Fprintln(a.Err, "warning: "+n.String())
	}
	if o.strict && len(res.Warnings) > 0 {
		fmt.Fprintln(a.Err, "berth:", strictError{len(res.Warnings)})
		return cli.ExitCodeError{Code: cli.ExitFailure}
	}
	if helm {
		return kube.WriteChart(o.output, res, kube.ChartOptions{})
	}
	return writeManifests(o.output, res.Objects, a.Out)
}

// writeManifests sends the objects to stdout, a file, or a directory (a
// path ending in "/" or an existing directory).
func writeManifests(output string, objs []kube.Object, stdout io.Writer) error {
	if output != "" {
		if st, err := os.Stat(output); strings.HasSuffix(output, "/") || (err == nil && st.IsDir()) {
			return kube.WriteDir(output, objs)
		}
	}
	b, err := kube.Encode(objs)
	if err != nil {
		return err
	}
	if output == "" {
		_, err = stdout.Write(b)
		return err
	}
	if err := os.WriteFile(output, b, 0o666); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}
