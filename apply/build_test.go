package apply

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

const buildCompose = `name: shop
services:
  api:
    build:
      context: ./api
      dockerfile: build/Dockerfile
      target: runtime
      args:
        VERSION: "1.2"
        API_TOKEN: t0ken
      labels:
        team: core
      network: host
      extra_hosts:
        - "mirror=10.0.0.1"
    command: ["web"]
  cache:
    image: berth-e2e-app:test
    command: ["kv"]
`

func buildProject(t *testing.T, compose string) *types.Project {
	t.Helper()
	return loadProject(t, compose)
}

func stepsByResource(p *Plan) map[string]Step {
	m := map[string]Step{}
	for _, s := range p.Steps {
		m[s.Resource] = s
	}
	return m
}

func TestDiffBuildsMissingImage(t *testing.T) {
	p := buildProject(t, buildCompose)
	plan, err := Diff(p, &Observed{Project: "shop", Images: images()}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := summary(plan)
	want := []string{
		"build image:shop-api missing",
		"create-network network:shop_default missing",
		"create container:shop-api-1 missing",
		"create container:shop-cache-1 missing",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("steps %q, want %q", got, want)
	}
	if err := plan.Validate(); err != nil {
		t.Fatal(err)
	}
	steps := stepsByResource(plan)
	b := steps["image:shop-api"]
	if !slices.Contains(steps["container:shop-api-1"].After, b.ID) {
		t.Errorf("container does not wait for its build: %v", steps["container:shop-api-1"].After)
	}
	if slices.Contains(steps["container:shop-cache-1"].After, b.ID) {
		t.Error("an unrelated container waits for the build")
	}
	spec := b.Build
	if spec.Context != p.WorkingDir+"/api" || spec.Dockerfile != "build/Dockerfile" || spec.Target != "runtime" || spec.Network != "host" {
		t.Errorf("spec %+v", spec)
	}
	if spec.Args["VERSION"] != "1.2" || !slices.Equal(spec.ExtraHosts, []string{"mirror:10.0.0.1"}) {
		t.Errorf("args %v extra hosts %v", spec.Args, spec.ExtraHosts)
	}
	wantLabels := map[string]string{"team": "core", LabelProject: "shop", LabelService: "api", LabelVersion: ComposeVersion, LabelImageBuilder: "classic"}
	for k, v := range wantLabels {
		if spec.Labels[k] != v {
			t.Errorf("image label %s = %q, want %q", k, spec.Labels[k], v)
		}
	}
	if img := steps["container:shop-api-1"].Container.Config.Image; img != "shop-api" {
		t.Errorf("container image %q, want the default name shop-api", img)
	}
	// Secret-looking build args are masked for display.
	m := stepsByResource(plan.Masked())["image:shop-api"].Build
	if m.Args["API_TOKEN"] != Masked || m.Args["VERSION"] != "1.2" || spec.Args["API_TOKEN"] != "t0ken" {
		t.Errorf("masked args %v (original %v)", m.Args, spec.Args)
	}
}

func TestDiffImagePolicies(t *testing.T) {
	built := map[string]string{"berth-e2e-app:test": "sha256:aaaa", "shop-api": "sha256:1111"}
	p := buildProject(t, buildCompose)
	up := converged(t, mustDiff(t, p, &Observed{Project: "shop", Images: built}, Options{}), &Observed{Project: "shop", Images: built})
	// converged containers carry the image label Diff put on them
	for _, c := range up.Containers {
		if want := built[c.Image]; c.ImageLabel != want {
			t.Fatalf("%s image label %q, want %q", c.Name, c.ImageLabel, want)
		}
	}
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	withTime := func(o *Observed, t time.Time) *Observed {
		c := *o
		c.ImageTime = map[string]time.Time{"berth-e2e-app:test": t, "shop-api": t}
		return &c
	}
	policy := func(pol string) *types.Project {
		return buildProject(t, strings.Replace(buildCompose, "    command: [\"kv\"]", "    command: [\"kv\"]\n    pull_policy: "+pol, 1))
	}
	tests := []struct {
		name string
		p    *types.Project
		obs  *Observed
		opts Options
		want []string
		err  string
	}{
		{"present image is not rebuilt", p, up, Options{}, nil, ""},
		{"--build rebuilds and recreates only if the image changes", p, up, Options{Build: true}, []string{
			"build image:shop-api rebuild --build",
			"recreate container:shop-api-1 image_changed services.api.image",
		}, ""},
		{"pull_policy build", buildProject(t, strings.Replace(buildCompose, "    command: [\"web\"]", "    command: [\"web\"]\n    pull_policy: build", 1)), up, Options{}, []string{
			"build image:shop-api rebuild services.api.pull_policy",
			"recreate container:shop-api-1 image_changed services.api.image",
		}, ""},
		{"--no-build with a present image", p, up, Options{NoBuild: true, Build: false}, nil, ""},
		{"--no-build with a missing image", p, &Observed{Project: "shop", Images: images()}, Options{NoBuild: true}, nil,
			"service api: image shop-api is not present locally and --no-build was given"},
		{"pull_policy always pulls a present image", policy("always"), up, Options{}, []string{
			"pull image:berth-e2e-app:test refresh services.cache.pull_policy",
			"recreate container:shop-cache-1 image_changed services.cache.image",
		}, ""},
		{"pull_policy never with a present image", policy("never"), up, Options{}, nil, ""},
		{"pull_policy never with a missing image", policy("never"), &Observed{Project: "shop", Images: map[string]string{"shop-api": "sha256:1111"}}, Options{}, nil,
			"service cache: image berth-e2e-app:test is not present locally and pull_policy is never"},
		{"pull_policy missing pulls a missing image", policy("missing"), &Observed{Project: "shop", Images: map[string]string{"shop-api": "sha256:1111"}}, Options{}, []string{
			"pull image:berth-e2e-app:test missing",
			"create-network network:shop_default missing",
			"create container:shop-api-1 missing",
			"create container:shop-cache-1 missing",
		}, ""},
		{"pull_policy daily, pulled long ago", policy("daily"), withTime(up, old), Options{Now: old.Add(25 * time.Hour)}, []string{
			"pull image:berth-e2e-app:test refresh services.cache.pull_policy",
			"recreate container:shop-cache-1 image_changed services.cache.image",
		}, ""},
		{"pull_policy daily, pulled recently", policy("daily"), withTime(up, old), Options{Now: old.Add(23 * time.Hour)}, nil, ""},
		{"pull_policy every_2h", policy("every_2h"), withTime(up, old), Options{Now: old.Add(3 * time.Hour)}, []string{
			"pull image:berth-e2e-app:test refresh services.cache.pull_policy",
			"recreate container:shop-cache-1 image_changed services.cache.image",
		}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			plan, err := Diff(tt.p, tt.obs, tt.opts)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := summary(plan); !slices.Equal(got, tt.want) {
				t.Fatalf("steps:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if err := plan.Validate(); err != nil {
				t.Fatal(err)
			}
			for _, s := range plan.Steps {
				if s.Action != Recreate {
					continue
				}
				c := s.IfImageChanged
				if c == nil || c.ID != tt.obs.Images[c.Ref] || c.Start {
					t.Errorf("%s: image check %+v", s.Resource, c)
				}
				if r := s.Reasons[0]; !strings.HasPrefix(r.New, "(known after ") {
					t.Errorf("%s: reason %+v", s.Resource, r)
				}
			}
		})
	}
}

func mustDiff(t *testing.T, p *types.Project, obs *Observed, opts Options) *Plan {
	t.Helper()
	plan, err := Diff(p, obs, opts)
	if err != nil {
		t.Fatal(err)
	}
	return plan
}

func TestBuildSpecRefusesBuildKitOnly(t *testing.T) {
	p := buildProject(t, strings.Replace(buildCompose, "      target: runtime\n", "      target: runtime\n      ssh: [default]\n", 1))
	_, err := Diff(p, &Observed{Project: "shop", Images: images()}, Options{})
	if err == nil || !strings.Contains(err.Error(), "service api: build.ssh needs BuildKit") {
		t.Errorf("error %v", err)
	}
}

func TestReadStream(t *testing.T) {
	var seen []string
	err := readStream(strings.NewReader(`{"stream":"Step 1/2 : FROM scratch\n"}
{"stream":" ---\u003e Running\n"}
{"errorDetail":{"code":1,"message":"COPY failed: file not found in build context or excluded by .dockerignore: stat secret.txt: file does not exist"},"error":"COPY failed: short"}
{"stream":"never read\n"}
`), func(m streamMessage) { seen = append(seen, m.Stream) })
	if err == nil || err.Error() != "COPY failed: file not found in build context or excluded by .dockerignore: stat secret.txt: file does not exist" {
		t.Errorf("error %v, want the errorDetail message", err)
	}
	if len(seen) != 2 {
		t.Errorf("messages before the error: %q", seen)
	}
	if err := readStream(strings.NewReader(`{"status":"Pulling"}{"error":"manifest unknown"}`), nil); err == nil || err.Error() != "manifest unknown" {
		t.Errorf("error-only message: %v", err)
	}
	if err := readStream(strings.NewReader(`{"status":"ok"}`+"\n"), nil); err != nil {
		t.Errorf("clean stream: %v", err)
	}
	if err := readStream(strings.NewReader(`{"status":`), nil); err == nil {
		t.Error("truncated stream accepted")
	}
}

func TestDownImages(t *testing.T) {
	p := buildProject(t, buildCompose)
	obs := &Observed{Project: "shop", Containers: []Container{
		{Name: "shop-api-1", Service: "api", Image: "shop-api"},
		{Name: "shop-old-1", Service: "old", Image: "shop-old"}, // an orphan's built image
		{Name: "shop-cache-1", Service: "cache", Image: "berth-e2e-app:test"},
	}}
	for _, tc := range []struct {
		mode string
		p    *types.Project
		want []string
	}{
		{"local", p, []string{"shop-api", "shop-old"}},
		{"all", p, []string{"berth-e2e-app:test", "shop-api", "shop-old"}},
		{"local", nil, []string{"shop-api", "shop-old"}},
		{"", p, nil},
	} {
		got, err := DownImages(tc.mode, tc.p, obs)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%q (project %v): %q %v, want %q", tc.mode, tc.p != nil, got, err, tc.want)
		}
	}
	if _, err := DownImages("some", p, obs); err == nil {
		t.Error("--rmi some accepted")
	}
	plan := DownPlan(obs, DownOptions{Images: []string{"shop-api"}})
	last := plan.Steps[len(plan.Steps)-1]
	if last.Action != RemoveImage || last.Name != "shop-api" || len(last.After) != 3 {
		t.Errorf("image step %+v", last)
	}
}

func TestBuildSpecPrepare(t *testing.T) {
	root := t.TempDir()
	ctx := root + "/ctx"
	writeTree(t, root, map[string]string{
		"Dockerfile.outside":    "FROM scratch\n",
		"ctx/docker/Dockerfile": "FROM scratch\n",
		"ctx/.dockerignore":     "docker\n",
		"ctx/docker/other.txt":  "excluded",
		"ctx/app.txt":           "a",
	})
	for _, tc := range []struct {
		name       string
		spec       BuildSpec
		dockerfile string // the dockerfile option; "extra" for a file sent under a generated name
		entries    []string
		err        string
	}{
		{"dockerfile in an excluded directory is still sent", BuildSpec{Context: ctx, Dockerfile: "docker/Dockerfile"}, "docker/Dockerfile",
			[]string{".dockerignore", "app.txt", "docker/Dockerfile"}, ""},
		{"dockerfile outside the context", BuildSpec{Context: ctx, Dockerfile: "../Dockerfile.outside"}, "extra",
			[]string{"extra", ".dockerignore", "app.txt"}, ""},
		{"absolute dockerfile outside the context", BuildSpec{Context: ctx, Dockerfile: root + "/Dockerfile.outside"}, "extra",
			[]string{"extra", ".dockerignore", "app.txt"}, ""},
		{"missing dockerfile", BuildSpec{Context: ctx, Dockerfile: "nope/Dockerfile"}, "", nil, "reading Dockerfile"},
		{"missing context", BuildSpec{Context: root + "/none"}, "", nil, "build context"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bc, o, err := tc.spec.prepare("img")
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := tc.dockerfile
			if want == "extra" {
				want = extraFileName([]byte("FROM scratch\n"))
			}
			if o.Dockerfile != want || o.Tags[0] != "img" {
				t.Errorf("options %+v", o)
			}
			var names []string
			for n := range readTar(t, contextTar(t, bc)) {
				if n == want && tc.dockerfile == "extra" {
					n = "extra"
				}
				if !strings.HasSuffix(n, "/") {
					names = append(names, n)
				}
			}
			slices.Sort(names)
			w := slices.Clone(tc.entries)
			slices.Sort(w)
			if !slices.Equal(names, w) {
				t.Errorf("context %q, want %q", names, w)
			}
		})
	}
}

func TestBuildPlanRoundTrip(t *testing.T) {
	p := buildProject(t, buildCompose)
	built := map[string]string{"berth-e2e-app:test": "sha256:aaaa", "shop-api": "sha256:1111"}
	up := converged(t, mustDiff(t, p, &Observed{Project: "shop", Images: built}, Options{}), &Observed{Project: "shop", Images: built})
	plan := mustDiff(t, p, up, Options{Build: true})
	var buf strings.Builder
	if err := WriteJSON(&buf, plan); err != nil {
		t.Fatal(err)
	}
	back, err := ReadJSON(strings.NewReader(buf.String()))
	if err != nil {
		t.Fatal(err)
	}
	b, r := stepsByResource(back)["image:shop-api"], stepsByResource(back)["container:shop-api-1"]
	if b.Build == nil || b.Build.Args["API_TOKEN"] != "t0ken" || b.Build.Target != "runtime" || b.Actions[0] != "build" {
		t.Errorf("build step after a round trip: %+v", b)
	}
	if c := r.IfImageChanged; c == nil || c.Ref != "shop-api" || c.ID != "sha256:1111" {
		t.Errorf("image check after a round trip: %+v", r.IfImageChanged)
	}
	// A saved build step without its spec is refused.
	if _, err := ReadJSON(strings.NewReader(strings.Replace(buf.String(), `"build_spec"`, `"ignored"`, 1))); err == nil || !strings.Contains(err.Error(), "no build spec") {
		t.Errorf("build step without a spec: %v", err)
	}
}
