package apply

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"
)

// composeBinary is the Docker Compose v5.5.1 binary that .ci/run builds
// (BERTH_TEST_COMPOSE), or "" with the reason the tests that need it skip;
// under CI=true a missing binary fails them.
func composeBinary(t *testing.T) string {
	t.Helper()
	path := os.Getenv("BERTH_TEST_COMPOSE")
	if path == "" {
		path = "/var/cache/berth-ci/compose-v5.5.1/docker-compose"
	}
	if st, err := os.Stat(path); err != nil || st.Mode()&0o111 == 0 {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Docker Compose binary is missing under CI=true (BERTH_TEST_COMPOSE=%q): %v", path, err)
		}
		t.Skipf("Docker Compose binary %s not found (set BERTH_TEST_COMPOSE): %v", path, err)
	}
	return path
}

// fieldCase changes one or two fields of service web and names the paths
// the plan must give, each with its old and new value.
type fieldCase struct {
	name          string
	before, after string            // the service's keys, indented 4 spaces, and top-level sections
	files         map[string]string // written before the start: env files, .env
	filesAfter    map[string]string // written before the plan
	want          []string          // paths, without list indexes
}

// webService is service web with the case's keys: image and command
// default to the test image running kv.
func webService(keys string) string {
	out := "services:\n  web:\n"
	if !strings.Contains(keys, "    image:") {
		out += "    image: " + e2eImage + "\n"
	}
	if !strings.Contains(keys, "    command:") {
		out += "    command: [\"kv\"]\n"
	}
	return out + keys
}

var fieldCases = []fieldCase{
	{name: "image", before: "", after: "    image: {{tag}}\n", want: []string{"services.web.image"}},
	{name: "command", before: "", after: "    command: [\"kv\", \"--again\"]\n", want: []string{"services.web.command"}},
	{name: "entrypoint", before: "    entrypoint: [\"/app\"]\n", after: "    entrypoint: [\"/app\", \"kv\"]\n", want: []string{"services.web.entrypoint"}},
	{name: "environment added", before: "    environment: {A: \"1\"}\n", after: "    environment: {A: \"1\", B: \"2\"}\n", want: []string{"services.web.environment.B"}},
	{name: "environment removed", before: "    environment: {A: \"1\", B: \"2\"}\n", after: "    environment: {A: \"1\"}\n", want: []string{"services.web.environment.B"}},
	{name: "environment changed", before: "    environment: {A: \"1\"}\n", after: "    environment: {A: \"2\"}\n", want: []string{"services.web.environment.A"}},
	{name: "env_file contents", before: "    env_file: [app.env]\n", after: "    env_file: [app.env]\n",
		files: map[string]string{"app.env": "LEVEL=debug\n"}, filesAfter: map[string]string{"app.env": "LEVEL=info\n"}, want: []string{"services.web.environment.LEVEL"}},
	{name: "ports added", before: "    ports: [\"127.0.0.1::6379\"]\n", after: "    ports: [\"127.0.0.1::6379\", \"127.0.0.1::8000\"]\n", want: []string{"services.web.ports"}},
	{name: "ports removed", before: "    ports: [\"127.0.0.1::6379\", \"127.0.0.1::8000\"]\n", after: "    ports: [\"127.0.0.1::6379\"]\n", want: []string{"services.web.ports"}},
	{name: "ports changed", before: "    ports: [\"127.0.0.1::6379\"]\n", after: "    ports: [\"127.0.0.2::6379\"]\n", want: []string{"services.web.ports"}},
	{name: "volumes", before: "    volumes: [\"data:/data\"]\nvolumes:\n  data: {}\n", after: "    volumes: [\"data:/data:ro\"]\nvolumes:\n  data: {}\n", want: []string{"services.web.volumes"}},
	{name: "tmpfs", before: "", after: "    tmpfs: [/scratch]\n", want: []string{"services.web.tmpfs"}},
	{name: "labels", before: "    labels: {team: a}\n", after: "    labels: {team: b}\n", want: []string{"services.web.labels.team"}},
	{name: "healthcheck interval", before: "    healthcheck: {test: [\"CMD\", \"/app\", \"probe\", \"tcp\", \"127.0.0.1:6379\"], interval: 30s}\n",
		after: "    healthcheck: {test: [\"CMD\", \"/app\", \"probe\", \"tcp\", \"127.0.0.1:6379\"], interval: 20s}\n", want: []string{"services.web.healthcheck.interval"}},
	{name: "healthcheck retries", before: "    healthcheck: {test: [\"CMD\", \"/app\", \"probe\", \"tcp\", \"127.0.0.1:6379\"], retries: 3}\n",
		after: "    healthcheck: {test: [\"CMD\", \"/app\", \"probe\", \"tcp\", \"127.0.0.1:6379\"], retries: 5}\n", want: []string{"services.web.healthcheck.retries"}},
	{name: "restart", before: "    restart: \"no\"\n", after: "    restart: unless-stopped\n", want: []string{"services.web.restart"}},
	{name: "user", before: "", after: "    user: \"1000\"\n", want: []string{"services.web.user"}},
	{name: "working_dir", before: "", after: "    working_dir: /work\n", want: []string{"services.web.working_dir"}},
	{name: "cap_add", before: "", after: "    cap_add: [NET_ADMIN]\n", want: []string{"services.web.cap_add"}},
	{name: "devices", before: "", after: "    devices: [\"/dev/null:/dev/other-null\"]\n", want: []string{"services.web.devices"}},
	{name: "dns", before: "    dns: [127.0.0.53]\n", after: "    dns: [127.0.0.54]\n", want: []string{"services.web.dns"}},
	{name: "extra_hosts", before: "", after: "    extra_hosts: [\"db.internal:127.0.0.1\"]\n", want: []string{"services.web.extra_hosts"}},
	{name: "networks", before: "", after: "    networks: [default, back]\nnetworks:\n  back: {}\n", want: []string{"services.web.networks.back"}},
	{name: "network aliases", before: "", after: "    networks:\n      default:\n        aliases: [cache]\n", want: []string{"services.web.networks.default.aliases"}},
	{name: "network_mode", before: "", after: "    network_mode: none\n", want: []string{"services.web.network_mode"}},
	{name: "deploy resources", before: "    deploy: {resources: {limits: {memory: 64M}}}\n", after: "    deploy: {resources: {limits: {memory: 128M}}}\n",
		want: []string{"services.web.deploy.resources.limits.memory"}},
	{name: "ulimits", before: "    ulimits: {nofile: {soft: 1024, hard: 2048}}\n", after: "    ulimits: {nofile: {soft: 1024, hard: 4096}}\n", want: []string{"services.web.ulimits.nofile"}},
	{name: "config content", before: "    configs: [app.conf]\nconfigs:\n  app.conf: {content: \"level=debug\"}\n", after: "    configs: [app.conf]\nconfigs:\n  app.conf: {content: \"level=info\"}\n",
		want: []string{"configs.app.conf.content"}},
	{name: "secret environment", before: "    secrets: [token]\nsecrets:\n  token: {environment: TOKEN}\n", after: "    secrets: [token]\nsecrets:\n  token: {environment: TOKEN}\n",
		files: map[string]string{".env": "TOKEN=first\n"}, filesAfter: map[string]string{".env": "TOKEN=second\n"}, want: []string{"secrets.token.environment"}},
	{name: "logging", before: "    logging: {driver: json-file, options: {max-size: 1m}}\n", after: "    logging: {driver: json-file, options: {max-size: 2m}}\n",
		want: []string{"services.web.logging.options.max-size"}},
	{name: "stop_signal", before: "", after: "    stop_signal: SIGINT\n", want: []string{"services.web.stop_signal"}},
	// Two fields at once: both are named.
	{name: "ports and environment", before: "    environment: {A: \"1\"}\n    ports: [\"127.0.0.1::6379\"]\n", after: "    environment: {A: \"2\"}\n    ports: [\"127.0.0.1::6379\", \"127.0.0.1::8000\"]\n",
		want: []string{"services.web.environment.A", "services.web.ports"}},
	{name: "healthcheck and labels", before: "    labels: {team: a}\n    healthcheck: {test: [\"CMD\", \"/app\", \"probe\", \"tcp\", \"127.0.0.1:6379\"], interval: 30s}\n",
		after: "    labels: {team: b}\n    healthcheck: {test: [\"CMD\", \"/app\", \"probe\", \"tcp\", \"127.0.0.1:6379\"], interval: 10s}\n",
		want:  []string{"services.web.healthcheck.interval", "services.web.labels.team"}},
}

var listIndex = regexp.MustCompile(`\[\d+\]$`)

// TestE2EPlanNamesChangedFields starts web, changes the case's fields and
// checks that the recreate names exactly those, with old and new values.
// Every second case starts from containers Docker Compose created.
func TestE2EPlanNamesChangedFields(t *testing.T) {
	d := e2eDocker(t)
	compose := composeBinary(t)
	const tag = "berth-e2e-app:fields"
	if err := d.ImageTag(context.Background(), e2eImage, tag); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = d.ImageRemove(context.Background(), tag, image.RemoveOptions{})
	})
	if len(fieldCases) < 25 {
		t.Fatalf("%d cases, want at least 25", len(fieldCases))
	}
	for i, tc := range fieldCases {
		byCompose := i%2 == 1
		name := tc.name
		if byCompose {
			name += " (docker compose up)"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			pr := newE2EProject(t, d, "")
			write := func(files map[string]string) {
				for f, body := range files {
					if err := os.WriteFile(filepath.Join(pr.dir, f), []byte(body), 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			write(tc.files)
			before := webService(tc.before)
			p := pr.load(before)
			if byCompose {
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
				defer cancel()
				cmd := exec.CommandContext(ctx, compose, "-p", pr.name, "-f", filepath.Join(pr.dir, "compose.yaml"), "up", "-d")
				cmd.Dir = pr.dir
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("docker compose up: %v\n%s", err, out)
				}
			} else if err := pr.execute(pr.plan(p), time.Minute); err != nil {
				t.Fatal(err)
			}
			if plan := pr.plan(pr.load(before)); !plan.Empty() {
				t.Fatalf("the plan right after the start is not empty:\n%s", humanPlan(plan))
			}

			write(tc.filesAfter)
			plan := pr.plan(pr.load(webService(strings.ReplaceAll(tc.after, "{{tag}}", tag))))
			i := slices.IndexFunc(plan.Steps, func(s Step) bool { return s.Service == "web" && s.Action == Recreate })
			if i < 0 {
				t.Fatalf("web is not recreated:\n%s", humanPlan(plan))
			}
			var got []string
			for _, r := range plan.Steps[i].Reasons {
				if r.Code != ConfigChanged {
					continue
				}
				got = append(got, listIndex.ReplaceAllString(r.Field, ""))
				switch r.Change {
				case Changed:
					if r.Old == "" || r.New == "" || r.Old == r.New {
						t.Errorf("%s changed without both values: %q → %q", r.Field, r.Old, r.New)
					}
				case Added:
					if r.New == "" {
						t.Errorf("%s added without a value", r.Field)
					}
				case Removed:
					if r.Old == "" {
						t.Errorf("%s removed without its old value", r.Field)
					}
				default:
					t.Errorf("%s: change %q", r.Field, r.Change)
				}
			}
			slices.Sort(got)
			got = slices.Compact(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("plan names %v, want %v:\n%s", got, tc.want, humanPlan(plan.Masked()))
			}
		})
	}
}

func humanPlan(p *Plan) string {
	var b strings.Builder
	_ = WriteHuman(&b, p)
	return b.String()
}

// TestE2EInlineConfigsAndSecrets: content: configs and environment:
// secrets are copied into the container before it starts, a changed content
// recreates the service, and the plan masks the secret.
func TestE2EInlineConfigsAndSecrets(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "TOKEN=s3cret-one\n")
	compose := func(level string) string {
		return `services:
  web:
    image: ` + e2eImage + `
    command: ["kv"]
    configs:
      - source: settings
        target: /etc/settings.conf
    secrets: [token]
configs:
  settings:
    content: "level=` + level + `"
secrets:
  token:
    environment: TOKEN
`
	}
	if err := pr.execute(pr.plan(pr.load(compose("debug"))), time.Minute); err != nil {
		t.Fatal(err)
	}
	read := func(path string) string {
		t.Helper()
		web := pr.observe().byService()["web"]
		content, ok, err := readInlineFile(context.Background(), d, web.ID, path)
		if err != nil || !ok {
			t.Fatalf("reading %s: %v (found %t)", path, err, ok)
		}
		return content
	}
	if got := read("/etc/settings.conf"); got != "level=debug" {
		t.Errorf("config content %q", got)
	}
	if got := read("/run/secrets/token"); got != "s3cret-one" {
		t.Errorf("secret content %q", got)
	}
	if plan := pr.plan(pr.load(compose("debug"))); !plan.Empty() {
		t.Fatalf("plan after apply:\n%s", humanPlan(plan))
	}

	if err := os.WriteFile(filepath.Join(pr.dir, ".env"), []byte("TOKEN=s3cret-two\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plan := pr.plan(pr.load(compose("info")))
	text := humanPlan(plan.Masked())
	for _, want := range []string{
		`~ configs.settings.content: "level=debug" → "level=info"`,
		`~ secrets.token.environment: (sensitive value changed)`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("plan lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "s3cret") {
		t.Errorf("masked plan shows the secret:\n%s", text)
	}
	if err := pr.execute(plan, time.Minute); err != nil {
		t.Fatal(err)
	}
	if got := read("/etc/settings.conf"); got != "level=info" {
		t.Errorf("config content after the change %q", got)
	}
	if got := read("/run/secrets/token"); got != "s3cret-two" {
		t.Errorf("secret content after the change %q", got)
	}
}
