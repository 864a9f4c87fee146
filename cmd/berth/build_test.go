package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestBuildCLI: berth builds the service's image itself (the static test
// program in a FROM scratch image), apply --build keeps the container when
// the image comes out of the cache, and down --rmi local removes the image.
func TestBuildCLI(t *testing.T) {
	needDocker(t)
	project := "berthe2ebuild" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	dir := t.TempDir()
	appContext(t, dir)
	files := map[string]string{
		"compose.yaml":      "services:\n  web:\n    build: ./app\n    command: [\"web\"]\n",
		"app/Dockerfile":    "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n",
		"app/.dockerignore": "*.md\n",
		"app/NOTES.md":      "not sent",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		env = append(env, "DOCKER_HOST="+h)
	}
	image := project + "-web"
	t.Cleanup(func() {
		runBerth(t, dir, env, "-p", project, "down", "--rmi", "local", "--progress", "quiet")
		_ = exec.Command("docker", "rmi", "-f", image).Run()
		removeProjectImages(t, project)
	})

	if r := runBerth(t, dir, env, "-p", project, "plan", "--build", "--no-build"); r.code != 2 || !strings.Contains(r.stderr, "--build and --no-build") {
		t.Errorf("--build --no-build: code %d\n%s", r.code, r.stderr)
	}
	if r := runBerth(t, dir, env, "-p", project, "plan", "--no-build"); r.code != 1 || !strings.Contains(r.stderr, "image "+image+" is not present locally and --no-build was given") {
		t.Errorf("plan --no-build without the image: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runBerth(t, dir, env, "-p", project, "plan")
	if r.code != 0 || !strings.Contains(r.stdout, "+ image:"+image) || !strings.Contains(r.stdout, "build (missing)") {
		t.Fatalf("plan: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = runBerth(t, dir, env, "-p", project, "apply", "--progress", "plain"); r.code != 0 {
		t.Fatalf("apply: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	id := func() string {
		out, err := exec.Command("docker", "ps", "-aq", "--filter", "label=com.docker.compose.project="+project).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	first := id()
	if first == "" {
		t.Fatal("no container after apply")
	}
	r = runBerth(t, dir, env, "-p", project, "apply", "--build", "--progress", "plain")
	if r.code != 0 || !strings.Contains(r.stdout, "(known after build)") || !strings.Contains(r.stdout, "0 recreated") {
		t.Fatalf("apply --build: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if again := id(); again != first {
		t.Errorf("apply --build with an unchanged context recreated the container (%s → %s)", first, again)
	}
	// -V reaches the plan: every container is to be recreated with new
	// anonymous volumes, and the short form is the long one.
	for _, flag := range []string{"-V", "--renew-anon-volumes"} {
		r = runBerth(t, dir, env, "-p", project, "plan", "--detailed-exitcode", flag)
		if r.code != 2 || !strings.Contains(r.stdout, "--renew-anon-volumes") || !strings.Contains(r.stdout, "1 to recreate") {
			t.Errorf("plan %s: code %d\n%s%s", flag, r.code, r.stdout, r.stderr)
		}
	}
	if r = runBerth(t, dir, env, "-p", project, "down", "--rmi", "bogus"); r.code != 2 {
		t.Errorf("down --rmi bogus: code %d", r.code)
	}
	if r = runBerth(t, dir, env, "-p", project, "down", "--rmi", "local", "--progress", "plain"); r.code != 0 {
		t.Fatalf("down --rmi local: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if err := exec.Command("docker", "image", "inspect", image).Run(); err == nil {
		t.Errorf("image %s still present after down --rmi local", image)
	}
}

// appContext makes dir/app a build context holding the static test program
// (testdata/e2e/app) built for Linux, the content of the test images: no
// registry is reachable, so the tests build their images from it.
func appContext(t *testing.T, dir string) string {
	t.Helper()
	ctxDir := filepath.Join(dir, "app")
	if err := os.MkdirAll(ctxDir, 0o755); err != nil {
		t.Fatal(err)
	}
	gb := exec.Command("go", "build", "-trimpath", "-ldflags=-s -w", "-o", filepath.Join(ctxDir, "app"), "./testdata/e2e/app")
	gb.Dir = "../.."
	gb.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := gb.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return ctxDir
}
