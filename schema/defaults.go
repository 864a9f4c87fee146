package schema

//go:generate go run ./internal/gendefaults -o engine/docker_gen.go

import (
	_ "embed"
	"fmt"
	"sync"
	"time"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/berth-compose/berth/schema/engine"
)

//go:embed defaults.cue
var defaultsCUE []byte

// Defaults are the Docker Engine defaults a container gets for keys a
// compose file leaves out (see defaults.cue for the source of each value).
// The type lives in schema/engine, which the runtime uses without CUE.
type (
	Defaults            = engine.Defaults
	HealthcheckDefaults = engine.HealthcheckDefaults
)

// rawDefaults mirrors defaults.cue; durations stay strings until parsed.
type rawDefaults struct {
	Service struct {
		Healthcheck struct {
			Interval      string `json:"interval"`
			Timeout       string `json:"timeout"`
			Retries       int    `json:"retries"`
			StartPeriod   string `json:"start_period"`
			StartInterval string `json:"start_interval"`
		} `json:"healthcheck"`
		Restart         string `json:"restart"`
		StopSignal      string `json:"stop_signal"`
		StopGracePeriod string `json:"stop_grace_period"`
		Ipc             string `json:"ipc"`
		Pid             string `json:"pid"`
		Init            bool   `json:"init"`
		Privileged      bool   `json:"privileged"`
		ReadOnly        bool   `json:"read_only"`
		Tty             bool   `json:"tty"`
		StdinOpen       bool   `json:"stdin_open"`
		ShmSize         int64  `json:"shm_size"`
		Replicas        int    `json:"replicas"`
		PortProtocol    string `json:"port_protocol"`
		LoggingDriver   string `json:"logging_driver"`
	} `json:"service"`
	Network struct {
		Driver string `json:"driver"`
	} `json:"network"`
	Volume struct {
		Driver string `json:"driver"`
	} `json:"volume"`
}

// engineDefaults decodes defaults.cue on first use only; nothing in init.
var engineDefaults = sync.OnceValues(func() (Defaults, error) {
	return decodeDefaults(defaultsCUE)
})

// EngineDefaults returns the Docker Engine defaults, decoded from the
// embedded defaults.cue. The result is a copy; callers may modify it.
func EngineDefaults() (Defaults, error) {
	return engineDefaults()
}

func decodeDefaults(src []byte) (Defaults, error) {
	v := cuecontext.New().CompileBytes(src, cue.Filename("defaults.cue"))
	if err := v.Validate(cue.Concrete(true)); err != nil {
		return Defaults{}, fmt.Errorf("compiling defaults.cue: %w", err)
	}
	var raw rawDefaults
	if err := v.Decode(&raw); err != nil {
		return Defaults{}, fmt.Errorf("decoding defaults.cue: %w", err)
	}
	s := raw.Service
	d := Defaults{
		Healthcheck:   HealthcheckDefaults{Retries: s.Healthcheck.Retries},
		Restart:       s.Restart,
		StopSignal:    s.StopSignal,
		Ipc:           s.Ipc,
		Pid:           s.Pid,
		Init:          s.Init,
		Privileged:    s.Privileged,
		ReadOnly:      s.ReadOnly,
		Tty:           s.Tty,
		StdinOpen:     s.StdinOpen,
		ShmSize:       s.ShmSize,
		Replicas:      s.Replicas,
		PortProtocol:  s.PortProtocol,
		LoggingDriver: s.LoggingDriver,
		NetworkDriver: raw.Network.Driver,
		VolumeDriver:  raw.Volume.Driver,
	}
	for _, dur := range []struct {
		name string
		in   string
		out  *time.Duration
	}{
		{"service.healthcheck.interval", s.Healthcheck.Interval, &d.Healthcheck.Interval},
		{"service.healthcheck.timeout", s.Healthcheck.Timeout, &d.Healthcheck.Timeout},
		{"service.healthcheck.start_period", s.Healthcheck.StartPeriod, &d.Healthcheck.StartPeriod},
		{"service.healthcheck.start_interval", s.Healthcheck.StartInterval, &d.Healthcheck.StartInterval},
		{"service.stop_grace_period", s.StopGracePeriod, &d.StopGracePeriod},
	} {
		t, err := time.ParseDuration(dur.in)
		if err != nil {
			return Defaults{}, fmt.Errorf("defaults.cue %s: %w", dur.name, err)
		}
		*dur.out = t
	}
	return d, nil
}
