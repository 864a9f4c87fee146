package main

import (
	"context"
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/apply"
	"github.com/berth-compose/berth/load"
)

// checkRmi validates down --rmi before anything is removed.
func checkRmi(mode string) error {
	switch mode {
	case "", "local", "all":
		return nil
	}
	return usageError{fmt.Errorf("--rmi must be local or all, not %q", mode)}
}

// downImages lists the images down --rmi removes. The compose files say
// which images the services use when they can be loaded (as with Docker
// Compose); without them the project's containers still tell.
func (a *app) downImages(ctx context.Context, mode string, obs *apply.Observed) ([]string, error) {
	if mode == "" {
		return nil, nil
	}
	var p *types.Project
	lo := a.loadOptions()
	lo.NoEnvResolution = true
	lo.Lenient = true
	if lp, err := load.Load(ctx, lo); err == nil && lp.Name == obs.Project {
		p = lp.Project
	}
	return apply.DownImages(mode, p, obs)
}
