// Package engine holds the Docker Engine's defaults as plain Go values,
// generated from schema/defaults.cue by go generate. It exists so that the
// runtime (config --resolve-defaults, plan, apply) reads them without linking
// CUE, whose package initialisation alone costs milliseconds per process.
package engine

import "time"

// Defaults are the Docker Engine defaults a container gets for keys a
// compose file leaves out (see defaults.cue for the source of each value).
type Defaults struct {
	Healthcheck     HealthcheckDefaults
	Restart         string
	StopSignal      string
	StopGracePeriod time.Duration
	Ipc             string
	Pid             string // "" = the container's own PID namespace
	Init            bool
	Privileged      bool
	ReadOnly        bool
	Tty             bool
	StdinOpen       bool
	ShmSize         int64 // bytes
	Replicas        int
	PortProtocol    string
	LoggingDriver   string
	NetworkDriver   string
	VolumeDriver    string
}

// HealthcheckDefaults are the probe settings of a healthcheck that does not
// set them.
type HealthcheckDefaults struct {
	Interval      time.Duration
	Timeout       time.Duration
	Retries       int
	StartPeriod   time.Duration
	StartInterval time.Duration
}
