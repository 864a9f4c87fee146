// Command interleave times whole processes the way scripts/bench.sh needs
// them compared: the commands take turns, run after run, so that a change of
// machine load during the measurement reaches every command alike and the
// ratio of their medians stays fair. (hyperfine runs one command's runs
// back to back, so a build starting halfway through lands on one side.)
//
//	go run ./scripts/interleave -runs 30 -warmup 3 \
//	  'berth=/tmp/berth config -q -f compose.yaml' \
//	  'compose=/opt/docker-compose -f compose.yaml config -q'
//
// Each argument is LABEL=COMMAND; COMMAND is split on spaces (no shell, no
// quoting: the benchmark's paths have none). Standard output and error go
// to /dev/null. Every run of a command must exit as its first warm-up run
// did; a command whose findings make it exit 1 (a linter) is fine, one that
// fails now and then is not. Round r starts with command r mod n, so no
// command always runs right after the same other one.
//
// It prints one tab-separated line per command, in the order given:
//
//	LABEL  MEDIAN_MS  MIN_MS  MAX_MS  RUNS  CPU_MEDIAN_MS  EXIT
//
// where CPU is user plus system time of the process (and of any children it
// waited for).
// This is a benchmark helper run by hand; it is not part of berth.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"
)

type command struct {
	label string
	argv  []string
	exit  int
	wall  []time.Duration
	cpu   []time.Duration
}

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "interleave:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("interleave", flag.ContinueOnError)
	runs := fs.Int("runs", 30, "timed runs of each command")
	warmup := fs.Int("warmup", 3, "untimed runs of each command first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *warmup < 1 {
		return errors.New("-runs and -warmup must be at least 1 (the first warm-up run sets the expected exit status)")
	}
	cmds, err := parse(fs.Args())
	if err != nil {
		return err
	}
	for i := range *warmup {
		for _, c := range cmds {
			code, _, _, err := once(c.argv)
			if err != nil {
				return fmt.Errorf("%s: %w", c.label, err)
			}
			if i == 0 {
				c.exit = code
			} else if code != c.exit {
				return fmt.Errorf("%s: warm-up run %d exited %d, the first exited %d", c.label, i+1, code, c.exit)
			}
		}
	}
	for r := range *runs {
		for k := range cmds {
			c := cmds[(r+k)%len(cmds)]
			code, wall, cpu, err := once(c.argv)
			if err != nil {
				return fmt.Errorf("%s: %w", c.label, err)
			}
			if code != c.exit {
				return fmt.Errorf("%s: run %d exited %d, the warm-up exited %d", c.label, r+1, code, c.exit)
			}
			c.wall = append(c.wall, wall)
			c.cpu = append(c.cpu, cpu)
		}
	}
	for _, c := range cmds {
		_, err := fmt.Fprintf(out, "%s\t%.2f\t%.2f\t%.2f\t%d\t%.2f\t%d\n", c.label,
			ms(median(c.wall)), ms(slices.Min(c.wall)), ms(slices.Max(c.wall)), len(c.wall),
			ms(median(c.cpu)), c.exit)
		if err != nil {
			return fmt.Errorf("writing results: %w", err)
		}
	}
	return nil
}

func parse(args []string) ([]*command, error) {
	if len(args) == 0 {
		return nil, errors.New("no commands: give LABEL=COMMAND arguments")
	}
	var cmds []*command
	for _, a := range args {
		label, line, ok := strings.Cut(a, "=")
		argv := strings.Fields(line)
		if !ok || label == "" || len(argv) == 0 {
			return nil, fmt.Errorf("%q is not LABEL=COMMAND", a)
		}
		cmds = append(cmds, &command{label: label, argv: argv})
	}
	return cmds, nil
}

// once runs argv to completion and returns its exit status, wall time and
// CPU time. An exit status is a result; only a process that could not be
// started, or was killed by a signal, is an error.
func once(argv []string) (code int, wall, cpu time.Duration, err error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	// nil Stdout/Stderr/Stdin are /dev/null for exec.Cmd.
	start := time.Now()
	runErr := cmd.Run()
	wall = time.Since(start)
	if cmd.ProcessState == nil {
		return 0, 0, 0, fmt.Errorf("starting %s: %w", argv[0], runErr)
	}
	var exitErr *exec.ExitError
	if runErr != nil && !errors.As(runErr, &exitErr) {
		return 0, 0, 0, fmt.Errorf("running %s: %w", argv[0], runErr)
	}
	code = cmd.ProcessState.ExitCode()
	if code < 0 {
		return 0, 0, 0, fmt.Errorf("%s: %s", argv[0], cmd.ProcessState)
	}
	return code, wall, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
