package swarm

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/berth-compose/berth/load"
)

// serviceKeys are the service keys docker/cli's convert.Service reads: what
// a Swarm service is made of. Every other key the files give is warned
// about (or refused, see refused) with its position.
var serviceKeys = setOf(
	"cap_add", "cap_drop", "command", "configs", "credential_spec", "deploy",
	"dns", "dns_search", "entrypoint", "environment", "extra_hosts",
	"healthcheck", "hostname", "image", "init", "isolation", "labels",
	"logging", "networks", "oom_score_adj", "ports", "read_only", "restart",
	"secrets", "stdin_open", "stop_grace_period", "stop_signal", "sysctls",
	"tty", "ulimits", "user", "volumes", "working_dir",
)

// deployKeys are the deploy: keys convert.Service reads.
var deployKeys = setOf(
	"endpoint_mode", "labels", "mode", "placement", "replicas", "resources",
	"restart_policy", "rollback_config", "update_config",
)

// handledKeys are service keys berth itself acts on for Swarm, which
// docker stack deploy ignores: depends_on orders the deploy, env_file is
// merged into environment by the loader, profiles and extends are resolved
// by it, build is checked (see check).
var handledKeys = setOf("build", "depends_on", "env_file", "extends", "profiles")

// topLevelKeys are the keys of each top-level section that Swarm honours.
var topLevelKeys = map[string]map[string]bool{
	"networks": setOf("attachable", "driver", "driver_opts", "external", "internal", "ipam", "labels", "name"),
	"volumes":  setOf("driver", "driver_opts", "external", "labels", "name"),
	"secrets":  setOf("content", "driver", "driver_opts", "environment", "external", "file", "labels", "name", "template_driver"),
	"configs":  setOf("content", "environment", "external", "file", "labels", "name", "template_driver"),
}

func setOf(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// check finds what Swarm cannot do with the files: errors for what would
// deploy something other than what they say, a warning for every key Swarm
// ignores, each at the key's position. (container_name with replicas > 1
// the loader refuses already, as Compose does.)
func check(p *load.Project) ([]load.Warning, load.Errors) {
	var warns []load.Warning
	var errs load.Errors
	keyPos := func(path string) load.Position { return p.Sources.Nearest(path) }
	fail := func(path, msg string) { errs = append(errs, &load.Error{Pos: keyPos(path), Msg: msg}) }
	warn := func(path, msg string) { warns = append(warns, load.Warning{Pos: keyPos(path), Msg: msg}) }

	for _, name := range slices.Sorted(maps.Keys(p.Services)) {
		s := p.Services[name]
		at := func(k ...any) string { return load.PathOf(append([]any{"services", name}, k...)...) }
		if s.Build != nil {
			if s.Image == "" {
				fail(at("build"), fmt.Sprintf("service %s: Swarm does not build images, and every node must pull the image: build and push it (berth build, docker push), and give it as image:", name))
			} else {
				warn(at("build"), fmt.Sprintf("service %s: build is ignored by Swarm: %s must be pushed to a registry every node can pull from (or be present on every node)", name, s.Image))
			}
		}
		if strings.HasPrefix(s.NetworkMode, "service:") {
			fail(at("network_mode"), fmt.Sprintf("service %s: network_mode: %s cannot be done by Swarm (a task cannot join another service's network namespace)", name, s.NetworkMode))
		}
		if len(s.Links) > 0 {
			fail(at("links"), fmt.Sprintf("service %s: links cannot be done by Swarm; services reach each other by name on a shared network", name))
		}
	}

	// Every key the files give that Swarm does not read, in file order.
	for _, path := range p.Sources.Paths() {
		segs, err := load.SplitPath(path)
		if err != nil || len(segs) < 3 {
			continue
		}
		section, _ := segs[0].(string)
		name, _ := segs[1].(string)
		key, ok := segs[2].(string)
		if !ok || strings.HasPrefix(key, "x-") {
			continue
		}
		switch {
		case section == "services" && len(segs) == 3:
			if _, selected := p.Services[name]; !selected || serviceKeys[key] || handledKeys[key] {
				continue
			}
			if key == "network_mode" && strings.HasPrefix(p.Services[name].NetworkMode, "service:") || key == "links" {
				continue // refused above
			}
			warn(path, fmt.Sprintf("service %s: %s is ignored by Swarm", name, key))
		case section == "services" && len(segs) == 4 && key == "deploy":
			sub, ok := segs[3].(string)
			if !ok || deployKeys[sub] || strings.HasPrefix(sub, "x-") {
				continue
			}
			if _, selected := p.Services[name]; selected {
				warn(path, fmt.Sprintf("service %s: deploy.%s is ignored by Swarm", name, sub))
			}
		case len(segs) == 3 && topLevelKeys[section] != nil:
			if !topLevelKeys[section][key] {
				warn(path, fmt.Sprintf("%s %s: %s is ignored by Swarm", strings.TrimSuffix(section, "s"), name, key))
			}
		}
	}
	slices.SortStableFunc(warns, func(a, b load.Warning) int {
		if a.Pos.File != b.Pos.File {
			return strings.Compare(a.Pos.File, b.Pos.File)
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line - b.Pos.Line
		}
		return a.Pos.Column - b.Pos.Column
	})
	return warns, errs
}
