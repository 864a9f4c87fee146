package cli

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// companionScript puts a shell script named name on PATH, where Forward
// finds companion programs that are not next to the running executable.
func companionScript(t *testing.T, name, script string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake companion programs are shell scripts")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"+script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func TestForwardPassesArgumentsStreamsAndExitStatus(t *testing.T) {
	companionScript(t, "berth-test-echo", `echo "args: $*"; echo "env: $BERTH_TEST"; cat; echo oops >&2; exit 3`)
	var out, errb bytes.Buffer
	a := &App{Streams: Streams{In: strings.NewReader("from stdin\n"), Out: &out, Err: &errb}, Env: []string{"BERTH_TEST=yes", "PATH=" + os.Getenv("PATH")}}
	err := a.Forward(context.Background(), "berth-test-echo", "echo", []string{"plan", "--file", "a b.yaml"})
	var code ExitCodeError
	if !errors.As(err, &code) || code.Code != 3 {
		t.Fatalf("err = %v, want exit status 3 passed on", err)
	}
	if want := "args: plan --file a b.yaml\nenv: yes\nfrom stdin\n"; out.String() != want {
		t.Errorf("stdout = %q, want %q", out.String(), want)
	}
	if errb.String() != "oops\n" {
		t.Errorf("stderr = %q", errb.String())
	}
}

// TestForwardInterruptsOnCancel: the end of the context reaches the program
// as an interrupt it can handle (finish its step, exit), not as a kill.
func TestForwardInterruptsOnCancel(t *testing.T) {
	companionScript(t, "berth-test-trap", `trap 'echo interrupted; exit 7' INT; echo ready; while :; do sleep 0.05; done`)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	a := &App{Streams: Streams{Out: w, Err: w}, Env: []string{"PATH=" + os.Getenv("PATH")}}
	done := make(chan error, 1)
	go func() { done <- a.Forward(ctx, "berth-test-trap", "trap", nil); w.Close() }()
	buf := make([]byte, 6)
	if _, err := r.Read(buf); err != nil || string(buf) != "ready\n" {
		t.Fatalf("read %q, %v", buf, err)
	}
	cancel()
	select {
	case err := <-done:
		var code ExitCodeError
		if !errors.As(err, &code) || code.Code != 7 {
			t.Fatalf("err = %v, want the trap's exit status 7", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the program did not stop within 10 s of the cancel")
	}
	rest := new(bytes.Buffer)
	_, _ = rest.ReadFrom(r)
	if rest.String() != "interrupted\n" {
		t.Errorf("output after the cancel = %q, want the trap's line", rest.String())
	}
}

// TestForwardSignalledProgram: a program ended by a signal it did not
// handle (here SIGPIPE, as when `berth plan | head` closes the pipe) ends
// berth silently with the shell's status, 128+signal.
func TestForwardSignalledProgram(t *testing.T) {
	companionScript(t, "berth-test-pipe", `kill -PIPE $$`)
	var out, errb bytes.Buffer
	a := &App{Streams: Streams{Out: &out, Err: &errb}, Env: []string{"PATH=" + os.Getenv("PATH")}}
	err := a.Forward(context.Background(), "berth-test-pipe", "pipe", nil)
	var code ExitCodeError
	if !errors.As(err, &code) || code.Code != 128+13 {
		t.Fatalf("err = %v, want exit status 141", err)
	}
}

func TestForwardMissingProgram(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	a := &App{Streams: Streams{Out: new(bytes.Buffer), Err: new(bytes.Buffer)}}
	err := a.Forward(context.Background(), "berth-test-absent", "absent", nil)
	if err == nil || !strings.Contains(err.Error(), "berth-test-absent program next to berth or on PATH") {
		t.Fatalf("err = %v, want the program named with where it was looked for", err)
	}
}
