package apply

import "github.com/berth-compose/berth/load"

// LoadOptions returns lo set up to load a project the way `docker compose up`
// does: the environment left unresolved and env_file kept, for Prepare to
// merge. plan, apply and every test of the hashes apply writes load through
// it, so they cannot drift apart.
func LoadOptions(lo load.Options) load.Options {
	lo.NoEnvResolution = true
	lo.KeepEnvFile = true
	return lo
}
