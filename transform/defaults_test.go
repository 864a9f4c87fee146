package transform

import (
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

func TestResolveDefaultsFillsHealthcheckTimings(t *testing.T) {
	p := &types.Project{Name: "p", Services: types.Services{
		"web": {Name: "web", Image: "nginx", HealthCheck: &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD", "true"}}},
		"off": {Name: "off", Image: "nginx", HealthCheck: &types.HealthCheckConfig{Disable: true}},
		"img": {Name: "img", Image: "nginx"},
	}}
	r, err := ResolveDefaults(p)
	if err != nil {
		t.Fatal(err)
	}
	hc := r.Services["web"].HealthCheck
	for name, got := range map[string]*types.Duration{"interval": hc.Interval, "timeout": hc.Timeout, "start_period": hc.StartPeriod, "start_interval": hc.StartInterval} {
		want := map[string]time.Duration{"interval": 30 * time.Second, "timeout": 30 * time.Second, "start_period": 0, "start_interval": 5 * time.Second}[name]
		if got == nil || time.Duration(*got) != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
	if hc.Retries == nil || *hc.Retries != 3 {
		t.Errorf("retries = %v, want 3", hc.Retries)
	}
	if p.Services["web"].HealthCheck.Interval != nil {
		t.Error("ResolveDefaults changed the input project")
	}
	if r.Services["off"].HealthCheck.Interval != nil {
		t.Error("a disabled healthcheck got timings")
	}
	if r.Services["img"].HealthCheck != nil {
		t.Error("a service without healthcheck got one: the image's HEALTHCHECK would apply")
	}
	if r.Services["img"].Restart != "no" || r.Services["img"].StopSignal != "SIGTERM" {
		t.Errorf("restart/stop_signal not resolved: %q %q", r.Services["img"].Restart, r.Services["img"].StopSignal)
	}
}
