package main

import (
	"strings"
	"testing"

	"github.com/berth-compose/berth/apply"
)

func TestConfirm(t *testing.T) {
	destroys := &apply.Plan{Project: "shop", Steps: []apply.Step{
		{ID: 1, Resource: "container:shop-old-1", Action: apply.Remove, Name: "shop-old-1"},
		{ID: 2, Resource: "container:shop-web-1", Action: apply.Recreate, Name: "shop-web-1"},
		{ID: 3, Resource: "network:shop_x", Action: apply.RemoveNetwork, Name: "shop_x"},
	}}
	creates := &apply.Plan{Project: "shop", Steps: []apply.Step{{ID: 1, Resource: "container:shop-web-1", Action: apply.Create, Name: "shop-web-1"}}}
	for _, c := range []struct {
		name                 string
		plan                 *apply.Plan
		saved, yes, terminal bool
		want                 bool
	}{
		{"terminal, destroys", destroys, false, false, true, true},
		{"no terminal (CI)", destroys, false, false, false, false},
		{"--yes", destroys, false, true, true, false},
		{"saved plan", destroys, true, false, true, false},
		{"only creates", creates, false, false, true, false},
	} {
		if got := mustConfirm(c.plan, c.saved, c.yes, c.terminal); got != c.want {
			t.Errorf("%s: mustConfirm %v, want %v", c.name, got, c.want)
		}
	}
	for answer, want := range map[string]bool{"y\n": true, "YES\n": true, "\n": false, "n\n": false, "": false, "yep\n": false} {
		var out strings.Builder
		got, err := confirm(strings.NewReader(answer), &out, destroys)
		if err != nil || got != want {
			t.Errorf("answer %q: %v, %v; want %v", answer, got, err, want)
		}
		if !strings.Contains(out.String(), "This removes or recreates 2 container(s) and 1 other resource(s) of project shop (listed above). Go on? [y/N] ") {
			t.Errorf("prompt: %q", out.String())
		}
	}
}
