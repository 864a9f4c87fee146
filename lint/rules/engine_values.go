package rules

import (
	"regexp"
	"strings"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// The rules of this file check what Docker Compose accepts when it loads a
// file but the Docker Engine, or the user's intent, does not: `berth
// config` accepts exactly what Compose accepts, so these are lint findings,
// not schema violations.

// restartPolicyRE is the restart policies the Docker Engine accepts
// (runconfig: "no", "always", "unless-stopped", "on-failure[:N]").
var restartPolicyRE = regexp.MustCompile(`^(no|always|unless-stopped|on-failure(:[0-9]+)?)$`)

// UnknownRestartPolicy: BR207.
var UnknownRestartPolicy = &lint.Rule{
	Code:  "BR207",
	Name:  "unknown-restart-policy",
	Title: "restart policy the Docker Engine does not know",
	Text: "Docker Compose loads any string as `restart:`, but the Docker Engine refuses to create a " +
		"container whose restart policy is not `\"no\"`, `always`, `unless-stopped` or " +
		"`on-failure[:MAX_RETRIES]`, so `docker compose up` fails on this service.\n\n" +
		"Use one of those four. Write `\"no\"` quoted: unquoted, YAML 1.1 tools read it as false. " +
		"Not reported: values written with a variable.",
	Bad: `services:
  web:
    image: nginx:1.27
    restart: on-failure:three
`,
	Good: `services:
  web:
    image: nginx:1.27
    restart: on-failure:3
`,
	Since:    "0.2.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			at := csPath(s.name, "restart")
			if s.cfg.Restart == "" || !csWritten(p, at) || p.Interpolated(at) || restartPolicyRE.MatchString(s.cfg.Restart) {
				continue
			}
			p.Reportf(at, "restart policy %q is not one the Docker Engine accepts (\"no\", always, unless-stopped, on-failure[:N])", s.cfg.Restart)
		}
	},
}

// UnknownPortProtocol: BR208.
var UnknownPortProtocol = &lint.Rule{
	Code:  "BR208",
	Name:  "unknown-port-protocol",
	Title: "published port with a protocol other than tcp, udp or sctp",
	Text: "In the long syntax of `ports`, Docker Compose loads any `protocol:` name, but the Docker " +
		"Engine publishes only `tcp`, `udp` and `sctp` and refuses to create the container otherwise, " +
		"so `docker compose up` fails on this service. (In the short syntax, `\"53:53/upd\"`, Compose " +
		"itself refuses the file.)\n\nWrite `tcp` (the default, which can be left out), `udp` or " +
		"`sctp`. Not reported: values written with a variable.",
	Bad: `services:
  dns:
    image: coredns/coredns:1.11.3
    ports:
      - target: 53
        published: "53"
        protocol: upd
`,
	Good: `services:
  dns:
    image: coredns/coredns:1.11.3
    ports:
      - target: 53
        published: "53"
        protocol: udp
`,
	Since:    "0.2.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			for _, item := range csItems(p, csPath(s.name, "ports")) {
				at := item + ".protocol"
				proto, ok := p.Raw(at)
				if !ok || lint.HasVariable(proto) {
					continue
				}
				switch strings.ToLower(proto) {
				case "tcp", "udp", "sctp":
					continue
				}
				p.Reportf(at, "port protocol %q is not one the Docker Engine publishes (tcp, udp, sctp)", proto)
			}
		}
	},
}

// DuplicateEnvironment: BR115.
var DuplicateEnvironment = &lint.Rule{
	Code:  "BR115",
	Name:  "duplicate-environment",
	Title: "variable set twice in a service's environment list",
	Text: "In the list form of `environment`, Docker Compose keeps the last entry for a variable and " +
		"drops the earlier ones without a word, so one of the two values written is never used, " +
		"and which one depends on the order of the lines.\n\nKeep one entry per variable. (In the " +
		"mapping form a repeated key is a YAML error, BR009.)",
	Bad: `services:
  api:
    image: example/api:1.0
    environment:
      - LOG_LEVEL=info
      - PORT=8080
      - LOG_LEVEL=debug
`,
	Good: `services:
  api:
    image: example/api:1.0
    environment:
      - LOG_LEVEL=debug
      - PORT=8080
`,
	Since:    "0.2.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			first := map[string]bool{}
			for _, item := range csItems(p, csPath(s.name, "environment")) {
				raw, ok := p.Raw(item)
				if !ok {
					continue
				}
				name, _, _ := strings.Cut(raw, "=")
				if first[name] {
					p.Reportf(item, "%s is set again here; Docker Compose keeps only this last value", name)
					continue
				}
				first[name] = true
			}
		}
	},
}

// ExternalWithOptions: BR116.
var ExternalWithOptions = &lint.Rule{
	Code:  "BR116",
	Name:  "external-with-options",
	Title: "external network, secret or config sets options Compose ignores",
	Text: "A network, secret or config marked `external: true` is created outside the project, so " +
		"Docker Compose uses it as it is and ignores every other key but `name` (`driver`, " +
		"`driver_opts`, `labels`, `ipam`, `file`, ...). The file suggests a configuration that is " +
		"never applied. (For volumes, Compose refuses such keys: BR007.)\n\nRemove the keys, or drop " +
		"`external: true` to let Compose create the resource.",
	Bad: `services:
  web:
    image: nginx:1.27
    networks: [front]
networks:
  front:
    external: true
    driver: bridge
`,
	Good: `services:
  web:
    image: nginx:1.27
    networks: [front]
networks:
  front:
    external: true
`,
	Since:    "0.2.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, kind := range []string{"networks", "secrets", "configs"} {
			for _, at := range p.Project.Sources.Paths() {
				segs, err := load.SplitPath(at)
				if err != nil || len(segs) != 3 || segs[0] != kind {
					continue
				}
				name, _ := segs[1].(string)
				key, _ := segs[2].(string)
				if key == "" || key == "external" || key == "name" || strings.HasPrefix(key, "x-") {
					continue
				}
				if ext, ok := p.Raw(load.PathOf(kind, name, "external")); !ok || ext != "true" {
					continue
				}
				p.ReportKeyf(at, "%q is ignored on external %s %q: it is managed outside this project", key, strings.TrimSuffix(kind, "s"), name)
			}
		}
	},
}
