package apply

import (
	"context"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/client"
)

const imageCmdsCompose = `name: shop
services:
  web:
    build: ./web
  worker:
    build:
      context: ./web
      args:
        MODE: worker
        LEVEL: "1"
      no_cache: false
    image: shop/worker:2
  twin:
    build: ./web
    image: shop/worker:2
  cache:
    image: redis:7
  pinned:
    image: redis:7.2
    pull_policy: missing
  latest:
    image: busybox
    pull_policy: missing
  never:
    image: local/never:1
    pull_policy: never
  mirror:
    image: redis:7
`

func TestBuildPlan(t *testing.T) {
	p := loadProject(t, imageCmdsCompose)
	plan, err := BuildPlan(p, BuildOptions{NoCache: true, Pull: true, Args: map[string]string{"LEVEL": "9"}})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range plan.Steps {
		got = append(got, string(s.Action)+" "+s.Name+" "+s.Service)
	}
	// Services without build: are left out; twin and worker build one
	// image, which is built once.
	want := []string{"build shop/worker:2 twin", "build shop-web web"}
	if !slices.Equal(got, want) {
		t.Fatalf("steps %q, want %q", got, want)
	}
	for _, s := range plan.Steps {
		b := s.Build
		if !b.NoCache || !b.Pull {
			t.Errorf("%s: no_cache %v pull %v, want both from the options", s.Name, b.NoCache, b.Pull)
		}
		if b.Labels[LabelProject] != "shop" || b.Labels[LabelService] != s.Service || b.Labels[LabelImageBuilder] != "classic" {
			t.Errorf("%s: labels %v", s.Name, b.Labels)
		}
		if b.Args["LEVEL"] != "9" {
			t.Errorf("%s: --build-arg LEVEL=9 not applied: %v", s.Name, b.Args)
		}
		if !strings.HasSuffix(b.Context, "/web") {
			t.Errorf("%s: context %s", s.Name, b.Context)
		}
	}
	if err := plan.Validate(); err != nil {
		t.Errorf("plan does not validate: %v", err)
	}

	// The same spec as apply --build builds: reused, not redone.
	applyPlan := mustDiff(t, p, &Observed{Project: "shop", Images: map[string]string{"redis:7": "sha256:r", "redis:7.2": "sha256:r2", "busybox": "sha256:b", "local/never:1": "sha256:n"}}, Options{Build: true})
	for _, s := range applyPlan.Steps {
		if s.Action == Build && s.Name == "shop-web" {
			if s.Build.NoCache || s.Build.Args["LEVEL"] != "" || s.Build.Context != plan.Steps[1].Build.Context {
				t.Errorf("apply's build spec %+v differs from build's beyond the options", s.Build)
			}
		}
	}

	// Without options the files' own build settings stay.
	plain, err := BuildPlan(p, BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := plain.Steps[0].Build; b.NoCache || b.Pull || b.Args["LEVEL"] != "" || plain.Steps[1].Build.Args != nil {
		t.Errorf("plain build spec %+v", b)
	}

	// BuildKit-only settings are refused, as in apply.
	bad := loadProject(t, "name: shop\nservices:\n  web:\n    build:\n      context: .\n      ssh: [default]\n")
	if _, err := BuildPlan(bad, BuildOptions{}); err == nil || !strings.Contains(err.Error(), "build.ssh needs BuildKit") {
		t.Errorf("ssh: error %v", err)
	}
}

func TestPullPlan(t *testing.T) {
	p := loadProject(t, imageCmdsCompose)
	present := map[string]string{"redis:7.2": "sha256:a", "busybox": "sha256:b", "redis:7": "sha256:c"}
	pulls := func(plan *Plan) []string {
		var out []string
		for _, s := range plan.Steps {
			out = append(out, s.Service+" "+s.Name)
		}
		return out
	}
	plan, skipped := PullPlan(p, present, PullOptions{})
	// cache is pulled although present (the default policy pulls), mirror
	// shares its image; pinned is present under a tag other than latest;
	// latest may have moved on; worker and twin share one image.
	want := []string{"cache redis:7", "latest busybox", "twin shop/worker:2"}
	if got := pulls(plan); !slices.Equal(got, want) {
		t.Errorf("pulls %q, want %q", got, want)
	}
	wantSkips := []Skipped{
		{"mirror", "image is already being pulled by cache"},
		{"never", "pull_policy is never"},
		{"pinned", "image is already present locally"},
		{"web", "no image to be pulled"},
		{"worker", "image is already being pulled by twin"},
	}
	if !slices.Equal(skipped, wantSkips) {
		t.Errorf("skipped %q, want %q", skipped, wantSkips)
	}
	if err := plan.Validate(); err != nil {
		t.Errorf("plan does not validate: %v", err)
	}

	plan, _ = PullPlan(p, present, PullOptions{IgnoreBuildable: true, Policy: "always"})
	want = []string{"cache redis:7", "latest busybox", "never local/never:1", "pinned redis:7.2"}
	if got := pulls(plan); !slices.Equal(got, want) {
		t.Errorf("--ignore-buildable --policy always: pulls %q, want %q", got, want)
	}
	plan, _ = PullPlan(p, nil, PullOptions{Policy: "missing"})
	// --policy replaces never too, as in Docker Compose.
	if got := pulls(plan); len(got) != 5 {
		t.Errorf("--policy missing with nothing present: pulls %q, want every image once", got)
	}

	if !Buildable(p, "twin") || !Buildable(p, "worker") || Buildable(p, "cache") || Buildable(p, "nosuch") {
		t.Error("Buildable is wrong")
	}
	solo := loadProject(t, "name: s\nservices:\n  a:\n    build: .\n    image: x/a:1\n  b:\n    image: x/a:1\n")
	if !Buildable(solo, "b") {
		t.Error("b runs the image a builds: it can be built")
	}
}

func TestPinnedTag(t *testing.T) {
	for ref, want := range map[string]bool{
		"redis:7":                    true,
		"redis":                      false,
		"redis:latest":               false,
		"localhost:5000/app":         false,
		"localhost:5000/app:1.2":     true,
		"redis@sha256:abc":           false,
		"redis:7@sha256:abc":         false,
		"registry.example.com/a/b:v": true,
	} {
		if got := pinnedTag(ref); got != want {
			t.Errorf("pinnedTag(%q) = %v, want %v", ref, got, want)
		}
	}
}

// pullsByRef is an engine whose pulls fail for the references in fail.
type pullsByRef struct {
	Docker
	fail map[string]string

	mu     sync.Mutex
	pulled []string
}

func (f *pullsByRef) ImagePull(_ context.Context, ref string, _ image.PullOptions) (io.ReadCloser, error) {
	if msg, ok := f.fail[ref]; ok {
		return io.NopCloser(strings.NewReader(`{"errorDetail":{"message":"` + msg + `"}}`)), nil
	}
	f.mu.Lock()
	f.pulled = append(f.pulled, ref)
	f.mu.Unlock()
	return io.NopCloser(strings.NewReader(`{"status":"Pull complete"}`)), nil
}

func (f *pullsByRef) ImageInspect(_ context.Context, ref string, _ ...client.ImageInspectOption) (image.InspectResponse, error) {
	return image.InspectResponse{ID: "sha256:" + ref}, nil
}

func TestExecuteEachKeepsGoing(t *testing.T) {
	p := loadProject(t, imageCmdsCompose)
	plan, _ := PullPlan(p, nil, PullOptions{})
	f := &pullsByRef{fail: map[string]string{"redis:7": "no such host"}}
	errs, err := ExecuteEach(context.Background(), f, plan, ExecOptions{Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	var failed []string
	for i, e := range errs {
		if e != nil {
			failed = append(failed, plan.Steps[i].Name+": "+e.Error())
		}
	}
	if len(failed) != 1 || !strings.HasSuffix(failed[0], "no such host") || !strings.HasPrefix(failed[0], "redis:7: service cache: pull redis:7") {
		t.Errorf("failures %q", failed)
	}
	slices.Sort(f.pulled)
	if want := []string{"busybox", "redis:7.2", "shop/worker:2"}; !slices.Equal(f.pulled, want) {
		t.Errorf("pulled %q, want every other image %q", f.pulled, want)
	}

	dependent := &Plan{FormatVersion: FormatVersion, Project: "p", Steps: []Step{
		{ID: 1, Action: Pull, Name: "a"}, {ID: 2, Action: Pull, Name: "b", After: []int{1}},
	}}
	if _, err := ExecuteEach(context.Background(), f, dependent, ExecOptions{}); err == nil {
		t.Error("ExecuteEach ran steps that wait for each other")
	}
}

func TestRmPlan(t *testing.T) {
	obs := &Observed{Project: "shop", Containers: []Container{
		{ID: "1", Name: "shop-web-1", Service: "web", State: "running", Labels: map[string]string{LabelDependsOn: "db:service_started:false"}},
		{ID: "2", Name: "shop-job-1", Service: "job", State: "exited"},
		{ID: "3", Name: "shop-job-run-x", Service: "job", State: "exited", OneOff: true},
		{ID: "4", Name: "shop-gone-1", Service: "gone", State: "exited"},
		{ID: "5", Name: "shop-db-1", Service: "db", State: "created"},
		{ID: "6", Name: "shop-web-2", Service: "web", State: "paused", Labels: map[string]string{LabelDependsOn: "db:service_started:false"}},
	}}
	names := func(p *Plan) []string {
		var out []string
		for _, s := range p.Steps {
			if s.Action != Remove || s.OldID == "" {
				t.Errorf("step %+v is not a container removal", s)
			}
			out = append(out, s.Name)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		opts RmOptions
		want []string
	}{
		{"stopped only", RmOptions{}, []string{"shop-db-1", "shop-gone-1", "shop-job-1"}},
		{"known services", RmOptions{Known: []string{"web", "job", "db"}}, []string{"shop-db-1", "shop-job-1"}},
		{"named", RmOptions{Services: []string{"job", "web"}}, []string{"shop-job-1"}},
		{"stop", RmOptions{Stop: true, Services: []string{"web"}}, []string{"shop-web-1", "shop-web-2"}},
		{"nothing", RmOptions{Services: []string{"web"}}, nil},
		// web depends on db: its containers are stopped and removed first.
		{"dependents first", RmOptions{Stop: true, Services: []string{"web", "db"}}, []string{"shop-web-1", "shop-web-2", "shop-db-1"}},
	} {
		plan := RmPlan(obs, tc.opts)
		if got := names(plan); !slices.Equal(got, tc.want) {
			t.Errorf("%s: removes %q, want %q", tc.name, got, tc.want)
		}
	}
	ordered := RmPlan(obs, RmOptions{Stop: true, Services: []string{"web", "db"}})
	if db := ordered.Steps[2]; !slices.Equal(db.After, []int{1, 2}) {
		t.Errorf("db's removal waits for %v, want web's steps 1 and 2", db.After)
	}
	plan := RmPlan(obs, RmOptions{Volumes: true})
	if !plan.Steps[0].RemoveVolumes {
		t.Error("-v does not reach the step")
	}
	if RmPlan(obs, RmOptions{}).Steps[0].RemoveVolumes {
		t.Error("anonymous volumes removed without -v")
	}
}

// removals records the container removals of an engine.
type removals struct {
	Docker
	mu   sync.Mutex
	opts map[string]container.RemoveOptions
}

func (r *removals) ContainerStop(context.Context, string, container.StopOptions) error { return nil }

func (r *removals) ContainerRemove(_ context.Context, id string, o container.RemoveOptions) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.opts == nil {
		r.opts = map[string]container.RemoveOptions{}
	}
	r.opts[id] = o
	return nil
}

func TestExecuteRmVolumes(t *testing.T) {
	obs := &Observed{Project: "shop", Containers: []Container{{ID: "2", Name: "shop-job-1", Service: "job", State: "exited"}}}
	for _, v := range []bool{false, true} {
		r := &removals{}
		if err := Execute(context.Background(), r, RmPlan(obs, RmOptions{Volumes: v}), ExecOptions{}); err != nil {
			t.Fatal(err)
		}
		if o, ok := r.opts["2"]; !ok || o.RemoveVolumes != v || !o.Force {
			t.Errorf("-v %v: remove options %+v (removed %v)", v, o, ok)
		}
	}
}
