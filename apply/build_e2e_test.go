package apply

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
)

// buildContextFiles is a build context whose .dockerignore leaves out a
// secret, a big directory, logs but one, and every tmp directory.
var buildContextFiles = map[string]string{
	"Dockerfile": `FROM berth-e2e-app:test AS base
ARG GREETING=unset
ENV GREETING=${GREETING}
COPY . /ctx/
FROM base AS dev
ENV STAGE=dev
FROM base AS prod
ENV STAGE=prod
`,
	".dockerignore":   "# not for the image\nsecret.txt\n/big\n*.log\n!keep.log\n**/tmp\nDockerfile\n",
	"secret.txt":      "password=hunter2",
	"big/blob.bin":    strings.Repeat("x", 4<<20),
	"a.log":           "log",
	"keep.log":        "kept log",
	"src/main.txt":    "main",
	"src/tmp/scratch": "scratch",
	"version.txt":     "v1",
}

const buildComposeE2E = `services:
  web:
    build:
      context: ./app
      target: dev
      args:
        GREETING: hola
      labels:
        org.example.team: core
    command: ["web"]
`

// pathInContainer reports whether path exists in the container's
// filesystem (HEAD /containers/{id}/archive, which needs no shell in the
// image).
func pathInContainer(t *testing.T, d *Engine, id, path string) bool {
	t.Helper()
	_, err := d.ContainerStatPath(context.Background(), id, path)
	if err == nil {
		return true
	}
	if isNotFound(err) {
		return false
	}
	t.Fatalf("stat %s in %.12s: %v", path, id, err)
	return false
}

// removeImageAtEnd removes a test's built image when it ends.
func removeImageAtEnd(t *testing.T, d *Engine, ref string) {
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := d.ImageRemove(ctx, ref, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil && !isNotFound(err) {
			t.Errorf("cleanup: removing image %s: %v", ref, err)
		}
	})
}

func (pr *e2eProject) planWith(compose string, opts Options) *Plan {
	pr.t.Helper()
	opts.Wait = true
	plan, err := PlanFor(context.Background(), pr.d, pr.load(compose), opts)
	if err != nil {
		pr.t.Fatal(err)
	}
	return plan
}

func TestE2EBuild(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	ref := pr.name + "-web"
	removeImageAtEnd(t, d, ref)
	writeTree(t, filepath.Join(pr.dir, "app"), buildContextFiles)
	compose := buildComposeE2E

	// apply from nothing builds the image first
	plan := pr.planWith(compose, Options{})
	if got := summary(plan); !slices.Equal(got, []string{
		"build image:" + ref + " missing",
		"create-network network:" + pr.name + "_default missing",
		"create container:" + pr.name + "-web-1 missing",
	}) {
		t.Fatalf("first plan: %v", got)
	}
	var mu sync.Mutex
	var events []Event
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	err := Execute(ctx, d, plan, ExecOptions{WaitTimeout: time.Minute, PollEvery: 200 * time.Millisecond, Progress: func(e Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(events, func(e Event) bool { return e.Resource == "image:"+ref && e.Status == "Built" }) {
		t.Errorf("no Built event: %v", events)
	}
	img, err := d.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatalf("built image: %v", err)
	}
	for k, v := range map[string]string{LabelProject: pr.name, LabelService: "web", LabelVersion: ComposeVersion, LabelImageBuilder: "classic", "org.example.team": "core"} {
		if img.Config == nil || img.Config.Labels[k] != v {
			t.Errorf("image label %s = %q, want %q", k, img.Config.Labels[k], v)
		}
	}
	web := pr.observe().byService()["web"]
	if web.ImageLabel != img.ID || web.Image != ref {
		t.Errorf("container image %q label %q, want %q %q", web.Image, web.ImageLabel, ref, img.ID)
	}
	// args and target took effect
	if !slices.Contains(web.Env, "GREETING=hola") || !slices.Contains(web.Env, "STAGE=dev") {
		t.Errorf("container env %v lacks the build arg or the dev stage", web.Env)
	}
	// .dockerignore took effect
	for path, want := range map[string]bool{
		"/ctx/src/main.txt": true, "/ctx/keep.log": true, "/ctx/version.txt": true,
		// The Dockerfile is always sent, but the engine's builder drops it
		// from the context when .dockerignore lists it, as for docker build.
		"/ctx/Dockerfile": false, "/ctx/.dockerignore": true,
		"/ctx/secret.txt": false, "/ctx/big": false, "/ctx/a.log": false, "/ctx/src/tmp": false,
	} {
		if got := pathInContainer(t, d, web.ID, path); got != want {
			t.Errorf("%s in the image: %v, want %v", path, got, want)
		}
	}

	// a second apply is a no-op
	if plan := pr.planWith(compose, Options{}); !plan.Empty() {
		t.Fatalf("plan after apply: %v", summary(plan))
	}

	// --build with an unchanged context rebuilds from the cache: same image,
	// the container is kept
	plan = pr.planWith(compose, Options{Build: true})
	if got := summary(plan); !slices.Equal(got, []string{
		"build image:" + ref + " rebuild --build",
		"recreate container:" + pr.name + "-web-1 image_changed services.web.image",
	}) {
		t.Fatalf("--build plan: %v", got)
	}
	if err := pr.execute(plan, time.Minute); err != nil {
		t.Fatal(err)
	}
	if again := pr.observe().byService()["web"]; again.ID != web.ID {
		t.Errorf("--build with an unchanged context recreated the container")
	}

	// a changed file of the context: --build makes a new image and recreates
	if err := os.WriteFile(filepath.Join(pr.dir, "app", "version.txt"), []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if plan := pr.planWith(compose, Options{}); !plan.Empty() {
		t.Errorf("without --build a present image is not rebuilt, as Docker Compose: %v", summary(plan))
	}
	if err := pr.execute(pr.planWith(compose, Options{Build: true}), time.Minute); err != nil {
		t.Fatal(err)
	}
	img2, err := d.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	after := pr.observe().byService()["web"]
	if img2.ID == img.ID || after.ID == web.ID || after.ImageLabel != img2.ID {
		t.Errorf("changed context: image %s→%s, container %.12s→%.12s label %s", img.ID, img2.ID, web.ID, after.ID, after.ImageLabel)
	}
	if plan := pr.planWith(compose, Options{}); !plan.Empty() {
		t.Fatalf("plan after the rebuild: %v", summary(plan))
	}

	// down --rmi local removes the built image, but not while another
	// project's container uses it
	squatter, err := d.ContainerCreate(context.Background(), &container.Config{Image: ref, Cmd: []string{"exit", "0"}}, &container.HostConfig{}, nil, nil, pr.name+"-squatter")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = d.ContainerRemove(context.Background(), squatter.ID, container.RemoveOptions{Force: true})
	})
	images, err := DownImages("local", pr.load(compose), pr.observe())
	if err != nil || !slices.Equal(images, []string{ref}) {
		t.Fatalf("down --rmi local images %v %v", images, err)
	}
	events = nil
	err = Execute(ctx, d, DownPlan(pr.observe(), DownOptions{Images: images}), ExecOptions{Progress: func(e Event) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatalf("down --rmi with the image in use: %v", err)
	}
	if !slices.ContainsFunc(events, func(e Event) bool { return e.Status == "In use" && strings.Contains(e.Detail, "container") }) {
		t.Errorf("no In use event: %v", events)
	}
	if _, err := d.ImageInspect(context.Background(), ref); err != nil {
		t.Fatalf("image in use was removed: %v", err)
	}
	if err := d.ContainerRemove(context.Background(), squatter.ID, container.RemoveOptions{Force: true}); err != nil {
		t.Fatal(err)
	}
	if err := pr.execute(DownPlan(pr.observe(), DownOptions{Images: images}), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ImageInspect(context.Background(), ref); !isNotFound(err) {
		t.Errorf("image after down --rmi local: %v", err)
	}
}

func TestE2EBuildFailure(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	writeTree(t, filepath.Join(pr.dir, "app"), buildContextFiles)
	// An inline Dockerfile that copies the excluded secret: the builder
	// refuses, and its message is the step's error.
	compose := `services:
  leak:
    build:
      context: ./app
      dockerfile_inline: |
        FROM berth-e2e-app:test
        COPY secret.txt /secret.txt
    command: ["web"]
`
	removeImageAtEnd(t, d, pr.name+"-leak")
	err := pr.execute(pr.planWith(compose, Options{}), time.Minute)
	if err == nil {
		t.Fatal("a build that copies an excluded file succeeded")
	}
	msg := err.Error()
	if !strings.Contains(msg, "service leak: build "+pr.name+"-leak") || !strings.Contains(msg, "secret.txt") || !strings.Contains(msg, "COPY failed") {
		t.Errorf("error %q does not carry the builder's message", msg)
	}
	t.Logf("build error: %s", msg)
	if cs := pr.observe().Containers; len(cs) != 0 {
		t.Errorf("containers created after a failed build: %v", pr.observe().Summary())
	}
}

func TestE2EPullError(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	// A registry on a closed loopback port: nothing leaves the machine.
	ref := "127.0.0.1:1/berth-e2e/absent:1"
	compose := "services:\n  app:\n    image: " + ref + "\n"
	plan := pr.planWith(compose, Options{})
	if got := summary(plan); len(got) == 0 || got[0] != "pull image:"+ref+" missing" {
		t.Fatalf("plan %v", got)
	}
	err := pr.execute(plan, time.Minute)
	if err == nil || !strings.Contains(err.Error(), "service app: pull "+ref+": ") || !strings.Contains(err.Error(), "127.0.0.1:1") {
		t.Fatalf("pull of an unreachable reference: %v", err)
	}
	t.Logf("pull error: %v", err)
	if cs := pr.observe().Containers; len(cs) != 0 {
		t.Errorf("container created after a failed pull")
	}

	// pull_policy: never fails at plan time, naming the service
	compose = "services:\n  app:\n    image: " + ref + "\n    pull_policy: never\n"
	_, err = PlanFor(context.Background(), d, pr.load(compose), Options{})
	if err == nil || err.Error() != "service app: image "+ref+" is not present locally and pull_policy is never" {
		t.Errorf("pull_policy never: %v", err)
	}
}

// TestE2EBuildTagged re-enacts the seed's `up --build` service, which has
// both build: and image: — the build is tagged with image:, and only
// down --rmi all removes it.
func TestE2EBuildTagged(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	ref := pr.name + "-custom:latest"
	removeImageAtEnd(t, d, ref)
	writeTree(t, filepath.Join(pr.dir, "app"), map[string]string{"version.txt": "v1"})
	compose := `services:
  flask-redis:
    build:
      context: ./app
      dockerfile_inline: |
        FROM berth-e2e-app:test
        COPY version.txt /
    image: ` + ref + `
    command: ["web"]
`
	if got := summary(pr.planWith(compose, Options{Build: true})); len(got) == 0 || got[0] != "build image:"+ref+" rebuild --build" {
		t.Fatalf("plan %v", got)
	}
	if err := pr.execute(pr.planWith(compose, Options{Build: true}), time.Minute); err != nil {
		t.Fatal(err)
	}
	c := pr.observe().byService()["flask-redis"]
	img, err := d.ImageInspect(context.Background(), ref)
	if err != nil || c.Image != ref || c.ImageLabel != img.ID {
		t.Fatalf("container image %q label %q, image %s %v", c.Image, c.ImageLabel, img.ID, err)
	}
	if !pathInContainer(t, d, c.ID, "/version.txt") {
		t.Error("the inline Dockerfile's COPY did not happen")
	}
	p := pr.load(compose)
	if local, err := DownImages("local", p, pr.observe()); err != nil || len(local) != 0 {
		t.Errorf("--rmi local would remove %v (%v), want nothing: the image has a custom name", local, err)
	}
	all, err := DownImages("all", p, pr.observe())
	if err != nil || !slices.Equal(all, []string{ref}) {
		t.Fatalf("--rmi all: %v %v", all, err)
	}
	if err := pr.execute(DownPlan(pr.observe(), DownOptions{Images: all}), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := d.ImageInspect(context.Background(), ref); !isNotFound(err) {
		t.Errorf("image after down --rmi all: %v", err)
	}
	if _, err := d.ImageInspect(context.Background(), e2eImage); err != nil {
		t.Errorf("the base image went with it: %v", err)
	}
}
