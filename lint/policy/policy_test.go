package policy

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

var policies = filepath.Join("..", "..", "testdata", "lint", "policies")

func loadProject(t *testing.T, path string) *load.Project {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(abs)
	p, err := load.Load(context.Background(), lint.LoadOptions(load.Options{Files: []string{abs}, ProjectDir: dir, Env: []string{"PWD=" + dir}}))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheck(t *testing.T) {
	set := New(filepath.Join(policies, "registry.cue"), filepath.Join(policies, "limits.cue"))
	if err := set.Compile(); err != nil {
		t.Fatal(err)
	}
	p := loadProject(t, filepath.Join("..", "..", "testdata", "lint", "policy", "compose.yaml"))
	var got []string
	for _, v := range set.Check(p) {
		got = append(got, v.Path+": "+v.Message)
	}
	slices.Sort(got)
	want := []string{
		"services.api.deploy.resources.limits.memory: every service needs deploy.resources.limits.memory (services.api.deploy.resources.limits.memory, policy limits.cue)",
		`services.web.image: images must come from registry.example.com (services.web.image, policy registry.cue)`,
		`services.web.restart: no alternative holds: conflicting values "always" and "on-failure"; conflicting values "unless-stopped" and "on-failure" (services.web.restart, policy limits.cue)`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestRule(t *testing.T) {
	base := &lint.Rule{Code: "BR900", Name: "policy", Severity: lint.Error, Default: true}
	rule := New(filepath.Join(policies, "registry.cue"), filepath.Join(policies, "limits.cue")).Rule(base)
	p := loadProject(t, filepath.Join("..", "..", "testdata", "lint", "policy", "compose.yaml"))
	var got []string
	for _, d := range lint.Run(p, []*lint.Rule{rule}, lint.Config{}) {
		got = append(got, fmt.Sprintf("%d:%d %s suppressed=%v", d.Pos.Line, d.Pos.Column, d.Rule.Code, d.Suppressed))
	}
	want := []string{"3:12 BR900 suppressed=false", "4:14 BR900 suppressed=false", "9:3 BR900 suppressed=false"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestCompileErrors(t *testing.T) {
	err := New(filepath.Join(policies, "broken.cue"), filepath.Join(policies, "missing.cue")).Compile()
	var list load.Errors
	if !errorsAs(err, &list) || len(list) != 2 {
		t.Fatalf("got %v", err)
	}
	if list[0].Pos.Line != 1 || !strings.HasSuffix(list[0].Pos.File, "broken.cue") {
		t.Errorf("broken: %v", list[0])
	}
	if !strings.Contains(list[1].Error(), "cannot read policy") {
		t.Errorf("missing: %v", list[1])
	}
}

func errorsAs(err error, list *load.Errors) bool {
	l, ok := err.(load.Errors)
	*list = l
	return ok
}

func TestLazy(t *testing.T) {
	s := New(filepath.Join(policies, "registry.cue"))
	if s.ctx != nil {
		t.Fatal("compiled before use")
	}
	if New().Check(&load.Project{}) != nil {
		t.Fatal("an empty set found something")
	}
}

func TestBerthMessage(t *testing.T) {
	for attr, want := range map[string]string{
		`@berth("a message")`:      "a message",
		`@berth(msg="a message")`:  "a message",
		`@berth( msg = "x \"y\"")`: `x "y"`,
		`@berth(plain words)`:      "plain words",
	} {
		if got, ok := berthMessage(attr); !ok || got != want {
			t.Errorf("%s: got %q", attr, got)
		}
	}
	if _, ok := berthMessage(`@json(name)`); ok {
		t.Error("@json taken for a message")
	}
}
