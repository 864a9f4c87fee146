package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/internal/cli"
)

type logsOptions struct {
	follow     bool
	tail       string
	since      string
	until      string
	timestamps bool
	noPrefix   bool
	noColor    bool
}

const logsHelp = `Show the output of the project's containers.

Lines of every container are interleaved as they come, each prefixed with
the container's service and replica ("web-1 | ..."), the prefix coloured
by service on a terminal (not under NO_COLOR or --no-color). With -f the
output is followed until interrupted. --since and --until take a timestamp
(2026-01-02T15:04:05Z) or a duration back from now (10m).`

func (a *app) logsCommand() *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs [flags] [SERVICE...]",
		Short: "Show the output of the project's containers",
		Long:  logsHelp,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runLogs(cmd.Context(), o, args)
		},
	}
	f := cmd.Flags()
	// -f is --file before the command; after it, -f is rewritten to
	// --follow as Docker Compose users type it (see rmArgs).
	f.BoolVar(&o.follow, "follow", false, "Follow the output (-f)")
	f.StringVarP(&o.tail, "tail", "n", "all", "Number of lines to show from the end of each container's output")
	f.StringVar(&o.since, "since", "", "Show output since a timestamp or a duration back from now (10m)")
	f.StringVar(&o.until, "until", "", "Show output until a timestamp or a duration back from now")
	f.BoolVarP(&o.timestamps, "timestamps", "t", false, "Show timestamps")
	f.BoolVar(&o.noPrefix, "no-log-prefix", false, "Do not prefix the lines with the container's name")
	f.BoolVar(&o.noColor, "no-color", false, "Do not colour the prefixes")
	return cmd
}

// prefixColours are the colours given to services in turn (as Compose
// does: the same service keeps its colour for the whole output).
var prefixColours = []string{"36", "33", "32", "35", "34", "96", "93", "92", "95", "94"}

func (a *app) runLogs(ctx context.Context, o logsOptions, services []string) error {
	d, obs, err := a.observeProject(ctx)
	if err != nil {
		return err
	}
	defer d.Close()
	var picked []apply.Container
	known := map[string]bool{}
	for _, c := range obs.Containers {
		if c.OneOff {
			continue
		}
		known[c.Service] = true
		if len(services) == 0 || slices.Contains(services, c.Service) {
			picked = append(picked, c)
		}
	}
	for _, s := range services {
		if !known[s] {
			return cli.UsageError{Err: fmt.Errorf("service %q has no container in project %s", s, obs.Project)}
		}
	}
	colour := !o.noColor && a.Getenv("NO_COLOR") == "" && cli.IsTerminal(a.Out)
	width := 0
	for _, c := range picked {
		width = max(width, len(replicaName(obs.Project, c)))
	}
	serviceColour := map[string]string{}
	for _, c := range picked {
		if _, ok := serviceColour[c.Service]; !ok {
			serviceColour[c.Service] = prefixColours[len(serviceColour)%len(prefixColours)]
		}
	}
	out := &syncWriter{w: a.Out}
	g, gctx := errgroup.WithContext(ctx)
	for _, c := range picked {
		prefix := ""
		if !o.noPrefix {
			prefix = fmt.Sprintf("%-*s | ", width, replicaName(obs.Project, c))
			if colour {
				prefix = "\x1b[" + serviceColour[c.Service] + "m" + prefix + "\x1b[0m"
			}
		}
		g.Go(func() error {
			rc, err := d.ContainerLogs(gctx, c.ID, container.LogsOptions{ShowStdout: true, ShowStderr: true,
				Follow: o.follow, Tail: o.tail, Since: o.since, Until: o.until, Timestamps: o.timestamps})
			if err != nil {
				return fmt.Errorf("logs of %s: %w", c.Name, err)
			}
			defer rc.Close()
			lw := &lineWriter{out: out, prefix: prefix}
			defer lw.flush()
			if isTTY(gctx, d, c.ID) {
				_, err = io.Copy(lw, rc)
			} else {
				_, err = stdcopy.StdCopy(lw, lw, rc)
			}
			if err != nil && gctx.Err() == nil {
				return fmt.Errorf("logs of %s: %w", c.Name, err)
			}
			return nil
		})
	}
	err = g.Wait()
	if errors.Is(err, context.Canceled) || ctx.Err() != nil {
		return nil // interrupted while following: what was asked for
	}
	return err
}

// replicaName is how a log line names its container: "web-1" for the
// project's own names, the container name otherwise (container_name).
func replicaName(project string, c apply.Container) string {
	return strings.TrimPrefix(c.Name, project+"-")
}

func isTTY(ctx context.Context, d apply.Docker, id string) bool {
	in, err := d.ContainerInspect(ctx, id)
	return err == nil && in.Config != nil && in.Config.Tty
}

// syncWriter lets several containers' lines share one output.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) writeLine(prefix string, line []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, _ = io.WriteString(s.w, prefix)
	_, _ = s.w.Write(line)
	_, _ = io.WriteString(s.w, "\n")
}

// lineWriter cuts a container's output into lines and writes each whole,
// prefixed, so that lines of two containers never mix.
type lineWriter struct {
	out    *syncWriter
	prefix string
	buf    []byte
}

func (l *lineWriter) Write(p []byte) (int, error) {
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			break
		}
		l.out.writeLine(l.prefix, bytes.TrimSuffix(l.buf[:i], []byte("\r")))
		l.buf = l.buf[i+1:]
	}
	return len(p), nil
}

func (l *lineWriter) flush() {
	if len(l.buf) > 0 {
		l.out.writeLine(l.prefix, l.buf)
		l.buf = nil
	}
}
