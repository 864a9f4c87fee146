package rules

import (
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// Consistency rules (BR1xx): references that point nowhere, conflicts
// between services, and declarations nothing uses. Docker Compose rejects
// most of these at load time with one unpositioned error; lint loads with
// consistency checks off and reports them all, each at its place.
var Consistency = []*lint.Rule{
	UndefinedNetwork,
	UndefinedVolume,
	UndefinedSecret,
	UndefinedConfig,
	UndefinedDependency,
	UndefinedServiceReference,
	DependencyCycle,
	NetworkModeWithNetworks,
	NoImageOrBuild,
	DuplicateContainerName,
	ContainerNameWithReplicas,
	DuplicateHostPort,
	UnusedResource,
	HealthyDependencyWithoutHealthcheck,
	DuplicateEnvironment,
	ExternalWithOptions,
	HealthcheckTestCommand,
	ConfigWithoutSource,
}

// UndefinedNetwork: BR101.
var UndefinedNetwork = &lint.Rule{
	Code:  "BR101",
	Name:  "undefined-network",
	Title: "service joins a network that is not declared",
	Text: "A service may only join networks declared under the top-level `networks:` key " +
		"(the implicit `default` network excepted). Docker Compose refuses to start the project: " +
		"`service \"web\" refers to undefined network back`.\n\n" +
		"Declare the network at the top level (with `external: true` if another project creates it), " +
		"or fix the name.",
	Bad: `services:
  web:
    image: nginx:1.27
    networks: [back]
`,
	Good: `services:
  web:
    image: nginx:1.27
    networks: [back]
networks:
  back: {}
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			for _, n := range csSortedKeys(s.cfg.Networks) {
				if _, ok := p.Project.Networks[n]; ok || n == "default" {
					continue
				}
				r, found, skip := csFindRef(p, csPath(s.name, "networks"), n, "", nil)
				if skip && !found {
					continue
				}
				r.report(p, "service %q joins network %q, which is not declared under the top-level networks", s.name, n)
			}
		}
	},
}

// UndefinedVolume: BR102.
var UndefinedVolume = &lint.Rule{
	Code:  "BR102",
	Name:  "undefined-volume",
	Title: "service mounts a named volume that is not declared",
	Text: "A named volume (`data:/var/lib/data`, or `type: volume` with a `source`) must be declared under " +
		"the top-level `volumes:` key. Docker Compose refuses to start the project: " +
		"`service \"db\" refers to undefined volume data`.\n\n" +
		"Declare the volume (an empty `data:` entry is enough), fix the name, or, if a host directory " +
		"was meant, write it as a path (`./data:/var/lib/data`).",
	Bad: `services:
  db:
    image: postgres:16
    volumes:
      - data:/var/lib/postgresql/data
`,
	Good: `services:
  db:
    image: postgres:16
    volumes:
      - data:/var/lib/postgresql/data
volumes:
  data: {}
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			for _, v := range s.cfg.Volumes {
				if v.Type != types.VolumeTypeVolume || v.Source == "" {
					continue
				}
				if _, ok := p.Project.Volumes[v.Source]; ok {
					continue
				}
				r, found, skip := csFindRef(p, csPath(s.name, "volumes"), v.Source, "source", cutColon)
				if skip && !found {
					continue
				}
				r.report(p, "service %q mounts volume %q, which is not declared under the top-level volumes", s.name, v.Source)
			}
		}
	},
}

// UndefinedSecret: BR103.
var UndefinedSecret = &lint.Rule{
	Code:  "BR103",
	Name:  "undefined-secret",
	Title: "service uses a secret that is not declared",
	Text: "Every secret a service (or its `build:`) uses must be declared under the top-level `secrets:` key, " +
		"with a `file:`, `environment:` or `external: true`. Docker Compose refuses to start the project " +
		"otherwise.\n\nDeclare the secret or fix the name.",
	Bad: `services:
  api:
    image: example/api:1.0
    secrets: [db_password]
`,
	Good: `services:
  api:
    image: example/api:1.0
    secrets: [db_password]
secrets:
  db_password:
    file: ./db_password.txt
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			check := func(base string, list []types.ServiceSecretConfig, what string) {
				for _, sec := range list {
					if _, ok := p.Project.Secrets[sec.Source]; ok || sec.Source == "" {
						continue
					}
					r, found, skip := csFindRef(p, base, sec.Source, "source", nil)
					if skip && !found {
						continue
					}
					r.report(p, "service %q%s uses secret %q, which is not declared under the top-level secrets", s.name, what, sec.Source)
				}
			}
			check(csPath(s.name, "secrets"), s.cfg.Secrets, "")
			if s.cfg.Build != nil {
				check(csPath(s.name, "build", "secrets"), s.cfg.Build.Secrets, " (build)")
			}
		}
	},
}

// UndefinedConfig: BR104.
var UndefinedConfig = &lint.Rule{
	Code:  "BR104",
	Name:  "undefined-config",
	Title: "service uses a config that is not declared",
	Text: "Every config a service uses must be declared under the top-level `configs:` key, with a " +
		"`file:`, `content:`, `environment:` or `external: true`. Docker Compose refuses to start the " +
		"project otherwise.\n\nDeclare the config or fix the name.",
	Bad: `services:
  proxy:
    image: nginx:1.27
    configs: [nginx_conf]
`,
	Good: `services:
  proxy:
    image: nginx:1.27
    configs: [nginx_conf]
configs:
  nginx_conf:
    file: ./nginx.conf
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			for _, c := range s.cfg.Configs {
				if _, ok := p.Project.Configs[c.Source]; ok || c.Source == "" {
					continue
				}
				r, found, skip := csFindRef(p, csPath(s.name, "configs"), c.Source, "source", nil)
				if skip && !found {
					continue
				}
				r.report(p, "service %q uses config %q, which is not declared under the top-level configs", s.name, c.Source)
			}
		}
	},
}

// UndefinedDependency: BR105.
var UndefinedDependency = &lint.Rule{
	Code:  "BR105",
	Name:  "undefined-dependency",
	Title: "depends_on names a service that does not exist",
	Text: "`depends_on` must name services of the project (a service disabled by a profile counts). " +
		"Docker Compose refuses to start the project: `service \"web\" depends on undefined service \"db\"`, " +
		"also for `required: false` dependencies.\n\nFix the name, or remove the entry.",
	Bad: `services:
  web:
    image: nginx:1.27
    depends_on: [database]
  db:
    image: postgres:16
`,
	Good: `services:
  web:
    image: nginx:1.27
    depends_on: [db]
  db:
    image: postgres:16
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			for _, d := range csDeps(p, s) {
				if !csDefined(p.Project, d.target) {
					d.at.report(p, "service %q depends on %q, which is not a service of this project", s.name, d.target)
				}
			}
		}
	},
}

// UndefinedServiceReference: BR106.
var UndefinedServiceReference = &lint.Rule{
	Code:  "BR106",
	Name:  "undefined-service-reference",
	Title: "network_mode, ipc, pid or volumes_from names a service that does not exist",
	Text: "`network_mode: service:NAME`, `ipc: service:NAME`, `pid: service:NAME` and `volumes_from: [NAME]` " +
		"share another service's namespace or volumes, so NAME must be a service of the project. " +
		"Docker Compose fails to create the container otherwise.\n\n" +
		"Fix the name. To share with a container that Compose does not manage, write `container:NAME` " +
		"(berth cannot check those).",
	Bad: `services:
  app:
    image: example/app:1.0
  sidecar:
    image: example/sidecar:1.0
    network_mode: service:application
`,
	Good: `services:
  app:
    image: example/app:1.0
  sidecar:
    image: example/sidecar:1.0
    network_mode: service:app
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			for _, key := range []string{"network_mode", "ipc", "pid", "uts", "cgroup"} {
				path := csPath(s.name, key)
				raw, ok := p.Raw(path)
				if !ok || lint.HasVariable(raw) {
					continue
				}
				if target, ok := csServiceRef(raw); ok && !csDefined(p.Project, target) {
					p.Reportf(path, "%s refers to service %q, which is not a service of this project", key, target)
				}
			}
			for _, it := range csItems(p, csPath(s.name, "volumes_from")) {
				raw, ok := p.Raw(it)
				if !ok || lint.HasVariable(raw) {
					continue
				}
				if target, ok := csVolumesFrom(raw); ok && !csDefined(p.Project, target) {
					p.Reportf(it, "volumes_from refers to service %q, which is not a service of this project (write container:%s for a container Compose does not manage)", target, target)
				}
			}
		}
	},
}

// DependencyCycle: BR107.
var DependencyCycle = &lint.Rule{
	Code:  "BR107",
	Name:  "dependency-cycle",
	Title: "services depend on each other in a cycle",
	Text: "Compose starts a service after the services it depends on, so dependencies must form no cycle. " +
		"Besides `depends_on`, `links`, `volumes_from` and `network_mode`/`ipc`/`pid: service:NAME` are " +
		"dependencies too. Docker Compose refuses to start a project with a cycle.\n\n" +
		"Every edge of the cycle is reported once: remove the one that is not a real start-up order.",
	Bad: `services:
  web:
    image: nginx:1.27
    depends_on: [api]
  api:
    image: example/api:1.0
    depends_on: [web]
`,
	Good: `services:
  web:
    image: nginx:1.27
    depends_on: [api]
  api:
    image: example/api:1.0
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run:      runDependencyCycle,
}

// NetworkModeWithNetworks: BR108.
var NetworkModeWithNetworks = &lint.Rule{
	Code:  "BR108",
	Name:  "network-mode-with-networks",
	Title: "service sets both network_mode and networks",
	Text: "`network_mode` (host, none, `service:NAME`, `container:NAME`) replaces the service's networking, " +
		"so it cannot also join `networks`. Docker Compose rejects the file: " +
		"`declares mutually exclusive network_mode and networks`.\n\nKeep one of the two.",
	Bad: `services:
  web:
    image: nginx:1.27
    network_mode: host
    networks: [front]
networks:
  front: {}
`,
	Good: `services:
  web:
    image: nginx:1.27
    network_mode: host
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			nets := csPath(s.name, "networks")
			if s.cfg.NetworkMode == "" || !csWritten(p, nets) || !csWritten(p, csPath(s.name, "network_mode")) {
				continue
			}
			p.ReportKeyf(nets, "service %q sets network_mode %q, which excludes networks", s.name, s.cfg.NetworkMode)
		}
	},
}

// NoImageOrBuild: BR109.
var NoImageOrBuild = &lint.Rule{
	Code:  "BR109",
	Name:  "no-image-or-build",
	Title: "service has neither image nor build",
	Text: "Compose needs an image to run: either `image:` to pull or `build:` to build one. " +
		"Docker Compose rejects the file: `service \"web\" has neither an image nor a build context specified`. " +
		"(A service with `provider:` is exempt.)\n\nAdd `image:` or `build:`; when the service extends " +
		"another one, check the `extends:` target.",
	Bad: `services:
  web:
    ports: ["8080:80"]
`,
	Good: `services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			if s.cfg.Image == "" && s.cfg.Build == nil && s.cfg.Provider == nil {
				p.ReportKeyf(csPath(s.name), "service %q has neither image nor build", s.name)
			}
		}
	},
}

// DuplicateContainerName: BR110.
var DuplicateContainerName = &lint.Rule{
	Code:  "BR110",
	Name:  "duplicate-container-name",
	Title: "two services set the same container_name",
	Text: "Container names are unique on a Docker host: the second service to start fails with " +
		"`Conflict. The container name \"/db\" is already in use`. Services whose profiles never run " +
		"together are not compared.\n\nGive each service its own `container_name`, or drop it and let " +
		"Compose name containers `<project>-<service>-<n>`.",
	Bad: `services:
  db:
    image: postgres:16
    container_name: db
  db-replica:
    image: postgres:16
    container_name: db
`,
	Good: `services:
  db:
    image: postgres:16
    container_name: db
  db-replica:
    image: postgres:16
    container_name: db-replica
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		var seen []csService
		for _, s := range csServices(p.Project) {
			path := csPath(s.name, "container_name")
			if s.cfg.ContainerName == "" || p.Interpolated(path) {
				continue
			}
			for _, o := range seen {
				if o.cfg.ContainerName == s.cfg.ContainerName && csCoActive(o.cfg, s.cfg) {
					p.Reportf(path, "container_name %q is already used by service %q", s.cfg.ContainerName, o.name)
					break
				}
			}
			seen = append(seen, s)
		}
	},
}

// ContainerNameWithReplicas: BR111.
var ContainerNameWithReplicas = &lint.Rule{
	Code:  "BR111",
	Name:  "container-name-with-replicas",
	Title: "container_name on a service with more than one replica",
	Text: "A fixed `container_name` can be used by one container only, so a service with `scale` or " +
		"`deploy.replicas` above 1 cannot have one. Docker Compose rejects the file: " +
		"`can't set container_name and deploy.replicas as container name must be unique`.\n\n" +
		"Drop `container_name` or run one replica.",
	Bad: `services:
  worker:
    image: example/worker:1.0
    container_name: worker
    deploy:
      replicas: 3
`,
	Good: `services:
  worker:
    image: example/worker:1.0
    deploy:
      replicas: 3
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			path := csPath(s.name, "container_name")
			if s.cfg.ContainerName == "" || !csWritten(p, path) {
				continue
			}
			n, attr := 0, ""
			if s.cfg.Scale != nil && !p.Interpolated(csPath(s.name, "scale")) {
				n, attr = *s.cfg.Scale, "scale"
			} else if s.cfg.Deploy != nil && s.cfg.Deploy.Replicas != nil && !p.Interpolated(csPath(s.name, "deploy", "replicas")) {
				n, attr = *s.cfg.Deploy.Replicas, "deploy.replicas"
			}
			if n > 1 {
				p.Reportf(path, "service %q sets container_name but runs %d replicas (%s)", s.name, n, attr)
			}
		}
	},
}

// HealthyDependencyWithoutHealthcheck: BR114.
var HealthyDependencyWithoutHealthcheck = &lint.Rule{
	Code:  "BR114",
	Name:  "healthy-dependency-without-healthcheck",
	Title: "depends_on waits for service_healthy on a service with no healthcheck",
	Text: "`condition: service_healthy` waits until the dependency's healthcheck passes. When the " +
		"compose file gives that service no `healthcheck:`, only a `HEALTHCHECK` in its image can " +
		"help; if the image has none, `docker compose up` fails with " +
		"`container db has no healthcheck configured`. Many official images (postgres, mysql, redis) " +
		"define none.\n\nThis is a warning, not an error, because berth cannot see the image: add a " +
		"`healthcheck:` to the dependency (it documents the check and makes its timing explicit), or " +
		"wait with `service_started`. A dependency whose healthcheck is disabled is reported by BR201.",
	Bad: `services:
  web:
    image: example/web:1.0
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
`,
	Good: `services:
  web:
    image: example/web:1.0
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "postgres"]
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			for _, d := range csDeps(p, s) {
				if d.condition != types.ServiceConditionHealthy {
					continue
				}
				t, ok := csLookup(p.Project.Project, d.target)
				if !ok || t.HealthCheck != nil {
					continue
				}
				d.at.report(p, "service %q waits for %q to be healthy, but %q has no healthcheck (its image must define a HEALTHCHECK)", s.name, d.target, d.target)
			}
		}
	},
}

func csSortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// HealthcheckTestCommand: BR117.
var HealthcheckTestCommand = &lint.Rule{
	Code:  "BR117",
	Name:  "healthcheck-test-command",
	Title: "healthcheck.test list does not start with CMD, CMD-SHELL or NONE",
	Text: "Written as a list, `healthcheck.test` starts with how to run the rest: `CMD` (the arguments as " +
		"they are), `CMD-SHELL` (one shell command line) or `NONE` (no healthcheck). A list that starts " +
		"with the command itself is refused by Docker Compose: `healthcheck.test must start either by " +
		"\"CMD\", \"CMD-SHELL\" or \"NONE\"`, without saying which service.\n\n" +
		"Put `CMD` first, or write the test as a string, which is run by the shell.",
	Bad: `services:
  web:
    image: nginx:1.27
    healthcheck:
      test: [curl, -f, http://localhost/]
`,
	Good: `services:
  web:
    image: nginx:1.27
    healthcheck:
      test: [CMD, curl, -f, http://localhost/]
`,
	Since:    "0.2.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			if hc := s.cfg.HealthCheck; hc != nil && len(hc.Test) > 0 {
				switch hc.Test[0] {
				case "CMD", "CMD-SHELL", "NONE":
				default:
					p.Reportf(csPath(s.name, "healthcheck", "test")+"[0]", "service %q: healthcheck.test starts with %q, not CMD, CMD-SHELL or NONE", s.name, hc.Test[0])
				}
			}
		}
	},
}

// ConfigWithoutSource: BR118.
var ConfigWithoutSource = &lint.Rule{
	Code:  "BR118",
	Name:  "config-without-source",
	Title: "config or secret says neither where its content comes from nor that it is external",
	Text: "A top-level config needs one of `file`, `environment` or `content`, a secret one of `file` or " +
		"`environment`, unless it is `external` or has a `driver` of its own. Docker Compose refuses the " +
		"project otherwise, also when no service uses the entry: `configs.app: one of " +
		"file|environment|content must be set`.\n\n" +
		"Say where the content comes from, mark the entry `external: true` if it is created outside " +
		"the project, or remove it.",
	Bad: `services:
  web:
    image: nginx:1.27
    configs: [site]
configs:
  site: {}
`,
	Good: `services:
  web:
    image: nginx:1.27
    configs: [site]
configs:
  site:
    file: ./site.conf
`,
	Since:    "0.2.0",
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		check := func(kind string, objs map[string]types.FileObjectConfig, sources ...string) {
			for _, name := range slices.Sorted(maps.Keys(objs)) {
				o := objs[name]
				path := load.PathOf(kind, name)
				if o.File != "" || o.Environment != "" || o.Content != "" && kind == "configs" || o.Driver != "" ||
					bool(o.External) || csWritten(p, path+".external") || csWritten(p, path+".driver") {
					continue
				}
				p.ReportKeyf(path, "%s %q sets none of %s: Compose needs one (or external: true)", strings.TrimSuffix(kind, "s"), name, strings.Join(sources, ", "))
			}
		}
		configs := map[string]types.FileObjectConfig{}
		for name, c := range p.Project.Configs {
			configs[name] = types.FileObjectConfig(c)
		}
		secrets := map[string]types.FileObjectConfig{}
		for name, s := range p.Project.Secrets {
			secrets[name] = types.FileObjectConfig(s)
		}
		check("configs", configs, "file", "environment", "content")
		check("secrets", secrets, "file", "environment")
	},
}
