package load

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeProject writes files (name -> content) into a fresh directory.
func writeProject(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestLoadMergesFilesInOrder(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"compose.yaml":          "services:\n  web:\n    image: nginx:${TAG:-1.25}\n    ports: [\"8080:80\"]\n",
		"compose.override.yaml": "services:\n  web:\n    ports: !override [\"9090:80\"]\n    environment: {DEBUG: \"1\"}\n",
		".env":                  "TAG=1.27\n",
	})
	p, err := Load(context.Background(), Options{ProjectDir: dir, Env: []string{"PWD=" + dir}})
	if err != nil {
		t.Fatal(err)
	}
	web := p.Services["web"]
	if web.Image != "nginx:1.27" {
		t.Errorf("image = %q, want nginx:1.27 from .env", web.Image)
	}
	if len(web.Ports) != 1 || web.Ports[0].Published != "9090" {
		t.Errorf("ports = %+v, want only 9090 (!override)", web.Ports)
	}
	if len(p.Files) != 2 {
		t.Errorf("files = %d, want compose.yaml and compose.override.yaml", len(p.Files))
	}
	if pos, ok := p.Sources.Lookup("services.web.image"); !ok || pos.Line != 3 {
		t.Errorf("services.web.image at %v, want line 3", pos)
	}
}

func TestLoadEnvFilesOSEnvAndProfiles(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"compose.yaml": "services:\n  web:\n    image: app:${TAG}\n  debug:\n    image: busybox\n    profiles: [debug]\n",
		"a.env":        "TAG=from-a\n",
		"b.env":        "TAG=from-b\n",
	})
	base := Options{Files: []string{filepath.Join(dir, "compose.yaml")}, Env: []string{"PWD=" + dir}}

	o := base
	o.EnvFiles = []string{filepath.Join(dir, "a.env"), filepath.Join(dir, "b.env")}
	p, err := Load(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Services["web"].Image; got != "app:from-b" {
		t.Errorf("later --env-file should win: image = %q", got)
	}
	if _, ok := p.Services["debug"]; ok {
		t.Error("service with an inactive profile is enabled")
	}

	o.Env = append(o.Env, "TAG=from-os", "COMPOSE_PROFILES=debug", "COMPOSE_PROJECT_NAME=named")
	p, err = Load(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Services["web"].Image; got != "app:from-os" {
		t.Errorf("OS environment should win over env files: image = %q", got)
	}
	if _, ok := p.Services["debug"]; !ok {
		t.Error("COMPOSE_PROFILES=debug did not enable the debug service")
	}
	if p.Name != "named" {
		t.Errorf("COMPOSE_PROJECT_NAME ignored: name = %q", p.Name)
	}
}

func TestLoadComposeFileVariable(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"one.yaml": "services:\n  a:\n    image: a\n",
		"two.yaml": "services:\n  b:\n    image: b\n",
	})
	p, err := Load(context.Background(), Options{ProjectDir: dir, Env: []string{
		"PWD=" + dir, "COMPOSE_FILE=" + filepath.Join(dir, "one.yaml") + ":" + filepath.Join(dir, "two.yaml")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Services) != 2 {
		t.Errorf("COMPOSE_FILE with two files gave services %v", p.ServiceNames())
	}
}

func TestLoadIncludeExtendsReset(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"compose.yaml": `include:
  - db/compose.yaml
services:
  base:
    image: base:1
    environment: {A: "1"}
    command: ["run"]
  web:
    extends: {service: base}
    command: !reset null
`,
		"db/compose.yaml": "services:\n  db:\n    image: postgres:17\n",
	})
	p, err := Load(context.Background(), Options{ProjectDir: dir, Env: []string{"PWD=" + dir}})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := p.Services["db"]; !ok {
		t.Error("included service db missing")
	}
	web := p.Services["web"]
	if web.Image != "base:1" || web.Environment["A"] == nil {
		t.Errorf("extends did not copy base: %+v", web)
	}
	if web.Command != nil {
		t.Errorf("!reset null kept command %v", web.Command)
	}
}

func TestLoadWarnsUnsetVariableAtItsUse(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"compose.yaml": "services:\n  web:\n    image: nginx\n    environment:\n      - TZ=${TIMEZONE}\n",
	})
	var got []Warning
	_, err := Load(context.Background(), Options{ProjectDir: dir, Env: []string{"PWD=" + dir},
		Warn: func(w Warning) { got = append(got, w) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Pos.Line != 5 || got[0].Pos.Column != 12 || got[0].Kind != WarnUnsetVariable ||
		!strings.Contains(got[0].Msg, `"TIMEZONE" variable is not set`) {
		t.Errorf("warnings = %+v, want one WarnUnsetVariable at 5:12 about TIMEZONE", got)
	}
}

// TestLoadWarningKinds: callers tell warnings apart by Kind, not by text.
func TestLoadWarningKinds(t *testing.T) {
	dir := writeProject(t, map[string]string{
		"compose.yaml": "version: \"3.8\"\nservices:\n  web:\n    image: nginx:${TAG}\n",
	})
	kinds := map[WarningKind]int{}
	_, err := Load(context.Background(), Options{ProjectDir: dir, Env: []string{"PWD=" + dir},
		Warn: func(w Warning) { kinds[w.Kind]++ }})
	if err != nil {
		t.Fatal(err)
	}
	if kinds[WarnUnsetVariable] != 1 || kinds[WarnObsoleteVersion] != 1 || kinds[WarnOther] != 0 {
		t.Errorf("warning kinds = %v, want one unset variable and one obsolete version", kinds)
	}
}

// TestLoadErrorsArePositioned covers the inputs that cannot be loaded: each
// must come back as positioned errors, never a panic or a bare message.
func TestLoadErrorsArePositioned(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		want  string // file:line:col: message fragment
	}{
		{"undefined network", map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    networks: [front]\n"},
			`compose.yaml:4:16: service "web" refers to undefined network "front" (BR101 undefined-network)`},
		{"undefined volume", map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    volumes:\n      - data:/data\n"},
			`compose.yaml:5:9: service "web" refers to undefined volume "data" (BR102 undefined-volume)`},
		{"undefined secret", map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    secrets: [token]\n"},
			`compose.yaml:4:15: service "web" refers to undefined secret "token" (BR103 undefined-secret)`},
		{"depends_on unknown", map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    depends_on: [db]\n"},
			`compose.yaml:4:18: service "web" depends on undefined service "db"`},
		{"cycle", map[string]string{"compose.yaml": "services:\n  a:\n    image: x\n    depends_on: [b]\n  b:\n    image: x\n    depends_on: [a]\n"},
			`dependency cycle detected`},
		{"required variable", map[string]string{"compose.yaml": "services:\n  web:\n    image: \"nginx:${TAG:?set TAG}\"\n"},
			`compose.yaml:3:19: required variable TAG is not set: set TAG (BR011 required-variable)`},
		{"missing env_file", map[string]string{"compose.yaml": "services:\n  web:\n    image: nginx\n    env_file: web.env\n"},
			`compose.yaml:4:15: service "web": env file web.env does not exist (BR016 bad-env-file)`},
		{"extended file does not parse", map[string]string{
			"compose.yaml": "services:\n  web:\n    extends:\n      file: ./base.yaml\n      service: base\n    cpus: lots\n",
			"base.yaml":    "services:\n  base:\n    image: nginx\n   bad: indent\n"},
			"base.yaml:4:4: did not find expected key"},
		{"no image no build", map[string]string{"compose.yaml": "services:\n  web:\n    command: [x]\n"},
			`compose.yaml:2:3: service "web" has neither an image nor a build context`},
		{"healthcheck test command", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    healthcheck:\n      test: [curl, x]\n"},
			`compose.yaml:5:14: service "web": healthcheck.test must start either by "CMD", "CMD-SHELL" or "NONE", not "curl" (BR117 healthcheck-test-command)`},
		{"volumes_from unknown", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    volumes_from: [nope]\n"},
			`compose.yaml:4:20: service "web" depends on undefined service "nope"`},
		{"links unknown", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    links: [\"nope:db\"]\n"},
			`compose.yaml:4:13: service "web" depends on undefined service "nope"`},
		{"ipc of unknown service", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    ipc: service:nope\n"},
			`compose.yaml:4:10: service "web" depends on undefined service "nope"`},
		{"port without target", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    ports: [\"8080:80\", \"0\"]\n"},
			`compose.yaml:4:24: service ports services.web.ports.[1] is missing a target port`},
		{"scale and replicas", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    scale: 2\n    deploy:\n      replicas: 3\n"},
			`compose.yaml:4:5: services.web: can't set distinct values on 'scale' and 'deploy.replicas'`},
		{"cpus twice", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    cpus: 1\n    deploy:\n      resources:\n        limits:\n          cpus: \"2\"\n"},
			`compose.yaml:4:5: services.web: can't set distinct values on 'cpus'`},
		{"watch without target", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    develop:\n      watch:\n        - path: ./src\n          action: sync\n"},
			`compose.yaml:5:7: services.web.develop.watch: target is required`},
		{"additional context of no service", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    build:\n      context: .\n      additional_contexts:\n        base: service:nope\n"},
			`compose.yaml:7:15: service "web" declares unknown service "nope" as additional contexts base`},
		{"additional context of an image service", map[string]string{"compose.yaml": "services:\n  base:\n    image: y\n  web:\n    image: x\n    build:\n      context: .\n      additional_contexts: [\"base=service:base\"]\n"},
			`compose.yaml:8:29: service "web" declares non-buildable service "base" as additional contexts base`},
		{"platform not built", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    platform: linux/arm64\n    build:\n      context: .\n      platforms: [linux/amd64]\n"},
			`compose.yaml:4:15: service.build.platforms MUST include service.platform "linux/arm64"`},
		{"config without source", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\nconfigs:\n  site: {}\n"},
			`compose.yaml:5:3: configs.site: one of file|environment|content must be set`},
		{"bind without source", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    volumes:\n      - type: volume\n        target: /a\n      - type: bind\n        target: /data\n"},
			`compose.yaml:7:9: invalid mount config for type "bind": field Source must not be empty`},
		{"blank watch path", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    develop:\n      watch:\n        - path: \"\"\n          action: rebuild\n"},
			`compose.yaml:6:17: services.web.develop.watch[0].path: value can't be blank (BR004 invalid-value)`},
		{"container_name with replicas", map[string]string{"compose.yaml": "services:\n  web:\n    image: x\n    container_name: web\n    deploy:\n      replicas: 2\n"},
			`compose.yaml:4:21: `},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := writeProject(t, c.files)
			_, err := Load(context.Background(), Options{Files: []string{filepath.Join(dir, "compose.yaml")}, Env: []string{"PWD=" + dir}})
			if err == nil {
				t.Fatal("loaded without error")
			}
			var pe *Error
			var list Errors
			if !errors.As(err, &pe) && !errors.As(err, &list) {
				t.Fatalf("error has no position: %v", err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error:\n  %v\nwant it to contain\n  %s", err, c.want)
			}
		})
	}
}

func BenchmarkLoad(b *testing.B) {
	dir := writeProject(b, map[string]string{"compose.yaml": benchCompose})
	opts := Options{Files: []string{filepath.Join(dir, "compose.yaml")}, Env: []string{"PWD=" + dir}}
	for b.Loop() {
		if _, err := Load(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
}

const benchCompose = `services:
  web:
    build: .
    image: example/web:1.0
    ports: ["8080:5000"]
    environment:
      REDIS_HOST: redis
    depends_on:
      redis:
        condition: service_healthy
    networks: [front, back]
  redis:
    image: redis:7
    healthcheck:
      test: ["CMD", "redis-cli", "ping"]
      interval: 10s
    networks: [back]
    volumes: [data:/data]
networks:
  front: {}
  back: {}
volumes:
  data: {}
`

// BenchmarkLoadLarge loads the 788-line, 57-service project that
// scripts/bench.sh times as a whole process.
func BenchmarkLoadLarge(b *testing.B) {
	file, err := filepath.Abs("../testdata/bench/large/compose.yaml")
	if err != nil {
		b.Fatal(err)
	}
	opts := Options{Files: []string{file}, Env: []string{"PWD=" + filepath.Dir(file)}}
	for b.Loop() {
		if _, err := Load(context.Background(), opts); err != nil {
			b.Fatal(err)
		}
	}
}
