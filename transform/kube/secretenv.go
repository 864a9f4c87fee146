package kube

import (
	"cmp"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/berth-compose/berth/internal/sensitive"
)

// secretEnv holds the secret-looking environment values of one service
// (berth's one rule, internal/sensitive: the values a plan masks). They go
// into a Secret named like the env_file ConfigMap, <service>-env, and the
// container refers to them; a Deployment never holds one.
type secretEnv struct {
	env      map[string]string // variable -> value, referenced with secretKeyRef
	file     map[string]string // from env_file, loaded with envFrom
	filePath string            // model path of the first env_file that held one
	moved    []string          // variables of environment, for the notice
}

func (e *secretEnv) set(name, value string) {
	if e.env == nil {
		e.env = map[string]string{}
	}
	e.env[name] = value
}

func (e *secretEnv) fromFile(name, value, path string) {
	if e.file == nil {
		e.file = map[string]string{}
		e.filePath = path
	}
	e.file[name] = value
}

func (b *podBuilder) secretName() string { return join(maxLabel, b.name, "env") }

// secretEnvVar moves the value of an environment variable into the
// service's Secret and returns the variable that refers to it.
func (b *podBuilder) secretEnvVar(name, value string) corev1.EnvVar {
	b.secretEnv.set(name, value)
	b.secretEnv.moved = append(b.secretEnv.moved, name)
	return b.secretRef(name)
}

func (b *podBuilder) secretRef(name string) corev1.EnvVar {
	return corev1.EnvVar{Name: name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
		LocalObjectReference: corev1.LocalObjectReference{Name: b.secretName()},
		Key:                  dataKey(name),
	}}}
}

// emitSecretEnv writes the service's Secret of environment values, loads
// the env_file part with envFrom, and tells which variables moved (by
// name: the values are what must not be shown).
func (c *converter) emitSecretEnv(b *podBuilder) {
	e := b.secretEnv
	if len(e.env) == 0 && len(e.file) == 0 {
		return
	}
	name := b.secretName()
	data := map[string][]byte{}
	// environment wins over env_file, as in Docker Compose.
	for _, m := range []map[string]string{e.file, e.env} {
		for k, v := range m {
			data[dataKey(k)] = []byte(v)
		}
	}
	c.addFor(b.s.Name, "Secret", name, &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: b.selector()},
		Type:       corev1.SecretTypeOpaque,
		Data:       data,
	})
	if len(e.file) > 0 {
		b.ctr.EnvFrom = append(b.ctr.EnvFrom, corev1.EnvFromSource{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}})
		c.notice("env_file (secret)", e.filePath, "moved to Secret %s (envFrom), not the ConfigMap: %s", name, strings.Join(slices.Sorted(maps.Keys(e.file)), ", "))
	}
	if len(e.moved) > 0 {
		c.notice("environment (secret)", svcPath(b.s.Name, "environment"), "moved to Secret %s (secretKeyRef), not the %s: %s", name, b.kind, strings.Join(slices.Sorted(slices.Values(e.moved)), ", "))
	}
}

func (c *converter) notice(key string, path string, format string, args ...any) {
	before := len(c.warns)
	c.warn(key, path, format, args...)
	c.notices = append(c.notices, c.warns[before])
	c.warns = c.warns[:before]
}

// projectSecret is a secret-looking value of some service's environment.
type projectSecret struct{ name, value string }

// projectSecrets are the secret-looking environment values of all the
// services (long enough to be looked for, and not a file path: a path
// says where a secret is, it is not one). A value of another variable
// that holds one of them (DATABASE_URL=mysql://root:PASSWORD@db) is a
// secret too.
func (c *converter) projectSecrets() []projectSecret {
	if c.secretValues != nil {
		return c.secretValues
	}
	c.secretValues = []projectSecret{}
	for _, svc := range slices.Sorted(maps.Keys(c.p.Services)) {
		env := c.p.Services[svc].Environment
		for _, k := range slices.Sorted(maps.Keys(env)) {
			if v := env[k]; v != nil && sensitive.Name(k) && secretWorthy(*v) {
				c.secretValues = append(c.secretValues, projectSecret{k, *v})
			}
		}
	}
	return c.secretValues
}

func secretWorthy(v string) bool {
	return len(v) >= minSecretLen && !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "./")
}

// holdsSecret reports whether v holds a secret value of the project: a URL
// with the password in it, or a user name that is also the password (which
// would show the password as plainly). Moving such a value loses nothing.
func (c *converter) holdsSecret(v string) bool {
	return slices.ContainsFunc(c.projectSecrets(), func(s projectSecret) bool { return strings.Contains(v, s.value) })
}

// minSecretLen is the shortest value looked for in a command: a shorter
// one ("1", "yes") turns up in arguments by chance.
const minSecretLen = 4

// secretFlag is an option of a command line whose name looks secret, with
// its value when written --name=value.
var secretFlag = regexp.MustCompile(`^--?([A-Za-z0-9][A-Za-z0-9_.-]*)(?:=(.*))?$`)

// commandSecrets keeps secrets out of the container's command and args:
// a secret value interpolated into them (from the service's environment or
// the interpolation environment) and the value of an option whose name
// looks secret (--requirepass s3cret) become $(VAR), which the kubelet
// expands from a variable that refers to the Secret. The value still shows
// in the process list of the node, so each such command is warned about.
func (b *podBuilder) commandSecrets() {
	var known []projectSecret
	seen := map[string]bool{}
	for _, m := range []map[string]string{b.secretEnv.env, b.secretEnv.file} {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !seen[k] {
				known = append(known, projectSecret{k, m[k]})
				seen[k] = true
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b.c.p.Environment)) {
		if sensitive.Name(k) && !seen[k] {
			known = append(known, projectSecret{k, b.c.p.Environment[k]})
			seen[k] = true
		}
	}
	for _, s := range b.c.projectSecrets() { // another service's, as in a URL
		if !seen[s.name] {
			known = append(known, s)
			seen[s.name] = true
		}
	}
	known = slices.DeleteFunc(known, func(s projectSecret) bool { return !secretWorthy(s.value) })
	// The longest first: a value that holds another is replaced whole.
	slices.SortStableFunc(known, func(a, b projectSecret) int { return cmp.Compare(len(b.value), len(a.value)) })

	inEnv := map[string]bool{}
	for _, ev := range b.ctr.Env {
		inEnv[ev.Name] = true
	}
	for k := range b.secretEnv.file {
		inEnv[k] = true // through envFrom
	}
	// refer makes sure variable name refers to value in the Secret.
	refer := func(name, value string) string {
		if inEnv[name] {
			if v, ok := b.secretEnv.env[name]; ok && v == value {
				return name
			}
			if v, ok := b.secretEnv.file[name]; ok && v == value {
				return name
			}
			for i := 2; ; i++ {
				if n := name + "_" + strconv.Itoa(i); !inEnv[n] {
					name = n
					break
				}
			}
		}
		b.secretEnv.set(name, value)
		b.ctr.Env = append(b.ctr.Env, b.secretRef(name))
		inEnv[name] = true
		return name
	}

	rewrite := func(field string, raw []string, out *[]string) {
		if len(raw) == 0 {
			return
		}
		var names []string
		args := make([]string, len(raw))
		for i := 0; i < len(raw); i++ {
			arg := raw[i]
			// Pieces of the argument: literal text, and variables to expand.
			type piece struct {
				text string
				ref  bool
			}
			pieces := []piece{{text: arg}}
			for _, s := range known {
				var next []piece
				for _, p := range pieces {
					if p.ref || !strings.Contains(p.text, s.value) {
						next = append(next, p)
						continue
					}
					for j, part := range strings.Split(p.text, s.value) {
						if j > 0 {
							next = append(next, piece{text: refer(s.name, s.value), ref: true})
							names = append(names, s.name)
						}
						next = append(next, piece{text: part})
					}
				}
				pieces = next
			}
			var sb strings.Builder
			for _, p := range pieces {
				if p.ref {
					sb.WriteString("$(" + p.text + ")")
				} else {
					sb.WriteString(escapeDollar(p.text))
				}
			}
			args[i] = sb.String()
			if len(pieces) > 1 {
				continue
			}
			// An option whose name looks secret: --name=value, or --name value.
			m := secretFlag.FindStringSubmatch(arg)
			if m == nil || !secretOption(m[1]) {
				continue
			}
			if strings.Contains(arg, "=") {
				if plainValue(m[2]) {
					name := refer(envName(m[1]), m[2])
					names = append(names, name)
					args[i] = escapeDollar(arg[:len(arg)-len(m[2])]) + "$(" + name + ")"
				}
				continue
			}
			if i+1 < len(raw) && plainValue(raw[i+1]) && !strings.HasPrefix(raw[i+1], "-") &&
				!slices.ContainsFunc(known, func(s projectSecret) bool { return strings.Contains(raw[i+1], s.value) }) {
				name := refer(envName(m[1]), raw[i+1])
				names = append(names, name)
				i++ // the value is an argument of its own
				args[i] = "$(" + name + ")"
			}
		}
		if len(names) == 0 {
			return
		}
		*out = args
		slices.Sort(names)
		b.c.warn(field+" (secret)", svcPath(b.s.Name, field),
			"secret value passed as $(VAR) from Secret %s, not written here: %s (it still shows in the process list of the pod)",
			b.secretName(), strings.Join(slices.Compact(names), ", "))
	}
	rewrite("entrypoint", b.s.Entrypoint, &b.ctr.Command)
	rewrite("command", b.s.Command, &b.ctr.Args)

	// The kubelet expands only plain variables in an exec probe, not one
	// from a Secret; a probe run by sh -c reads it from the shell instead.
	var probeNames []string
	for _, probe := range []*corev1.Probe{b.ctr.LivenessProbe, b.ctr.ReadinessProbe, b.ctr.StartupProbe} {
		if probe == nil || probe.Exec == nil || len(probe.Exec.Command) != 3 || probe.Exec.Command[0] != "sh" || probe.Exec.Command[1] != "-c" {
			continue
		}
		script := probe.Exec.Command[2]
		for _, s := range known {
			if strings.Contains(script, escapeDollar(s.value)) {
				name := refer(s.name, s.value)
				script = shellExpand(script, escapeDollar(s.value), name)
				probeNames = append(probeNames, name)
			}
		}
		if script != probe.Exec.Command[2] {
			probe.Exec = &corev1.ExecAction{Command: []string{"sh", "-c", script}}
		}
	}
	if len(probeNames) > 0 {
		slices.Sort(probeNames)
		b.c.warn("healthcheck (secret)", svcPath(b.s.Name, "healthcheck", "test"),
			"secret value read from the shell variable of Secret %s, not written here: %s", b.secretName(), strings.Join(slices.Compact(probeNames), ", "))
	}
}

// shellExpand replaces value in a sh -c script with the expansion of
// variable name, closing and reopening a single-quoted string around it.
func shellExpand(script, value, name string) string {
	var sb strings.Builder
	parts := strings.Split(script, value)
	quoted := false
	for i, part := range parts {
		if i > 0 {
			if quoted {
				sb.WriteString(`'"${` + name + `}"'`)
			} else {
				sb.WriteString(`"${` + name + `}"`)
			}
		}
		sb.WriteString(part)
		quoted = quoted != (strings.Count(part, "'")%2 == 1)
	}
	return sb.String()
}

// secretOption reports whether an option names a secret: its last word
// does (--requirepass, --api-key, --token), not only some word of it
// (--default-authentication-plugin, --key-file).
func secretOption(name string) bool {
	words := strings.FieldsFunc(name, func(r rune) bool { return r == '-' || r == '_' || r == '.' })
	return len(words) > 0 && sensitive.Name(words[len(words)-1])
}

// plainValue is an option value worth moving into a Secret: not empty, not
// already a variable, not a file path (a path is where a secret is, not the
// secret).
func plainValue(v string) bool {
	return v != "" && !strings.Contains(v, "$(") && !strings.HasPrefix(v, "/") && !strings.HasPrefix(v, "./")
}

// envName is the variable an option's value is passed in: --requirepass
// becomes REQUIREPASS.
func envName(flag string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			return r
		}
		return '_'
	}, flag)
}
