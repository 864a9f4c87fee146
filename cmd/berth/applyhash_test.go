package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/internal/projectflags"
	"github.com/berth-compose/berth/load"
)

// TestApplyHashesMatchCorpus checks the config-hash label apply would write
// on each container against what Docker Compose v5.5.1 printed for
// `config --hash '*'` (the corpus .hash oracles), for every service of every
// corpus file that loads. TestCorpusParity checks `berth config --hash`;
// this checks the path apply takes (loaded without environment resolution,
// env_file merged by apply.Prepare, hashed by apply.Diff), which must give
// the same hashes.
func TestApplyHashesMatchCorpus(t *testing.T) {
	// The loader expands "~" in volume sources from the process's HOME,
	// not from the project environment: the oracles were made under this one.
	t.Setenv("HOME", oracleHome)
	checked := 0
	for _, s := range corpusSamples(t) {
		want := map[string]string{}
		for _, line := range strings.Split(strings.TrimSpace(readOracle(t, s.oracle+".hash")), "\n") {
			if name, hash, ok := strings.Cut(line, " "); ok {
				want[name] = hash
			}
		}
		if strings.TrimSpace(readOracle(t, s.oracle+".exit")) != "0" {
			continue // Compose could not load it (plex): no hashes to compare
		}
		flags := projectflags.Flags{Files: []string{filepath.Join(s.dir, s.file)}}
		p, err := load.Load(context.Background(), apply.LoadOptions(flags.LoadOptions(oracleEnv)))
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		// Every image present: the plan then creates every container and
		// neither pulls nor builds.
		obs := &apply.Observed{Project: p.Name, Images: map[string]string{}}
		for _, ref := range apply.Images(p.Project) {
			obs.Images[ref] = "sha256:" + strings.Repeat("0", 64)
		}
		plan, err := apply.Diff(p.Project, obs, apply.Options{})
		if err != nil {
			t.Errorf("%s: %v", s.name, err)
			continue
		}
		got := map[string]string{}
		for _, st := range plan.Steps {
			if st.Action == apply.Create {
				got[st.Service] = st.Container.Config.Labels[apply.LabelConfigHash]
			}
		}
		if len(want) == 0 {
			t.Errorf("%s: empty hash oracle", s.name)
		}
		for name, h := range want {
			if got[name] != h {
				t.Errorf("%s: service %s: apply writes config-hash %q, Docker Compose computed %q", s.name, name, got[name], h)
			}
			checked++
		}
		if len(got) != len(want) {
			t.Errorf("%s: apply creates %d services, the oracle hashes %d", s.name, len(got), len(want))
		}
	}
	t.Logf("%d service hashes checked", checked)
}
