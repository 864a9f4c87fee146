package transform

import (
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/schema/engine"
)

// ResolveDefaults returns a copy of p with the values the Docker engine
// would use written out where the files leave them unset (schema/defaults.cue
// holds them, compiled to Go in schema/engine). A healthcheck with only `test` gets all five timings; a
// service with no healthcheck keeps none, because then the image's own
// HEALTHCHECK applies, which berth cannot know without the image.
func ResolveDefaults(p *types.Project) (*types.Project, error) {
	d := engine.Docker()
	return p.WithServicesTransform(func(_ string, s types.ServiceConfig) (types.ServiceConfig, error) {
		resolveService(&s, d)
		return s, nil
	})
}

func resolveService(s *types.ServiceConfig, d engine.Defaults) {
	if hc := s.HealthCheck; hc != nil && !hc.Disable {
		c := *hc // the project may share the pointer with its source
		setDuration(&c.Interval, d.Healthcheck.Interval)
		setDuration(&c.Timeout, d.Healthcheck.Timeout)
		setDuration(&c.StartPeriod, d.Healthcheck.StartPeriod)
		setDuration(&c.StartInterval, d.Healthcheck.StartInterval)
		if c.Retries == nil {
			r := uint64(d.Healthcheck.Retries)
			c.Retries = &r
		}
		s.HealthCheck = &c
	}
	if s.Restart == "" && (s.Deploy == nil || s.Deploy.RestartPolicy == nil) {
		s.Restart = d.Restart
	}
	if s.StopSignal == "" {
		s.StopSignal = d.StopSignal
	}
	setDuration(&s.StopGracePeriod, d.StopGracePeriod)
	if s.ShmSize == 0 {
		s.ShmSize = types.UnitBytes(d.ShmSize)
	}
	if s.Logging == nil {
		s.Logging = &types.LoggingConfig{Driver: d.LoggingDriver}
	} else if s.Logging.Driver == "" {
		l := *s.Logging
		l.Driver = d.LoggingDriver
		s.Logging = &l
	}
}

func setDuration(dst **types.Duration, def time.Duration) {
	if *dst == nil {
		v := types.Duration(def)
		*dst = &v
	}
}
