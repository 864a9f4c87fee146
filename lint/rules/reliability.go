package rules

import (
	"path"
	"slices"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint"
)

// Reliability rules (BR2xx): files that load and start, but whose services
// fail to become healthy, or stop being reproducible, for avoidable reasons.
var Reliability = []*lint.Rule{
	DisabledHealthcheckAwaited,
	HealthcheckNeedsHTTPClient,
	HealthcheckTimeoutNotBelowInterval,
	NoRestartPolicy,
	UnpinnedImage,
	ObsoleteVersion,
	UnknownRestartPolicy,
	UnknownPortProtocol,
}

// DisabledHealthcheckAwaited: BR201.
var DisabledHealthcheckAwaited = &lint.Rule{
	Code:  "BR201",
	Name:  "disabled-healthcheck-awaited",
	Title: "healthcheck disabled on a service others wait for with service_healthy",
	Text: "`healthcheck: {disable: true}` and `test: [\"NONE\"]` turn the healthcheck off, also the one the " +
		"image defines. A service that depends on it with `condition: service_healthy` can then never start: " +
		"`docker compose up` fails with `container db has no healthcheck configured`.\n\n" +
		"Give the service a healthcheck, or make the dependents wait with `service_started`. " +
		"(A dependency with no `healthcheck:` at all is BR114: its image may still define one.)",
	Bad: `services:
  web:
    image: example/web:1.0
    depends_on:
      db:
        condition: service_healthy
  db:
    image: postgres:16
    healthcheck:
      disable: true
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
	Severity: lint.Error,
	Default:  true,
	Run: func(p *lint.Pass) {
		waiters := map[string][]string{}
		for _, s := range csServices(p.Project) {
			for _, d := range csDeps(p, s) {
				if d.condition == types.ServiceConditionHealthy && !slices.Contains(waiters[d.target], s.name) {
					waiters[d.target] = append(waiters[d.target], s.name)
				}
			}
		}
		for _, s := range csServices(p.Project) {
			hc := s.cfg.HealthCheck
			if hc == nil || len(waiters[s.name]) == 0 {
				continue
			}
			var at string
			switch {
			case hc.Disable && csWritten(p, csPath(s.name, "healthcheck", "disable")):
				at = csPath(s.name, "healthcheck", "disable")
			case len(hc.Test) > 0 && hc.Test[0] == "NONE":
				at = csPath(s.name, "healthcheck", "test")
			default:
				continue
			}
			p.Reportf(at, "the healthcheck of %q is disabled, but %s wait(s) for it to be healthy: they can never start",
				s.name, quoteList(waiters[s.name]))
		}
	},
}

// HealthcheckNeedsHTTPClient: BR202.
var HealthcheckNeedsHTTPClient = &lint.Rule{
	Code:  "BR202",
	Name:  "healthcheck-http-client",
	Title: "healthcheck runs curl or wget, which the image may not contain",
	Text: "A healthcheck runs inside the container, so `curl` or `wget` must be in the image. Slim and " +
		"distroless images (and many official ones: `python:*-slim`, `node:*-slim`, `golang` builds on " +
		"`scratch`) have neither; the check then fails with `exec: \"curl\": executable file not found` " +
		"and the service stays unhealthy, often discovered only when a dependent waits for it. A common " +
		"fix is an extra `apt-get install curl` in the Dockerfile, which grows the image.\n\n" +
		"This is informational because many images do ship them: make sure yours does, or probe with " +
		"what the image has (the server's own CLI, a tiny static probe binary, or a language one-liner " +
		"such as `python -c \"import urllib.request; urllib.request.urlopen('http://localhost:8000')\"`).",
	Bad: `services:
  api:
    image: example/api:1.0
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost:8000/health"]
`,
	Good: `services:
  api:
    image: example/api:1.0
    healthcheck:
      test: ["CMD", "/app/healthprobe", "http://localhost:8000/health"]
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			hc := s.cfg.HealthCheck
			at := csPath(s.name, "healthcheck", "test")
			if hc == nil || hc.Disable || len(hc.Test) < 2 || !csWritten(p, at) || hasVarUnder(p, at, len(hc.Test)) {
				continue
			}
			var tool string
			switch hc.Test[0] {
			case "CMD":
				tool = httpClient(hc.Test[1])
			case "CMD-SHELL":
				tool = shellHTTPClient(strings.Join(hc.Test[1:], " "))
			}
			if tool != "" {
				p.Reportf(at, "the healthcheck of %q runs %s: make sure the image contains it", s.name, tool)
			}
		}
	},
}

// hasVarUnder reports whether the scalar at path, or one of its first n
// list elements, was written with a variable.
func hasVarUnder(p *lint.Pass, at string, n int) bool {
	if p.Interpolated(at) {
		return true
	}
	for _, it := range csItems(p, at) {
		if p.Interpolated(it) {
			return true
		}
	}
	return false
}

func httpClient(word string) string {
	switch path.Base(word) {
	case "curl", "wget":
		return path.Base(word)
	}
	return ""
}

// shellHTTPClient finds curl or wget in command position of a shell line.
func shellHTTPClient(cmd string) string {
	start := true
	for _, f := range strings.FieldsFunc(cmd, func(r rune) bool { return r == ' ' || r == '\t' || r == '\n' }) {
		w := strings.TrimLeft(f, "(")
		if start {
			if t := httpClient(w); t != "" {
				return t
			}
		}
		start = false
		switch {
		case f == "|" || f == "||" || f == "&&" || f == ";" || f == "exec" || f == "then" || f == "do" || f == "!":
			start = true
		case strings.HasSuffix(f, ";") || strings.HasSuffix(f, "|") || strings.HasSuffix(f, "&&"):
			start = true
		}
	}
	return ""
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = `"` + n + `"`
	}
	return strings.Join(q, ", ")
}

// HealthcheckTimeoutNotBelowInterval: BR203.
var HealthcheckTimeoutNotBelowInterval = &lint.Rule{
	Code:  "BR203",
	Name:  "healthcheck-timeout-not-below-interval",
	Title: "healthcheck timeout is not shorter than its interval",
	Text: "The interval is the pause between probes; the timeout bounds one probe. A timeout as long as " +
		"the interval or longer means a hanging probe delays the next one and the service takes " +
		"`retries × timeout` instead of `retries × interval` to be declared unhealthy, which usually " +
		"means the two values were swapped.\n\nMake the timeout shorter than the interval " +
		"(`interval: 10s`, `timeout: 3s`). Only values written in the file are compared (the engine " +
		"defaults are 30s for both).",
	Bad: `services:
  api:
    image: example/api:1.0
    healthcheck:
      test: ["CMD", "/app/healthprobe"]
      interval: 5s
      timeout: 10s
`,
	Good: `services:
  api:
    image: example/api:1.0
    healthcheck:
      test: ["CMD", "/app/healthprobe"]
      interval: 10s
      timeout: 3s
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			hc := s.cfg.HealthCheck
			if hc == nil || hc.Disable || hc.Interval == nil || hc.Timeout == nil {
				continue
			}
			ip, tp := csPath(s.name, "healthcheck", "interval"), csPath(s.name, "healthcheck", "timeout")
			if !csWritten(p, ip) || !csWritten(p, tp) || p.Interpolated(ip) || p.Interpolated(tp) {
				continue
			}
			iv, to := time.Duration(*hc.Interval), time.Duration(*hc.Timeout)
			if iv > 0 && to >= iv {
				p.Reportf(tp, "healthcheck timeout %s is not shorter than the interval %s", to, iv)
			}
		}
	},
}

// NoRestartPolicy: BR204.
var NoRestartPolicy = &lint.Rule{
	Code:  "BR204",
	Name:  "no-restart-policy",
	Title: "long-running service has no restart policy",
	Text: "Without `restart:` a container that crashes, or that was running when the Docker daemon or the " +
		"host restarted, stays down. For a service meant to run on a server, `restart: unless-stopped` " +
		"(or `always`, or `on-failure`) brings it back.\n\nNot reported: services with `restart` or " +
		"`deploy.restart_policy`, and one-shot jobs that another service waits for with " +
		"`condition: service_completed_successfully`. Write `restart: \"no\"` to say a service is meant " +
		"to stay down.\n\nOff by default: on development machines restarting is often unwanted, and " +
		"most example files omit it. Enable it for files that are deployed.",
	Bad: `services:
  api:
    image: example/api:1.0
`,
	Good: `services:
  api:
    image: example/api:1.0
    restart: unless-stopped
    depends_on:
      migrate:
        condition: service_completed_successfully
  migrate:
    image: example/api:1.0
    command: ["migrate"]
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  false,
	Run: func(p *lint.Pass) {
		oneShot := map[string]bool{}
		for _, s := range csServices(p.Project) {
			for _, d := range csDeps(p, s) {
				if d.condition == types.ServiceConditionCompletedSuccessfully {
					oneShot[d.target] = true
				}
			}
		}
		for _, s := range csServices(p.Project) {
			if s.cfg.Restart != "" || oneShot[s.name] || csWritten(p, csPath(s.name, "restart")) {
				continue
			}
			if s.cfg.Deploy != nil && s.cfg.Deploy.RestartPolicy != nil {
				continue
			}
			p.ReportKeyf(csPath(s.name), "service %q has no restart policy: it stays down after a crash or a daemon restart", s.name)
		}
	},
}

// UnpinnedImage: BR205.
var UnpinnedImage = &lint.Rule{
	Code:  "BR205",
	Name:  "unpinned-image",
	Title: "image has no tag or uses latest",
	Text: "An image without a tag means `:latest`, and `:latest` moves: the same file pulls a different " +
		"image tomorrow, on another machine or after `docker compose pull`, and a breaking major " +
		"release arrives unannounced.\n\nPin a version tag (`postgres:16.4`), or a digest " +
		"(`postgres@sha256:…`) for full reproducibility. Not reported: images written with a variable, " +
		"and services with `build:`, whose `image:` names the image they build (a local tag, not a pull).",
	Bad: `services:
  db:
    image: postgres
  cache:
    image: redis:latest
`,
	Good: `services:
  db:
    image: postgres:16.4
  cache:
    image: redis@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  app:
    build: .
    image: example/app
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, s := range csServices(p.Project) {
			at := csPath(s.name, "image")
			if s.cfg.Image == "" || s.cfg.Build != nil || !csWritten(p, at) || p.Interpolated(at) {
				continue
			}
			ref := s.cfg.Image
			if strings.Contains(ref, "@") {
				continue // pinned by digest
			}
			last := ref[strings.LastIndex(ref, "/")+1:]
			_, tag, ok := strings.Cut(last, ":")
			switch {
			case !ok:
				p.Reportf(at, "image %q has no tag, so it means %s:latest, which changes under you", ref, ref)
			case tag == "latest":
				p.Reportf(at, "image %q uses the latest tag, which changes under you", ref)
			}
		}
	},
}

// ObsoleteVersion: BR206.
var ObsoleteVersion = &lint.Rule{
	Code:  "BR206",
	Name:  "obsolete-version",
	Title: "top-level version is obsolete",
	Text: "The Compose Specification ignores the top-level `version:` key; Docker Compose v2 prints " +
		"`the attribute version is obsolete, it will be ignored` on every run. It no longer selects " +
		"a file format or features, so it only misleads readers.\n\nDelete the line.",
	Bad: `version: "3.8"
services:
  web:
    image: nginx:1.27
`,
	Good: `services:
  web:
    image: nginx:1.27
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		for _, f := range p.Project.Files {
			if _, ok := p.Project.Sources.KeyIn(f.Name, "version"); ok {
				p.ReportKeyf("version", "the top-level version key is obsolete and ignored by Docker Compose: delete it")
				return
			}
		}
	},
}
