package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSeedTutorialCommands runs the commands of the seed tutorial's
// "step by step" and "remove" sections that berth took over from
// docker-compose: build, build SERVICE, pull, up -d --remove-orphans and rm.
func TestSeedTutorialCommands(t *testing.T) {
	needDocker(t)
	project := "berthe2eseed" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	dir := t.TempDir()
	appContext(t, dir)
	jobImage := project + "-job:1"
	webImage := project + "-web"
	files := map[string]string{
		// job is a one-shot that exits 0: a stopped container for rm. cache
		// and broken are behind profiles so that apply leaves them out;
		// naming them enables them.
		"compose.yaml": `services:
  web:
    build: ./app
    command: ["web"]
  job:
    build: ./app
    image: ` + jobImage + `
    pull_policy: missing
    command: ["exit", "0"]
    restart: "no"
  cache:
    image: berthe2e-nosuch.invalid/cache:1
    profiles: [remote]
  broken:
    build:
      context: ./app
      dockerfile: Broken.Dockerfile
    profiles: [broken]
`,
		"app/Dockerfile":        "FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n",
		"app/Broken.Dockerfile": "FROM scratch\nCOPPY app /app\n",
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
	t.Cleanup(func() {
		runBerth(t, dir, env, "-p", project, "down", "--rmi", "all", "--progress", "quiet")
		_ = exec.Command("docker", "rmi", "-f", webImage, jobImage).Run()
		removeProjectImages(t, project)
	})
	berth := func(args ...string) result {
		return runBerth(t, dir, env, append([]string{"-p", project}, args...)...)
	}
	labels := func(image string) map[string]string {
		out, err := exec.Command("docker", "image", "inspect", "--format", "{{json .Config.Labels}}", image).Output()
		if err != nil {
			return nil
		}
		var l map[string]string
		if err := json.Unmarshal(out, &l); err != nil {
			t.Fatalf("labels of %s: %v", image, err)
		}
		return l
	}
	containers := func() string {
		out, err := exec.Command("docker", "ps", "-a", "--filter", "label=com.docker.compose.project="+project, "--format", "{{.Names}}={{.State}}").Output()
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Fields(string(out))
		slices.Sort(lines)
		return strings.Join(lines, " ")
	}

	// docker-compose build: every service with build:, images named and
	// labelled as apply names them.
	r := berth("build", "--progress", "plain")
	if r.code != 0 || !strings.Contains(r.stdout, "2 built") {
		t.Fatalf("build: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for image, service := range map[string]string{webImage: "web", jobImage: "job"} {
		l := labels(image)
		if l["com.docker.compose.project"] != project || l["com.docker.compose.service"] != service || l["com.docker.compose.image.builder"] != "classic" {
			t.Errorf("image %s after build: labels %v", image, l)
		}
	}

	// docker-compose build flask-redis: only that one, always (no cache).
	r = berth("build", "web", "--no-cache", "--progress", "plain")
	if r.code != 0 || !strings.Contains(r.stdout, "1 built") || !strings.Contains(r.stderr, "image:"+webImage) || strings.Contains(r.stderr, "image:"+jobImage) {
		t.Errorf("build web: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = berth("build", "-q", "cache"); r.code != 0 || r.stdout != "" {
		t.Errorf("build of a service without build: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = berth("build", "broken", "--progress", "plain")
	if r.code != 1 || !strings.Contains(r.stderr, "build failed") || !strings.Contains(strings.ToLower(r.stderr), "unknown instruction") {
		t.Errorf("failing build: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}

	// docker-compose pull: no registry is reachable here. job's image is
	// present under its own tag with pull_policy missing: skipped; web
	// only builds; cache's registry does not resolve.
	r = berth("pull", "--progress", "plain", "job", "web")
	if r.code != 0 || !strings.Contains(r.stdout, "0 pulled, 0 failed, 2 skipped") || !strings.Contains(r.stderr, "already present locally") {
		t.Errorf("pull of present and build-only images: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = berth("pull", "--progress", "plain", "cache")
	if r.code != 1 || !strings.Contains(r.stderr, "pull failed") || !strings.Contains(r.stderr, "berthe2e-nosuch.invalid") {
		t.Errorf("pull from a registry that does not resolve: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = berth("pull", "--ignore-pull-failures", "--progress", "plain", "cache")
	if r.code != 0 || !strings.Contains(r.stdout, "1 failed") || !strings.Contains(r.stderr, "(ignored)") {
		t.Errorf("pull --ignore-pull-failures: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = berth("pull", "--policy", "sometimes"); r.code != 2 {
		t.Errorf("pull --policy sometimes: code %d", r.code)
	}

	// docker-compose up -d (--remove-orphans is berth's default).
	if r = berth("apply", "--keep-orphans", "--remove-orphans"); r.code != 2 || !strings.Contains(r.stderr, "cannot be used together") {
		t.Errorf("apply --keep-orphans --remove-orphans: code %d\n%s", r.code, r.stderr)
	}
	if r = berth("apply", "--remove-orphans", "--no-build", "--wait=false", "--progress", "plain"); r.code != 0 {
		t.Fatalf("apply --remove-orphans: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// The one-shot job exits on its own, soon after it starts.
	want := project + "-job-1=exited " + project + "-web-1=running"
	got := containers()
	for deadline := time.Now().Add(10 * time.Second); got != want && time.Now().Before(deadline); got = containers() {
		time.Sleep(100 * time.Millisecond)
	}
	if got != want {
		t.Fatalf("containers after apply: %s, want %s", got, want)
	}

	// docker-compose rm: the stopped job goes, the running web stays.
	r = berth("rm", "--progress", "plain")
	if r.code != 0 || !strings.Contains(r.stdout, "Going to remove "+project+"-job-1\n") || strings.Contains(r.stdout, "web") {
		t.Errorf("rm: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got, want := containers(), project+"-web-1=running"; got != want {
		t.Errorf("containers after rm: %s, want %s", got, want)
	}
	// -f is Docker Compose's force when no compose file follows it; the
	// global -f before the command still names the file.
	r = runBerth(t, dir, env, "-f", "compose.yaml", "-p", project, "rm", "-f", "web")
	if r.code != 0 || r.stdout != "No stopped containers\n" {
		t.Errorf("rm -f web with web running: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = berth("rm", "nosuch"); r.code != 2 || !strings.Contains(r.stderr, "no such service: nosuch") {
		t.Errorf("rm nosuch: code %d\n%s", r.code, r.stderr)
	}
	r = berth("rm", "-s", "-v", "-f", "web", "--progress", "plain")
	if r.code != 0 || !strings.Contains(r.stdout, "1 removed") {
		t.Errorf("rm -s -v -f web: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := containers(); got != "" {
		t.Errorf("containers after rm -s: %s, want none", got)
	}

	// docker-compose down --remove-orphans: accepted, down removes orphans anyway.
	if r = berth("apply", "--no-build", "--wait=false", "--progress", "quiet"); r.code != 0 {
		t.Fatalf("apply again: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = berth("down", "--remove-orphans", "--progress", "plain"); r.code != 0 {
		t.Errorf("down --remove-orphans: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if got := containers(); got != "" {
		t.Errorf("containers after down: %s, want none", got)
	}
}
