package transform

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
)

// ServiceHash is the value of the com.docker.compose.config-hash label that
// Docker Compose puts on a service's containers: the sha256 of the service's
// JSON without the fields that do not change a container (build, pull
// policy, scale, replicas, depends_on, profiles). Plan and apply must both
// use this one function, or they disagree about what changed.
func ServiceHash(s types.ServiceConfig) (string, error) {
	b, err := ServiceHashJSON(s)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// ServiceHashJSON is the JSON that ServiceHash hashes. Apply keeps it when a
// value in it (a container ID that network_mode: service:X resolves to) is
// known only once the plan runs.
func ServiceHashJSON(s types.ServiceConfig) ([]byte, error) {
	s.Build = nil
	s.PullPolicy = ""
	s.Scale = nil
	if s.Deploy != nil {
		d := *s.Deploy // a copy: the caller's project must not lose its replicas
		d.Replicas = nil
		s.Deploy = &d
	}
	s.DependsOn = nil
	s.Profiles = nil
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("hashing service %s: %w", s.Name, err)
	}
	return b, nil
}

// ServiceHashes returns `name hash` for the named services (all when names
// is empty), prepared the way `docker compose config --hash` prepares them:
// only those services, the default platform applied to services that build,
// and env_file contents merged into environment.
func ServiceHashes(p *types.Project, names []string, resolveEnv bool) ([][2]string, error) {
	p, err := p.WithSelectedServices(names, types.IgnoreDependencies)
	if err != nil {
		return nil, err
	}
	if err := ApplyPlatforms(p); err != nil {
		return nil, err
	}
	if resolveEnv {
		if p, err = p.WithServicesEnvironmentResolved(true); err != nil {
			return nil, err
		}
	}
	var out [][2]string
	for _, name := range p.ServiceNames() {
		s, err := p.GetService(name)
		if err != nil {
			return nil, err
		}
		h, err := ServiceHash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{name, h})
	}
	return out, nil
}

// ApplyPlatforms sets DOCKER_DEFAULT_PLATFORM on services that build and
// name no platform, and narrows their build platforms to the one that will
// run, as Compose does before it creates containers (the platform is hashed).
func ApplyPlatforms(p *types.Project) error {
	def := p.Environment["DOCKER_DEFAULT_PLATFORM"]
	for name, s := range p.Services {
		if s.Build == nil {
			continue
		}
		if def != "" && s.Platform == "" {
			if len(s.Build.Platforms) > 0 && !slices.Contains(s.Build.Platforms, def) {
				return fmt.Errorf("service %q build.platforms does not support value set by DOCKER_DEFAULT_PLATFORM: %s", name, def)
			}
			s.Platform = def
		}
		if s.Platform != "" {
			if len(s.Build.Platforms) > 0 && !slices.Contains(s.Build.Platforms, s.Platform) {
				return fmt.Errorf("service %q build configuration does not support platform: %s", name, s.Platform)
			}
			s.Build.Platforms = []string{s.Platform}
		}
		if len(s.Build.Platforms) > 1 {
			s.Build.Platforms = nil // several: the builder decides
		}
		p.Services[name] = s
	}
	return nil
}
