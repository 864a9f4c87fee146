package schema

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/schema/engine"
	"github.com/berth-compose/berth/schema/spec"
)

func TestEngineDefaults(t *testing.T) {
	d, err := EngineDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := HealthcheckDefaults{Interval: 30 * time.Second, Timeout: 30 * time.Second, Retries: 3,
		StartPeriod: 0, StartInterval: 5 * time.Second}
	if d.Healthcheck != want {
		t.Errorf("healthcheck defaults = %+v, want %+v", d.Healthcheck, want)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"restart", d.Restart, "no"},
		{"stop_grace_period", d.StopGracePeriod, 10 * time.Second},
		{"stop_signal", d.StopSignal, "SIGTERM"},
		{"port protocol", d.PortProtocol, "tcp"},
		{"network driver", d.NetworkDriver, "bridge"},
		{"volume driver", d.VolumeDriver, "local"},
		{"logging driver", d.LoggingDriver, "json-file"},
		{"ipc", d.Ipc, "private"},
		{"shm_size", d.ShmSize, int64(64 << 20)},
		{"replicas", d.Replicas, 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

// TestEngineDefaultsAreValidCompose writes the defaults out as a compose file
// and validates it, so defaults.cue cannot drift into values compose rejects.
func TestEngineDefaultsAreValidCompose(t *testing.T) {
	d, err := EngineDefaults()
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf(`services:
  web:
    image: nginx
    restart: %q
    stop_signal: %s
    stop_grace_period: %s
    ipc: %s
    init: %t
    privileged: %t
    read_only: %t
    tty: %t
    stdin_open: %t
    shm_size: %d
    scale: %d
    ports:
      - target: 80
        protocol: %s
    logging:
      driver: %s
    healthcheck:
      test: ["CMD", "true"]
      interval: %s
      timeout: %s
      retries: %d
      start_period: %s
      start_interval: %s
networks:
  front:
    driver: %s
volumes:
  data:
    driver: %s
`, d.Restart, d.StopSignal, d.StopGracePeriod, d.Ipc, d.Init, d.Privileged, d.ReadOnly, d.Tty, d.StdinOpen,
		d.ShmSize, d.Replicas, d.PortProtocol, d.LoggingDriver,
		d.Healthcheck.Interval, d.Healthcheck.Timeout, d.Healthcheck.Retries, d.Healthcheck.StartPeriod, d.Healthcheck.StartInterval,
		d.NetworkDriver, d.VolumeDriver)
	f, err := load.ParseFile("defaults.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if vs := spec.Validate("defaults.yaml", f.Docs, spec.Options{}); len(vs) > 0 {
		t.Errorf("defaults do not validate:\n%s\n%v", src, vs)
	}
	for _, d := range spec.Data(f.Docs, spec.Options{}) {
		if err := Check(d); err != nil {
			t.Errorf("compose.cue refuses the defaults:\n%s\n%v", src, err)
		}
	}
}

func TestDecodeDefaultsRejectsBadDuration(t *testing.T) {
	bad := []byte("package defaults\nservice: healthcheck: interval: \"soon\"\n")
	if _, err := decodeDefaults(bad); err == nil {
		t.Fatal("want an error for a bad duration")
	}
}

// TestEngineDefaultsGenerated holds schema/engine, the CUE-free copy the
// runtime uses, to defaults.cue (regenerate with go generate ./schema).
func TestEngineDefaultsGenerated(t *testing.T) {
	want, err := EngineDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if got := engine.Docker(); !reflect.DeepEqual(got, want) {
		t.Errorf("schema/engine is stale; run go generate ./schema\n got: %+v\nwant: %+v", got, want)
	}
}
