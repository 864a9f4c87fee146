package main

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/internal/cli"
	"github.com/berth-compose/berth/load"
)

// checkRmi validates down --rmi before anything is removed.
func checkRmi(mode string) error {
	switch mode {
	case "", "local", "all":
		return nil
	}
	return cli.UsageError{Err: fmt.Errorf("--rmi must be local or all, not %q", mode)}
}

// downImages lists the images down --rmi removes. The compose files say
// which images the services use when they can be loaded (as with Docker
// Compose); without them the project's containers still tell.
func (a *app) downImages(ctx context.Context, mode string, obs *apply.Observed) ([]string, error) {
	if mode == "" {
		return nil, nil
	}
	var p *types.Project
	lo := a.LoadOptions()
	lo.NoEnvResolution = true
	lo.Lenient = true
	if lp, err := load.Load(ctx, lo); err == nil && lp.Name == obs.Project {
		p = lp.Project
	}
	return apply.DownImages(mode, p, obs)
}

// keptCounter counts the conditional recreates (apply --build, pull_policy
// always) that kept their container because the image did not change, so
// that the summary does not count them as recreated.
type keptCounter struct{ kept atomic.Int64 }

func (k *keptCounter) count(next func(apply.Event)) func(apply.Event) {
	return func(e apply.Event) {
		if e.Status == "Unchanged" {
			k.kept.Add(1)
		}
		if next != nil {
			next(e)
		}
	}
}

func (k *keptCounter) n() int { return int(k.kept.Load()) }
