package apply

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDiffNamesAFieldWheneverTheHashDiffers runs the field cases of the
// end-to-end test against a converged state made from the plan's own
// specs: whenever the config hash of web differs, the recreate names at
// least one field, never the service alone; and the fields the engine
// reports are the ones the case changed.
func TestDiffNamesAFieldWheneverTheHashDiffers(t *testing.T) {
	for _, tc := range fieldCases {
		t.Run(tc.name, func(t *testing.T) {
			write := func(files map[string]string) {
				d, _ := projectDirs.LoadOrStore(t, t.TempDir())
				for f, body := range files {
					if err := os.WriteFile(filepath.Join(d.(string), f), []byte(body), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, ok := tc.files[".env"]; ok {
				t.Skip("loadProject writes its own .env; the end-to-end test covers this case")
			}
			write(tc.files)
			p := loadProject(t, "name: shop\n"+webService(tc.before))
			empty := &Observed{Project: "shop", Images: images()}
			first := mustDiff(t, p, empty, Options{})
			obs := converged(t, first, empty)
			write(tc.filesAfter)
			changed := loadProject(t, "name: shop\n"+webService(strings.ReplaceAll(tc.after, "{{tag}}", "berth-e2e-app:other")))
			plan := mustDiff(t, changed, obs, Options{})
			i := slices.IndexFunc(plan.Steps, func(s Step) bool { return s.Action == Recreate })
			if i < 0 {
				if strings.HasPrefix(tc.name, "config") || strings.HasPrefix(tc.name, "secret") {
					return // content is read from the engine: see the end-to-end test
				}
				t.Fatalf("no recreate: %v", summary(plan))
			}
			var got []string
			for _, r := range plan.Steps[i].Reasons {
				if r.Field == "services.web" || r.Field == "" {
					t.Errorf("the hash differs but no field is named: %+v", r)
				}
				got = append(got, listIndex.ReplaceAllString(r.Field, ""))
			}
			slices.Sort(got)
			if got = slices.Compact(got); !slices.Equal(got, tc.want) {
				t.Errorf("named %v, want %v", got, tc.want)
			}
		})
	}
}

func TestRenderReasons(t *testing.T) {
	plan := &Plan{Project: "shop", Steps: []Step{
		{ID: 1, Resource: "image:shop-web", Action: Build},
		{ID: 2, Resource: "network:shop_default", Action: CreateNetwork, Reasons: []Reason{{Code: Missing}}},
		{ID: 3, Resource: "container:shop-db-1", Action: Create, Reasons: []Reason{{Code: Missing}}},
		{ID: 4, Resource: "container:shop-web-1", Action: Recreate, Reasons: []Reason{
			{Code: ConfigChanged, Field: "services.web.ports[1]", Change: Added, New: "127.0.0.1:8080:80/tcp"},
			{Code: ConfigChanged, Field: "services.web.environment.DEBUG", Change: Removed, Old: "1"},
			{Code: ConfigChanged, Field: "services.web.healthcheck.interval", Change: Changed, Old: "30s", New: "10s"},
			{Code: ConfigChanged, Field: "services.web.environment.DB_PASSWORD", Change: Changed, Old: "a", New: "b", Sensitive: true},
			{Code: ConfigChanged, Field: "secrets.token.environment", Change: Added, New: "t0k", Sensitive: true},
		}},
		{ID: 5, Resource: "container:shop-worker-1", Action: Stop, Reasons: []Reason{{Code: DependencyRecreated, New: "web"}}},
		{ID: 6, Resource: "container:shop-old-1", Action: Remove, Reasons: []Reason{{Code: Orphan}}},
	}}
	var b bytes.Buffer
	if err := WriteHuman(&b, plan.Masked()); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`      + services.web.ports[1]: "127.0.0.1:8080:80/tcp"` + "\n",
		`      - services.web.environment.DEBUG: "1" (removed)` + "\n",
		`      ~ services.web.healthcheck.interval: "30s" → "10s"` + "\n",
		`      ~ services.web.environment.DB_PASSWORD: (sensitive value changed)` + "\n",
		`      + secrets.token.environment: (sensitive value added)` + "\n",
		"Plan: 1 to build, 2 to create, 1 to recreate, 1 to stop, 1 to remove.\n",
	} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("plan lacks %q:\n%s", want, b.String())
		}
	}
	if strings.Contains(b.String(), "t0k") || strings.Contains(b.String(), "\x1b[") {
		t.Errorf("masked plan without colour shows a secret or colour:\n%s", b.String())
	}
	b.Reset()
	_ = WriteHumanWith(&b, plan, HumanOptions{Color: true})
	for _, want := range []string{ansiGreen + "+" + ansiReset, ansiYellow + "~" + ansiReset, ansiRed + "-" + ansiReset, `"a" → "b"`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("coloured, unmasked plan lacks %q:\n%s", want, b.String())
		}
	}
	var js bytes.Buffer
	_ = WriteJSON(&js, plan.Masked())
	for _, want := range []string{`"path": "services.web.ports[1]"`, `"change": "added"`, `"sensitive": true`, `"old": "(sensitive)"`, `"build": 1`, `"stop": 1`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("json lacks %s:\n%s", want, js.String())
		}
	}
}
