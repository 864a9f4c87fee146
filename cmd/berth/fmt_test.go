package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const fmtUnformatted = `# header
volumes:
  data: {}
services:
  web:
    ports:
      - "8080:80" # http
    image: nginx:1.27
`

const fmtFormatted = `# header
services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80" # http
volumes:
  data: {}
`

func fmtDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, src := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func fmtRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestFmtCheck(t *testing.T) {
	dir := fmtDir(t, map[string]string{"compose.yaml": fmtUnformatted})
	env := []string{"PATH=" + os.Getenv("PATH")}
	r := runBerth(t, dir, env, "fmt", "--check")
	if r.code != 1 || r.stdout != "compose.yaml\n" || !strings.Contains(r.stderr, "not formatted") {
		t.Errorf("fmt --check on an unformatted file: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := fmtRead(t, filepath.Join(dir, "compose.yaml")); got != fmtUnformatted {
		t.Errorf("--check wrote the file:\n%s", got)
	}
	dir = fmtDir(t, map[string]string{"compose.yaml": fmtFormatted})
	if r := runBerth(t, dir, env, "fmt", "--check"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Errorf("fmt --check on a formatted file: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
}

func TestFmtDiff(t *testing.T) {
	dir := fmtDir(t, map[string]string{"compose.yaml": fmtUnformatted})
	env := []string{"PATH=" + os.Getenv("PATH")}
	r := runBerth(t, dir, env, "fmt", "--diff", "compose.yaml")
	want := `--- compose.yaml
+++ compose.yaml
@@ -1,8 +1,8 @@
 # header
-volumes:
-  data: {}
 services:
   web:
+    image: nginx:1.27
     ports:
       - "8080:80" # http
-    image: nginx:1.27
+volumes:
+  data: {}
`
	if r.code != 0 || r.stdout != want || r.stderr != "" {
		t.Errorf("fmt --diff: code %d, stderr %q, stdout:\n%s\nwant:\n%s", r.code, r.stderr, r.stdout, want)
	}
	if got := fmtRead(t, filepath.Join(dir, "compose.yaml")); got != fmtUnformatted {
		t.Errorf("--diff wrote the file:\n%s", got)
	}
	// --diff --check: the diff, and exit 1
	if r := runBerth(t, dir, env, "fmt", "--diff", "--check"); r.code != 1 || r.stdout != want {
		t.Errorf("fmt --diff --check: code %d, stdout:\n%s", r.code, r.stdout)
	}
}

func TestFmtInPlace(t *testing.T) {
	dir := fmtDir(t, map[string]string{
		"compose.yaml":          fmtUnformatted,
		"compose.override.yaml": "services:\n  web:\n    restart: always\n    environment: {A: '1'}\n",
		"other.yml":             fmtUnformatted,
	})
	env := []string{"PATH=" + os.Getenv("PATH")}
	// no FILE: the project's files, the override included; other.yml is not one
	if r := runBerth(t, dir, env, "fmt"); r.code != 0 || r.stdout != "" || r.stderr != "" {
		t.Fatalf("fmt: code %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
	}
	if got := fmtRead(t, filepath.Join(dir, "compose.yaml")); got != fmtFormatted {
		t.Errorf("compose.yaml after fmt:\n%s\nwant:\n%s", got, fmtFormatted)
	}
	if got, want := fmtRead(t, filepath.Join(dir, "compose.override.yaml")), "services:\n  web:\n    environment: {A: '1'}\n    restart: always\n"; got != want {
		t.Errorf("compose.override.yaml after fmt:\n%s\nwant:\n%s", got, want)
	}
	if got := fmtRead(t, filepath.Join(dir, "other.yml")); got != fmtUnformatted {
		t.Errorf("fmt touched a file outside the project:\n%s", got)
	}
	info, err := os.Stat(filepath.Join(dir, "compose.yaml"))
	if err != nil || info.Mode().Perm() != 0o640 {
		t.Errorf("file mode not kept: %v %v", info.Mode(), err)
	}
	// named files; a second run changes nothing
	if r := runBerth(t, dir, env, "fmt", "other.yml"); r.code != 0 {
		t.Fatalf("fmt other.yml: code %d, stderr %q", r.code, r.stderr)
	}
	if got := fmtRead(t, filepath.Join(dir, "other.yml")); got != fmtFormatted {
		t.Errorf("other.yml after fmt:\n%s", got)
	}
	if r := runBerth(t, dir, env, "fmt", "--check", "compose.yaml", "other.yml", "compose.override.yaml"); r.code != 0 {
		t.Errorf("not idempotent: code %d, stdout %q", r.code, r.stdout)
	}
}

func TestFmtStdin(t *testing.T) {
	dir := fmtDir(t, map[string]string{"in.yaml": fmtUnformatted})
	f, err := os.Open(filepath.Join(dir, "in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := exec.Command(berthBin, "fmt", "-")
	cmd.Dir, cmd.Env, cmd.Stdin = dir, []string{"PATH=" + os.Getenv("PATH")}, f
	out, err := cmd.Output()
	if err != nil || string(out) != fmtFormatted {
		t.Errorf("fmt -: %v, stdout:\n%s", err, out)
	}
}

func TestFmtParseError(t *testing.T) {
	dir := fmtDir(t, map[string]string{"bad.yaml": "services:\n  web:\n\timage: x\n", "good.yaml": fmtUnformatted})
	env := []string{"PATH=" + os.Getenv("PATH")}
	r := runBerth(t, dir, env, "fmt", "bad.yaml", "good.yaml")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "bad.yaml:3:1: ") {
		t.Errorf("fmt on a file with a tab: code %d, stderr %q", r.code, r.stderr)
	}
	// the good file is still formatted
	if got := fmtRead(t, filepath.Join(dir, "good.yaml")); got != fmtFormatted {
		t.Errorf("good.yaml after fmt:\n%s", got)
	}
	if r := runBerth(t, dir, env, "fmt", "missing.yaml"); r.code != 2 || !strings.HasPrefix(r.stderr, "missing.yaml: ") {
		t.Errorf("fmt on a missing file: code %d, stderr %q", r.code, r.stderr)
	}
	if r := runBerth(t, t.TempDir(), env, "fmt"); r.code != 2 || !strings.Contains(r.stderr, "no configuration file") {
		t.Errorf("fmt without a project: code %d, stderr %q", r.code, r.stderr)
	}
}
