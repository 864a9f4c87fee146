package rules

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-compose/berth/internal/corpustest"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/canon"
	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/transform"
)

// TestStyleKeepsConfig holds every style fix and `berth fmt` to their
// promise: what `berth config` prints (and `config --no-interpolate`) is
// byte for byte the same before and after the rewrite. It covers the
// BR4xx fixture goldens, canon.Format on every BR4xx fixture, and on the
// corpus both canon.Format and the fixes of every fixable style rule
// applied together.
func TestStyleKeepsConfig(t *testing.T) {
	for _, r := range Style {
		dir := filepath.Join("testdata", r.Code)
		for _, name := range []string{"bad.yaml", "good.yaml"} {
			src, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			formatted, err := canon.Format(name, src)
			if err != nil {
				t.Errorf("%s/%s: %v", dir, name, err)
				continue
			}
			checkSameConfig(t, r.Code+"-"+name+"-fmt", src, formatted, false)
			if name != "bad.yaml" {
				continue
			}
			if golden, err := os.ReadFile(filepath.Join(dir, name+".golden")); err == nil {
				checkSameConfig(t, r.Code+"-golden", src, golden, false)
			}
		}
	}

	// The comparison itself must see a change that matters.
	dir := filepath.Join(t.TempDir(), "control")
	a, _ := renderConfig(t, dir, []byte("services:\n  web:\n    image: nginx:1.27\n"))
	b, _ := renderConfig(t, dir, []byte("services:\n  web:\n    image: nginx:1.28\n"))
	if a == "" || a == b {
		t.Fatal("renderConfig does not tell two different images apart")
	}

	files := corpusFiles(t)
	var formatted, fixed, compared int
	defer func() {
		t.Logf("corpus: %d files compared, %d changed by canon.Format, %d by the style fixes", compared, formatted, fixed)
	}()
	for _, path := range files {
		sample := filepath.Base(filepath.Dir(path))
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if sample == "plex" {
			// The corpus README: plex does not load with Docker Compose
			// either (the unset PLEX_MEDIA_PATH leaves the volume spec
			// ":/media/"), so there is no config output to compare.
			t.Logf("%s: skipped, it does not load (PLEX_MEDIA_PATH unset leaves the volume spec \":/media/\")", path)
			continue
		}
		out, err := canon.Format(filepath.Base(path), src)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		fixedSrc := styleFixed(t, sample, filepath.Base(path), src)
		compared++
		if !bytes.Equal(out, src) {
			formatted++
		}
		if !bytes.Equal(fixedSrc, src) {
			fixed++
		}
		checkSameConfig(t, sample, src, out, true)
		checkSameConfig(t, sample, src, fixedSrc, true)
	}
}

// styleFixed applies the first fixes of every fixable style rule, enabled,
// to src, as `berth lint --fix` would in one pass.
func styleFixed(t *testing.T, sample, name string, src []byte) []byte {
	t.Helper()
	dir := filepath.Join(t.TempDir(), sample)
	path := writeSample(t, dir, name, src)
	p, err := load.Load(context.Background(), lint.LoadOptions(corpusOptions(dir, path)))
	if err != nil {
		t.Fatalf("%s: %v", sample, err)
	}
	cfg := lint.Config{Enabled: map[string]bool{}}
	var rs []*lint.Rule
	for _, r := range Style {
		if r.Fixable {
			cfg.Enabled[r.Code] = true
			rs = append(rs, r)
		}
	}
	diags := lint.Run(p, rs, cfg)
	out, err := lint.ApplyFixes(src, p.Files[0].Name, diags)
	if err != nil {
		t.Fatalf("%s: %v", sample, err)
	}
	return out
}

// checkSameConfig renders before and after as `berth config` and `berth
// config --no-interpolate` do, from files of the same name in a directory of
// the same name (the project name and resolved paths depend on both).
func checkSameConfig(t *testing.T, sample string, before, after []byte, corpus bool) {
	t.Helper()
	if bytes.Equal(before, after) {
		return
	}
	dir := filepath.Join(t.TempDir(), sample)
	a, errA := renderConfig(t, dir, before)
	b, errB := renderConfig(t, dir, after)
	switch {
	case errA != nil && !corpus:
		return // a fixture that does not load on purpose (none today)
	case errA != nil:
		t.Errorf("%s: does not load before the rewrite: %v", sample, errA)
	case errB != nil:
		t.Errorf("%s: does not load after the rewrite: %v\n%s", sample, errB, after)
	case a != b:
		t.Errorf("%s: berth config changed by the rewrite:\n--- before\n%s\n--- after\n%s\n--- file after\n%s", sample, a, b, after)
	}
}

func renderConfig(t *testing.T, dir string, src []byte) (string, error) {
	t.Helper()
	path := writeSample(t, dir, "compose.yaml", src)
	ctx := context.Background()
	var out strings.Builder
	p, err := load.Load(ctx, corpusOptions(dir, path))
	if err != nil {
		return "", err
	}
	proj, err := p.Project.WithServicesEnvironmentResolved(true)
	if err != nil {
		return "", err
	}
	for _, f := range []transform.Format{transform.YAML, transform.JSON} {
		b, err := transform.Canonical(proj, f)
		if err != nil {
			return "", err
		}
		out.Write(b)
	}
	o := corpusOptions(dir, path)
	o.NoInterpolate = true
	model, err := load.Model(ctx, o)
	if err != nil {
		return "", err
	}
	b, err := transform.Model(model, transform.YAML)
	if err != nil {
		return "", err
	}
	out.Write(b)
	return out.String(), nil
}

func writeSample(t *testing.T, dir, name string, src []byte) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, src, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// corpusOptions loads like the corpus oracle was produced: only HOME and
// PATH in the environment.
func corpusOptions(dir, path string) load.Options {
	return load.Options{Files: []string{path}, ProjectDir: dir,
		Env: []string{"HOME=/home/corpus", "PATH=/usr/bin:/bin", "PWD=" + dir}}
}

// corpusFiles lists the corpus compose files (see internal/corpustest).
func corpusFiles(t *testing.T) []string { return corpustest.Files(t) }
