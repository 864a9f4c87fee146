package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// fakeImages is an engine that only builds, pulls and inspects images;
// any other call panics through the nil embedded interface.
type fakeImages struct {
	Docker
	t         *testing.T
	pullBody  string
	buildBody string
	ids       map[string]string

	mu      sync.Mutex
	context map[string]tarEntry
	opts    build.ImageBuildOptions
	created []string
}

func (f *fakeImages) ImagePull(context.Context, string, image.PullOptions) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader(f.pullBody)), nil
}

func (f *fakeImages) ImageBuild(_ context.Context, r io.Reader, o build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return build.ImageBuildResponse{}, err
	}
	f.mu.Lock()
	f.context, f.opts = readTar(f.t, b), o
	f.mu.Unlock()
	return build.ImageBuildResponse{Body: io.NopCloser(strings.NewReader(f.buildBody))}, nil
}

func (f *fakeImages) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	return image.InspectResponse{ID: f.ids[ref]}, nil
}

func (f *fakeImages) ContainerCreate(_ context.Context, _ *container.Config, _ *container.HostConfig, _ *network.NetworkingConfig, _ *ocispec.Platform, name string) (container.CreateResponse, error) {
	f.mu.Lock()
	f.created = append(f.created, name)
	f.mu.Unlock()
	return container.CreateResponse{}, errors.New("fake: no containers")
}

func TestExecutePullStreamError(t *testing.T) {
	f := &fakeImages{t: t, pullBody: `{"status":"Pulling from library/absent"}
{"errorDetail":{"message":"manifest for absent:1 not found: manifest unknown"},"error":"manifest for absent:1 not found"}
`}
	plan := &Plan{FormatVersion: FormatVersion, Project: "p", Steps: []Step{{ID: 1, Resource: "image:absent:1", Action: Pull, Service: "app", Name: "absent:1"}}}
	err := Execute(context.Background(), f, plan, ExecOptions{})
	if err == nil || err.Error() != "service app: pull absent:1: manifest for absent:1 not found: manifest unknown" {
		t.Errorf("error %v", err)
	}
}

func TestExecuteBuild(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{".dockerignore": "secret.txt\n", "secret.txt": "s", "app.txt": "a"})
	inline := "FROM scratch\nCOPY app.txt /\n"
	spec := &BuildSpec{Context: dir, DockerfileInline: inline, Args: map[string]string{"V": "1"}, Target: "dev", Labels: map[string]string{LabelProject: "p"}, Tags: []string{"p-app:extra"}}
	plan := &Plan{FormatVersion: FormatVersion, Project: "p", Steps: []Step{{ID: 1, Resource: "image:p-app", Action: Build, Service: "app", Name: "p-app", Build: spec}}}

	f := &fakeImages{t: t, buildBody: `{"stream":"Step 1/2 : FROM scratch\n"}
{"errorDetail":{"message":"dockerfile parse error line 2: unknown instruction: COPPY"},"error":"x"}
`}
	err := Execute(context.Background(), f, plan, ExecOptions{})
	if err == nil || err.Error() != "service app: build p-app: dockerfile parse error line 2: unknown instruction: COPPY\nlast build output:\n  Step 1/2 : FROM scratch" {
		t.Errorf("build stream error: %v", err)
	}
	name := extraFileName([]byte(inline))
	if f.opts.Dockerfile != name || f.context[name].body != inline {
		t.Errorf("inline Dockerfile: option %q, context %v", f.opts.Dockerfile, f.context)
	}
	if _, ok := f.context["secret.txt"]; ok || f.context["app.txt"].body != "a" {
		t.Errorf("context entries %v", f.context)
	}
	if v := f.opts.BuildArgs["V"]; v == nil || *v != "1" || f.opts.Target != "dev" || f.opts.Labels[LabelProject] != "p" ||
		strings.Join(f.opts.Tags, ",") != "p-app,p-app:extra" || f.opts.Version != build.BuilderV1 {
		t.Errorf("build options %+v", f.opts)
	}

	// A rebuild that yields the same image ID keeps the container; another
	// ID recreates it (here: the fake's ContainerCreate is reached).
	for _, tc := range []struct {
		id       string
		recreate bool
	}{{"sha256:same", false}, {"sha256:new", true}} {
		f := &fakeImages{t: t, buildBody: `{"stream":"Successfully built"}`, ids: map[string]string{"p-app": tc.id}}
		c := &ContainerSpec{Config: &container.Config{Image: "p-app", Labels: map[string]string{}}, HostConfig: &container.HostConfig{}}
		plan := &Plan{FormatVersion: FormatVersion, Project: "p", Steps: []Step{
			{ID: 1, Resource: "image:p-app", Action: Build, Service: "app", Name: "p-app", Build: spec},
			{ID: 2, Resource: "container:p-app-1", Action: Recreate, Service: "app", Name: "p-app-1", OldID: "old", After: []int{1}, Container: c,
				IfImageChanged: &ImageCheck{Ref: "p-app", ID: "sha256:same"}},
		}}
		var events []string
		err := Execute(context.Background(), f, plan, ExecOptions{Progress: func(e Event) { events = append(events, e.Resource+" "+e.Status) }})
		if tc.recreate {
			if err == nil || len(f.created) != 1 {
				t.Errorf("new image ID: container not recreated (%v, %v)", err, f.created)
			}
			continue
		}
		if err != nil || len(f.created) != 0 || !strings.Contains(strings.Join(events, "\n"), "container:p-app-1 Unchanged") {
			t.Errorf("same image ID: %v, created %v, events %v", err, f.created, events)
		}
	}
}

func TestOutputTail(t *testing.T) {
	var tail outputTail
	for i := range 30 {
		tail.add(fmt.Sprintf("line %d\n ---> abc123\n\n", i))
	}
	err := tail.wrap(errors.New("The command '/bin/sh -c make' returned a non-zero code: 2"))
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2+tailLines || lines[2] != "  line 15" || lines[len(lines)-1] != "  line 29" {
		t.Errorf("error with tail:\n%s", err)
	}
	var empty outputTail
	if e := errors.New("x"); empty.wrap(e) != e {
		t.Error("an empty tail changed the error")
	}
}
