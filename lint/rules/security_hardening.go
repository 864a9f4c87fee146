package rules

import (
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
)

// Hardening rules: advice that nearly every real compose file triggers, so
// most are info and off by default (enable them in .berth.yaml for
// production files). KICS's "Security Opt Not Set", "Memory Not Limited"
// and "Container Capabilities Unrestricted" are the queries its users
// exclude most; these are their berth counterparts, opt-in.

// NoNewPrivileges is BR313.
var NoNewPrivileges = &lint.Rule{
	Code:  "BR313",
	Name:  "no-new-privileges",
	Title: "service does not set no-new-privileges",
	Text: "`security_opt: [\"no-new-privileges:true\"]` stops processes in the container from gaining privileges " +
		"through setuid or setcap binaries (`sudo`, `su`, `ping` in old images): an attacker who gets a shell " +
		"as an unprivileged user stays unprivileged.\n\n" +
		"Add it to every service that does not need setuid programs. Off by default and info: the option is " +
		"missing from almost every compose file, and KICS's equivalent (\"No New Privileges Not Set\", " +
		"\"Security Opt Not Set\") is the finding its users most often exclude. Enable it for production files.",
	Bad: `services:
  app:
    image: nginx:1.27
`,
	Good: `services:
  app:
    image: nginx:1.27
    security_opt:
      - no-new-privileges:true
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			set := false
			for _, o := range s.SecurityOpt {
				if o := secSecurityOpt(o); o == "no-new-privileges" || o == "no-new-privileges:true" {
					set = true
				}
			}
			if !set && !s.Privileged {
				secReportMissing(p, s, "security_opt", "service %q does not set no-new-privileges:true", s.Name)
			}
		}
	},
}

// CapDropAll is BR314.
var CapDropAll = &lint.Rule{
	Code:  "BR314",
	Name:  "cap-drop-all",
	Title: "service keeps docker's default capabilities instead of dropping all",
	Text: "Docker grants 14 capabilities by default (`CHOWN`, `DAC_OVERRIDE`, `SETUID`, `NET_RAW`, ...). Most " +
		"programs need none of them; `NET_RAW` alone allows ARP and DNS spoofing on the container network.\n\n" +
		"Write `cap_drop: [ALL]` and add back what the program needs (`cap_add: [NET_BIND_SERVICE]`). Off by " +
		"default and info: finding the needed set takes testing, and nearly every file would be reported.",
	Bad: `services:
  app:
    image: nginx:1.27
`,
	Good: `services:
  app:
    image: nginx:1.27
    cap_drop: [ALL]
    cap_add: [CHOWN, SETUID, SETGID, NET_BIND_SERVICE]
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			all := false
			for _, c := range s.CapDrop {
				if secCapability(c) == "ALL" {
					all = true
				}
			}
			if !all && !s.Privileged {
				secReportMissing(p, s, "cap_drop", "service %q does not drop all capabilities (cap_drop: [ALL])", s.Name)
			}
		}
	},
}

// writtenPorts calls fn for every element of the ports of s, with the
// published ports as written: parsed from short syntax or read from the long
// syntax's fields. Elements with a variable in a field that matters are
// skipped: `"${PORT}:80"` could hold any address.
func secWrittenPorts(p *lint.Pass, s types.ServiceConfig, fn func(at, hostIP, published string)) {
	for _, ip := range secItems(p, secSvcPath(s, "ports")) {
		if raw, isScalar := p.Raw(ip); isScalar {
			if p.Interpolated(ip) {
				continue
			}
			ports, err := types.ParsePortConfig(raw)
			if err != nil || len(ports) == 0 {
				continue
			}
			first := ports[0]
			published := first.Published
			if len(ports) > 1 && published != "" {
				// a range "8000-8002:80-82": its start decides.
				published, _, _ = strings.Cut(published, "-")
			}
			fn(ip, first.HostIP, published)
			continue
		}
		if p.Interpolated(ip+".host_ip") || p.Interpolated(ip+".published") {
			continue
		}
		hostIP, _ := p.Raw(ip + ".host_ip")
		published, _ := p.Raw(ip + ".published")
		fn(ip, hostIP, published)
	}
}

// PortAllInterfaces is BR315.
var PortAllInterfaces = &lint.Rule{
	Code:  "BR315",
	Name:  "port-all-interfaces",
	Title: "a port is published on every host interface",
	Text: "`ports: [\"5432:5432\"]` publishes on `0.0.0.0` and `::`: the service is reachable from every network " +
		"the host is on, and Docker's iptables rules bypass host firewalls such as ufw. A database meant for " +
		"the app next to it becomes reachable from the LAN or the internet.\n\n" +
		"Bind to the interface you mean: `\"127.0.0.1:5432:5432\"` for the local machine, or drop `ports:` " +
		"for services that only other containers use (they reach each other on the project network). On by " +
		"default, at info severity: it never fails a run on its own (publishing a web server on all " +
		"interfaces is often the intent), but it is the exposure other linters lead with. A host written " +
		"with a variable (`\"${BIND_IP:-127.0.0.1}:8081:80\"`) is not judged.",
	Bad: `services:
  db:
    image: postgres:16
    ports:
      - "5432:5432"
`,
	Good: `services:
  db:
    image: postgres:16
    ports:
      - "127.0.0.1:5432:5432"
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			secWrittenPorts(p, s, func(at, hostIP, published string) {
				switch strings.Trim(hostIP, "[]") {
				case "", "0.0.0.0", "::":
					what := published
					if what == "" {
						what = "a random port"
					}
					p.Reportf(at, "service %q publishes %s on every host interface: bind it to 127.0.0.1 if only this machine needs it", s.Name, what)
				}
			})
		}
	},
}

// PrivilegedPort is BR316.
var PrivilegedPort = &lint.Rule{
	Code:  "BR316",
	Name:  "privileged-port",
	Title: "a port below 1024 is published on the host",
	Text: "Host ports below 1024 are privileged: on a host they are reserved for services started by root, and " +
		"publishing one from a container takes a well-known port (22, 25, 53, 80, 443) that clients trust. " +
		"This is KICS's \"Privileged Ports Mapped In Container\", limited to the host side: a container " +
		"listening on port 80 inside is fine.\n\n" +
		"Publish a high port (`\"8080:80\"`) and put a reverse proxy on the well-known port. Off by default " +
		"and info: a reverse proxy publishing 80 and 443 is exactly what most files mean to do.",
	Bad: `services:
  web:
    image: nginx:1.27
    ports:
      - "80:80"
`,
	Good: `services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80"
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			secWrittenPorts(p, s, func(at, _, published string) {
				start, _, _ := strings.Cut(published, "-")
				if n, err := strconv.Atoi(start); err == nil && n > 0 && n < 1024 {
					p.Reportf(at, "service %q publishes the privileged host port %d", s.Name, n)
				}
			})
		}
	},
}

// WritableRootFS is BR317.
var WritableRootFS = &lint.Rule{
	Code:  "BR317",
	Name:  "writable-root-filesystem",
	Title: "service's root file system is writable",
	Text: "Without `read_only: true` an attacker who gets code execution can modify the program and its " +
		"libraries, drop tools and persist until the container is recreated.\n\n" +
		"Set `read_only: true` and give the program `tmpfs:` for scratch space (`/tmp`, `/run`) and volumes for " +
		"data. Off by default and info: many images write outside their volumes, so the setting needs testing " +
		"per image.",
	Bad: `services:
  app:
    image: nginx:1.27
`,
	Good: `services:
  app:
    image: nginx:1.27
    read_only: true
    tmpfs: [/tmp, /var/cache/nginx, /run]
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			if !s.ReadOnly && !p.Interpolated(secSvcPath(s, "read_only")) {
				secReportMissing(p, s, "read_only", "service %q has a writable root file system (read_only: true is not set)", s.Name)
			}
		}
	},
}

func secLimits(s types.ServiceConfig) *types.Resource {
	if s.Deploy == nil || s.Deploy.Resources.Limits == nil {
		return &types.Resource{}
	}
	return s.Deploy.Resources.Limits
}

// NoMemoryLimit is BR318.
var NoMemoryLimit = &lint.Rule{
	Code:  "BR318",
	Name:  "no-memory-limit",
	Title: "service has no memory limit",
	Text: "Without a limit a leak or an attack that allocates memory takes all of the host's, and the kernel's " +
		"OOM killer then picks a victim, possibly another service or the Docker daemon.\n\n" +
		"Set `mem_limit: 512m` or `deploy.resources.limits.memory: 512m` (both count). Off by default and " +
		"info: sizing limits needs measurements, and few files set them. Unlike KICS's query this does not " +
		"depend on the obsolete `version:` key.",
	Bad: `services:
  app:
    image: nginx:1.27
`,
	Good: `services:
  app:
    image: nginx:1.27
    deploy:
      resources:
        limits:
          memory: 256m
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			if s.MemLimit <= 0 && secLimits(s).MemoryBytes <= 0 {
				secReportMissing(p, s, "", "service %q has no memory limit (mem_limit or deploy.resources.limits.memory)", s.Name)
			}
		}
	},
}

// NoCPULimit is BR319.
var NoCPULimit = &lint.Rule{
	Code:  "BR319",
	Name:  "no-cpu-limit",
	Title: "service has no cpu limit",
	Text: "Without a limit one busy or attacked service can starve every other service on the host.\n\n" +
		"Set `cpus: 0.5` or `deploy.resources.limits.cpus: \"0.5\"` (both count). Off by default and info: " +
		"CPU is shared fairly by default, and few files set limits.",
	Bad: `services:
  app:
    image: nginx:1.27
`,
	Good: `services:
  app:
    image: nginx:1.27
    cpus: 0.5
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			if s.CPUS <= 0 && secLimits(s).NanoCPUs <= 0 {
				secReportMissing(p, s, "", "service %q has no cpu limit (cpus or deploy.resources.limits.cpus)", s.Name)
			}
		}
	},
}

// NoPidsLimit is BR320.
var NoPidsLimit = &lint.Rule{
	Code:  "BR320",
	Name:  "no-pids-limit",
	Title: "service has no limit on the number of processes",
	Text: "A fork bomb in one container exhausts the host's process table and stops everything else, the " +
		"Docker daemon included.\n\n" +
		"Set `pids_limit: 200` or `deploy.resources.limits.pids: 200` (`-1` means unlimited and is reported). " +
		"Off by default and info: few files set it.",
	Bad: `services:
  app:
    image: nginx:1.27
`,
	Good: `services:
  app:
    image: nginx:1.27
    pids_limit: 200
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			if s.PidsLimit <= 0 && secLimits(s).Pids <= 0 {
				at := ""
				if s.PidsLimit < 0 {
					at = "pids_limit"
				}
				secReportMissing(p, s, at, "service %q has no pids limit (pids_limit or deploy.resources.limits.pids)", s.Name)
			}
		}
	},
}
