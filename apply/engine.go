package apply

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/versions"
	"github.com/docker/docker/api/types/volume"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// engineAPIVersion is the newest Engine API version this client speaks
// (the version of the api/types structs it sends). Against an older engine
// the client negotiates down to the engine's version.
const engineAPIVersion = "1.51"

// Engine is a small Docker Engine API client over net/http: the Docker
// interface and nothing more. It replaces github.com/docker/docker/client,
// which links OpenTelemetry and gRPC into every berth process.
type Engine struct {
	hc   *http.Client
	base url.URL // scheme and host; paths are added per request

	mu      sync.Mutex
	version string // "" until negotiated
	fixed   bool   // DOCKER_API_VERSION given: no negotiation
}

var _ Docker = (*Engine)(nil)

// engineError is a non-2xx answer of the engine, with its message.
type engineError struct {
	Status  int
	Message string
}

func (e *engineError) Error() string {
	return "Error response from daemon: " + e.Message
}

// isNotFound reports whether err is the engine answering 404 (no such
// container, network, volume or image).
func isNotFound(err error) bool {
	var e *engineError
	return errors.As(err, &e) && e.Status == http.StatusNotFound
}

// newEngine reads DOCKER_HOST (default unix:///var/run/docker.sock),
// DOCKER_API_VERSION, DOCKER_CERT_PATH and DOCKER_TLS_VERIFY as the docker
// CLI does.
func newEngine() (*Engine, error) {
	host := os.Getenv("DOCKER_HOST")
	if host == "" {
		host = "unix:///var/run/docker.sock"
	}
	proto, addr, ok := strings.Cut(host, "://")
	if !ok {
		return nil, fmt.Errorf("unable to parse docker host %q", host)
	}
	tr := &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		MaxIdleConnsPerHost: 8,
		IdleConnTimeout:     30 * time.Second,
	}
	e := &Engine{hc: &http.Client{Transport: tr}}
	switch proto {
	case "unix":
		if addr == "" {
			return nil, fmt.Errorf("unable to parse docker host %q", host)
		}
		tr.Proxy = nil
		tr.DisableCompression = true
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", addr)
		}
		e.base = url.URL{Scheme: "http", Host: "api.moby.localhost"}
	case "tcp", "http", "https":
		addr = strings.TrimSuffix(addr, "/")
		if addr == "" || strings.Contains(addr, "/") {
			return nil, fmt.Errorf("unable to parse docker host %q: want host:port", host)
		}
		if _, _, err := net.SplitHostPort(addr); err != nil {
			addr = net.JoinHostPort(addr, "2375")
		}
		e.base = url.URL{Scheme: "http", Host: addr}
		if proto == "https" {
			e.base.Scheme = "https"
		}
		if dir := os.Getenv("DOCKER_CERT_PATH"); dir != "" {
			cfg, err := engineTLS(dir, os.Getenv("DOCKER_TLS_VERIFY") == "")
			if err != nil {
				return nil, err
			}
			tr.TLSClientConfig = cfg
			e.base.Scheme = "https"
		}
	default:
		return nil, fmt.Errorf("unsupported docker host %q: want unix:// or tcp://", host)
	}
	if v := os.Getenv("DOCKER_API_VERSION"); v != "" {
		e.version, e.fixed = strings.TrimPrefix(v, "v"), true
	}
	return e, nil
}

func engineTLS(dir string, insecure bool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // DOCKER_TLS_VERIFY unset, as the docker CLI
	if ca, err := os.ReadFile(filepath.Join(dir, "ca.pem")); err == nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(ca) {
			return nil, fmt.Errorf("no certificates in %s", filepath.Join(dir, "ca.pem"))
		}
		cfg.RootCAs = pool
	} else if !insecure {
		return nil, fmt.Errorf("reading docker CA: %w", err)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem"))
	if err != nil {
		if !insecure {
			return nil, fmt.Errorf("reading docker client certificate: %w", err)
		}
	} else {
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// Close releases idle connections.
func (e *Engine) Close() error {
	e.hc.CloseIdleConnections()
	return nil
}

// Ping checks that the engine answers and returns the API version it
// reports (negotiating the version to use, unless DOCKER_API_VERSION is set).
func (e *Engine) Ping(ctx context.Context) (string, error) {
	u := e.base
	u.Path = "/_ping"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return "", err
	}
	resp, err := e.hc.Do(req)
	if err != nil {
		return "", connectError(err)
	}
	defer drain(resp)
	if resp.StatusCode >= 400 {
		return "", readError(resp)
	}
	server := resp.Header.Get("Api-Version")
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.fixed {
		switch {
		case server == "":
			e.version = "1.24" // engines before API 1.25 send no header
		case versions.LessThan(server, engineAPIVersion):
			e.version = server
		default:
			e.version = engineAPIVersion
		}
	}
	return server, nil
}

// apiVersion returns the version to use, pinging the engine once to
// negotiate it.
func (e *Engine) apiVersion(ctx context.Context) (string, error) {
	e.mu.Lock()
	v := e.version
	e.mu.Unlock()
	if v != "" {
		return v, nil
	}
	if _, err := e.Ping(ctx); err != nil {
		return "", err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.version, nil
}

func connectError(err error) error {
	return fmt.Errorf("cannot connect to the Docker daemon: %w", err)
}

// do sends one request to /v<version><path>. body is JSON-encoded unless it
// is an io.Reader. The caller closes the response body; an answer >= 400 is
// an *engineError and its body is already closed.
func (e *Engine) do(ctx context.Context, method, path string, query url.Values, body any, header http.Header) (*http.Response, error) {
	v, err := e.apiVersion(ctx)
	if err != nil {
		return nil, err
	}
	u := e.base
	u.Path = "/v" + v + path
	u.RawQuery = query.Encode()

	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case io.Reader:
		r = b
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		r, ctype = bytes.NewReader(buf), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), r)
	if err != nil {
		return nil, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("User-Agent", "berth")
	resp, err := e.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, connectError(err)
	}
	if resp.StatusCode >= 400 { // 304 (already started/stopped) is success, as for the docker client
		defer drain(resp)
		return nil, readError(resp)
	}
	return resp, nil
}

// call sends a request and decodes a JSON answer into out (if not nil).
func (e *Engine) call(ctx context.Context, method, path string, query url.Values, body, out any) error {
	resp, err := e.do(ctx, method, path, query, body, nil)
	if err != nil {
		return err
	}
	defer drain(resp)
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decoding the answer to %s %s: %w", method, path, err)
	}
	return nil
}

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}

// readError turns an error answer into an *engineError with the daemon's
// message ({"message": "..."}, or the plain body).
func readError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	msg := ""
	var m struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(b, &m) == nil && m.Message != "" {
		msg = m.Message
	} else if s := strings.TrimSpace(string(b)); s != "" {
		msg = s
	} else {
		msg = fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return &engineError{Status: resp.StatusCode, Message: msg}
}

// id checks an object ID or name for a path segment.
func id(kind, s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", fmt.Errorf("invalid %s name or ID: value is empty", kind)
	}
	return s, nil
}

func withFilters(q url.Values, f filters.Args) (url.Values, error) {
	if f.Len() == 0 {
		return q, nil
	}
	s, err := filters.ToJSON(f)
	if err != nil {
		return nil, err
	}
	q.Set("filters", s)
	return q, nil
}

// ContainerList is GET /containers/json.
func (e *Engine) ContainerList(ctx context.Context, o container.ListOptions) ([]container.Summary, error) {
	q := url.Values{}
	if o.All {
		q.Set("all", "1")
	}
	if o.Limit > 0 {
		q.Set("limit", strconv.Itoa(o.Limit))
	}
	if o.Since != "" {
		q.Set("since", o.Since)
	}
	if o.Before != "" {
		q.Set("before", o.Before)
	}
	if o.Size {
		q.Set("size", "1")
	}
	q, err := withFilters(q, o.Filters)
	if err != nil {
		return nil, err
	}
	var out []container.Summary
	return out, e.call(ctx, http.MethodGet, "/containers/json", q, nil, &out)
}

// ContainerInspect is GET /containers/{id}/json.
func (e *Engine) ContainerInspect(ctx context.Context, c string) (container.InspectResponse, error) {
	var out container.InspectResponse
	c, err := id("container", c)
	if err != nil {
		return out, err
	}
	return out, e.call(ctx, http.MethodGet, "/containers/"+c+"/json", nil, nil, &out)
}

// ContainerCreate is POST /containers/create.
func (e *Engine) ContainerCreate(ctx context.Context, config *container.Config, hostConfig *container.HostConfig, networkingConfig *network.NetworkingConfig, platform *ocispec.Platform, name string) (container.CreateResponse, error) {
	var out container.CreateResponse
	v, err := e.apiVersion(ctx)
	if err != nil {
		return out, err
	}
	if platform != nil && versions.LessThan(v, "1.41") {
		return out, fmt.Errorf("specifying a container platform requires API 1.41, the engine has %s", v)
	}
	if hostConfig != nil {
		// The version-specific adjustments the docker client makes.
		if versions.GreaterThanOrEqualTo(v, "1.42") || versions.LessThan(v, "1.40") {
			hostConfig.KernelMemory = 0 //nolint:staticcheck // deprecated, still sent to API < 1.42
		}
		if platform != nil && platform.OS == "linux" && versions.LessThan(v, "1.42") {
			hostConfig.ConsoleSize = [2]uint{0, 0}
		}
		hostConfig.CapAdd = normalizeCaps(hostConfig.CapAdd)
		hostConfig.CapDrop = normalizeCaps(hostConfig.CapDrop)
	}
	if config != nil && versions.GreaterThanOrEqualTo(v, "1.44") {
		config.MacAddress = "" //nolint:staticcheck // deprecated since API 1.44
	}
	q := url.Values{}
	if platform != nil && platform.OS != "" {
		p := strings.ToLower(platform.OS)
		if platform.Architecture != "" {
			p += "/" + strings.ToLower(platform.Architecture)
			if platform.Variant != "" {
				p += "/" + strings.ToLower(platform.Variant)
			}
		}
		q.Set("platform", p)
	}
	if name != "" {
		q.Set("name", name)
	}
	body := container.CreateRequest{Config: config, HostConfig: hostConfig, NetworkingConfig: networkingConfig}
	return out, e.call(ctx, http.MethodPost, "/containers/create", q, body, &out)
}

func normalizeCaps(caps []string) []string {
	if caps == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, c := range caps {
		c = strings.ToUpper(c)
		if c != "ALL" && !strings.HasPrefix(c, "CAP_") {
			c = "CAP_" + c
		}
		if !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out
}

// ContainerStart is POST /containers/{id}/start.
func (e *Engine) ContainerStart(ctx context.Context, c string, o container.StartOptions) error {
	c, err := id("container", c)
	if err != nil {
		return err
	}
	q := url.Values{}
	if o.CheckpointID != "" {
		q.Set("checkpoint", o.CheckpointID)
	}
	if o.CheckpointDir != "" {
		q.Set("checkpoint-dir", o.CheckpointDir)
	}
	return e.call(ctx, http.MethodPost, "/containers/"+c+"/start", q, nil, nil)
}

// ContainerStop is POST /containers/{id}/stop.
func (e *Engine) ContainerStop(ctx context.Context, c string, o container.StopOptions) error {
	c, err := id("container", c)
	if err != nil {
		return err
	}
	q := url.Values{}
	if o.Timeout != nil {
		q.Set("t", strconv.Itoa(*o.Timeout))
	}
	if o.Signal != "" {
		v, err := e.apiVersion(ctx)
		if err != nil {
			return err
		}
		if versions.GreaterThanOrEqualTo(v, "1.42") {
			q.Set("signal", o.Signal)
		}
	}
	return e.call(ctx, http.MethodPost, "/containers/"+c+"/stop", q, nil, nil)
}

// ContainerRemove is DELETE /containers/{id}.
func (e *Engine) ContainerRemove(ctx context.Context, c string, o container.RemoveOptions) error {
	c, err := id("container", c)
	if err != nil {
		return err
	}
	q := url.Values{}
	if o.RemoveVolumes {
		q.Set("v", "1")
	}
	if o.RemoveLinks {
		q.Set("link", "1")
	}
	if o.Force {
		q.Set("force", "1")
	}
	return e.call(ctx, http.MethodDelete, "/containers/"+c, q, nil, nil)
}

// ContainerRename is POST /containers/{id}/rename?name=.
func (e *Engine) ContainerRename(ctx context.Context, c, newName string) error {
	c, err := id("container", c)
	if err != nil {
		return err
	}
	return e.call(ctx, http.MethodPost, "/containers/"+c+"/rename", url.Values{"name": {newName}}, nil, nil)
}

// ContainerLogs is GET /containers/{id}/logs; the caller reads (and, for a
// container without a TTY, demultiplexes) and closes the stream.
func (e *Engine) ContainerLogs(ctx context.Context, c string, o container.LogsOptions) (io.ReadCloser, error) {
	c, err := id("container", c)
	if err != nil {
		return nil, err
	}
	q := url.Values{}
	if o.ShowStdout {
		q.Set("stdout", "1")
	}
	if o.ShowStderr {
		q.Set("stderr", "1")
	}
	if o.Since != "" {
		ts, err := logTime(o.Since)
		if err != nil {
			return nil, fmt.Errorf(`invalid value for "since": %w`, err)
		}
		q.Set("since", ts)
	}
	if o.Until != "" {
		ts, err := logTime(o.Until)
		if err != nil {
			return nil, fmt.Errorf(`invalid value for "until": %w`, err)
		}
		q.Set("until", ts)
	}
	if o.Timestamps {
		q.Set("timestamps", "1")
	}
	if o.Details {
		q.Set("details", "1")
	}
	if o.Follow {
		q.Set("follow", "1")
	}
	if o.Tail != "" {
		q.Set("tail", o.Tail)
	}
	resp, err := e.do(ctx, http.MethodGet, "/containers/"+c+"/logs", q, nil, nil)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// logTime turns a since/until value (Unix seconds, a Go duration before
// now, or an RFC 3339 time) into the Unix timestamp the API takes.
func logTime(s string) (string, error) {
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return s, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		t := time.Now().Add(-d)
		return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()), nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()), nil
}

// NetworkList is GET /networks.
func (e *Engine) NetworkList(ctx context.Context, o network.ListOptions) ([]network.Summary, error) {
	q, err := withFilters(url.Values{}, o.Filters)
	if err != nil {
		return nil, err
	}
	var out []network.Summary
	return out, e.call(ctx, http.MethodGet, "/networks", q, nil, &out)
}

// NetworkCreate is POST /networks/create.
func (e *Engine) NetworkCreate(ctx context.Context, name string, o network.CreateOptions) (network.CreateResponse, error) {
	var out network.CreateResponse
	v, err := e.apiVersion(ctx)
	if err != nil {
		return out, err
	}
	body := network.CreateRequest{CreateOptions: o, Name: name}
	if versions.LessThan(v, "1.44") {
		yes := true
		body.CheckDuplicate = &yes //nolint:staticcheck // deprecated since API 1.44, needed before
	}
	return out, e.call(ctx, http.MethodPost, "/networks/create", nil, body, &out)
}

// NetworkConnect is POST /networks/{id}/connect.
func (e *Engine) NetworkConnect(ctx context.Context, n, c string, config *network.EndpointSettings) error {
	n, err := id("network", n)
	if err != nil {
		return err
	}
	if c, err = id("container", c); err != nil {
		return err
	}
	body := network.ConnectOptions{Container: c, EndpointConfig: config}
	return e.call(ctx, http.MethodPost, "/networks/"+n+"/connect", nil, body, nil)
}

// NetworkDisconnect is POST /networks/{id}/disconnect.
func (e *Engine) NetworkDisconnect(ctx context.Context, n, c string, force bool) error {
	n, err := id("network", n)
	if err != nil {
		return err
	}
	if c, err = id("container", c); err != nil {
		return err
	}
	body := network.DisconnectOptions{Container: c, Force: force}
	return e.call(ctx, http.MethodPost, "/networks/"+n+"/disconnect", nil, body, nil)
}

// NetworkRemove is DELETE /networks/{id}.
func (e *Engine) NetworkRemove(ctx context.Context, n string) error {
	n, err := id("network", n)
	if err != nil {
		return err
	}
	return e.call(ctx, http.MethodDelete, "/networks/"+n, nil, nil, nil)
}

// VolumeList is GET /volumes.
func (e *Engine) VolumeList(ctx context.Context, o volume.ListOptions) (volume.ListResponse, error) {
	var out volume.ListResponse
	q, err := withFilters(url.Values{}, o.Filters)
	if err != nil {
		return out, err
	}
	return out, e.call(ctx, http.MethodGet, "/volumes", q, nil, &out)
}

// VolumeCreate is POST /volumes/create.
func (e *Engine) VolumeCreate(ctx context.Context, o volume.CreateOptions) (volume.Volume, error) {
	var out volume.Volume
	return out, e.call(ctx, http.MethodPost, "/volumes/create", nil, o, &out)
}

// VolumeRemove is DELETE /volumes/{name}.
func (e *Engine) VolumeRemove(ctx context.Context, name string, force bool) error {
	name, err := id("volume", name)
	if err != nil {
		return err
	}
	q := url.Values{}
	if force {
		q.Set("force", "1")
	}
	return e.call(ctx, http.MethodDelete, "/volumes/"+name, q, nil, nil)
}

// ImageInspect is GET /images/{name}/json.
func (e *Engine) ImageInspect(ctx context.Context, ref string) (image.InspectResponse, error) {
	var out image.InspectResponse
	ref, err := id("image", ref)
	if err != nil {
		return out, err
	}
	return out, e.call(ctx, http.MethodGet, "/images/"+ref+"/json", nil, nil, &out)
}

// ImagePull is POST /images/create?fromImage=&tag=; the caller reads the
// JSON progress stream to the end and closes it.
func (e *Engine) ImagePull(ctx context.Context, ref string, o image.PullOptions) (io.ReadCloser, error) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return nil, err
	}
	q := url.Values{"fromImage": {named.Name()}}
	if !o.All {
		// Without a tag the engine pulls every tag: default to latest.
		tag := ""
		if d, ok := named.(reference.Digested); ok {
			tag = d.Digest().String()
		} else if t, ok := reference.TagNameOnly(named).(reference.Tagged); ok {
			tag = t.Tag()
		}
		q.Set("tag", tag)
	}
	if o.Platform != "" {
		q.Set("platform", strings.ToLower(o.Platform))
	}
	h := http.Header{}
	if o.RegistryAuth != "" {
		h.Set("X-Registry-Auth", o.RegistryAuth)
	}
	resp, err := e.do(ctx, http.MethodPost, "/images/create", q, nil, h)
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// ImageBuild is POST /build with a tar build context; the caller reads the
// JSON progress stream from Body and closes it.
func (e *Engine) ImageBuild(ctx context.Context, buildContext io.Reader, o build.ImageBuildOptions) (build.ImageBuildResponse, error) {
	q := url.Values{}
	if len(o.Tags) > 0 {
		q["t"] = o.Tags
	}
	if len(o.SecurityOpt) > 0 {
		q["securityopt"] = o.SecurityOpt
	}
	if len(o.ExtraHosts) > 0 {
		q["extrahosts"] = o.ExtraHosts
	}
	set := func(k string, on bool, v string) {
		if on {
			q.Set(k, v)
		}
	}
	set("q", o.SuppressOutput, "1")
	set("remote", o.RemoteContext != "", o.RemoteContext)
	set("nocache", o.NoCache, "1")
	set("rm", !o.Remove, "0") // the engine removes intermediate containers by default
	set("forcerm", o.ForceRemove, "1")
	set("pull", o.PullParent, "1")
	set("squash", o.Squash, "1")
	set("isolation", o.Isolation != "" && o.Isolation != "default", string(o.Isolation))
	set("cpusetcpus", o.CPUSetCPUs != "", o.CPUSetCPUs)
	set("networkmode", o.NetworkMode != "" && o.NetworkMode != network.NetworkDefault, o.NetworkMode)
	set("cpusetmems", o.CPUSetMems != "", o.CPUSetMems)
	set("cpushares", o.CPUShares != 0, strconv.FormatInt(o.CPUShares, 10))
	set("cpuquota", o.CPUQuota != 0, strconv.FormatInt(o.CPUQuota, 10))
	set("cpuperiod", o.CPUPeriod != 0, strconv.FormatInt(o.CPUPeriod, 10))
	set("memory", o.Memory != 0, strconv.FormatInt(o.Memory, 10))
	set("memswap", o.MemorySwap != 0, strconv.FormatInt(o.MemorySwap, 10))
	set("cgroupparent", o.CgroupParent != "", o.CgroupParent)
	set("shmsize", o.ShmSize != 0, strconv.FormatInt(o.ShmSize, 10))
	set("dockerfile", o.Dockerfile != "", o.Dockerfile)
	set("target", o.Target != "", o.Target)
	set("session", o.SessionID != "", o.SessionID)
	set("platform", o.Platform != "", strings.ToLower(o.Platform))
	set("buildid", o.BuildID != "", o.BuildID)
	set("version", o.Version != "", string(o.Version))
	for k, v := range map[string]any{"ulimits": o.Ulimits, "buildargs": o.BuildArgs, "labels": o.Labels, "cachefrom": o.CacheFrom, "outputs": o.Outputs} {
		if !nonEmpty(v) {
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return build.ImageBuildResponse{}, err
		}
		q.Set(k, string(b))
	}
	h := http.Header{"Content-Type": {"application/x-tar"}}
	if len(o.AuthConfigs) > 0 {
		b, err := json.Marshal(o.AuthConfigs)
		if err != nil {
			return build.ImageBuildResponse{}, err
		}
		h.Set("X-Registry-Config", base64.URLEncoding.EncodeToString(b))
	}
	resp, err := e.do(ctx, http.MethodPost, "/build", q, buildContext, h)
	if err != nil {
		return build.ImageBuildResponse{}, err
	}
	return build.ImageBuildResponse{Body: resp.Body, OSType: resp.Header.Get("Ostype")}, nil
}

func nonEmpty(v any) bool {
	switch x := v.(type) {
	case []*container.Ulimit:
		return len(x) > 0
	case map[string]*string:
		return len(x) > 0
	case map[string]string:
		return len(x) > 0
	case []string:
		return len(x) > 0
	case []build.ImageBuildOutput:
		return x != nil
	}
	return v != nil
}
