package rules

import (
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// ContainerName: BR406.
var ContainerName = &lint.Rule{
	Code:  "BR406",
	Name:  "container-name",
	Title: "service sets container_name",
	Text: "Compose names containers `<project>-<service>-<n>`, which is unique per project and " +
		"predictable. A fixed `container_name` gives that up: the service cannot be scaled " +
		"(`docker compose up --scale web=2` fails, BR111), and two copies of the project (two checkouts, " +
		"a CI run next to a developer's stack, `-p` with another name) collide on the name. Other " +
		"services reach a service by its service name anyway.\n\n" +
		"Off by default: a fixed name is sometimes wanted (tools that address a container by name, " +
		"single-instance hosts), and many published files set it. Enable it for projects that run in " +
		"several copies. Not fixable: removing the key changes the container's name.",
	Bad: `services:
  db:
    image: postgres:16
    container_name: db
`,
	Good: `services:
  db:
    image: postgres:16
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Run: func(p *lint.Pass) {
		for _, name := range styleServiceNames(p.Project) {
			s := styleService(p.Project, name)
			if s.ContainerName != "" {
				p.Reportf(load.PathOf("services", name, "container_name"),
					"service %q sets container_name %q: it cannot be scaled and two copies of the project collide", name, s.ContainerName)
			}
		}
	},
}

// LegacyLinks: BR407.
var LegacyLinks = &lint.Rule{
	Code:  "BR407",
	Name:  "legacy-links",
	Title: "service uses the legacy links or external_links",
	Text: "`links` comes from Docker's legacy container links. On the networks Compose creates, every " +
		"service already reaches every other one by its service name, so `links: [db]` adds nothing but " +
		"an alias; Docker documents links as legacy and may remove them. `external_links` reach " +
		"containers of other projects the same legacy way.\n\n" +
		"Remove `links`; use `depends_on` for start order and a network `aliases:` entry for another " +
		"name. For `external_links`, join the other project's network (declared `external: true`). " +
		"Not fixable: the alias a link creates may be in use.",
	Bad: `services:
  web:
    image: nginx:1.27
    links:
      - db
  db:
    image: postgres:16
`,
	Good: `services:
  web:
    image: nginx:1.27
    depends_on:
      - db
  db:
    image: postgres:16
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, name := range styleServiceNames(p.Project) {
			s := styleService(p.Project, name)
			if len(s.Links) > 0 {
				p.Reportf(load.PathOf("services", name, "links"),
					"service %q uses links, a legacy feature: services reach each other by name on their networks; use depends_on for start order", name)
			}
			if len(s.ExternalLinks) > 0 {
				p.Reportf(load.PathOf("services", name, "external_links"),
					"service %q uses external_links, a legacy feature: join the other project's network instead", name)
			}
		}
	},
}

// styleServiceNames lists every service, enabled or not (profiles), sorted.
func styleServiceNames(p *load.Project) []string {
	names := slices.Collect(maps.Keys(p.Services))
	for n := range p.DisabledServices {
		if _, ok := p.Services[n]; !ok {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

func styleService(p *load.Project, name string) types.ServiceConfig {
	if s, ok := p.Services[name]; ok {
		return s
	}
	return p.DisabledServices[name]
}
