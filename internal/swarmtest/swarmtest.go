// Package swarmtest gives end-to-end tests a single-node swarm (or, with a
// second engine, a two-node one) on the engine they use and an image to
// run on it, and undoes both: a swarm it
// initialised is left again (with the docker_gwbridge network swarm init
// made), the image is removed. The engine is shared with other tests, so a
// swarm that was active already is used as it is and left alone, and test
// processes of several packages take turns through a lock file.
package swarmtest

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/build"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/swarm"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/internal/jsonstream"
)

// Image is built FROM scratch with testdata/e2e/app; Swarm runs it from the
// local image store of this single node.
const Image = "berth-swarm-app:test"

// Env is a swarm set up for a test process.
type Env struct {
	Engine *apply.Engine
	// Worker is the second node's engine, and Image the name both nodes
	// pull, with SetupTwoNodes.
	Worker       *apply.Engine
	Image        string
	workerNodeID string
	lock         *os.File
	initialized  bool // swarm init ran here: leave at the end
	gwbridge     bool // and it made docker_gwbridge
	builtImage   bool
	pushedImage  string // REGISTRY/NAME:TAG tagged and pushed here
	configDir    string // the Docker config with the registry's login
}

// Setup waits for its turn, connects, makes the engine a swarm manager if
// it is part of no swarm, and builds Image from repoRoot/testdata/e2e/app.
// On error the returned Env (possibly nil) still needs Teardown.
func Setup(ctx context.Context, repoRoot string) (*Env, error) {
	e, err := setup(ctx, repoRoot, "127.0.0.1", os.Environ())
	if err != nil {
		return e, err
	}
	e.Image = Image
	return e, nil
}

// TwoNodes names the second engine and the registry a two-node test uses:
// scripts/swarm-worker.sh starts both and prints these.
type TwoNodes struct {
	Worker      string // the worker engine's DOCKER_HOST
	ManagerAddr string // the address the worker reaches this engine at
	Registry    string // host:port of a registry both engines pull from
	// RegistryAuth is the registry's USER:PASSWORD. Env.Engine reads a
	// Docker config that holds it; the worker has none.
	RegistryAuth string
}

// SetupTwoNodes is Setup for a swarm of two: this engine initialises the
// swarm advertising n.ManagerAddr, the worker joins it, and the test image
// is pushed to n.Registry as Env.Image, so that both nodes pull it. The
// engine must be in no swarm: one that is active already advertises an
// address of its own choosing.
func SetupTwoNodes(ctx context.Context, repoRoot string, n TwoNodes) (*Env, error) {
	configDir, err := os.MkdirTemp("", "berth-swarm-docker-config")
	if err != nil {
		return nil, err
	}
	auth := base64.StdEncoding.EncodeToString([]byte(n.RegistryAuth))
	config := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, n.Registry, auth)
	if err := os.WriteFile(filepath.Join(configDir, "config.json"), []byte(config), 0o600); err != nil {
		os.RemoveAll(configDir)
		return nil, err
	}
	e, err := setup(ctx, repoRoot, n.ManagerAddr, append(os.Environ(), "DOCKER_CONFIG="+configDir))
	e.configDir = configDir
	if err != nil {
		return e, err
	}
	if !e.initialized {
		return e, fmt.Errorf("the two-node test needs an engine in no swarm (it initialises one advertising %s): run \"docker swarm leave --force\" first", n.ManagerAddr)
	}
	w, err := apply.ConnectEngine(ctx, apply.ConnectOptions{Env: []string{"DOCKER_HOST=" + n.Worker}})
	if err != nil {
		return e, fmt.Errorf("the worker engine %s is unreachable: %w", n.Worker, err)
	}
	e.Worker = w
	sw, err := e.Engine.SwarmInspect(ctx)
	if err != nil {
		return e, fmt.Errorf("reading the swarm's join token: %w", err)
	}
	if err := w.SwarmJoin(ctx, swarm.JoinRequest{ListenAddr: "0.0.0.0:2377", RemoteAddrs: []string{n.ManagerAddr + ":2377"}, JoinToken: sw.JoinTokens.Worker}); err != nil {
		return e, fmt.Errorf("joining the worker %s to the swarm: %w", n.Worker, err)
	}
	winfo, err := w.Info(ctx)
	if err != nil {
		return e, fmt.Errorf("reading the worker's node ID: %w", err)
	}
	e.workerNodeID = winfo.Swarm.NodeID
	// The manager sees the new node Ready a moment after the join.
	for {
		node, _, err := e.Engine.NodeInspectWithRaw(ctx, e.workerNodeID)
		if err == nil && node.Status.State == swarm.NodeStateReady {
			break
		}
		select {
		case <-ctx.Done():
			return e, fmt.Errorf("the worker did not become a ready node: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
	e.Image = n.Registry + "/berth-swarm-app:test"
	if err := e.Engine.ImageTag(ctx, Image, e.Image); err != nil {
		return e, fmt.Errorf("tagging %s: %w", e.Image, err)
	}
	e.pushedImage = e.Image
	return e, push(ctx, e.Engine, e.Image)
}

func setup(ctx context.Context, repoRoot, advertise string, environ []string) (*Env, error) {
	e := &Env{}
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "berth-swarm-e2e.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return e, err
	}
	e.lock = lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return e, fmt.Errorf("waiting for the swarm test lock: %w", err)
	}
	d, err := apply.ConnectEngine(ctx, apply.ConnectOptions{Env: environ})
	if err != nil {
		return e, fmt.Errorf("docker is unreachable: %w", err)
	}
	e.Engine = d
	info, err := d.Info(ctx)
	if err != nil {
		return e, fmt.Errorf("docker is unreachable: %w", err)
	}
	if info.Swarm.LocalNodeState == swarm.LocalNodeStateInactive {
		_, err := d.NetworkInspect(ctx, "docker_gwbridge", network.InspectOptions{})
		e.gwbridge = errdefs.IsNotFound(err)
		if _, err := d.SwarmInit(ctx, swarm.InitRequest{ListenAddr: advertise + ":2377", AdvertiseAddr: advertise}); err != nil {
			return e, fmt.Errorf("docker swarm init: %w", err)
		}
		e.initialized = true
	} else if !info.Swarm.ControlAvailable {
		return e, fmt.Errorf("the engine is in a swarm (state %s) but not a manager", info.Swarm.LocalNodeState)
	}
	e.builtImage = true
	return e, buildImage(ctx, d, repoRoot)
}

// push pushes ref to its registry with the Docker config's credential.
func push(ctx context.Context, d *apply.Engine, ref string) error {
	auth, err := d.RegistryAuth(ref)
	if err != nil {
		return err
	}
	if auth == "" {
		auth = "e30=" // the API wants one: base64 of "{}"
	}
	rc, err := d.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
	if err != nil {
		return fmt.Errorf("pushing %s: %w", ref, err)
	}
	defer rc.Close()
	return jsonstream.Err(rc, "docker push "+ref)
}

// Teardown removes the image, leaves a swarm Setup initialised and lets the
// next test process have its turn.
func (e *Env) Teardown(ctx context.Context) error {
	if e == nil {
		return nil
	}
	var errs []error
	if e.Worker != nil {
		if e.workerNodeID != "" {
			if err := e.Worker.SwarmLeave(ctx, true); err != nil {
				errs = append(errs, fmt.Errorf("the worker leaving the swarm: %w", err))
			}
			if err := e.Engine.NodeRemove(ctx, e.workerNodeID, swarm.NodeRemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("removing the worker node: %w", err))
			}
			if e.Image != "" {
				if _, err := e.Worker.ImageRemove(ctx, e.Image, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil && !errdefs.IsNotFound(err) {
					errs = append(errs, fmt.Errorf("removing %s from the worker: %w", e.Image, err))
				}
			}
		}
		e.Worker.Close()
	}
	if e.Engine != nil {
		if e.pushedImage != "" {
			if _, err := e.Engine.ImageRemove(ctx, e.pushedImage, image.RemoveOptions{Force: true}); err != nil && !errdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("removing %s: %w", e.pushedImage, err))
			}
		}
		if e.builtImage {
			if _, err := e.Engine.ImageRemove(ctx, Image, image.RemoveOptions{Force: true, PruneChildren: true}); err != nil && !errdefs.IsNotFound(err) {
				errs = append(errs, fmt.Errorf("removing %s: %w", Image, err))
			}
		}
		if e.initialized {
			if err := e.Engine.SwarmLeave(ctx, true); err != nil {
				errs = append(errs, fmt.Errorf("leaving the swarm the tests initialised: %w", err))
			}
			if e.gwbridge {
				if err := e.Engine.NetworkRemove(ctx, "docker_gwbridge"); err != nil && !errdefs.IsNotFound(err) {
					errs = append(errs, fmt.Errorf("removing the docker_gwbridge network swarm init made: %w", err))
				}
			}
		}
		e.Engine.Close()
	}
	if e.configDir != "" {
		os.RemoveAll(e.configDir)
	}
	if e.lock != nil {
		e.lock.Close() // releases the lock
	}
	return errors.Join(errs...)
}

func buildImage(ctx context.Context, d *apply.Engine, repoRoot string) error {
	dir, err := os.MkdirTemp("", "berth-swarm-e2e")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	bin := filepath.Join(dir, "app")
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./testdata/e2e/app")
	cmd.Dir = repoRoot
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	app, err := os.ReadFile(bin)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		body []byte
	}{
		{"Dockerfile", 0o644, []byte("FROM scratch\nCOPY app /app\nENTRYPOINT [\"/app\"]\n")},
		{"app", 0o755, app},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body)), ModTime: time.Unix(0, 0)}); err != nil {
			return err
		}
		if _, err := tw.Write(f.body); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	resp, err := d.ImageBuild(ctx, &buf, build.ImageBuildOptions{Tags: []string{Image}, Remove: true, ForceRemove: true})
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	return jsonstream.Err(resp.Body, "docker build")
}
