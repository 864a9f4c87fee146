package rules

import (
	"strings"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/lint/canon"
	"github.com/berth-compose/berth/load"
)

// Style rules (BR4xx): how a compose file is written, never what it means.
// Every fix here is a byte edit that leaves `berth config` output unchanged
// (a test holds them to it). The ordering rules and `berth fmt` share one
// canonical order, defined and documented in lint/canon.
var Style = []*lint.Rule{
	ServiceKeyOrder,
	TopLevelOrder,
	ServicesAlphabetical,
	UnquotedPort,
	InconsistentQuotes,
	ContainerName,
	LegacyLinks,
}

// ServiceKeyOrder: BR401.
var ServiceKeyOrder = &lint.Rule{
	Code:  "BR401",
	Name:  "service-key-order",
	Title: "service keys are not in canonical order",
	Text: "A fixed order of service keys makes services quick to scan and diffs between them small: " +
		"what runs (`image`, `build`, `container_name`), what it needs (`depends_on`, volumes, secrets), " +
		"its environment, its network, how it runs (`command`, `restart`, `healthcheck`), its metadata, " +
		"security and resources, then `x-*` fields. The groups are dclint's `service-keys-order`, extended " +
		"so that every key of the compose specification has a place (`profiles`, `deploy`, `cap_add`, ...), " +
		"with `secrets` before `configs` as at the top level. A merge key `<<` stays first.\n\n" +
		"The fix (and `berth fmt`) moves whole lines: comments above a key, its line comment, anchors, " +
		"quotes and flow or block style move with it unchanged, and an anchor never ends up after its alias. " +
		"Key order has no effect on the project: `berth config` prints the same before and after.",
	Bad: `services:
  web:
    ports:
      - "8080:80"
    image: nginx:1.27
`,
	Good: `services:
  web:
    image: nginx:1.27
    ports:
      - "8080:80"
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  true,
	Fixable:  true,
	Run: func(p *lint.Pass) {
		for _, f := range p.Project.Files {
			for _, c := range canon.ServiceKeys(f) {
				svc := c.Path[1]
				p.ReportKeyFixf(stylePath("services", svc, c.Want[c.At]), styleFix(f.Name, c, "put the keys of service "+svc+" in canonical order"),
					"key %q of service %q should come before %q (canonical order: %s)", c.Want[c.At], svc, c.Keys[c.At], strings.Join(c.Want, ", "))
			}
		}
	},
}

// TopLevelOrder: BR402.
var TopLevelOrder = &lint.Rule{
	Code:  "BR402",
	Name:  "top-level-order",
	Title: "top-level keys are not in canonical order",
	Text: "The canonical top-level order is `version`, `name`, `include`, `x-*`, `services`, `networks`, " +
		"`volumes`, `secrets`, `configs`, `models`. Extension fields (`x-*`) come before `services`, as in " +
		"dclint, because they usually hold the anchors services alias and YAML needs an anchor before its " +
		"aliases; the resources follow in the order `berth config` prints them.\n\n" +
		"The fix moves whole sections with their comments; the comments at the very top of the file stay " +
		"there. It changes nothing `berth config` prints.",
	Bad: `volumes:
  data: {}
services:
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
	Severity: lint.Info,
	Default:  true,
	Fixable:  true,
	Run: func(p *lint.Pass) {
		for _, f := range p.Project.Files {
			for _, c := range canon.TopLevel(f) {
				p.ReportKeyFixf(stylePath(c.Want[c.At]), styleFix(f.Name, c, "put the top-level keys in canonical order"),
					"top-level key %q should come before %q (canonical order: %s)", c.Want[c.At], c.Keys[c.At], strings.Join(c.Want, ", "))
			}
		}
	},
}

// ServicesAlphabetical: BR403.
var ServicesAlphabetical = &lint.Rule{
	Code:  "BR403",
	Name:  "services-alphabetical",
	Title: "services are not sorted by name",
	Text: "Sorting services by name makes a large file easy to search, and is what `berth config` prints.\n\n" +
		"Off by default: most files list services in an order that means something (the entry point first, " +
		"then what it depends on, or the order of a request's path), and sorting destroys it. dclint's " +
		"`services-alphabetical-order` is on by default and users turn it off for that reason. Enable it " +
		"for generated or very large files. The fix moves each service with its comments; a service whose " +
		"anchor another service aliases stays before it.",
	Bad: `services:
  web:
    image: nginx:1.27
  api:
    image: example/api:1.0
`,
	Good: `services:
  api:
    image: example/api:1.0
  web:
    image: nginx:1.27
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Fixable:  true,
	Run: func(p *lint.Pass) {
		for _, f := range p.Project.Files {
			for _, c := range canon.Services(f) {
				p.ReportKeyFixf(stylePath("services", c.Want[c.At]), styleFix(f.Name, c, "sort the services by name"),
					"service %q should come before %q (services sorted by name)", c.Want[c.At], c.Keys[c.At])
			}
		}
	},
}

// stylePath is load.PathOf for string segments.
func stylePath(segs ...string) string {
	args := make([]any, len(segs))
	for i, s := range segs {
		args[i] = s
	}
	return load.PathOf(args...)
}

func styleFix(file string, c canon.Change, msg string) lint.Fix {
	return lint.Fix{Message: msg, Edits: []lint.Edit{{File: file, Start: c.Start, End: c.End, New: c.New}}}
}
