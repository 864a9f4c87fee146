package rules

import (
	"strings"

	"github.com/berth-compose/berth/lint"
)

// Rules about what of the host a container can reach: devices,
// capabilities, confinement, namespaces.

// HostDevice is BR303.
var HostDevice = &lint.Rule{
	Code:  "BR303",
	Name:  "host-device",
	Title: "a raw host memory or disk device is passed to a container",
	Text: "`devices:` entries such as `/dev/mem`, `/dev/kmem`, `/dev/port` give the container the host's physical " +
		"memory and I/O ports; a block device (`/dev/sda`, `/dev/nvme0n1`, `/dev/mapper/...`, `/dev/disk/...`) " +
		"gives it the host's file systems below every permission check. Either is a full host takeover.\n\n" +
		"Pass only the device the program needs (a GPU under `/dev/dri`, a serial adapter, `/dev/net/tun`); " +
		"those are not reported. To give a container storage, mount a directory or a volume instead of the disk.",
	Bad: `services:
  tool:
    image: alpine:3.20
    devices:
      - /dev/sda:/dev/sda
`,
	Good: `services:
  tool:
    image: alpine:3.20
    devices:
      - /dev/net/tun:/dev/net/tun
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			list := secSvcPath(s, "devices")
			for i, d := range s.Devices {
				at, ok := secFindItem(p, list, i, func(ip string) bool {
					src, ok := secLiteral(p, ip)
					if ok {
						src, _, _ = strings.Cut(src, ":")
					} else {
						src, ok = secLiteral(p, ip+".source") // the long syntax
					}
					return ok && src == d.Source
				})
				if !ok || !secDangerousDevice(secCleanHostPath(d.Source)) {
					continue
				}
				if _, isScalar := p.Raw(at); !isScalar {
					at += ".source"
				}
				p.Reportf(at, "service %q gets the host device %s: raw access to host memory or disks", s.Name, d.Source)
			}
		}
	},
}

func secDangerousDevice(dev string) bool {
	switch dev {
	case "/dev/mem", "/dev/kmem", "/dev/port":
		return true
	}
	for _, dir := range []string{"/dev/disk", "/dev/mapper", "/dev/cpu"} {
		if secUnder(dev, dir) {
			return true
		}
	}
	name, ok := strings.CutPrefix(dev, "/dev/")
	if !ok || strings.Contains(name, "/") {
		return false
	}
	for _, prefix := range []string{"sd", "hd", "vd", "xvd", "nvme", "mmcblk", "dm-", "md", "nbd"} {
		rest, ok := strings.CutPrefix(name, prefix)
		if ok && rest != "" && (rest[0] >= 'a' && rest[0] <= 'z' || rest[0] >= '0' && rest[0] <= '9') {
			return true
		}
	}
	return false
}

// capability normalizes a cap_add entry: upper case, no CAP_ prefix.
func secCapability(c string) string {
	c = strings.ToUpper(strings.TrimSpace(c))
	return strings.TrimPrefix(c, "CAP_")
}

// secReason is why a setting is reported: the tables below are lists
// rather than maps so that the compiler lays them out and berth does not
// build them at every start; they are short and looked up a few times per
// service.
type secReason struct{ key, why string }

// secLookup finds key in table.
func secLookup(table []secReason, key string) (why string, ok bool) {
	for _, r := range table {
		if r.key == key {
			return r.why, true
		}
	}
	return "", false
}

// secRootCaps are capabilities that amount to root on the host.
var secRootCaps = []secReason{
	{"ALL", "every capability, as good as privileged"},
	{"SYS_ADMIN", "mount, namespaces, BPF and much more: the classic container escape"},
	{"SYS_MODULE", "loads kernel modules into the host kernel"},
	{"SYS_RAWIO", "raw I/O ports and device access"},
	{"DAC_READ_SEARCH", "open_by_handle_at reads any host file (the \"shocker\" escape)"},
}

// secElevatedCaps reach beyond the container but are commonly needed by
// network tools, debuggers and monitoring agents. Docker's default
// capabilities and bounded ones (SYS_NICE, IPC_LOCK, ...) are not listed.
var secElevatedCaps = []secReason{
	{"NET_ADMIN", "reconfigures networking (on the host too with network_mode: host)"},
	{"SYS_PTRACE", "traces and reads the memory of other processes"},
	{"SYS_TIME", "sets the host clock, which is not namespaced"},
	{"SYS_BOOT", "reboot and kexec"},
	{"BPF", "loads BPF programs into the host kernel"},
	{"PERFMON", "kernel performance monitoring, a side channel into the host"},
	{"MAC_ADMIN", "changes the mandatory access control policy"},
	{"MAC_OVERRIDE", "bypasses mandatory access control"},
	{"LINUX_IMMUTABLE", "changes immutable and append-only file flags"},
	{"SYSLOG", "reads the kernel log, which leaks kernel addresses"},
	{"SYS_RESOURCE", "overrides resource limits"},
	{"AUDIT_CONTROL", "changes the kernel audit configuration"},
	{"SYS_PACCT", "turns process accounting on or off"},
	{"SYS_TTY_CONFIG", "configures host terminals"},
	{"WAKE_ALARM", "sets alarms that wake the host"},
	{"BLOCK_SUSPEND", "keeps the host from suspending"},
	{"CHECKPOINT_RESTORE", "checkpoint and restore of other processes"},
}

// secCapReport reports every cap_add entry of table; what qualifies the
// capability in the message.
func secCapReport(p *lint.Pass, table []secReason, what string) {
	for _, s := range secSortedServices(p) {
		list := secSvcPath(s, "cap_add")
		for i, c := range s.CapAdd {
			why, ok := secLookup(table, secCapability(c))
			if !ok {
				continue
			}
			at, ok := secScalarItem(p, list, i, c, func(a, b string) bool { return secCapability(a) == secCapability(b) })
			if !ok {
				continue
			}
			p.Reportf(at, "service %q adds %s capability %s: %s", s.Name, what, secCapability(c), why)
		}
	}
}

// DangerousCapability is BR304.
var DangerousCapability = &lint.Rule{
	Code:  "BR304",
	Name:  "dangerous-capability",
	Title: "cap_add grants a capability that amounts to root on the host",
	Text: "`ALL`, `SYS_ADMIN`, `SYS_MODULE`, `SYS_RAWIO` and `DAC_READ_SEARCH` each let a process in the container " +
		"escape to the host (mount the host disk, load a kernel module, read any host file by handle). " +
		"Adding them is close to `privileged: true`.\n\n" +
		"Find the capability the program really needs (its documentation or `capsh --print` in a test run) and " +
		"add only that one; FUSE file systems need `/dev/fuse` plus `SYS_ADMIN` and are better served by a " +
		"volume plugin. `CAP_` prefixes and lower case are recognized.",
	Bad: `services:
  app:
    image: alpine:3.20
    cap_add:
      - SYS_ADMIN
`,
	Good: `services:
  app:
    image: alpine:3.20
    cap_add:
      - NET_BIND_SERVICE
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run:      func(p *lint.Pass) { secCapReport(p, secRootCaps, "the root-equivalent") },
}

// ElevatedCapability is BR305.
var ElevatedCapability = &lint.Rule{
	Code:  "BR305",
	Name:  "elevated-capability",
	Title: "cap_add grants a capability that reaches beyond the container",
	Text: "Capabilities such as `NET_ADMIN`, `SYS_PTRACE`, `SYS_TIME`, `BPF` or `SYSLOG` are not in Docker's " +
		"default set because they act on shared kernel state: the host clock, kernel logs, other processes' " +
		"memory, the network configuration. They are often needed (a VPN needs `NET_ADMIN`, a profiler " +
		"`SYS_PTRACE`), which is why this is a warning: check that the service needs it and record why with a " +
		"suppression comment. Capabilities Docker grants by default, and bounded ones such as `SYS_NICE` or " +
		"`IPC_LOCK`, are not reported; root-equivalent ones are BR304.",
	Bad: `services:
  app:
    image: alpine:3.20
    cap_add: [SYS_PTRACE]
`,
	Good: `services:
  app:
    image: alpine:3.20
    cap_add: [SYS_NICE]
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run:      func(p *lint.Pass) { secCapReport(p, secElevatedCaps, "the") },
}

// securityOpt normalizes a security_opt entry to "name:value" in lower case.
func secSecurityOpt(o string) string {
	o = strings.ToLower(strings.TrimSpace(o))
	if i := strings.IndexAny(o, ":="); i >= 0 {
		o = o[:i] + ":" + strings.TrimSpace(o[i+1:])
	}
	return o
}

var secUnconfinedOpts = []secReason{
	{"seccomp:unconfined", "turns off the seccomp filter, so every system call reaches the host kernel"},
	{"apparmor:unconfined", "turns off the AppArmor profile"},
	{"label:disable", "turns off SELinux separation"},
	{"label:type:spc_t", "runs as an SELinux super-privileged container"},
	{"systempaths:unconfined", "unmasks /proc and /sys paths that expose the host kernel"},
}

// SecurityProfileDisabled is BR306.
var SecurityProfileDisabled = &lint.Rule{
	Code:  "BR306",
	Name:  "security-profile-disabled",
	Title: "security_opt turns off seccomp, AppArmor, SELinux or masked system paths",
	Text: "Docker's default seccomp profile blocks the system calls most kernel exploits use; its AppArmor and " +
		"SELinux profiles and the masked `/proc` and `/sys` paths stop a root process in the container from " +
		"touching host kernel state. `seccomp:unconfined`, `apparmor:unconfined`, `label:disable`, " +
		"`label:type:spc_t` and `systempaths=unconfined` remove those layers.\n\n" +
		"Keep the defaults; when a program needs one blocked system call, give it a custom seccomp profile " +
		"(`seccomp=./profile.json`) that allows just that call.",
	Bad: `services:
  app:
    image: alpine:3.20
    security_opt:
      - seccomp:unconfined
`,
	Good: `services:
  app:
    image: alpine:3.20
    security_opt:
      - no-new-privileges:true
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			list := secSvcPath(s, "security_opt")
			for i, o := range s.SecurityOpt {
				why, ok := secLookup(secUnconfinedOpts, secSecurityOpt(o))
				if !ok {
					continue
				}
				at, ok := secScalarItem(p, list, i, o, func(a, b string) bool { return secSecurityOpt(a) == secSecurityOpt(b) })
				if !ok {
					continue
				}
				p.Reportf(at, "service %q sets %s: it %s", s.Name, strings.TrimSpace(o), why)
			}
		}
	},
}

// HostNetwork is BR307.
var HostNetwork = &lint.Rule{
	Code:  "BR307",
	Name:  "host-network",
	Title: "service shares the host's network namespace",
	Text: "With `network_mode: host` the container uses the host's network stack: every port it listens on is " +
		"open on every host interface (no `ports:` mapping, no Docker firewall rules), it can reach services " +
		"bound to the host's localhost, and with `NET_ADMIN` it can reconfigure the host's network.\n\n" +
		"Publish the ports the service needs instead (`ports: [\"127.0.0.1:8080:80\"]`). Some programs need the " +
		"host network (DHCP servers, mDNS discovery, Home Assistant): this is a warning, and a suppression " +
		"comment with the reason documents the choice. Separate from BR308 so that it can be turned off alone.",
	Bad: `services:
  app:
    image: nginx:1.27
    network_mode: host
`,
	Good: `services:
  app:
    image: nginx:1.27
    ports:
      - "127.0.0.1:8080:80"
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			if path := secSvcPath(s, "network_mode"); s.NetworkMode == "host" && !p.Interpolated(path) {
				p.Reportf(path, "service %q uses the host's network stack: its ports are open on every host interface", s.Name)
			}
		}
	},
}

// HostNamespace is BR308.
var HostNamespace = &lint.Rule{
	Code:  "BR308",
	Name:  "host-namespace",
	Title: "service shares the host's pid, ipc, uts or user namespace",
	Text: "`pid: host` lets the container see every host process, read their environment and command lines and, " +
		"as root, signal or trace them. `ipc: host` shares the host's shared memory and semaphores. `uts: host` " +
		"lets it change the host's name. `userns_mode: host` turns off the daemon's user-namespace remapping, " +
		"so root in the container is root on the host again.\n\n" +
		"Remove the setting. Monitoring agents (node-exporter, cAdvisor, profilers) sometimes need `pid: host`: " +
		"record why with a suppression comment. `network_mode: host` is BR307.",
	Bad: `services:
  agent:
    image: alpine:3.20
    pid: host
`,
	Good: `services:
  agent:
    image: alpine:3.20
    pid: service:app
  app:
    image: alpine:3.20
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			for _, ns := range []struct{ key, value, what string }{
				{"pid", s.Pid, "sees and can signal every host process"},
				{"ipc", s.Ipc, "shares the host's shared memory"},
				{"uts", s.Uts, "can change the host's name"},
				{"userns_mode", s.UserNSMode, "bypasses user-namespace remapping: root inside is root on the host"},
			} {
				if path := secSvcPath(s, ns.key); ns.value == "host" && !p.Interpolated(path) {
					p.Reportf(path, "service %q uses %s: host: it %s", s.Name, ns.key, ns.what)
				}
			}
		}
	},
}
