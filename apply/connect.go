package apply

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/docker/cli/cli/config/credentials"
	dcontext "github.com/docker/cli/cli/context"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/docker/cli/opts"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/client"
)

// Engine is Docker's own Engine API client bound to the Docker CLI
// configuration it was resolved from, so that every pull and build sends
// the registry credentials `docker login` stored, as docker and docker
// compose do.
//
// The client is github.com/docker/docker/client v28: apply is written
// against github.com/docker/docker/api/types v28, which this client takes
// and returns, so *client.Client satisfies Docker as it is, and it
// negotiates the API version down to the engine's (Docker 20.10 speaks API
// 1.41). github.com/moby/moby/client is the same client after moby's module
// split (docker/cli v29, Docker Compose v5); moving to it is a rename of
// the client and api/types imports, left for when docker/cli v29's config
// and context packages are taken too. docker/cli v28 matches this client.
type Engine struct {
	*client.Client
	config *configfile.ConfigFile
	// Endpoint names the engine as the user named it (DOCKER_HOST, or the
	// context's host), for messages: the client's own host is a
	// placeholder for ssh:// endpoints.
	Endpoint string
	// ContextName is the Docker context the endpoint came from ("default"
	// for DOCKER_HOST or the default socket).
	ContextName string
}

var _ Docker = (*Engine)(nil)

// ConnectOptions say which engine to reach.
type ConnectOptions struct {
	// Context names a Docker context (berth's --context). Empty follows
	// docker: DOCKER_HOST, else DOCKER_CONTEXT, else the current context in
	// config.json, else the default socket.
	Context string
	// Env is the command's environment, KEY=VALUE: DOCKER_HOST,
	// DOCKER_CONTEXT, DOCKER_CONFIG, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH,
	// DOCKER_TLS, DOCKER_API_VERSION and HOME are read from it, not from
	// the process. (docker/cli itself reads DOCKER_AUTH_CONFIG and runs
	// ssh and credential helpers with the process's environment.)
	Env []string
}

// defaultContextName is docker's name for the endpoint that DOCKER_HOST,
// or the default socket, gives.
const defaultContextName = "default"

// indexServer is the key docker login stores Docker Hub's credentials under.
const indexServer = "https://index.docker.io/v1/"

// ConnectEngine resolves the engine endpoint and the registry credentials the way
// the docker CLI does and pings the engine, which also settles the API
// version to use. ctx bounds the ping.
func ConnectEngine(ctx context.Context, o ConnectOptions) (*Engine, error) {
	env := envMap(o.Env)
	dir := configDir(env)
	cfg, err := config.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the Docker CLI config in %s: %w", dir, err)
	}
	if !cfg.ContainsAuth() {
		// As docker does when config.json names no store: use the
		// platform's credential helper if one is installed.
		cfg.CredentialsStore = credentials.DetectDefaultStore(cfg.CredentialsStore)
	}
	name := contextName(o.Context, env, cfg)
	ep, err := endpoint(name, env, dir)
	if err != nil {
		return nil, fmt.Errorf("resolving the Docker endpoint of context %q: %w", name, err)
	}
	copts, err := ep.ClientOpts()
	if err != nil {
		return nil, fmt.Errorf("docker endpoint %s (context %q): %w", ep.Host, name, err)
	}
	if len(cfg.HTTPHeaders) > 0 {
		copts = append(copts, client.WithHTTPHeaders(cfg.HTTPHeaders))
	}
	if v := env["DOCKER_API_VERSION"]; v != "" {
		copts = append(copts, client.WithVersion(v))
	}
	copts = append(copts, client.WithUserAgent("berth"))
	c, err := client.NewClientWithOpts(copts...)
	if err != nil {
		return nil, fmt.Errorf("docker endpoint %s (context %q): %w", ep.Host, name, err)
	}
	e := &Engine{Client: c, config: cfg, Endpoint: ep.Host, ContextName: name}
	ping, err := c.Ping(ctx)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("cannot reach the Docker engine at %s (context %q): %w", ep.Host, name, err)
	}
	c.NegotiateAPIVersionPing(ping)
	return e, nil
}

// envMap indexes KEY=VALUE entries; a later entry wins, as for exec.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// configDir is DOCKER_CONFIG, else ~/.docker, as docker/cli's config.Dir
// finds it (which reads the process's environment once per process).
func configDir(env map[string]string) string {
	if d := env[config.EnvOverrideConfigDir]; d != "" {
		return d
	}
	home := env["HOME"]
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	return filepath.Join(home, ".docker")
}

// contextName picks the context as the docker CLI does: the flag, then the
// default context when DOCKER_HOST is set, then DOCKER_CONTEXT, then
// config.json's currentContext.
func contextName(flag string, env map[string]string, cfg *configfile.ConfigFile) string {
	switch {
	case flag != "":
		return flag
	case env[client.EnvOverrideHost] != "":
		return defaultContextName
	case env["DOCKER_CONTEXT"] != "":
		return env["DOCKER_CONTEXT"]
	case cfg.CurrentContext != "":
		return cfg.CurrentContext
	}
	return defaultContextName
}

// endpoint reads a context's docker endpoint and TLS material from the
// context store in dir/contexts; the default context is DOCKER_HOST (or
// the default socket) with the TLS settings of DOCKER_TLS_VERIFY,
// DOCKER_TLS and DOCKER_CERT_PATH.
func endpoint(name string, env map[string]string, dir string) (docker.Endpoint, error) {
	if name != defaultContextName {
		s := store.New(filepath.Join(dir, "contexts"), store.NewConfig(
			func() any { return &map[string]any{} },
			store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }),
		))
		meta, err := s.GetMetadata(name)
		if err != nil {
			return docker.Endpoint{}, err
		}
		epMeta, err := docker.EndpointFromContext(meta)
		if err != nil {
			return docker.Endpoint{}, err
		}
		return docker.WithTLSData(s, name, epMeta)
	}
	verify := env[client.EnvTLSVerify] != ""
	useTLS := verify || env["DOCKER_TLS"] != ""
	host, err := opts.ParseHost(useTLS, env[client.EnvOverrideHost])
	if err != nil {
		return docker.Endpoint{}, err
	}
	ep := docker.Endpoint{EndpointMeta: docker.EndpointMeta{Host: host}}
	if !useTLS {
		return ep, nil
	}
	certs := env[client.EnvOverrideCertPath]
	if certs == "" {
		certs = dir
	}
	// A missing client certificate or key is left out, as docker does; a
	// missing CA is an error.
	optional := func(f string) string {
		p := filepath.Join(certs, f)
		if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
			return ""
		}
		return p
	}
	tlsData, err := dcontext.TLSDataFromFiles(filepath.Join(certs, "ca.pem"), optional("cert.pem"), optional("key.pem"))
	if err != nil {
		return docker.Endpoint{}, fmt.Errorf("reading TLS material: %w", err)
	}
	ep.SkipTLSVerify = !verify
	ep.TLSData = tlsData
	return ep, nil
}

// registryKey is the key docker login stores a registry's credentials
// under: the registry's host[:port], Docker Hub's index URL for Docker Hub.
func registryKey(ref string) (string, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return "", fmt.Errorf("invalid image reference %q: %w", ref, err)
	}
	switch d := reference.Domain(named); d {
	case "docker.io", "index.docker.io":
		return indexServer, nil
	default:
		return d, nil
	}
}

// loginName is how a user names the registry to docker login.
func loginName(key string) string {
	if key == indexServer {
		return "docker.io"
	}
	return key
}

// ImagePull pulls ref with the credentials stored for its registry (unless
// the caller sent some). A pull refused for want of credentials, with none
// stored, is a *LoginRequiredError.
func (e *Engine) ImagePull(ctx context.Context, ref string, o image.PullOptions) (io.ReadCloser, error) {
	key, err := registryKey(ref)
	if err != nil {
		return nil, err
	}
	anonymous := o.RegistryAuth == ""
	if anonymous {
		if o.RegistryAuth, err = e.RegistryAuth(ref); err != nil {
			return nil, err
		}
		anonymous = o.RegistryAuth == ""
	}
	rc, err := e.Client.ImagePull(ctx, ref, o)
	if err != nil {
		return nil, loginRequired(ctx, anonymous, ref, key, err)
	}
	return rc, nil
}

// RegistryAuth is the credential the Docker config holds for ref's
// registry, encoded as the Engine API takes it (X-Registry-Auth), or ""
// when it holds none.
func (e *Engine) RegistryAuth(ref string) (string, error) {
	key, err := registryKey(ref)
	if err != nil {
		return "", err
	}
	ac, err := e.config.GetAuthConfig(key)
	if err != nil {
		return "", fmt.Errorf("reading the credentials for %s: %w", loginName(key), err)
	}
	if ac.Username == "" && ac.Password == "" && ac.Auth == "" && ac.IdentityToken == "" && ac.RegistryToken == "" {
		return "", nil
	}
	return registry.EncodeAuthConfig(registry.AuthConfig{
		Username: ac.Username, Password: ac.Password, Auth: ac.Auth, ServerAddress: ac.ServerAddress,
		IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken,
	})
}

// ImageBuild builds with every credential the Docker config holds, as
// docker build does, so that FROM can pull from private registries.
func (e *Engine) ImageBuild(ctx context.Context, buildContext io.Reader, o build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	if o.AuthConfigs == nil {
		// docker build goes on without the credentials it cannot read
		// (a broken helper fails only the pulls that need it).
		creds, _ := e.config.GetAllCredentials()
		o.AuthConfigs = make(map[string]registry.AuthConfig, len(creds))
		for k, ac := range creds {
			o.AuthConfigs[k] = registry.AuthConfig{
				Username: ac.Username, Password: ac.Password, Auth: ac.Auth, ServerAddress: ac.ServerAddress,
				IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken,
			}
		}
	}
	return e.Client.ImageBuild(ctx, buildContext, o)
}

// LoginRequiredError is a pull that a registry refused for want of
// credentials when the Docker config held none for it.
type LoginRequiredError struct {
	Ref      string
	Registry string // as `docker login` takes it
	Err      error  // the engine's answer
}

func (e *LoginRequiredError) Error() string {
	return fmt.Sprintf("registry %s asks for credentials and the Docker config has none for it: log in with `docker login %s` (%v)", e.Registry, e.Registry, e.Err)
}

func (e *LoginRequiredError) Unwrap() error { return e.Err }

// loginRequired turns a failed pull into a *LoginRequiredError when no
// credentials were sent and the registry wants some: the engine types the
// refusal (401, 403) on newer engines; Docker 20.10 answers 500 whatever the
// cause, so the registry itself is asked then.
func loginRequired(ctx context.Context, anonymous bool, ref, key string, err error) error {
	if !anonymous {
		return err
	}
	if cerrdefs.IsUnauthorized(err) || cerrdefs.IsPermissionDenied(err) || wantsCredentials(ctx, key) {
		return &LoginRequiredError{Ref: ref, Registry: loginName(key), Err: err}
	}
	return err
}

// wantsCredentials reports whether the registry's API root answers an
// anonymous GET /v2/ with 401, the registry protocol's way of asking for
// credentials. HTTPS is tried first, then plain HTTP, which Docker uses
// for loopback and other insecure registries. A registry berth cannot
// reach (the engine may be remote) does not want credentials as far as
// berth can tell.
func wantsCredentials(ctx context.Context, key string) bool {
	host := key
	if key == indexServer {
		host = "registry-1.docker.io"
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, scheme := range []string{"https", "http"} {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, scheme+"://"+host+"/v2/", nil)
		if err != nil {
			return false
		}
		resp, err := hc.Do(req)
		if err != nil {
			continue
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusUnauthorized
	}
	return false
}
