package rules

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
)

// DuplicateHostPort: BR112.
var DuplicateHostPort = &lint.Rule{
	Code:  "BR112",
	Name:  "duplicate-host-port",
	Title: "the same host port is published twice",
	Text: "A host port can be bound once per protocol and address: the second container fails to start " +
		"with `Bind for 0.0.0.0:8080 failed: port is already allocated`. Ranges count port by port " +
		"(`8000-8010:80-90` takes 8005), `tcp` and `udp` do not clash, and different host addresses " +
		"(`127.0.0.1` and `127.0.0.2`) do not clash, but an unbound port (no address, `0.0.0.0` or `::`) " +
		"clashes with every address. Ports written with a variable are skipped, and services whose " +
		"profiles never run together are not compared.\n\nPublish the second one on another host port, " +
		"or leave the host port out to let Docker pick one.",
	Bad: `services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
  admin:
    image: example/admin:1.0
    ports: ["8080:3000"]
`,
	Good: `services:
  web:
    image: nginx:1.27
    ports: ["8080:80"]
  admin:
    image: example/admin:1.0
    ports: ["8081:3000", "8080:3000/udp"]
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
	Run:      runDuplicateHostPort,
}

// csBinding is a published port range on one host address and protocol.
type csBinding struct {
	ip, proto string
	lo, hi    int
	path      string
	svc       csService
}

func (a csBinding) clashes(b csBinding) (int, bool) {
	if a.proto != b.proto || a.hi < b.lo || b.hi < a.lo {
		return 0, false
	}
	if a.ip != b.ip && !wildcardIP(a.ip) && !wildcardIP(b.ip) {
		return 0, false
	}
	return max(a.lo, b.lo), true
}

func wildcardIP(ip string) bool {
	return ip == "" || ip == "0.0.0.0" || ip == "::" || ip == "[::]"
}

func parsePortRange(s string) (int, int, bool) {
	a, b, isRange := strings.Cut(s, "-")
	lo, err := strconv.Atoi(a)
	if err != nil {
		return 0, 0, false
	}
	hi := lo
	if isRange {
		if hi, err = strconv.Atoi(b); err != nil || hi < lo {
			return 0, 0, false
		}
	}
	return lo, hi, true
}

// csBindings reads the host ports of one ports element as written: short
// syntax through compose-go's parser, long syntax from its keys. Nothing
// for elements with a variable or without a fixed host port.
func csBindings(p *lint.Pass, s csService, item string) []csBinding {
	if raw, ok := p.Raw(item); ok {
		if lint.HasVariable(raw) {
			return nil
		}
		cfgs, err := types.ParsePortConfig(raw)
		if err != nil {
			return nil
		}
		var out []csBinding
		for _, c := range cfgs {
			if lo, hi, ok := parsePortRange(c.Published); ok {
				out = append(out, csBinding{ip: c.HostIP, proto: protoOr(c.Protocol), lo: lo, hi: hi, path: item, svc: s})
			}
		}
		return out
	}
	pub, ok := p.Raw(item + ".published")
	if !ok || lint.HasVariable(pub) {
		return nil
	}
	lo, hi, ok := parsePortRange(pub)
	if !ok {
		return nil
	}
	ip, _ := p.Raw(item + ".host_ip")
	proto, _ := p.Raw(item + ".protocol")
	if lint.HasVariable(ip) || lint.HasVariable(proto) {
		return nil
	}
	return []csBinding{{ip: ip, proto: protoOr(strings.ToLower(proto)), lo: lo, hi: hi, path: item, svc: s}}
}

func protoOr(p string) string {
	if p == "" {
		return "tcp"
	}
	return p
}

func runDuplicateHostPort(p *lint.Pass) {
	var seen []csBinding
	for _, s := range csServices(p.Project) {
		for _, item := range csItems(p, csPath(s.name, "ports")) {
			bs := csBindings(p, s, item)
			reported := false
			for _, b := range bs {
				for _, o := range seen {
					if !csCoActive(o.svc.cfg, b.svc.cfg) {
						continue
					}
					if port, ok := b.clashes(o); ok {
						where := fmt.Sprintf("service %q", o.svc.name)
						if o.svc.name == s.name {
							where = "this service"
						}
						p.Reportf(item, "host port %d/%s is already published by %s (%s)", port, b.proto, where, o.path)
						reported = true
						break
					}
				}
				if reported {
					break
				}
			}
			seen = append(seen, bs...)
		}
	}
}

// UnusedResource: BR113.
var UnusedResource = &lint.Rule{
	Code:  "BR113",
	Name:  "unused-resource",
	Title: "a declared volume, network, secret or config is used by no service",
	Text: "A top-level volume, network, secret or config that no service uses is dead configuration: " +
		"usually a leftover from a renamed or removed service, or a typo on the service side. Compose " +
		"ignores it (volumes and networks are not even created).\n\nRemove it, or use it. Not reported: " +
		"the `default` network (declaring it configures the network every service joins implicitly) " +
		"and `external: true` resources (their lifecycle belongs to someone else). Uses by services " +
		"disabled by a profile count. It is a warning: nothing breaks.",
	Bad: `services:
  db:
    image: postgres:16
    volumes: [pgdata:/var/lib/postgresql/data]
volumes:
  pgdata: {}
  old-data: {}
`,
	Good: `services:
  db:
    image: postgres:16
    volumes: [pgdata:/var/lib/postgresql/data]
volumes:
  pgdata: {}
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		used := map[string]map[string]bool{"volumes": {}, "networks": {}, "secrets": {}, "configs": {}}
		for _, s := range csServices(p.Project) {
			for _, v := range s.cfg.Volumes {
				if v.Type == types.VolumeTypeVolume {
					used["volumes"][v.Source] = true
				}
			}
			for n := range s.cfg.Networks {
				used["networks"][n] = true
			}
			if s.cfg.NetworkMode == "" && len(s.cfg.Networks) == 0 {
				used["networks"]["default"] = true
			}
			for _, sec := range s.cfg.Secrets {
				used["secrets"][sec.Source] = true
			}
			if s.cfg.Build != nil {
				for _, sec := range s.cfg.Build.Secrets {
					used["secrets"][sec.Source] = true
				}
			}
			for _, c := range s.cfg.Configs {
				used["configs"][c.Source] = true
			}
		}
		pr := p.Project.Project
		external := map[string]func(string) bool{
			"volumes":  func(n string) bool { return bool(pr.Volumes[n].External) },
			"networks": func(n string) bool { return bool(pr.Networks[n].External) },
			"secrets":  func(n string) bool { return bool(pr.Secrets[n].External) },
			"configs":  func(n string) bool { return bool(pr.Configs[n].External) },
		}
		names := map[string][]string{
			"volumes": csSortedKeys(pr.Volumes), "networks": csSortedKeys(pr.Networks),
			"secrets": csSortedKeys(pr.Secrets), "configs": csSortedKeys(pr.Configs),
		}
		for _, kind := range []string{"configs", "networks", "secrets", "volumes"} {
			for _, n := range names[kind] {
				if used[kind][n] || external[kind](n) || (kind == "networks" && n == "default") {
					continue
				}
				path := kind + csKey(n)
				if !csWritten(p, path) {
					continue
				}
				p.ReportKeyf(path, "%s %q is declared but no service uses it", strings.TrimSuffix(kind, "s"), n)
			}
		}
	},
}
