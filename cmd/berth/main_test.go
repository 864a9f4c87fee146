package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// berthBin is the berth binary built once for the tests that run it as a
// process, the way users and CI do: exit codes, stdout and stderr exactly.
var berthBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "berth-test-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	berthBin = filepath.Join(dir, "berth")
	if runtime.GOOS == "windows" {
		berthBin += ".exe"
	}
	build := exec.Command("go", "build", "-o", berthBin, ".")
	// Static, as the README builds it (see Performance): the tests run the
	// program that is benchmarked and shipped.
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building berth:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := teardownSwarm(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is what one berth process did.
type result struct {
	stdout, stderr string
	code           int
}

// runBerth runs the binary in dir with exactly env as its environment.
func runBerth(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	// A hang is a bug to report, not a reason to wait for the package
	// timeout: every berth call here finishes in well under a second.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, berthBin, args...)
	cmd.Dir = dir
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running berth %v: %v", args, err)
	}
	if ctx.Err() != nil {
		t.Fatalf("berth %v did not finish within a minute (killed)", args)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// removeProjectImages removes every image labelled as built for project,
// dangling ones too (a rebuild under the same tag leaves the old image
// untagged, still labelled), and fails the test when one stays. Call it
// after the project's containers are gone.
func removeProjectImages(t *testing.T, project string) {
	t.Helper()
	list := func(flag string) []string {
		out, err := exec.Command("docker", "images", flag, "--no-trunc", "--filter", "label=com.docker.compose.project="+project).Output()
		if err != nil {
			t.Errorf("listing the images of %s: %v", project, err)
			return nil
		}
		return strings.Fields(string(out))
	}
	// The top-level images only: removing one prunes the untagged build
	// steps under it (which carry the label too, -a lists them).
	if ids := list("-q"); len(ids) > 0 {
		_ = exec.Command("docker", append([]string{"rmi", "-f"}, ids...)...).Run()
	}
	if left := list("-aq"); len(left) > 0 {
		t.Errorf("images of %s left after cleanup: %v", project, left)
	}
}
