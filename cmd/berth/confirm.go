package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/berth-compose/berth/apply"
)

// stdinIsTerminal reports whether r is a terminal a person types at.
func stdinIsTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// mustConfirm reports whether apply asks before it executes the plan: on a
// terminal, when the plan removes or recreates something, unless -y or the
// plan was saved (and so reviewed already). In CI (no terminal) it does not
// ask, as Docker Compose does not; the plan it prints names every container
// it removes.
func mustConfirm(plan *apply.Plan, saved, yes, terminal bool) bool {
	return terminal && !saved && !yes && len(plan.Removes()) > 0
}

// confirm asks whether to go on with the destructive steps of plan and
// reads the answer from in: only "y" or "yes" goes on.
func confirm(in io.Reader, out io.Writer, plan *apply.Plan) (bool, error) {
	var containers, others int
	for _, s := range plan.Removes() {
		if strings.HasPrefix(s.Resource, "container:") {
			containers++
		} else {
			others++
		}
	}
	what := fmt.Sprintf("%d container(s)", containers)
	if others > 0 {
		what += fmt.Sprintf(" and %d other resource(s)", others)
	}
	fmt.Fprintf(out, "\nThis removes or recreates %s of project %s (listed above). Go on? [y/N] ", what, plan.Project)
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && err != io.EOF {
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

// failureCounter counts the resources whose work failed, for the summary
// line of a failed apply.
type failureCounter struct {
	mu     sync.Mutex
	failed map[string]bool
}

func (f *failureCounter) count(next func(apply.Event)) func(apply.Event) {
	return func(e apply.Event) {
		if e.Status == "Error" {
			f.mu.Lock()
			if f.failed == nil {
				f.failed = map[string]bool{}
			}
			f.failed[e.Resource] = true
			f.mu.Unlock()
		}
		next(e)
	}
}

func (f *failureCounter) n() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.failed)
}
