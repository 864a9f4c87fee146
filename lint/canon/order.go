// Package canon is berth's one canonical key order for compose files, shared
// by the style rules (BR401, BR402, BR403) and `berth fmt`, and the rewriting
// that puts a file into that order without touching anything else.
//
// # Top-level keys
//
//	version, name, include, x-*, services, networks, volumes, secrets, configs, models
//
// then any other key (a typo the schema rules report). Compared with dclint's
// top-level-properties-order (x-*, version, name, include, services,
// networks, volumes, secrets, configs):
//
//   - `version` and `name` come first: they say what the file is, and
//     `version` is where every old file has it (BR206 asks to remove it).
//   - x-* extension fields come before `services`, as in dclint, because
//     they almost always hold anchors (`x-common: &common`) that services
//     alias, and YAML requires an anchor before its aliases. They keep the
//     order the user gave them (dclint sorts them; anchors between them make
//     that unsafe).
//   - networks, volumes, secrets, configs, models is the order `berth
//     config` (and `docker compose config`) prints them.
//
// # Service keys
//
// dclint's service-keys-order groups, extended so that every key of the
// compose specification has a place (dclint's unknown keys land in "other"
// and churn: dclint PR #303 for profiles), and with secrets before configs
// as at the top level (dclint has them the other way round there, its
// issue #293):
//
//	<<, extends,
//	core:         image, build, pull_policy, pull_refresh_after, platform, provider,
//	              container_name, hostname, domainname, profiles
//	dependencies: depends_on
//	data:         volumes, volumes_from, tmpfs, secrets, configs, models
//	environment:  environment, env_file
//	networking:   ports, expose, networks, network_mode, links, external_links,
//	              extra_hosts, dns, dns_opt, dns_search, mac_address
//	runtime:      command, entrypoint, working_dir, restart, healthcheck, init, tty,
//	              stdin_open, attach, stop_signal, stop_grace_period, pre_start,
//	              post_start, pre_stop, runtime, use_api_socket, develop
//	metadata:     logging, labels, label_file, annotations
//	security:     user, group_add, isolation, privileged, cap_add, cap_drop,
//	              security_opt, read_only, userns_mode, pid, ipc, uts, cgroup,
//	              cgroup_parent, credential_spec, devices, device_cgroup_rules,
//	              gpus, sysctls, ulimits
//	resources:    deploy, scale, cpus, cpu_count, cpu_percent, cpu_period, cpu_quota,
//	              cpu_rt_period, cpu_rt_runtime, cpu_shares, cpuset, mem_limit,
//	              mem_reservation, mem_swappiness, memswap_limit, oom_kill_disable,
//	              oom_score_adj, pids_limit, shm_size, blkio_config, storage_opt
//
// then unknown keys, then x-* extension fields, each in the user's order.
// A merge key `<<` always comes first: it is the base the other keys
// override.
//
// # Anchors
//
// Reordering never puts an alias before its anchor: an entry that defines an
// anchor another entry of the same mapping aliases is moved up to just
// before the first entry that needs it. The result is still a fixed point,
// so canonicalising twice changes nothing.
package canon

import (
	"slices"
	"strings"
	"sync"
)

// TopLevelOrder is the canonical order of the known top-level keys; "x-*"
// stands for every extension field.
var TopLevelOrder = []string{"version", "name", "include", "x-*", "services", "networks", "volumes", "secrets", "configs", "models"}

// ServiceKeyOrder is every known service key in canonical order, in the
// groups of the package comment. A flat literal, so that the compiler lays
// it out and no berth command spends start-up time building it.
var ServiceKeyOrder = []string{
	// base
	"<<", "extends",
	// core
	"image", "build", "pull_policy", "pull_refresh_after", "platform", "provider",
	"container_name", "hostname", "domainname", "profiles",
	// dependencies
	"depends_on",
	// data
	"volumes", "volumes_from", "tmpfs", "secrets", "configs", "models",
	// environment
	"environment", "env_file",
	// networking
	"ports", "expose", "networks", "network_mode", "links", "external_links",
	"extra_hosts", "dns", "dns_opt", "dns_search", "mac_address",
	// runtime
	"command", "entrypoint", "working_dir", "restart", "healthcheck", "init", "tty",
	"stdin_open", "attach", "stop_signal", "stop_grace_period", "pre_start", "post_start", "pre_stop",
	"runtime", "use_api_socket", "develop",
	// metadata
	"logging", "labels", "label_file", "annotations",
	// security
	"user", "group_add", "isolation", "privileged", "cap_add", "cap_drop",
	"security_opt", "read_only", "userns_mode", "pid", "ipc", "uts", "cgroup", "cgroup_parent",
	"credential_spec", "devices", "device_cgroup_rules", "gpus", "sysctls", "ulimits",
	// resources
	"deploy", "scale", "cpus", "cpu_count", "cpu_percent", "cpu_period", "cpu_quota",
	"cpu_rt_period", "cpu_rt_runtime", "cpu_shares", "cpuset", "mem_limit", "mem_reservation",
	"mem_swappiness", "memswap_limit", "oom_kill_disable", "oom_score_adj", "pids_limit", "shm_size",
	"blkio_config", "storage_opt",
}

// serviceRank is the index of each key in ServiceKeyOrder. Sorting ranks
// keys for every comparison, so it is a map, built the first time a key is
// ranked rather than when the program starts.
var serviceRank = sync.OnceValue(func() map[string]int {
	m := make(map[string]int, len(ServiceKeyOrder))
	for i, k := range ServiceKeyOrder {
		m[k] = i
	}
	return m
})

// TopLevelRank is the place of a top-level key in the canonical order
// (lower first); keys of equal rank keep the order they were written in.
func TopLevelRank(key string) int {
	if strings.HasPrefix(key, "x-") {
		key = "x-*"
	}
	if r := slices.Index(TopLevelOrder, key); r >= 0 {
		return r
	}
	return len(TopLevelOrder)
}

// ServiceKeyRank is the place of a service key in the canonical order.
func ServiceKeyRank(key string) int {
	if r, ok := serviceRank()[key]; ok {
		return r
	}
	if strings.HasPrefix(key, "x-") {
		return len(ServiceKeyOrder) + 1
	}
	return len(ServiceKeyOrder)
}

func compareTopLevel(a, b string) int { return TopLevelRank(a) - TopLevelRank(b) }

func compareServiceKeys(a, b string) int { return ServiceKeyRank(a) - ServiceKeyRank(b) }

// compareNames orders services by name, byte-wise (what `docker compose
// config` does).
func compareNames(a, b string) int { return strings.Compare(a, b) }
