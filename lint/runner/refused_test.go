package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// TestLintFailsWhatComposeRefuses: lint loads with Compose's consistency
// check off so that its rules report every problem at its place; a project
// the check refuses for a reason no rule covers must still fail lint, with
// an error at the offending node.
func TestLintFailsWhatComposeRefuses(t *testing.T) {
	for name, src := range map[string]string{
		"scale and replicas":    "services:\n  web:\n    image: x:1\n    deploy:\n      replicas: 3\n    scale: 2\n",
		"mem_limit twice":       "services:\n  web:\n    image: x:1\n    deploy:\n      resources:\n        limits:\n          memory: 2g\n    mem_limit: 1g\n",
		"watch without target":  "services:\n  web:\n    image: x:1\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n",
		"unknown context":       "services:\n  web:\n    image: x:1\n    build:\n      context: .\n      additional_contexts:\n        base: service:nope\n",
		"platform not built":    "services:\n  web:\n    image: x:1\n    build:\n      context: .\n      platforms: [linux/amd64]\n    platform: linux/arm64\n",
		"healthcheck command":   "services:\n  web:\n    image: x:1\n    healthcheck:\n      test: [curl, x]\n",
		"undefined model":       "services:\n  web:\n    image: x:1\n    models: [llm]\n",
		"config without source": "services:\n  web:\n    image: x:1\nconfigs:\n  site: {}\n",
		"blank watch path":      "services:\n  web:\n    image: x:1\n    develop:\n      watch:\n        - path: \"\"\n          action: rebuild\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := writeProject(t, map[string]string{"compose.yaml": src})
			file := filepath.Join(dir, "compose.yaml")
			env := []string{"PWD=" + dir}
			po, err := cli.NewProjectOptions([]string{file}, cli.WithWorkingDirectory(dir), cli.WithEnv(env), cli.WithName("refused"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := po.LoadProject(context.Background()); err == nil {
				t.Fatal("compose-go accepts the project: the case tests nothing")
			}
			res, err := Runner{Load: load.Options{ProjectDir: dir, Env: env}}.Run(context.Background(), []string{file})
			if err != nil {
				t.Fatal(err)
			}
			i := slices.IndexFunc(res.Diagnostics, func(d lint.Diagnostic) bool { return d.Severity == lint.Error && d.Pos.Line > 0 })
			if i < 0 {
				t.Fatalf("lint finds no positioned error (findings %v, input errors %v)", res.Diagnostics, res.Err())
			}
			t.Logf("%s:%d:%d %s %s", filepath.Base(res.Diagnostics[i].Pos.File), res.Diagnostics[i].Pos.Line, res.Diagnostics[i].Pos.Column, res.Diagnostics[i].Rule.Code, res.Diagnostics[i].Message)
		})
	}
}

// FuzzLintVerdict: whatever compose-go refuses, lint fails (a finding at
// error severity or an input error); lint never panics or hangs.
func FuzzLintVerdict(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join("testdata", "broken", "*", "compose.yaml"))
	for _, s := range seeds {
		if src, err := os.ReadFile(s); err == nil {
			f.Add(src)
		}
	}
	f.Add([]byte("services:\n  web:\n    image: x:1\n    deploy:\n      replicas: 3\n    scale: 2\n"))
	dir := f.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	env := []string{"PWD=" + dir}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1<<12 {
			return
		}
		if _, err := load.ParseFile(file, src); errors.Is(err, load.ErrSelfAlias) {
			return // compose-go takes seconds on these (FuzzDifferential covers them)
		}
		if err := os.WriteFile(file, src, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		po, err := cli.NewProjectOptions([]string{file}, cli.WithWorkingDirectory(dir), cli.WithEnv(env), cli.WithName("fuzz"))
		if err != nil {
			return
		}
		if composeRefuses(ctx, po) == nil {
			return
		}
		res, err := Runner{Load: load.Options{ProjectDir: dir, Env: env}}.Run(ctx, []string{file})
		if err != nil {
			return // an input error: lint fails
		}
		if res.Err() == nil && !slices.ContainsFunc(res.Diagnostics, func(d lint.Diagnostic) bool { return d.Severity == lint.Error }) {
			t.Fatalf("compose-go refuses the file, lint passes it (%d findings):\n%s", len(res.Diagnostics), src)
		}
	})
}

// composeRefuses is compose-go's verdict; a panic in it (which berth's
// loader also turns into an error) counts as a refusal.
func composeRefuses(ctx context.Context, po *cli.ProjectOptions) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compose-go panicked: %v", r)
		}
	}()
	_, err = po.LoadProject(ctx)
	return err
}

// TestRefusedOnceWhenRuleIsAWarning: a consistency rule turned down to a
// warning has said what Compose refuses; Compose's refusal does not say it
// a second time.
func TestRefusedOnceWhenRuleIsAWarning(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"compose.yaml": "services:\n  web:\n    image: x:1\n    networks: [front]\n",
		".berth.yaml":  "rules:\n  BR101: warning\n",
	})
	res, err := Runner{Load: load.Options{ProjectDir: dir, Env: []string{"PWD=" + dir}}}.Run(context.Background(), []string{filepath.Join(dir, "compose.yaml")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range res.Diagnostics {
		got = append(got, fmt.Sprintf("%d:%d %s %s", d.Pos.Line, d.Pos.Column, d.Rule.Code, d.Severity))
	}
	if want := []string{"4:16 BR101 warning"}; !slices.Equal(got, want) {
		t.Errorf("findings %q, want %q", got, want)
	}
}
