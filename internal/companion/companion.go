// Package companion finds the programs berth runs beside itself
// (berth-policy, berth-kube): they hold the libraries whose start-up cost
// berth keeps out of every other command.
package companion

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// Find returns the path of the companion program name: next to the running
// executable first (where `go install ./cmd/...` and the tests put it), then
// on PATH. need says what asked for it, for the error.
func Find(name, need string) (string, error) {
	if self, err := os.Executable(); err == nil {
		next := filepath.Join(filepath.Dir(self), name)
		if st, err := os.Stat(next); err == nil && !st.IsDir() {
			return next, nil
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s needs the %s program next to berth or on PATH; in a checkout of berth, install it with: CGO_ENABLED=0 go install ./cmd/...", need, name)
}
