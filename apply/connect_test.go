package apply

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
)

// fakeEngine is an Engine API on a unix socket that answers what the
// connect tests ask and records the requests' registry headers.
type fakeEngine struct {
	sock string
	pull int // status to answer pulls with

	mu       sync.Mutex
	pings    int
	auth     []string // X-Registry-Auth of each pull
	buildCfg []string // X-Registry-Config of each build
}

func startFakeEngine(t *testing.T) *fakeEngine {
	t.Helper()
	// A short path: unix socket paths are limited to about 100 bytes.
	dir, err := os.MkdirTemp("", "bce")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	f := &fakeEngine{sock: filepath.Join(dir, "engine.sock"), pull: http.StatusOK}
	l, err := net.Listen("unix", f.sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(f.serve)}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Close() })
	return f
}

func (f *fakeEngine) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	w.Header().Set("Api-Version", "1.41")
	switch {
	case strings.HasSuffix(r.URL.Path, "/_ping"):
		f.pings++
		_, _ = io.WriteString(w, "OK")
	case strings.HasSuffix(r.URL.Path, "/images/create"):
		f.auth = append(f.auth, r.Header.Get("X-Registry-Auth"))
		if f.pull != http.StatusOK {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.pull)
			_, _ = io.WriteString(w, `{"message":"Head \"http://registry/v2/x/manifests/1\": no basic auth credentials"}`)
			return
		}
		_, _ = io.WriteString(w, `{"status":"Pulled"}`)
	case strings.HasSuffix(r.URL.Path, "/build"):
		_, _ = io.Copy(io.Discard, r.Body)
		f.buildCfg = append(f.buildCfg, r.Header.Get("X-Registry-Config"))
		_, _ = io.WriteString(w, `{"stream":"built"}`)
	default:
		http.NotFound(w, r)
	}
}

func (f *fakeEngine) pinged() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.pings
}

// dockerConfig writes config.json into a new DOCKER_CONFIG directory.
func dockerConfig(t *testing.T, cfg map[string]any) string {
	t.Helper()
	dir := t.TempDir()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// addContext stores a Docker context whose docker endpoint is host, as
// `docker context create` does.
func addContext(t *testing.T, configDir, name, host string) {
	t.Helper()
	s := store.New(filepath.Join(configDir, "contexts"), store.NewConfig(
		func() any { return &map[string]any{} },
		store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }),
	))
	if err := s.CreateOrUpdate(store.Metadata{Name: name, Endpoints: map[string]any{
		docker.DockerEndpoint: docker.EndpointMeta{Host: host},
	}}); err != nil {
		t.Fatal(err)
	}
}

func basicAuth(user, pass string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
}

// TestConnectEndpointOrder: the flag, then DOCKER_HOST, then
// DOCKER_CONTEXT, then config.json's current context, as docker picks.
func TestConnectEndpointOrder(t *testing.T) {
	host, other := startFakeEngine(t), startFakeEngine(t)
	for _, tc := range []struct {
		name    string
		flag    string
		env     []string
		current string
		want    *fakeEngine
	}{
		{name: "DOCKER_HOST", env: []string{"DOCKER_HOST=unix://" + host.sock}, want: host},
		{name: "DOCKER_CONTEXT", env: []string{"DOCKER_CONTEXT=other"}, want: other},
		{name: "current context", current: "other", want: other},
		{name: "DOCKER_HOST over DOCKER_CONTEXT", env: []string{"DOCKER_HOST=unix://" + host.sock, "DOCKER_CONTEXT=other"}, want: host},
		{name: "DOCKER_HOST over the current context", env: []string{"DOCKER_HOST=unix://" + host.sock}, current: "other", want: host},
		{name: "DOCKER_CONTEXT over the current context", env: []string{"DOCKER_CONTEXT=other"}, current: "missing", want: other},
		{name: "flag over DOCKER_HOST", flag: "other", env: []string{"DOCKER_HOST=unix://" + host.sock}, want: other},
		{name: "flag default is DOCKER_HOST", flag: "default", env: []string{"DOCKER_HOST=unix://" + host.sock, "DOCKER_CONTEXT=other"}, want: host},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := map[string]any{}
			if tc.current != "" {
				cfg["currentContext"] = tc.current
			}
			dir := dockerConfig(t, cfg)
			addContext(t, dir, "other", "unix://"+other.sock)
			before := map[*fakeEngine]int{host: host.pinged(), other: other.pinged()}
			e, err := ConnectEngine(context.Background(), ConnectOptions{Context: tc.flag, Env: append([]string{"DOCKER_CONFIG=" + dir}, tc.env...)})
			if err != nil {
				t.Fatal(err)
			}
			defer e.Close()
			for f, n := range before {
				if got := f.pinged() - n; (f == tc.want) != (got == 1) {
					t.Errorf("engine %s pinged %d times", f.sock, got)
				}
			}
			if e.ClientVersion() != "1.41" {
				t.Errorf("API version %s, want 1.41 negotiated with the engine", e.ClientVersion())
			}
		})
	}
}

func TestConnectUnknownContext(t *testing.T) {
	dir := dockerConfig(t, map[string]any{})
	_, err := ConnectEngine(context.Background(), ConnectOptions{Context: "nowhere", Env: []string{"DOCKER_CONFIG=" + dir}})
	if err == nil || !strings.Contains(err.Error(), `"nowhere"`) {
		t.Fatalf("err = %v, want one naming the context", err)
	}
}

// TestConnectTLSNeedsCA: DOCKER_TLS_VERIFY without a CA in
// DOCKER_CERT_PATH is refused before any connection, as docker refuses it.
func TestConnectTLSNeedsCA(t *testing.T) {
	dir := dockerConfig(t, map[string]any{})
	_, err := ConnectEngine(context.Background(), ConnectOptions{Env: []string{
		"DOCKER_CONFIG=" + dir, "DOCKER_HOST=tcp://127.0.0.1:1", "DOCKER_TLS_VERIFY=1", "DOCKER_CERT_PATH=" + t.TempDir(),
	}})
	if err == nil || !strings.Contains(err.Error(), "ca.pem") {
		t.Fatalf("err = %v, want the missing ca.pem", err)
	}
}

// credentialHelper installs docker-credential-<name> on PATH, answering
// get for every registry with user/secret and list with one registry.
func credentialHelper(t *testing.T, name, user, secret, listed string) {
	t.Helper()
	bin := t.TempDir()
	script := `#!/bin/sh
case "$1" in
get) read -r url; printf '{"ServerURL":"%s","Username":"` + user + `","Secret":"` + secret + `"}' "$url" ;;
list) printf '{"` + listed + `":"` + user + `"}' ;;
*) exit 1 ;;
esac
`
	if err := os.WriteFile(filepath.Join(bin, "docker-credential-"+name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	// docker/cli runs helpers from the process's PATH.
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
}

func decodeAuth(t *testing.T, header string) registry.AuthConfig {
	t.Helper()
	var ac registry.AuthConfig
	if header == "" {
		return ac
	}
	b, err := base64.URLEncoding.DecodeString(header)
	if err != nil {
		t.Fatalf("X-Registry-Auth %q: %v", header, err)
	}
	if err := json.Unmarshal(b, &ac); err != nil {
		t.Fatal(err)
	}
	return ac
}

// TestPullSendsStoredCredentials: every pull carries what docker login
// stored for the image's registry: auths (Docker Hub under its index URL),
// credHelpers before credsStore, nothing for a registry without any.
func TestPullSendsStoredCredentials(t *testing.T) {
	credentialHelper(t, "berthtest", "helper-user", "helper-secret", "helped.test")
	eng := startFakeEngine(t)
	dir := dockerConfig(t, map[string]any{
		"auths": map[string]any{
			"127.0.0.1:5000":              map[string]string{"auth": basicAuth("local", "pw1")},
			"https://index.docker.io/v1/": map[string]string{"auth": basicAuth("hub", "pw2")},
		},
		"credHelpers": map[string]string{"helped.test": "berthtest"},
	})
	e, err := ConnectEngine(context.Background(), ConnectOptions{Env: []string{"DOCKER_CONFIG=" + dir, "DOCKER_HOST=unix://" + eng.sock}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	for _, tc := range []struct{ ref, user, pass string }{
		{"127.0.0.1:5000/team/app:1", "local", "pw1"},
		{"alpine", "hub", "pw2"},
		{"docker.io/library/alpine:3", "hub", "pw2"},
		{"helped.test/app", "helper-user", "helper-secret"},
		{"elsewhere.test/app", "", ""},
	} {
		rc, err := e.ImagePull(context.Background(), tc.ref, image.PullOptions{})
		if err != nil {
			t.Fatalf("pull %s: %v", tc.ref, err)
		}
		rc.Close()
		eng.mu.Lock()
		got := decodeAuth(t, eng.auth[len(eng.auth)-1])
		eng.mu.Unlock()
		if got.Username != tc.user || got.Password != tc.pass {
			t.Errorf("pull %s sent %q/%q, want %q/%q", tc.ref, got.Username, got.Password, tc.user, tc.pass)
		}
	}
}

// TestBuildSendsAllCredentials: a build carries every stored credential,
// for the registries of its FROM lines, as docker build does.
func TestBuildSendsAllCredentials(t *testing.T) {
	credentialHelper(t, "berthstore", "store-user", "store-secret", "stored.test")
	eng := startFakeEngine(t)
	dir := dockerConfig(t, map[string]any{
		"auths":      map[string]any{"127.0.0.1:5000": map[string]string{}},
		"credsStore": "berthstore",
	})
	e, err := ConnectEngine(context.Background(), ConnectOptions{Env: []string{"DOCKER_CONFIG=" + dir, "DOCKER_HOST=unix://" + eng.sock}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	got := buildCredentials(t, e, eng)
	if ac := got["stored.test"]; ac.Username != "store-user" || ac.Password != "store-secret" {
		t.Errorf("X-Registry-Config = %v, want stored.test's credentials from the credsStore", got)
	}
}

// buildCredentials runs an empty build on e and returns the credentials
// the fake engine received with it (X-Registry-Config).
func buildCredentials(t *testing.T, e *Engine, eng *fakeEngine) map[string]registry.AuthConfig {
	t.Helper()
	resp, err := e.ImageBuild(context.Background(), strings.NewReader(""), build.ImageBuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	eng.mu.Lock()
	defer eng.mu.Unlock()
	b, err := base64.URLEncoding.DecodeString(eng.buildCfg[len(eng.buildCfg)-1])
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]registry.AuthConfig
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestPullWithoutLogin: a pull the engine fails, from a registry that asks
// for credentials (401 on /v2/) when none are stored, says to log in to
// that registry; from a registry that does not ask, the engine's error
// stays as it is.
func TestPullWithoutLogin(t *testing.T) {
	eng := startFakeEngine(t)
	eng.pull = http.StatusInternalServerError // Docker 20.10's answer
	asks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
		w.WriteHeader(http.StatusUnauthorized)
	}))
	defer asks.Close()
	open := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer open.Close()
	dir := dockerConfig(t, map[string]any{})
	e, err := ConnectEngine(context.Background(), ConnectOptions{Env: []string{"DOCKER_CONFIG=" + dir, "DOCKER_HOST=unix://" + eng.sock}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()

	reg := strings.TrimPrefix(asks.URL, "http://")
	_, err = e.ImagePull(context.Background(), reg+"/app:1", image.PullOptions{})
	var login *LoginRequiredError
	if !errors.As(err, &login) || login.Registry != reg || !strings.Contains(err.Error(), "docker login "+reg) {
		t.Fatalf("err = %v, want a LoginRequiredError naming %s and docker login", err, reg)
	}

	reg = strings.TrimPrefix(open.URL, "http://")
	_, err = e.ImagePull(context.Background(), reg+"/app:1", image.PullOptions{})
	if err == nil || errors.As(err, &login) {
		t.Fatalf("err = %v, want the engine's error alone", err)
	}
}

// TestPullReadsDockerAuthConfig: credentials in DOCKER_AUTH_CONFIG (the
// process environment, as docker reads it) are sent for their registry
// ahead of config.json's, and a build carries them too.
func TestPullReadsDockerAuthConfig(t *testing.T) {
	t.Setenv("DOCKER_AUTH_CONFIG", `{"auths":{"env.test":{"auth":"`+basicAuth("env-user", "env-pw")+`"}}}`)
	eng := startFakeEngine(t)
	dir := dockerConfig(t, map[string]any{
		"auths": map[string]any{"env.test": map[string]string{"auth": basicAuth("file-user", "file-pw")}},
	})
	e, err := ConnectEngine(context.Background(), ConnectOptions{Env: []string{"DOCKER_CONFIG=" + dir, "DOCKER_HOST=unix://" + eng.sock}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	rc, err := e.ImagePull(context.Background(), "env.test/app:1", image.PullOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	eng.mu.Lock()
	got := decodeAuth(t, eng.auth[0])
	eng.mu.Unlock()
	if got.Username != "env-user" || got.Password != "env-pw" {
		t.Errorf("pull sent %q/%q, want DOCKER_AUTH_CONFIG's env-user/env-pw", got.Username, got.Password)
	}
	if ac := buildCredentials(t, e, eng)["env.test"]; ac.Username != "env-user" {
		t.Errorf("build sent %q for env.test, want DOCKER_AUTH_CONFIG's env-user", ac.Username)
	}
}
