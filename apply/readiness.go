package apply

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/pkg/stdcopy"
)

// errWaitTimedOut marks a WaitError whose time ran out (as opposed to a
// container that exited or became unhealthy).
var errWaitTimedOut = errors.New("wait timed out")

// WaitError is a wait that failed, in the words of the person who wrote
// the compose file: "web did not become healthy in 1m0s", with the last
// health probe's output and the container's last log lines.
type WaitError struct {
	Service string
	Want    string        // healthy, running, completed successfully
	Within  time.Duration // the time allowed, when it ran out; 0 otherwise
	Why     string        // what was seen instead: "container shop-web-1 exited (1)"
	Probe   string        // the last health probe's output
	Logs    string        // the last lines the container logged
}

func (e *WaitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "service %s did not become %s", e.Service, e.Want)
	if e.Within > 0 {
		fmt.Fprintf(&b, " in %s", seconds(e.Within))
	}
	if e.Why != "" {
		fmt.Fprintf(&b, ": %s", e.Why)
	}
	if e.Probe != "" {
		fmt.Fprintf(&b, "\nlast health probe: %s", e.Probe)
	}
	if e.Logs != "" {
		fmt.Fprintf(&b, "\nlast log lines:\n%s", indent(e.Logs))
	}
	return b.String()
}

// Is makes errors.Is(err, errWaitTimedOut) true for a wait that ran out of
// time.
func (e *WaitError) Is(t error) bool { return t == errWaitTimedOut && e.Within > 0 }

// seconds writes a duration as people type it: "60s", "1.5s".
func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64) + "s"
}

func indent(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = "  " + l
	}
	return strings.Join(lines, "\n")
}

// logTail is how many log lines a failed wait shows.
const logTail = 20

// lastLogs returns the last n lines the container wrote, stdout and stderr
// interleaved as the engine stored them; "" when they cannot be read (the
// failure being reported matters more).
func (x *executor) lastLogs(ctx context.Context, id string, n int) string {
	in, err := x.d.ContainerInspect(ctx, id)
	if err != nil {
		return ""
	}
	rc, err := x.d.ContainerLogs(ctx, id, container.LogsOptions{ShowStdout: true, ShowStderr: true, Tail: fmt.Sprint(n)})
	if err != nil {
		return ""
	}
	defer rc.Close()
	var out bytes.Buffer
	if in.Config != nil && in.Config.Tty {
		_, _ = io.Copy(&out, io.LimitReader(rc, 64<<10))
	} else {
		_, _ = stdcopy.StdCopy(&out, &out, io.LimitReader(rc, 64<<10))
	}
	return strings.TrimRight(out.String(), "\n")
}

// lastProbeOutput is the output of the container's last health probe.
func lastProbeOutput(in container.InspectResponse) string {
	if in.State == nil || in.State.Health == nil || len(in.State.Health.Log) == 0 {
		return ""
	}
	out := strings.TrimSpace(in.State.Health.Log[len(in.State.Health.Log)-1].Output)
	if len(out) > 300 {
		out = out[:300] + "..."
	}
	return out
}

func hasHealthcheck(in container.InspectResponse) bool {
	return in.Config != nil && in.Config.Healthcheck != nil && len(in.Config.Healthcheck.Test) > 0 && in.Config.Healthcheck.Test[0] != "NONE"
}

// waitReady waits until container id is healthy (with a healthcheck) or
// running (without one), then until it has stayed so for monitor. It fails
// at once when the container exits, keeps restarting or becomes unhealthy,
// and after --wait-timeout when one is set.
func (x *executor) waitReady(ctx context.Context, service, id string, monitor time.Duration) error {
	if x.opts.WaitTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, x.opts.WaitTimeout)
		defer cancel()
	}
	tick := time.NewTicker(x.opts.PollEvery)
	defer tick.Stop()
	woken, done := x.subscribe()
	defer done()
	var readySince time.Time
	want := "running"
	fail := func(why string, in container.InspectResponse) error {
		we := &WaitError{Service: service, Want: want, Why: why, Probe: lastProbeOutput(in)}
		we.Logs = x.lastLogs(context.WithoutCancel(ctx), id, logTail)
		return we
	}
	var last container.InspectResponse
	for {
		in, err := x.d.ContainerInspect(ctx, id)
		if err != nil && ctx.Err() == nil {
			return fmt.Errorf("inspecting container %.12s: %w", id, err)
		}
		if err == nil {
			last = in
			if hasHealthcheck(in) {
				want = "healthy"
			}
			st := in.State
			ready := false
			switch {
			case st == nil:
			case st.Status == "exited" || st.Status == "dead":
				return fail(fmt.Sprintf("it exited (%d)", st.ExitCode), in)
			case st.Restarting:
				return fail("it keeps restarting", in)
			case want == "healthy" && st.Health != nil && st.Health.Status == "unhealthy":
				return fail("it is unhealthy", in)
			case want == "healthy":
				ready = st.Health != nil && st.Health.Status == "healthy"
			default:
				ready = st.Running
			}
			switch {
			case !ready:
				readySince = time.Time{}
			case readySince.IsZero():
				readySince = time.Now()
				fallthrough
			default:
				if time.Since(readySince) >= monitor {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				we := fail("", last).(*WaitError)
				we.Within = x.opts.WaitTimeout
				return we
			}
			return ctx.Err()
		case <-tick.C:
		case <-woken:
		}
	}
}
