package main

import (
	"context"

	"github.com/spf13/pflag"

	"github.com/berth-compose/berth/apply"
)

// registerEngineFlags adds the root flags that pick the Docker engine, as
// docker's own: --context/-c names a Docker context.
func (a *app) registerEngineFlags(f *pflag.FlagSet) {
	f.StringVarP(&a.dockerContext, "context", "c", "", `Docker context to use (overrides DOCKER_HOST, DOCKER_CONTEXT and the context set with "docker context use")`)
}

// engine connects to the Docker engine as docker would from berth's
// environment: --context, DOCKER_HOST, DOCKER_CONTEXT, config.json, with
// the registry credentials docker login stored. The caller closes it.
func (a *app) engine(ctx context.Context) (*apply.Engine, error) {
	return apply.ConnectEngine(ctx, apply.ConnectOptions{Context: a.dockerContext, Env: a.Env})
}
