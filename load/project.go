// Package load turns compose files into a compose-go project plus a source
// map, the way Docker Compose loads them, and turns every failure on the way
// into an error with a file:line:col position.
package load

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/schema/rules"
	"github.com/berth-compose/berth/schema/spec"
)

// Options are the inputs Docker Compose takes on its command line and from
// its environment. The zero value loads like `docker compose config` with no
// flags, except that Env is empty: callers pass os.Environ() explicitly so
// that tests control every variable.
type Options struct {
	Files       []string // -f, in order; empty means COMPOSE_FILE or default discovery
	ProjectName string   // -p
	ProjectDir  string   // --project-directory
	EnvFiles    []string // --env-file, repeatable
	Profiles    []string // --profile; empty means COMPOSE_PROFILES
	Env         []string // KEY=VALUE, the process environment
	Services    []string // services named on the command line

	NoInterpolate    bool // --no-interpolate
	NoNormalize      bool // --no-normalize
	NoPathResolution bool // --no-path-resolution
	NoEnvResolution  bool // --no-env-resolution: keep env_file, do not inline it
	NoConsistency    bool // --no-consistency
	KeepEnvFile      bool // keep env_file after resolving it (config drops it)
	AllResources     bool // keep networks/volumes no selected service uses
	SkipSchema       bool // do not validate against the compose-spec schema

	// Lenient keeps loading when files violate the schema: the violations
	// come back in Project.Violations instead of failing the load (lint
	// reports them next to its own findings). A file that cannot be parsed
	// still fails.
	Lenient bool

	// Warn receives each warning as Compose would log it (unset variables,
	// obsolete keys), also when the load then fails; nil drops them.
	Warn func(Warning)
}

// Project is a loaded compose project with everything needed to point back
// into the files it came from.
type Project struct {
	*types.Project
	Files   []*File    // every compose file read, main files first
	Sources *SourceMap // model path -> position, later files win

	// Violations are the schema problems of a Lenient load.
	Violations []rules.Violation
}

// Warning is something Compose would log while loading.
type Warning struct {
	Pos  Position // zero when the warning has no place in a file
	Msg  string
	Kind WarningKind
}

// WarningKind says what a Warning is about, so that a caller that reports
// some warnings its own way (lint has findings for unset variables and the
// obsolete version key) tells them apart without reading the message.
type WarningKind int

const (
	WarnOther           WarningKind = iota // any other warning compose-go logs
	WarnUnsetVariable                      // a variable used in a file is not set
	WarnObsoleteVersion                    // the top-level version key, which Compose ignores
)

func (w Warning) String() string {
	if w.Pos.Line > 0 {
		return fmt.Sprintf("%s: warning: %s", w.Pos, w.Msg)
	}
	return "warning: " + w.Msg
}

// Load reads, validates and loads the project described by opts.
func Load(ctx context.Context, opts Options) (*Project, error) {
	s, err := newSession(opts)
	if err != nil {
		return nil, err
	}
	if err := s.readFiles(); err != nil {
		return nil, err
	}
	read := s.checkAsync()
	var p *types.Project
	s.warnings, err = captureWarnings(func() error {
		var lerr error
		p, lerr = s.po.LoadProject(ctx)
		return lerr
	})
	if rerr := <-read; rerr != nil {
		return nil, rerr
	}
	s.reportWarnings()
	if err != nil {
		return nil, s.failure(err)
	}
	p, err = postProcess(p, opts)
	if err != nil {
		return nil, s.explain(err)
	}
	return &Project{Project: p, Files: s.files, Sources: s.sources, Violations: s.violations}, nil
}

// Model loads the merged raw model, before normalization, the way Compose
// does for `config --no-interpolate` and `--variables`.
func Model(ctx context.Context, opts Options) (map[string]any, error) {
	s, err := newSession(opts)
	if err != nil {
		return nil, err
	}
	if err := s.readFiles(); err != nil {
		return nil, err
	}
	read := s.checkAsync()
	var model map[string]any
	s.warnings, err = captureWarnings(func() error {
		var lerr error
		model, lerr = s.po.LoadModel(ctx)
		return lerr
	})
	if rerr := <-read; rerr != nil {
		return nil, rerr
	}
	s.reportWarnings()
	if err != nil {
		return nil, s.failure(err)
	}
	return model, nil
}

// session holds the state of one load: the compose-go options, the files
// read so far and the warnings compose-go logged.
type session struct {
	opts     Options
	po       *cli.ProjectOptions
	files    []*File
	sources  *SourceMap
	warnings []string
	// extra files compose-go reads on its own (include, extends file:)
	extra []string
	// schema violations kept aside by a Lenient load
	violations []rules.Violation
	// parse errors of the files the project includes or extends
	refErrs Errors
	// env is the interpolation environment compose-go resolved (process
	// environment and .env), copied: compose-go may change its own while
	// berth validates beside it.
	env map[string]string
}

func newSession(opts Options) (*session, error) {
	s := &session{opts: opts, sources: NewSourceMap()}
	s.prepareValidator()
	po, err := cli.NewProjectOptions(opts.Files, s.optionFns()...)
	if err != nil {
		return nil, explainOptionError(err)
	}
	s.po = po
	s.env = maps.Clone(po.Environment)
	if len(po.ConfigPaths) == 0 {
		wd, _ := po.GetWorkingDir()
		return nil, fmt.Errorf("no configuration file provided: not found in %s or any parent directory (looked for %s)",
			wd, strings.Join(cli.DefaultFileNames, ", "))
	}
	po.WithListeners(func(event string, meta map[string]any) {
		switch event {
		case "include":
			wd, _ := meta["workingdir"].(string)
			if paths, ok := meta["path"].(types.StringList); ok {
				for _, p := range paths {
					if !filepath.IsAbs(p) {
						p = filepath.Join(wd, p)
					}
					s.extra = append(s.extra, p)
				}
			}
		}
	})
	return s, nil
}

// optionFns mirrors the option order of Docker Compose's project loader
// (cmd/compose/compose.go toProjectOptions and config's own options): the
// order matters, for example COMPOSE_FILE must be read after .env.
func (s *session) optionFns() []cli.ProjectOptionsFn {
	o := s.opts
	fns := []cli.ProjectOptionsFn{
		cli.WithInterpolation(!o.NoInterpolate),
		cli.WithResolvedPaths(!o.NoPathResolution),
		cli.WithNormalization(!o.NoNormalize),
		cli.WithConsistency(!o.NoConsistency),
		cli.WithDefaultProfiles(o.Profiles...),
	}
	if !o.KeepEnvFile {
		fns = append(fns, cli.WithDiscardEnvFile)
	}
	if o.NoEnvResolution {
		fns = append(fns, cli.WithoutEnvironmentResolution)
	}
	// compose-go validates as Docker Compose does, so that berth accepts
	// exactly what Compose accepts; berth's own pass (schema/spec, the same
	// validator) runs only to position every problem once compose-go has
	// refused the project (see failure). A Lenient load keeps going past
	// violations, so compose-go must not stop at them.
	if o.SkipSchema || o.Lenient {
		fns = append(fns, cli.WithLoadOptions(func(lo *loader.Options) { lo.SkipValidation = true }))
	}
	fns = append(fns,
		cli.WithWorkingDirectory(o.ProjectDir),
		cli.WithEnv(o.Env),
	)
	if !hasVar(o.Env, "PWD") {
		if pwd, err := os.Getwd(); err == nil {
			fns = append(fns, cli.WithEnv([]string{"PWD=" + pwd}))
		}
	}
	fns = append(fns,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(o.Profiles...),
		cli.WithName(o.ProjectName),
	)
	return fns
}

func hasVar(env []string, name string) bool {
	return slices.ContainsFunc(env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
}

// postProcess applies what Docker Compose does after compose-go returns
// (pkg/compose/loader.go postProcessProject): enable the services named on
// the command line, select them with their dependencies, and drop the
// networks and volumes nothing uses.
func postProcess(p *types.Project, opts Options) (*types.Project, error) {
	if p.Name == "" {
		return nil, errors.New("project name can't be empty: use -p or a name: key")
	}
	p, err := p.WithServicesEnabled(opts.Services...)
	if err != nil {
		return nil, err
	}
	p, err = p.WithSelectedServices(opts.Services)
	if err != nil {
		return nil, err
	}
	if !opts.AllResources {
		p = p.WithoutUnnecessaryResources()
	}
	return p, nil
}

// prepareValidator starts compiling the JSON Schema this load validates
// with, in its own goroutine, so that the compile overlaps reading the
// environment and parsing the files instead of following them: it is the
// largest single cost of loading a small file (BenchmarkCompileSpec).
func (s *session) prepareValidator() {
	switch {
	case s.opts.SkipSchema:
	case s.opts.Lenient:
		go spec.Prepare()
	default:
		go spec.PrepareCompose()
	}
}

// checkAsync maps and validates the parsed files in their own goroutine,
// beside compose-go's load of the same files (measured: 15-20 ms saved on a
// 788-line file); the channel yields the schema problems. s.sources and
// s.violations belong to that goroutine until then. Parsing itself stays
// before compose-go starts: it is what rejects an alias bomb that
// compose-go's decoder would expand without end.
func (s *session) checkAsync() <-chan error {
	done := make(chan error, 1)
	go func() { done <- s.check() }()
	return done
}

// readFiles reads and parses every main compose file before compose-go does,
// so that unreadable and malformed files are reported with positions, all of
// them, instead of compose-go's first error.
func (s *session) readFiles() error {
	var problems, empty Errors
	for _, path := range s.po.ConfigPaths {
		if path == "-" {
			continue // stdin: compose-go reads it, errors come back unpositioned
		}
		f, err := readFile(path)
		if errors.Is(err, ErrEmptyFile) {
			// compose-go accepts an empty file (an empty override) and fails
			// only when the merged project is empty; remember the error.
			empty = append(empty, asErrors(err)...)
			continue
		}
		if err != nil {
			problems = append(problems, asErrors(err)...)
			continue
		}
		s.files = append(s.files, f)
	}
	if len(s.files) == 0 && len(problems) == 0 {
		problems = empty
	}
	if len(problems) > 0 {
		return problems
	}
	return nil
}

// check builds the source map of the parsed files and, for a Lenient load,
// validates each against the compose-spec schema, keeping every violation of
// every file.
func (s *session) check() error {
	for _, f := range s.files {
		s.sources.AddFile(f)
		if s.opts.Lenient && !s.opts.SkipSchema {
			s.violations = append(s.violations, s.validate(f)...)
		}
	}
	return nil
}

// failure explains why compose-go refused the project: every problem of
// every file of the project, each at its node (schema violations, values
// compose-go cannot decode, references that do not resolve, undefined
// resources), so that none hides another; compose-go's own error, positioned,
// only when berth's checks find nothing (e.g. a file read from stdin).
func (s *session) failure(err error) error {
	vs := slices.Clone(s.violations)
	if !s.opts.SkipSchema && !s.opts.Lenient {
		for _, f := range s.files {
			vs = append(vs, s.validate(f)...)
		}
	}
	vs = s.semantic(vs)
	if len(vs) > 0 {
		sortViolations(vs)
		// A node shared through an alias is reported once, not once per use.
		vs = slices.CompactFunc(vs, func(a, b rules.Violation) bool {
			return a.File == b.File && a.Line == b.Line && a.Col == b.Col && a.Rule.Code == b.Rule.Code
		})
		return append(violationErrors(vs), s.refErrs...)
	}
	if len(s.refErrs) > 0 {
		return s.refErrs
	}
	return s.explain(err)
}

// readFile reads one compose file with errors a user can act on.
func readFile(path string) (*File, error) {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil, &Error{Pos: Position{File: path}, Msg: "no such file"}
	case err != nil:
		return nil, &Error{Pos: Position{File: path}, Msg: "cannot read file", Err: err}
	case info.IsDir():
		return nil, &Error{Pos: Position{File: path}, Msg: "is a directory, not a compose file"}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &Error{Pos: Position{File: path}, Msg: "cannot read file", Err: err}
	}
	return ParseFile(displayName(path), src)
}

// displayName shortens path to one relative to the working directory when
// it lies below it: users read `compose.yaml:3:5`, not an absolute path.
func displayName(path string) string {
	if !filepath.IsAbs(path) {
		return path
	}
	wd, err := os.Getwd()
	if err != nil {
		return path
	}
	rel, err := filepath.Rel(wd, path)
	if err != nil || strings.HasPrefix(rel, "..") {
		return path
	}
	return rel
}

// explainOptionError gives compose-go's option errors (bad -p, missing
// --env-file) the shape of every other berth error.
func explainOptionError(err error) error {
	return fmt.Errorf("invalid options: %w", err)
}
