package load

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/template"
	"github.com/sirupsen/logrus"
)

// Errors is a list of positioned problems, reported together: a user fixes
// every one of them in one round instead of one per run.
type Errors []*Error

func (e Errors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n")
}

// asErrors flattens err into positioned errors; an error without a position
// keeps an empty one and prints as its message alone.
func asErrors(err error) Errors {
	var list Errors
	if errors.As(err, &list) {
		return list
	}
	var one *Error
	if errors.As(err, &one) {
		return Errors{one}
	}
	return Errors{{Msg: err.Error(), Err: err}}
}

// logMu serialises loads that capture compose-go's warnings: compose-go logs
// through logrus' process-wide logger, so two loads at once would mix them.
var logMu sync.Mutex

// captureWarnings runs fn with compose-go's logrus output redirected into a
// slice, so that the caller decides how and where warnings are printed.
func captureWarnings(fn func() error) ([]string, error) {
	logMu.Lock()
	defer logMu.Unlock()
	std := logrus.StandardLogger()
	out, hooks, level := std.Out, std.ReplaceHooks(logrus.LevelHooks{}), std.GetLevel()
	c := &collector{}
	std.SetOutput(io.Discard)
	std.SetLevel(logrus.WarnLevel)
	std.AddHook(c)
	defer func() {
		std.SetOutput(out)
		std.ReplaceHooks(hooks)
		std.SetLevel(level)
	}()
	err := callSafely(fn)
	return c.msgs, err
}

// callSafely runs fn and turns a panic into an error. berth runs compose-go
// with its JSON Schema pass off and checks the schema itself, side by side;
// compose-go assumes a schema-valid model and can panic on one that is not
// (a network that is a string, say). The schema violations then explain the
// failure, and berth never crashes on input.
func callSafely(fn func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the compose file could not be loaded (compose-go: %v)", r)
		}
	}()
	return fn()
}

type collector struct{ msgs []string }

func (c *collector) Levels() []logrus.Level { return []logrus.Level{logrus.WarnLevel} }
func (c *collector) Fire(e *logrus.Entry) error {
	c.msgs = append(c.msgs, e.Message)
	return nil
}

var (
	reUnsetVar = regexp.MustCompile(`^The "([^"]+)" variable is not set\. Defaulting to a blank string\.$`)
	// compose-go logs the obsolete-version warning (a log line, no error
	// value to test) while it validates.
	reObsoleteVersion = regexp.MustCompile("^.*: the attribute `version` is obsolete, it will be ignored")
)

// reportWarnings hands each warning compose-go logged to opts.Warn, with a
// position. An unset variable is warned once per use, as Compose does, each
// at the place where it is used.
func (s *session) reportWarnings() {
	if s.opts.Warn == nil {
		return
	}
	for _, w := range s.positionWarnings() {
		s.opts.Warn(w)
	}
}

func (s *session) positionWarnings() []Warning {
	var out []Warning
	seen := map[string]int{}
	for _, msg := range s.warnings {
		if reObsoleteVersion.MatchString(msg) {
			continue // compose-go's own, without a position: versionWarnings gives it one
		}
		w := Warning{Msg: msg}
		if m := reUnsetVar.FindStringSubmatch(msg); m != nil {
			w.Kind = WarnUnsetVariable
			uses := s.variableUses(m[1])
			if n := seen[m[1]]; n < len(uses) {
				w.Pos = uses[n]
			}
			seen[m[1]]++
		}
		out = append(out, w)
	}
	return append(out, s.versionWarnings()...)
}

// versionWarnings gives compose-go's warning about the obsolete top-level
// `version` key the key's position, once per file. compose-go logs it while
// validating, which a Lenient load skips, so berth words it itself.
func (s *session) versionWarnings() []Warning {
	var out []Warning
	for _, f := range s.files {
		if pos, ok := s.sources.KeyIn(f.Name, "version"); ok {
			abs, _ := filepath.Abs(f.Name)
			out = append(out, Warning{Pos: pos, Kind: WarnObsoleteVersion, Msg: fmt.Sprintf(
				"%s: the attribute `version` is obsolete, it will be ignored, please remove it to avoid potential confusion", abs)})
		}
	}
	return out
}

// variableUses finds where a variable is referenced in the files read, in
// file order, as `$NAME` or `${NAME...}`.
func (s *session) variableUses(name string) []Position {
	var out []Position
	re := regexp.MustCompile(`\$(\{` + regexp.QuoteMeta(name) + `[}:?+\-]|` + regexp.QuoteMeta(name) + `\b)`)
	for _, f := range s.files {
		for _, loc := range re.FindAllIndex(f.Src, -1) {
			if loc[0] > 0 && f.Src[loc[0]-1] == '$' {
				continue // $$ is an escaped dollar, not a reference
			}
			out = append(out, f.PositionAt(loc[0]))
		}
	}
	return out
}

// Patterns of compose-go's error messages, each with the model path (or the
// value) that locates the problem in the files. compose-go reports most
// semantic errors without a position; these give them one.
var explainers = []struct {
	re   *regexp.Regexp
	find func(s *session, m []string) (Position, bool)
}{
	{regexp.MustCompile(`service "([^"]+)" refers to undefined (network|volume|secret|config|model|build secret) "?([^":]+)"?`),
		func(s *session, m []string) (Position, bool) {
			key := map[string]string{"network": "networks", "volume": "volumes", "secret": "secrets",
				"config": "configs", "model": "models", "build secret": "build"}[m[2]]
			return s.findIn(PathOf("services", m[1], key), m[3])
		}},
	{regexp.MustCompile(`service "([^"]+)" depends on undefined service "([^"]+)"`),
		func(s *session, m []string) (Position, bool) {
			// volumes_from, links and service: modes name dependencies too.
			svc := PathOf("services", m[1])
			if pos, ok := s.sources.FindValue(svc+".volumes_from", m[2]); ok {
				return pos, true
			}
			if pos, ok := s.sources.FindValue(svc+".links", m[2]); ok {
				return pos, true
			}
			for _, key := range []string{"ipc", "pid", "network_mode"} {
				if raw, ok := s.sources.Raw(svc + "." + key); ok && raw == "service:"+m[2] {
					return s.sources.Value(svc + "." + key)
				}
			}
			return s.findIn(svc+".depends_on", m[2])
		}},
	{regexp.MustCompile(`services\.([^:]+): can't set distinct values on '([^']+)' and '([^']+)'`),
		func(s *session, m []string) (Position, bool) {
			return s.sources.Lookup(PathOf("services", m[1], m[2]))
		}},
	{regexp.MustCompile(`services\.([^:]+)\.develop\.watch: target is required`),
		func(s *session, m []string) (Position, bool) {
			return s.sources.Lookup(PathOf("services", m[1], "develop", "watch"))
		}},
	{regexp.MustCompile(`service "([^"]+)" declares (?:unknown|non-buildable) service "([^"]+)" as additional contexts (\S+)`),
		func(s *session, m []string) (Position, bool) {
			contexts := PathOf("services", m[1], "build", "additional_contexts")
			if pos, ok := s.sources.Value(contexts + "." + m[3]); ok {
				return pos, true
			}
			return s.findContaining(contexts, "service:"+m[2])
		}},
	{regexp.MustCompile(`service\.build\.platforms MUST include service\.platform "([^"]+)"`),
		func(s *session, m []string) (Position, bool) {
			return s.keyWithValue("platform", m[1])
		}},
	{regexp.MustCompile(`can't set container_name and (\S+) as container name must be unique`),
		func(s *session, m []string) (Position, bool) {
			return s.keyWithValue("container_name", m[1])
		}},
	{regexp.MustCompile(`dependency cycle detected: ([^ ]+) -> ([^ ]+)`),
		func(s *session, m []string) (Position, bool) {
			return s.findIn(PathOf("services", m[1], "depends_on"), m[2])
		}},
	{regexp.MustCompile(`service "?([^" ]+)"? declares mutually exclusive .network_mode. and .networks.`),
		func(s *session, m []string) (Position, bool) {
			return s.sources.Lookup(PathOf("services", m[1], "network_mode"))
		}},
	{regexp.MustCompile(`service "([^"]+)" has neither an image nor a build context`),
		func(s *session, m []string) (Position, bool) {
			return s.sources.Lookup(PathOf("services", m[1]))
		}},
	{regexp.MustCompile(`service "([^"]+)" not found for network_mode 'service:([^']+)'`),
		func(s *session, m []string) (Position, bool) {
			return s.findIn("services", "service:"+m[2])
		}},
	{regexp.MustCompile(`services\.([^:]+): container name "([^"]+)" is already in use`),
		func(s *session, m []string) (Position, bool) {
			return s.sources.Lookup(PathOf("services", m[1], "container_name"))
		}},
	{regexp.MustCompile(`cannot extend service "([^"]+)"`),
		func(s *session, m []string) (Position, bool) {
			return s.sources.Lookup(PathOf("services", m[1], "extends"))
		}},
	{regexp.MustCompile(`env file (\S+) not found`),
		func(s *session, m []string) (Position, bool) {
			return s.findContaining("services", filepath.Base(m[1]))
		}},
	{regexp.MustCompile(`error while interpolating ([^:]+):`),
		func(s *session, m []string) (Position, bool) {
			return s.sources.Lookup(dottedToPath(m[1]))
		}},
	{regexp.MustCompile(`invalid spec: ([^ ]*): `),
		func(s *session, m []string) (Position, bool) {
			for _, part := range strings.Split(m[1], ":") {
				if part != "" {
					return s.findContaining("services", part)
				}
			}
			return Position{}, false
		}},
	{regexp.MustCompile(`^(configs|secrets)\.([^:]+): one of \S+ must be set`),
		func(s *session, m []string) (Position, bool) {
			return s.sources.Key(PathOf(m[1], m[2]))
		}},
	{regexp.MustCompile(`invalid mount config for type "([^"]+)": field Source must not be empty`),
		func(s *session, m []string) (Position, bool) {
			// The message names no service: the first mount of that type
			// written without a source.
			for _, p := range s.sources.Paths() {
				mount, ok := strings.CutSuffix(p, ".type")
				if !ok || !strings.HasPrefix(p, "services.") || !strings.Contains(mount, ".volumes[") {
					continue
				}
				if raw, _ := s.sources.Raw(p); raw != m[1] {
					continue
				}
				if _, has := s.sources.Value(mount + ".source"); !has {
					return s.sources.Lookup(mount)
				}
			}
			return Position{}, false
		}},
	{regexp.MustCompile(`service ports services\.(.+)\.ports\.\[(\d+)\] is missing a target port`),
		func(s *session, m []string) (Position, bool) {
			i, _ := strconv.Atoi(m[2])
			return s.sources.Lookup(PathOf("services", m[1], "ports", i))
		}},
	{regexp.MustCompile(`secret "([^"]+)" must declare either`),
		func(s *session, m []string) (Position, bool) {
			return s.sources.Lookup(PathOf("secrets", m[1]))
		}},
}

// explain gives a compose-go error the position of what caused it.
func (s *session) explain(err error) error {
	var positioned *Error
	if errors.As(err, &positioned) {
		return err
	}
	var list Errors
	if errors.As(err, &list) {
		return err
	}
	if extra := s.validateExtra(); len(extra) > 0 {
		return extra
	}
	var missing *template.MissingRequiredError
	if errors.As(err, &missing) {
		if uses := s.variableUses(missing.Variable); len(uses) > 0 {
			return &Error{Pos: uses[0], Msg: missing.Error(), Err: err}
		}
	}
	msg := err.Error()
	for _, e := range explainers {
		if m := e.re.FindStringSubmatch(msg); m != nil {
			if pos, ok := e.find(s, m); ok {
				return &Error{Pos: pos, Msg: strings.TrimSuffix(msg, ": invalid compose project"), Err: err}
			}
		}
	}
	if len(s.files) > 0 {
		// Still say which file: the first main file is where the project starts.
		return &Error{Pos: Position{File: s.files[0].Name}, Msg: msg, Err: err}
	}
	return err
}

// findIn returns the position of the first scalar under prefix whose value
// is value or starts with value followed by ':' (volume and port specs).
func (s *session) findIn(prefix, value string) (Position, bool) {
	if pos, ok := s.sources.FindValue(prefix, value); ok {
		return pos, true
	}
	if pos, ok := s.sources.Lookup(prefix); ok {
		return pos, true
	}
	return Position{}, false
}

// keyWithValue returns the position of the first service's key whose
// value is value, for messages that name a value but not its service.
func (s *session) keyWithValue(key, value string) (Position, bool) {
	for _, p := range s.sources.Paths() {
		if !strings.HasPrefix(p, "services.") || !strings.HasSuffix(p, "."+key) || strings.Count(p, ".") != 2 {
			continue
		}
		if raw, ok := s.sources.Raw(p); ok && raw == value {
			return s.sources.Value(p)
		}
	}
	return Position{}, false
}

// findContaining returns the position of the first scalar under prefix whose
// text, as written, contains sub: the spec in an error message is the
// interpolated value (":/media/"), the file holds "${MEDIA}:/media/".
func (s *session) findContaining(prefix, sub string) (Position, bool) {
	for _, p := range s.sources.Paths() {
		if p != prefix && !strings.HasPrefix(p, prefix+".") && !strings.HasPrefix(p, prefix+"[") {
			continue
		}
		if raw, ok := s.sources.Raw(p); ok && strings.Contains(raw, sub) {
			if pos, ok := s.sources.Value(p); ok {
				return pos, true
			}
		}
	}
	return s.findIn(prefix, sub)
}

// dottedToPath turns compose-go's tree paths (services.web.ports.[]) into
// berth paths; an unknown index is dropped so the lookup falls back to the
// enclosing key.
func dottedToPath(p string) string {
	var segs []any
	for _, seg := range strings.Split(p, ".") {
		if seg == "[]" {
			break
		}
		segs = append(segs, seg)
	}
	return PathOf(segs...)
}

// validateExtra validates the files compose-go read on its own (include,
// extends file:), which berth did not see before the load.
func (s *session) validateExtra() Errors {
	var problems Errors
	for _, path := range s.extra {
		f, err := readFile(path)
		if err != nil {
			problems = append(problems, asErrors(err)...)
			continue
		}
		s.sources.AddFile(f)
		problems = append(problems, violationErrors(s.validate(f))...)
	}
	return problems
}
