package rules

import (
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
)

// Security rules, BR3xx. Codes are stable: the rules that are on by default
// and most severe come first; a retired code is never reused.
//
// Severities become SARIF security-severity: error means the container can
// take over the host (privileged, the Docker socket, raw host devices,
// root-equivalent capabilities, disabled confinement); warning weakens
// isolation in a way that is sometimes intended; info is hardening advice,
// mostly off by default because nearly every real file triggers it.
var Security = []*lint.Rule{
	Privileged,
	DockerSocket,
	HostDevice,
	DangerousCapability,
	ElevatedCapability,
	SecurityProfileDisabled,
	HostNetwork,
	HostNamespace,
	SensitiveHostPath,
	LiteralSecret,
	RunsAsRoot,
	SharedMountPropagation,
	NoNewPrivileges,
	CapDropAll,
	PortAllInterfaces,
	PrivilegedPort,
	WritableRootFS,
	NoMemoryLimit,
	NoCPULimit,
	NoPidsLimit,
}

// Privileged is BR301.
var Privileged = &lint.Rule{
	Code:  "BR301",
	Name:  "privileged",
	Title: "service runs privileged, with every capability and every host device",
	Text: "`privileged: true` gives the container all Linux capabilities, access to every host device and " +
		"no seccomp, AppArmor or SELinux confinement: root in the container is root on the host, and escaping " +
		"takes one `mount` of the host disk.\n\n" +
		"Remove it and grant only what the program needs: a few `cap_add` entries, a specific `devices` entry " +
		"(`/dev/net/tun`, `/dev/dri`). When a container really must be privileged (a Docker-in-Docker CI runner), " +
		"say so with `# berth:disable-next-line BR301 -- reason`.",
	Bad: `services:
  app:
    image: nginx:1.27
    privileged: true
`,
	Good: `services:
  app:
    image: nginx:1.27
    cap_add: [NET_BIND_SERVICE]
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			if path := secSvcPath(s, "privileged"); s.Privileged && !p.Interpolated(path) {
				p.Reportf(path, "service %q runs privileged: root in the container is root on the host", s.Name)
			}
		}
	},
}

// DockerSocket is BR302.
var DockerSocket = &lint.Rule{
	Code:  "BR302",
	Name:  "docker-socket",
	Title: "the docker socket (or another container runtime socket) is mounted into a container",
	Text: "Whoever can talk to `/var/run/docker.sock` controls the Docker daemon, which runs as root: the " +
		"container can start a privileged container that mounts the host's `/` and take over the host. A " +
		"read-only (`:ro`) mount does not help: `ro` stops writes to the socket file, not requests over it. " +
		"The same holds for the containerd, CRI-O and Podman sockets.\n\n" +
		"Avoid the mount. Tools that only need to read (dashboards, reverse proxies discovering containers) can " +
		"go through a filtering proxy such as `tecnativa/docker-socket-proxy` that allows only the API calls " +
		"they use. When the mount is the point (Portainer, a CI runner), suppress the finding with a reason.",
	Bad: `services:
  proxy:
    image: traefik:v3.1
    volumes:
      - /var/run/docker.sock:/var/run/docker.sock:ro
`,
	Good: `services:
  socket-proxy:
    image: tecnativa/docker-socket-proxy:0.2
    environment:
      CONTAINERS: 1
  proxy:
    image: traefik:v3.1
    command: --providers.docker.endpoint=tcp://socket-proxy:2375
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			secBindMounts(p, s, func(_ int, v types.ServiceVolumeConfig, w secWrittenMount) {
				if secIsRuntimeSocket(w.source) {
					ro := ""
					if v.ReadOnly {
						ro = " (read-only does not help: requests still go through)"
					}
					p.Reportf(w.path, "service %q mounts the container runtime socket %s: it controls the host%s", s.Name, w.source, ro)
				}
			})
		}
	},
}

// isRuntimeSocket reports whether a host path is a container runtime's API
// socket, or a directory that holds one (/run, /var/run).
func secIsRuntimeSocket(path string) bool {
	switch path {
	case "/run", "/var/run", "/run/containerd", "/var/run/containerd", "/run/podman", "/var/run/podman", "/run/crio", "/var/run/crio":
		return true
	}
	base := path[strings.LastIndex(path, "/")+1:]
	switch base {
	case "docker.sock", "containerd.sock", "crio.sock", "podman.sock", "dockershim.sock":
		return true
	}
	return false
}
