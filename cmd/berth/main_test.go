package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
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
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building berth:", err)
		os.Exit(1)
	}
	code := m.Run()
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
	cmd := exec.Command(berthBin, args...)
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
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}
