package main

// End-to-end tests of how berth reaches the Docker engine and registries,
// against real components: a distribution registry with basic auth, a
// Docker context on a second socket, an sshd on loopback. .ci/run builds
// the registry and exports BERTH_TEST_REGISTRY; sshd is Debian's
// openssh-server. Outside CI a missing component skips with the reason.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// need finds a component the test runs: the path in envVar, else the
// first existing path among candidates (globs allowed), else a command on
// PATH. Missing, it fails the test under CI=true and skips it otherwise.
func need(t *testing.T, what, envVar string, candidates ...string) string {
	t.Helper()
	if envVar != "" {
		if p := os.Getenv(envVar); p != "" {
			if _, err := os.Stat(p); err != nil {
				t.Fatalf("%s=%s: %v", envVar, p, err)
			}
			return p
		}
	}
	for _, c := range candidates {
		if strings.ContainsAny(c, "*?[") {
			if m, _ := filepath.Glob(c); len(m) > 0 {
				return m[len(m)-1]
			}
			continue
		}
		if filepath.IsAbs(c) {
			if _, err := os.Stat(c); err == nil {
				return c
			}
			continue
		}
		if p, err := exec.LookPath(c); err == nil {
			return p
		}
	}
	msg := fmt.Sprintf("%s not found (looked at $%s and %s)", what, envVar, strings.Join(candidates, ", "))
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip("skipped: " + msg)
	return ""
}

// runCmd runs a command with env, failing the test with its output.
func runCmd(t *testing.T, env []string, stdin string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// freePort finds a loopback port nothing listens on.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startProcess starts a server process that the test's end stops; its
// output goes to a log that a failure prints.
func startProcess(t *testing.T, env []string, name string, args ...string) *bytes.Buffer {
	t.Helper()
	var log bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(name), log.String())
		}
	})
	return &log
}

// engineSocket is the unix socket of the engine the tests use.
func engineSocket(t *testing.T) string {
	t.Helper()
	h := os.Getenv("DOCKER_HOST")
	if h == "" {
		return "/var/run/docker.sock"
	}
	if s, ok := strings.CutPrefix(h, "unix://"); ok {
		return s
	}
	t.Skipf("skipped: DOCKER_HOST=%s is not a unix socket, which these tests proxy or reach over ssh", h)
	return ""
}

// baseEnv is the environment berth and docker run with in these tests: a
// DOCKER_CONFIG of the test's own, so the machine's config is untouched.
func baseEnv(configDir string, more ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DOCKER_CONFIG=" + configDir}
	return append(env, more...)
}

func uniqueName(prefix string) string {
	return prefix + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
}

// startRegistry runs the distribution registry on loopback with basic auth
// for user:pass and returns its host:port.
func startRegistry(t *testing.T, user, pass string) string {
	t.Helper()
	bin := need(t, "the distribution registry", "BERTH_TEST_REGISTRY", "/var/cache/berth-ci/registry-*/registry")
	dir := t.TempDir()
	hash, err := bcrypt.GenerateFromPassword([]byte(pass), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "htpasswd"), []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
	cfg := fmt.Sprintf(`version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: %s
http:
  addr: %s
  secret: berth-test
auth:
  htpasswd:
    realm: berth-test
    path: %s
`, filepath.Join(dir, "data"), addr, filepath.Join(dir, "htpasswd"))
	if err := os.WriteFile(filepath.Join(dir, "config.yml"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// No trace exporter: nothing listens for one here.
	startProcess(t, []string{"OTEL_TRACES_EXPORTER=none", "PATH=" + os.Getenv("PATH")}, bin, "serve", filepath.Join(dir, "config.yml"))
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("registry /v2/ answered %s without credentials, want 401", resp.Status)
			}
			return addr
		}
		if time.Now().After(deadline) {
			t.Fatalf("the registry did not answer on %s: %v", addr, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// removeImages removes images at the test's end, through the engine's own
// socket whatever DOCKER_HOST the test used.
func removeImages(t *testing.T, refs ...string) {
	t.Cleanup(func() {
		for _, ref := range refs {
			_ = exec.Command("docker", "rmi", "-f", ref).Run()
		}
	})
}

func imagePresent(ref string) bool {
	return exec.Command("docker", "image", "inspect", ref).Run() == nil
}

// TestPrivateRegistryE2E: after docker login, berth pull and berth apply
// pull an image from a registry with basic auth, and a build FROM that
// image pulls its base with the stored credentials; without login the
// error names the registry and says to log in.
func TestPrivateRegistryE2E(t *testing.T) {
	needDocker(t)
	docker := need(t, "the docker CLI", "", "docker")
	const user, pass = "berth", "berth-test-secret"
	reg := startRegistry(t, user, pass)
	project := uniqueName("berthregtest")
	ref := reg + "/berth-e2e/" + project + ":1"
	built := project + "-from-private"
	removeImages(t, ref, built)

	// The image: the static test program, pushed after docker login.
	loggedIn, anonymous := t.TempDir(), t.TempDir()
	dir := t.TempDir()
	appCtx := appContext(t, dir)
	if err := os.WriteFile(filepath.Join(appCtx, "Dockerfile"), []byte("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := baseEnv(loggedIn, "DOCKER_BUILDKIT=0")
	runCmd(t, env, "", docker, "build", "-q", "-t", ref, appCtx)
	runCmd(t, env, pass, docker, "login", "-u", user, "--password-stdin", reg)
	runCmd(t, env, "", docker, "push", "-q", ref)
	runCmd(t, env, "", docker, "rmi", ref)

	files := map[string]string{
		"compose.yaml":       "services:\n  app:\n    image: " + ref + "\n    command: [\"kv\"]\n",
		"base/Dockerfile":    "FROM " + ref + "\nLABEL berth.test=from-private\n",
		"build/compose.yaml": "services:\n  derived:\n    build: ../base\n    image: " + built + "\n    command: [\"kv\"]\n",
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		runBerth(t, dir, baseEnv(loggedIn), "-p", project, "down", "--progress", "quiet")
		removeProjectImages(t, project)
	})

	// Without login: the registry is named, and so is docker login.
	r := runBerth(t, dir, baseEnv(anonymous), "-p", project, "pull")
	if r.code == 0 || !strings.Contains(r.stderr, "registry "+reg) || !strings.Contains(r.stderr, "docker login "+reg) {
		t.Fatalf("pull without login: code %d, want an error naming %s and docker login\n%s%s", r.code, reg, r.stdout, r.stderr)
	}
	if imagePresent(ref) {
		t.Fatalf("%s is present after a refused pull", ref)
	}

	// After login: berth pull.
	if r := runBerth(t, dir, baseEnv(loggedIn), "-p", project, "pull"); r.code != 0 {
		t.Fatalf("pull after login: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !imagePresent(ref) {
		t.Fatalf("berth pull reported success, but %s is not present", ref)
	}
	runCmd(t, baseEnv(loggedIn), "", docker, "rmi", ref)

	// berth apply pulls the missing image and runs it.
	if r := runBerth(t, dir, baseEnv(loggedIn), "-p", project, "apply", "--progress", "plain"); r.code != 0 {
		t.Fatalf("apply after login: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	out := runCmd(t, baseEnv(loggedIn), "", docker, "ps", "--filter", "label=com.docker.compose.project="+project, "--format", "{{.Image}} {{.State}}")
	if strings.TrimSpace(out) != ref+" running" {
		t.Fatalf("after apply, the project's containers are %q, want one of %s running", out, ref)
	}
	if r := runBerth(t, dir, baseEnv(loggedIn), "-p", project, "down", "--progress", "quiet"); r.code != 0 {
		t.Fatalf("down: code %d\n%s", r.code, r.stderr)
	}
	runCmd(t, baseEnv(loggedIn), "", docker, "rmi", ref)

	// A build FROM the private image: the builder pulls the base with the
	// credentials berth sends.
	if r := runBerth(t, filepath.Join(dir, "build"), baseEnv(loggedIn), "-p", project, "build", "--progress", "plain"); r.code != 0 {
		t.Fatalf("build FROM %s after login: code %d\n%s%s", ref, r.code, r.stdout, r.stderr)
	}
	label := runCmd(t, baseEnv(loggedIn), "", docker, "image", "inspect", "--format", `{{index .Config.Labels "berth.test"}}`, built)
	if strings.TrimSpace(label) != "from-private" {
		t.Fatalf("built image label %q, want from-private", label)
	}
}

// socketProxy forwards connections on a new unix socket to target and
// counts them: a Docker context that points at it is seen to be used.
type socketProxy struct {
	path  string
	conns atomic.Int64
}

func startSocketProxy(t *testing.T, target string) *socketProxy {
	t.Helper()
	dir, err := os.MkdirTemp("", "bpx") // short: socket paths are limited
	if err != nil {
		t.Fatal(err)
	}
	p := &socketProxy{path: filepath.Join(dir, "docker.sock")}
	l, err := net.Listen("unix", p.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		l.Close()
		os.RemoveAll(dir)
	})
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			p.conns.Add(1)
			go func() {
				defer c.Close()
				up, err := net.Dial("unix", target)
				if err != nil {
					return
				}
				defer up.Close()
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(up, c); done <- struct{}{} }()
				go func() { _, _ = io.Copy(c, up); done <- struct{}{} }()
				<-done
			}()
		}
	}()
	return p
}

// TestDockerContextE2E: a Docker context on a second socket is honoured
// from DOCKER_CONTEXT, from docker context use and from --context, and
// DOCKER_HOST overrides all but --context, as for docker.
func TestDockerContextE2E(t *testing.T) {
	needDocker(t)
	docker := need(t, "the docker CLI", "", "docker")
	sock := engineSocket(t)
	proxy := startSocketProxy(t, sock)
	cfg := t.TempDir()
	env := baseEnv(cfg)
	runCmd(t, env, "", docker, "context", "create", "berth-proxy", "--docker", "host=unix://"+proxy.path)
	runCmd(t, env, "", docker, "context", "create", "berth-dead", "--docker", "host=unix://"+filepath.Join(cfg, "nothing.sock"))
	project := uniqueName("berthctxtest")
	dir := t.TempDir()

	ps := func(env []string, args ...string) (result, int64) {
		t.Helper()
		before := proxy.conns.Load()
		r := runBerth(t, dir, env, append(args, "-p", project, "ps")...)
		return r, proxy.conns.Load() - before
	}
	if r, n := ps(baseEnv(cfg, "DOCKER_CONTEXT=berth-proxy")); r.code != 0 || n == 0 {
		t.Errorf("DOCKER_CONTEXT=berth-proxy: code %d, %d connections through the context's socket\n%s", r.code, n, r.stderr)
	}
	if r, n := ps(baseEnv(cfg), "--context", "berth-proxy"); r.code != 0 || n == 0 {
		t.Errorf("--context berth-proxy: code %d, %d connections through the context's socket\n%s", r.code, n, r.stderr)
	}
	if r, n := ps(baseEnv(cfg, "DOCKER_HOST=unix://"+sock), "-c", "berth-proxy"); r.code != 0 || n == 0 {
		t.Errorf("-c berth-proxy with DOCKER_HOST: code %d, %d connections through the context's socket, want the flag to win\n%s", r.code, n, r.stderr)
	}
	if r, n := ps(baseEnv(cfg, "DOCKER_HOST=unix://"+sock, "DOCKER_CONTEXT=berth-proxy")); r.code != 0 || n != 0 {
		t.Errorf("DOCKER_HOST with DOCKER_CONTEXT: code %d, %d connections through the context's socket, want DOCKER_HOST to win\n%s", r.code, n, r.stderr)
	}
	if r := runBerth(t, dir, baseEnv(cfg, "DOCKER_CONTEXT=berth-dead"), "-p", project, "ps"); r.code == 0 || !strings.Contains(r.stderr, `"berth-dead"`) {
		t.Errorf("DOCKER_CONTEXT=berth-dead: code %d, want an error naming the context\n%s", r.code, r.stderr)
	}

	// docker context use: config.json's current context.
	runCmd(t, env, "", docker, "context", "use", "berth-proxy")
	if r, n := ps(baseEnv(cfg)); r.code != 0 || n == 0 {
		t.Errorf("current context berth-proxy: code %d, %d connections through the context's socket\n%s", r.code, n, r.stderr)
	}
	if r, n := ps(baseEnv(cfg, "DOCKER_HOST=unix://"+sock)); r.code != 0 || n != 0 {
		t.Errorf("DOCKER_HOST over the current context: code %d, %d connections through the context's socket\n%s", r.code, n, r.stderr)
	}
	runCmd(t, env, "", docker, "context", "use", "berth-dead")
	if r, _ := ps(baseEnv(cfg, "DOCKER_HOST=unix://"+sock)); r.code != 0 {
		t.Errorf("DOCKER_HOST over a dead current context: code %d\n%s", r.code, r.stderr)
	}
}

// startSSHD runs Debian's sshd on a loopback port, accepting one generated
// key for the current user, and returns the port and an ssh wrapper
// directory to put first on PATH: ssh reads its config from the user's
// home, not $HOME, so the wrapper hands it the test's config instead.
func startSSHD(t *testing.T) (int, string) {
	t.Helper()
	sshd := need(t, "sshd (Debian's openssh-server)", "BERTH_TEST_SSHD", "/usr/sbin/sshd")
	sshBin := need(t, "ssh (Debian's openssh-client)", "", "/usr/bin/ssh", "ssh")
	keygen := need(t, "ssh-keygen", "", "/usr/bin/ssh-keygen", "ssh-keygen")
	if _, err := os.Stat("/run/sshd"); err != nil {
		// sshd wants its privilege separation directory, which the
		// package's service makes; .ci/run makes it too.
		if err := os.MkdirAll("/run/sshd", 0o755); err != nil {
			t.Skipf("skipped: sshd needs /run/sshd: %v", err)
		}
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := func(name string) string { return filepath.Join(dir, name) }
	runCmd(t, nil, "", keygen, "-q", "-t", "ed25519", "-N", "", "-f", path("host_key"))
	runCmd(t, nil, "", keygen, "-q", "-t", "ed25519", "-N", "", "-f", path("id"))
	pub, err := os.ReadFile(path("id.pub"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path("authorized_keys"), pub, 0o600); err != nil {
		t.Fatal(err)
	}
	port := freePort(t)
	config := fmt.Sprintf(`Port %d
ListenAddress 127.0.0.1
HostKey %s
AuthorizedKeysFile %s
PidFile %s
StrictModes no
UsePAM no
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
AllowUsers %s
`, port, path("host_key"), path("authorized_keys"), path("sshd.pid"), u.Username)
	if err := os.WriteFile(path("sshd_config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	hostPub, err := os.ReadFile(path("host_key.pub"))
	if err != nil {
		t.Fatal(err)
	}
	known := fmt.Sprintf("[127.0.0.1]:%d %s", port, hostPub)
	if err := os.WriteFile(path("known_hosts"), []byte(known), 0o600); err != nil {
		t.Fatal(err)
	}
	clientConfig := fmt.Sprintf(`Host *
  IdentityFile %s
  IdentitiesOnly yes
  UserKnownHostsFile %s
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
`, path("id"), path("known_hosts"))
	if err := os.WriteFile(path("ssh_config"), []byte(clientConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	bin := path("bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := fmt.Sprintf("#!/bin/sh\nexec %s -F %s \"$@\"\n", sshBin, path("ssh_config"))
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	log := startProcess(t, nil, sshd, "-D", "-e", "-f", path("sshd_config"))
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("sshd did not listen on port %d: %v\n%s", port, err, log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	// The remote side runs docker system dial-stdio: check it is there.
	probe := exec.Command(filepath.Join(bin, "ssh"), "-p", strconv.Itoa(port), u.Username+"@127.0.0.1", "docker", "version", "--format", "{{.Server.APIVersion}}")
	if out, err := probe.CombinedOutput(); err != nil {
		t.Fatalf("ssh to the local sshd, docker version: %v\n%s\nsshd:\n%s", err, out, log.String())
	}
	return port, bin
}

// TestSSHHostE2E: DOCKER_HOST=ssh://user@127.0.0.1:PORT reaches the engine
// through the remote's docker system dial-stdio, as docker does: berth ps
// and berth apply (which builds and starts a container) work over it.
func TestSSHHostE2E(t *testing.T) {
	needDocker(t)
	engineSocket(t)
	port, bin := startSSHD(t)
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	project := uniqueName("berthsshtest")
	dir := t.TempDir()
	appCtx := appContext(t, dir)
	if err := os.WriteFile(filepath.Join(appCtx, "Dockerfile"), []byte("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web:\n    build: ./app\n    command: [\"kv\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := t.TempDir()
	local := baseEnv(cfg)
	remote := []string{
		"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "DOCKER_CONFIG=" + cfg,
		fmt.Sprintf("DOCKER_HOST=ssh://%s@127.0.0.1:%d", u.Username, port),
	}
	removeImages(t, project+"-web")
	t.Cleanup(func() {
		runBerth(t, dir, local, "-p", project, "down", "--rmi", "local", "--progress", "quiet")
		removeProjectImages(t, project)
	})

	if r := runBerth(t, dir, remote, "-p", project, "ps"); r.code != 0 {
		t.Fatalf("ps over ssh: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runBerth(t, dir, remote, "-p", project, "apply", "--progress", "plain"); r.code != 0 {
		t.Fatalf("apply over ssh: code %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runBerth(t, dir, remote, "-p", project, "ps")
	if r.code != 0 || !strings.Contains(r.stdout, project+"-web-1") {
		t.Fatalf("ps over ssh after apply: code %d, want %s-web-1 listed\n%s%s", r.code, project, r.stdout, r.stderr)
	}
	// The container is on this machine's engine: the same one, reached
	// through its socket.
	out := runCmd(t, local, "", "docker", "ps", "--filter", "label=com.docker.compose.project="+project, "--format", "{{.Names}} {{.State}}")
	if strings.TrimSpace(out) != project+"-web-1 running" {
		t.Fatalf("the engine's containers of %s: %q, want %s-web-1 running", project, out, project)
	}
}
