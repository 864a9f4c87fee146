package rules

import (
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
)

// Rules about host paths, credentials and the user a container runs as.

// SensitiveHostPath is BR309.
var SensitiveHostPath = &lint.Rule{
	Code:  "BR309",
	Name:  "sensitive-host-path",
	Title: "a bind mount exposes a sensitive host directory",
	Text: "Mounting `/`, `/etc`, `/root`, `/home`, `/proc`, `/sys`, `/boot`, `/dev`, `/usr`, `/var/lib/docker` " +
		"or credentials such as `~/.ssh`, `~/.aws`, `~/.kube` or `/etc/shadow` hands the container the host's " +
		"configuration, secrets or kernel interfaces. Writable, most of them are root on the host (a line in " +
		"`/etc/cron.d`, a key in `/root/.ssh`); read-only, they still disclose secrets.\n\n" +
		"Mount only the file or directory the service needs (`/etc/localtime:/etc/localtime:ro` is fine and " +
		"not reported), read-only when it only reads. Monitoring agents that read `/proc` and `/sys` are " +
		"legitimate: suppress with a reason. The Docker socket and `/run` are BR302; relative paths and " +
		"`${VAR}` paths are not judged.",
	Bad: `services:
  app:
    image: alpine:3.20
    volumes:
      - /etc:/host/etc
`,
	Good: `services:
  app:
    image: alpine:3.20
    volumes:
      - /etc/localtime:/etc/localtime:ro
      - ./config:/etc/app:ro
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			secBindMounts(p, s, func(_ int, v types.ServiceVolumeConfig, w secWrittenMount) {
				if !secSensitivePath(w.source) {
					return
				}
				mode := "writable"
				if v.ReadOnly {
					mode = "read-only"
				}
				p.Reportf(w.path, "service %q mounts the host's %s (%s)", s.Name, w.source, mode)
			})
		}
	},
}

// sensitivePath reports whether a host path (absolute or starting with ~)
// is a system directory or a credential store. /run and sockets are the
// docker-socket rule's.
func secSensitivePath(path string) bool {
	switch path {
	case "/", "/etc", "/proc", "/sys", "/boot", "/dev", "/root", "/home", "/Users", "/usr", "/lib", "/lib64",
		"/bin", "/sbin", "/var", "/var/lib", "/sys/kernel", "/sys/firmware", "~":
		return true
	}
	for _, dir := range []string{"/root", "/boot", "/proc", "/var/lib/docker", "/var/lib/containerd",
		"/var/lib/kubelet", "/etc/kubernetes", "/etc/docker", "/etc/ssh", "/etc/sudoers.d",
		"/sys/kernel", "/sys/firmware"} {
		if secUnder(path, dir) {
			return true
		}
	}
	switch path {
	case "/etc/shadow", "/etc/gshadow", "/etc/sudoers":
		return true
	}
	if strings.HasPrefix(path, "/dev/") && secDangerousDevice(path) {
		return true
	}
	// A whole home directory or its credential stores.
	var rest string
	switch {
	case strings.HasPrefix(path, "~/"):
		rest = path[2:]
	case strings.HasPrefix(path, "/home/"), strings.HasPrefix(path, "/Users/"):
		parts := strings.SplitN(path, "/", 4) // "", home, user, rest
		if len(parts) < 4 {
			return true // /home/<user>
		}
		rest = parts[3]
	default:
		return false
	}
	first, _, _ := strings.Cut(rest, "/")
	switch first {
	case ".ssh", ".aws", ".kube", ".docker", ".gnupg", ".azure", ".config/gcloud":
		return true
	}
	return strings.HasPrefix(rest, ".config/gcloud")
}

// LiteralSecret is BR310.
var LiteralSecret = &lint.Rule{
	Code:  "BR310",
	Name:  "literal-secret",
	Title: "a password, token or key is written literally in environment",
	Text: "A value such as `REDIS_PASSWORD: s3cret` in the compose file is committed to version control, " +
		"shown by `docker inspect` and `docker compose config`, and readable by everything that can read the " +
		"file. Variables whose name says PASSWORD, PASSWD, PASS, SECRET, TOKEN, API_KEY, PRIVATE_KEY, ACCESS_KEY " +
		"or CREDENTIALS are reported when their value is written literally.\n\n" +
		"Move the value out of the file: `REDIS_PASSWORD: ${REDIS_PASSWORD}` with the value in an untracked " +
		"`.env` file, or better a `secrets:` entry mounted at `/run/secrets/...` together with the image's " +
		"`*_FILE` variant (`POSTGRES_PASSWORD_FILE: /run/secrets/db_password`). Values from variables, " +
		"`*_FILE`/`*_PATH` names, empty values and yes/no switches (`MYSQL_ALLOW_EMPTY_PASSWORD: \"yes\"`) " +
		"are not reported.",
	Bad: `services:
  cache:
    image: redis:7
    environment:
      REDIS_PASSWORD: s3cret
`,
	Good: `services:
  cache:
    image: redis:7
    environment:
      REDIS_PASSWORD: ${REDIS_PASSWORD}
  db:
    image: postgres:16
    environment:
      POSTGRES_PASSWORD_FILE: /run/secrets/db_password
    secrets: [db_password]
secrets:
  db_password:
    file: ./db_password.txt
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			keys := make([]string, 0, len(s.Environment))
			for k := range s.Environment {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				v := s.Environment[k]
				if v == nil || !secSecretName(k) || !secSecretValue(*v) {
					continue
				}
				at, ok := secWrittenEnv(p, s, k)
				if !ok {
					continue
				}
				p.Reportf(at, "service %q sets %s to a literal value: move it to .env or a secret", s.Name, k)
			}
		}
	},
}

// writtenEnv finds where the environment variable k of s was written with a
// literal value, in map or list form.
func secWrittenEnv(p *lint.Pass, s types.ServiceConfig, k string) (string, bool) {
	if at := secSvcPath(s, "environment", k); secWritten(p, at) {
		_, ok := secLiteral(p, at)
		return at, ok
	}
	for _, ip := range secItems(p, secSvcPath(s, "environment")) {
		raw, ok := p.Raw(ip)
		if name, _, _ := strings.Cut(raw, "="); ok && strings.TrimSpace(name) == k {
			_, lit := secLiteral(p, ip)
			return ip, lit
		}
	}
	return "", false
}

// secretName reports whether an environment variable's name says it holds
// a credential.
func secSecretName(k string) bool {
	u := strings.ToUpper(k)
	for _, suffix := range []string{"_FILE", "_PATH", "_DIR", "_URL", "_URI", "_HOST", "_PORT", "_USER", "_USERNAME",
		"_NAME", "_LENGTH", "_EXPIRY", "_EXPIRES", "_TTL", "_TIMEOUT", "_ENABLED", "_ENABLE", "_TYPE", "_METHOD", "_HASH_ALGORITHM"} {
		if strings.HasSuffix(u, suffix) {
			return false
		}
	}
	for _, word := range []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN", "APIKEY", "API_KEY", "PRIVATE_KEY",
		"PRIVATEKEY", "ACCESS_KEY", "ACCESSKEY", "CREDENTIAL"} {
		if strings.Contains(u, word) {
			return true
		}
	}
	for _, part := range strings.FieldsFunc(u, func(r rune) bool { return r == '_' || r == '-' || r == '.' }) {
		if part == "PASS" || part == "PWD" && u != "PWD" && u != "OLDPWD" {
			return true
		}
	}
	return false
}

// secretValue reports whether a literal value looks like a credential: not
// empty, not a switch, not a path to a secret file.
func secSecretValue(v string) bool {
	v = strings.TrimSpace(v)
	switch strings.ToLower(v) {
	case "", "true", "false", "yes", "no", "on", "off", "0", "1", "y", "n", "null", "none":
		return false
	}
	return !strings.HasPrefix(v, "/run/secrets/")
}

// RunsAsRoot is BR311.
var RunsAsRoot = &lint.Rule{
	Code:  "BR311",
	Name:  "runs-as-root",
	Title: "service explicitly runs as root",
	Text: "`user: root`, `user: \"0\"` or `user: \"0:0\"` overrides the image's own non-root user: any code " +
		"execution in the service is root in the container, one kernel bug or misconfiguration away from root " +
		"on the host, and files it writes to bind mounts are owned by root.\n\n" +
		"Run as an unprivileged user (`user: \"1000:1000\"`, or the user the image defines). Only an explicit " +
		"root user is reported: an image that runs as root by default cannot be known from the compose file.",
	Bad: `services:
  app:
    image: node:22
    user: root
`,
	Good: `services:
  app:
    image: node:22
    user: "1000:1000"
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			raw, ok := secLiteral(p, secSvcPath(s, "user"))
			if !ok {
				continue
			}
			if u, _, _ := strings.Cut(strings.TrimSpace(raw), ":"); u == "root" || u == "0" {
				p.Reportf(secSvcPath(s, "user"), "service %q runs as root (user: %s)", s.Name, raw)
			}
		}
	},
}

// SharedMountPropagation is BR312.
var SharedMountPropagation = &lint.Rule{
	Code:  "BR312",
	Name:  "shared-mount-propagation",
	Title: "a bind mount propagates the container's mounts back to the host",
	Text: "With `shared` or `rshared` propagation, mounts the container makes under the bind mount appear on " +
		"the host too: a compromised container can mount over host paths. Storage drivers (CSI plugins) need " +
		"it; nothing else does.\n\n" +
		"Drop the propagation option (the default is `rprivate`), or use `rslave` when the container must see " +
		"mounts the host makes later. Info: rare, and usually deliberate.",
	Bad: `services:
  app:
    image: alpine:3.20
    volumes:
      - /mnt/data:/data:rshared
`,
	Good: `services:
  app:
    image: alpine:3.20
    volumes:
      - /mnt/data:/data:rslave
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range secSortedServices(p) {
			secBindMounts(p, s, func(_ int, v types.ServiceVolumeConfig, w secWrittenMount) {
				if v.Bind == nil || (v.Bind.Propagation != "shared" && v.Bind.Propagation != "rshared") {
					return
				}
				at := w.path
				if item, ok := strings.CutSuffix(at, ".source"); ok {
					if prop := item + ".bind.propagation"; secWritten(p, prop) {
						at = prop
					}
				}
				p.Reportf(at, "service %q mounts %s with %s propagation: its mounts reach the host", s.Name, w.source, v.Bind.Propagation)
			})
		}
	},
}
