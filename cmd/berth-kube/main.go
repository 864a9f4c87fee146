// Command berth-kube converts a Docker Compose project to Kubernetes
// manifests. `berth convert` runs it with its arguments; it is a program of
// its own so that berth itself does not link the Kubernetes libraries (they
// cost every berth command start-up time).
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"

	"github.com/spf13/cobra"

	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/internal/projectflags"
	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform/kube"
)

// Exit codes, as berth's: 0 success, 1 warnings under --strict, 2 usage
// errors and input that could not be loaded.
const (
	exitOK     = 0
	exitStrict = 1
	exitInput  = 2
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

type options struct {
	project    projectflags.Flags
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

// inputError marks usage errors and projects that do not load (exit 2).
type inputError struct{ err error }

func (e inputError) Error() string { return e.err.Error() }
func (e inputError) Unwrap() error { return e.err }

const help = `Convert the project to Kubernetes manifests.

Every service becomes a Deployment (a StatefulSet, DaemonSet or Job where
the compose file says so), with a Service when it has ports or another
service reaches it by name, ConfigMaps for env_file and configs, Secrets for
secrets, PersistentVolumeClaims for named volumes and one NetworkPolicy per
network. Every compose key that is not carried over is reported on stderr
with its file:line:col and the reason; --strict makes those errors.

The output is one multi-document YAML stream on stdout, or in FILE with
-o FILE, or one file per object plus kustomization.yaml with -o DIR/.
It is byte-for-byte reproducible: sorted, no timestamps, no versions.

Exit status: 0 converted, 1 warnings with --strict, 2 usage or load error.`

func run(ctx context.Context, args []string, stdout, stderr io.Writer, env []string) int {
	var o options
	cmd := &cobra.Command{
		Use:           "berth convert --to kubernetes [flags] [SERVICE...]",
		Short:         "Convert the project to Kubernetes manifests",
		Long:          help,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return convert(cmd.Context(), o, args, stdout, stderr, env)
		},
	}
	o.project.Register(cmd.Flags())
	f := cmd.Flags()
	f.StringVar(&o.to, "to", "", "Target platform: kubernetes")
	f.StringVarP(&o.output, "output", "o", "", "Write to FILE, or one file per object to DIR/ (default: stdout)")
	f.BoolVar(&o.strict, "strict", false, "Treat every key that is not converted as an error (exit 1, nothing written)")
	f.StringVar(&o.volumeSize, "volume-size", "1Gi", "Storage request of a volume without a kompose.volume.size label")
	f.StringVarP(&o.namespace, "namespace", "n", "", "Put every object in this namespace, and create it first (default: none, kubectl's)")
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return inputError{err} })
	cmd.SetArgs(args)
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	err := cmd.ExecuteContext(ctx)
	if err == nil {
		return exitOK
	}
	var se strictError
	if errors.As(err, &se) {
		fmt.Fprintln(stderr, "berth:", err)
		return exitStrict
	}
	fmt.Fprintln(stderr, cli.ErrorText(err))
	return exitInput
}

func convert(ctx context.Context, o options, services []string, stdout, stderr io.Writer, env []string) error {
	switch strings.ToLower(o.to) {
	case "kubernetes", "k8s":
	case "":
		return inputError{errors.New("--to is required: berth converts --to kubernetes")}
	default:
		return inputError{fmt.Errorf("--to %s: berth converts --to kubernetes only", o.to)}
	}
	lo := o.project.LoadOptions(env)
	lo.Services = services
	// env_file entries stay files: they become ConfigMaps.
	lo.KeepEnvFile = true
	lo.NoEnvResolution = true
	lo.Warn = func(w load.Warning) { fmt.Fprintln(stderr, w.String()) }
	p, err := load.Load(ctx, lo)
	if err != nil {
		return inputError{err}
	}
	res, err := kube.Convert(p, kube.Options{VolumeSize: o.volumeSize, Namespace: o.namespace})
	if err != nil {
		return inputError{err}
	}
	level := "warning: "
	if o.strict {
		level = "error: "
	}
	for _, w := range res.Warnings {
		fmt.Fprintln(stderr, level+w.String())
	}
	if o.strict && len(res.Warnings) > 0 {
		return strictError{len(res.Warnings)}
	}
	return write(o.output, res.Objects, stdout)
}

// write sends the objects to stdout, a file, or a directory (a path ending
// in "/" or an existing directory).
func write(output string, objs []kube.Object, stdout io.Writer) error {
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
