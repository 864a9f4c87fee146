// Package projectflags holds Docker Compose's project flags (-f, -p,
// --project-directory, --env-file, --profile), shared by berth and the
// programs it runs, so that every one of them loads a project the same way.
package projectflags

import (
	"github.com/spf13/pflag"

	"github.com/berth-compose/berth/load"
)

// Flags are Docker Compose's global flags with the same names and meanings.
type Flags struct {
	Files    []string
	Name     string
	Dir      string
	EnvFiles []string
	Profiles []string
}

// Register adds the flags to fs.
func (f *Flags) Register(fs *pflag.FlagSet) {
	fs.StringArrayVarP(&f.Files, "file", "f", nil, "Compose configuration files (repeatable; default: COMPOSE_FILE or compose.yaml found upward)")
	fs.StringVarP(&f.Name, "project-name", "p", "", "Project name (default: COMPOSE_PROJECT_NAME, the name: key, or the directory name)")
	fs.StringVar(&f.Dir, "project-directory", "", "Alternate working directory (default: the directory of the first file)")
	fs.StringArrayVar(&f.EnvFiles, "env-file", nil, "Environment files for interpolation (repeatable; default: .env)")
	fs.StringArrayVar(&f.Profiles, "profile", nil, "Profiles to enable (repeatable; default: COMPOSE_PROFILES)")
}

// LoadOptions turns the flags into load options; env is the process
// environment (KEY=VALUE).
func (f *Flags) LoadOptions(env []string) load.Options {
	return load.Options{
		Files:       f.Files,
		ProjectName: f.Name,
		ProjectDir:  f.Dir,
		EnvFiles:    f.EnvFiles,
		Profiles:    f.Profiles,
		Env:         env,
	}
}
