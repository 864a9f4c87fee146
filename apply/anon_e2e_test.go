package apply

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
)

// anonComposeE2E builds an image that declares a VOLUME and adds a volume
// entry without a source: the container gets two anonymous volumes.
const anonComposeE2E = `services:
  db:
    build: ./db
    command: ["kv"]
    environment:
      GREETING: hello
    volumes:
      - /scratch
`

// TestE2EKeepsAnonymousVolumes writes a file into each anonymous volume of
// a container, recreates it (changed config, then a new image) and checks
// the replacement mounts the same volumes with the files in them, as
// Docker Compose does; with RenewAnonVolumes the replacement starts empty.
func TestE2EKeepsAnonymousVolumes(t *testing.T) {
	d := e2eDocker(t)
	// Anonymous volumes outlive their containers: remove the ones seen,
	// after the project's cleanup (registered later, so run earlier) has
	// removed the containers.
	var volumes []string
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		for _, v := range volumes {
			if err := d.VolumeRemove(ctx, v, false); err != nil && !isNotFound(err) {
				t.Errorf("cleanup: removing volume %s: %v", v, err)
			}
		}
	})
	pr := newE2EProject(t, d, "")
	ref := pr.name + "-db"
	removeImageAtEnd(t, d, ref)
	writeTree(t, filepath.Join(pr.dir, "db"), map[string]string{
		"Dockerfile":  "FROM berth-e2e-app:test\nCOPY version.txt /\nVOLUME /var/lib/db\n",
		"version.txt": "v1",
	})
	targets := []string{"/scratch", "/var/lib/db"}
	ctx := context.Background()

	// anonymous returns the names of the db container's volumes at targets.
	anonymous := func(c Container) []string {
		t.Helper()
		in, err := d.ContainerInspect(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, target := range targets {
			i := slices.IndexFunc(in.Mounts, func(m container.MountPoint) bool { return m.Destination == target })
			if i < 0 || in.Mounts[i].Type != "volume" || in.Mounts[i].Name == "" {
				t.Fatalf("%s has no volume at %s: %+v", c.Name, target, in.Mounts)
			}
			names = append(names, in.Mounts[i].Name)
		}
		volumes = append(volumes, names...)
		return names
	}
	apply := func(plan *Plan) Container {
		t.Helper()
		if err := pr.execute(plan, time.Minute); err != nil {
			t.Fatal(err)
		}
		return pr.observe().byService()["db"]
	}

	first := apply(pr.planWith(anonComposeE2E, Options{}))
	vols := anonymous(first)
	for _, target := range targets {
		putContainerFile(t, d, first.ID, target, "marker", "kept in "+target)
	}

	// A config change recreates db; the replacement mounts the same volumes.
	changed := strings.Replace(anonComposeE2E, "GREETING: hello", "GREETING: bonjour", 1)
	plan := pr.planWith(changed, Options{})
	want := []KeptVolume{{Target: targets[0], Volume: vols[0]}, {Target: targets[1], Volume: vols[1]}}
	if got := summary(plan); len(got) != 1 || !strings.HasPrefix(got[0], "recreate container:"+pr.name+"-db-1 config_changed") {
		t.Fatalf("plan after an env change: %v", got)
	}
	if !slices.Equal(plan.Steps[0].KeepVolumes, want) {
		t.Errorf("plan keeps %+v, want %+v", plan.Steps[0].KeepVolumes, want)
	}
	second := apply(plan)
	if second.ID == first.ID {
		t.Fatal("db was not recreated")
	}
	if got := anonymous(second); !slices.Equal(got, vols) {
		t.Errorf("replacement mounts volumes %v, want the old ones %v", got, vols)
	}
	for _, target := range targets {
		if got, ok := readContainerFile(t, d, second.ID, path.Join(target, "marker")); !ok || got != "kept in "+target {
			t.Errorf("%s/marker after the recreate: %q (found %t)", target, got, ok)
		}
	}
	if got := second.Labels[LabelReplace]; got != "db-1" {
		t.Errorf("%s=%q, want db-1", LabelReplace, got)
	}
	// Converged: the replacement's mounts are not drift.
	if plan := pr.planWith(changed, Options{}); !plan.Empty() {
		t.Fatalf("plan after the recreate is not empty: %v", summary(plan))
	}

	// A new image (rebuilt with --build) recreates db, keeping the volumes.
	if err := os.WriteFile(filepath.Join(pr.dir, "db", "version.txt"), []byte("v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan = pr.planWith(changed, Options{Build: true})
	if len(plan.Steps) != 2 || plan.Steps[1].Action != Recreate || !slices.Equal(plan.Steps[1].KeepVolumes, want) {
		t.Fatalf("plan after a context change with --build: %v, keeps %+v", summary(plan), plan.Steps[len(plan.Steps)-1].KeepVolumes)
	}
	third := apply(plan)
	if third.ID == second.ID {
		t.Fatal("db was not recreated for its new image")
	}
	if got, _ := readContainerFile(t, d, third.ID, "/version.txt"); got != "v2" {
		t.Fatalf("db runs an image with version %q, want the rebuilt v2", got)
	}
	if got := anonymous(third); !slices.Equal(got, vols) {
		t.Errorf("replacement for the new image mounts volumes %v, want the old ones %v", got, vols)
	}
	for _, target := range targets {
		if _, ok := readContainerFile(t, d, third.ID, path.Join(target, "marker")); !ok {
			t.Errorf("%s/marker lost with the new image", target)
		}
	}

	// RenewAnonVolumes recreates with new, empty anonymous volumes, though
	// nothing changed.
	plan = pr.planWith(changed, Options{RenewAnonVolumes: true})
	if got := summary(plan); !slices.Equal(got, []string{"recreate container:" + pr.name + "-db-1 config_changed --renew-anon-volumes"}) {
		t.Fatalf("plan with RenewAnonVolumes: %v", got)
	}
	renewed := apply(plan)
	fresh := anonymous(renewed)
	for i, target := range targets {
		if fresh[i] == vols[i] {
			t.Errorf("RenewAnonVolumes kept volume %s at %s", vols[i], target)
		}
		if _, ok := readContainerFile(t, d, renewed.ID, path.Join(target, "marker")); ok {
			t.Errorf("%s/marker is still there with RenewAnonVolumes", target)
		}
	}
	if v, ok := renewed.Labels[LabelReplace]; ok {
		t.Errorf("%s=%q with RenewAnonVolumes: Docker Compose writes it only when it keeps volumes", LabelReplace, v)
	}
	if plan := pr.planWith(changed, Options{}); !plan.Empty() {
		t.Fatalf("plan after the renewing recreate is not empty: %v", summary(plan))
	}
}

// putContainerFile writes one file into dir of the container (PUT
// /containers/{id}/archive: the image needs no shell).
func putContainerFile(t *testing.T, d *Engine, id, dir, name, content string) {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(content)), ModTime: time.Unix(0, 0)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tw.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.CopyToContainer(context.Background(), id, dir, &buf, container.CopyToContainerOptions{}); err != nil {
		t.Fatalf("writing %s/%s in %.12s: %v", dir, name, id, err)
	}
}

// readContainerFile reads a file of the container (GET /containers/{id}/archive),
// or reports that there is none.
func readContainerFile(t *testing.T, d *Engine, id, file string) (string, bool) {
	t.Helper()
	rc, _, err := d.CopyFromContainer(context.Background(), id, file)
	if isNotFound(err) {
		return "", false
	}
	if err != nil {
		t.Fatalf("reading %s in %.12s: %v", file, id, err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil {
		t.Fatalf("reading %s in %.12s: %v", file, id, err)
	}
	b, err := io.ReadAll(tr)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return string(b), true
}
