package rules

import (
	"regexp"
	"slices"

	"github.com/berth-compose/berth/lint"
)

// Meta rules: findings about the linting itself rather than about the
// compose model.
//
// BR090-BR093 belong to the BR0xx family, so TestRules and TestRegistry
// check them like any rule: the suppress step of lint.Run reports
// BR090-BR092 (their Run is nil) and BR093 is an ordinary rule.
// BR900 and BR901 are family "meta" (BR9xx): `berth lint` reports BR900
// for team policies (its Run is bound to the policies given, see
// lint/policy) and BR901 for a project it cannot load, which no fixture can
// show through lint.Run: TestRules and TestRegistry skip them, and the tests
// of lint/policy and cmd/berth (TestLintPolicy, TestLintExitCodes) cover them.
var Meta = []*lint.Rule{
	UnknownSuppression,
	UnusedSuppression,
	SuppressionWithoutReason,
	UnsetVariable,
	Policy,
	LoadError,
}

// UnknownSuppression is BR090.
var UnknownSuppression = &lint.Rule{
	Code:  "BR090",
	Name:  "unknown-suppression",
	Title: "a berth: comment names a rule or a directive that does not exist",
	Text: "A suppression that names a rule berth does not have suppresses nothing, usually because of a typo " +
		"(`BR3O1`, `privileged-mode`), so the finding it was meant for is still reported and the comment " +
		"misleads the next reader. The same goes for a directive berth does not know (`berth:disable`, " +
		"`berth:ignore`) and for a suppression that lists no rule at all: berth never disables every rule " +
		"at once.\n\n" +
		"Name rules by code (`BR301`) or name (`privileged`), separated by commas or spaces, with one of " +
		"`# berth:disable-line`, `# berth:disable-next-line` or `# berth:disable-file`; `berth rules` lists " +
		"the codes. This finding is an error because the suppression is certainly broken.",
	Bad: `services:
  app:
    # berth:disable-next-line unset-variables -- TAG is set by the deploy job
    image: nginx:${TAG}
`,
	Good: `services:
  app:
    # berth:disable-next-line unset-variable -- TAG is set by the deploy job
    image: nginx:${TAG}
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
}

// UnusedSuppression is BR091.
var UnusedSuppression = &lint.Rule{
	Code:  "BR091",
	Name:  "unused-suppression",
	Title: "a suppression covers no finding of the rule it names",
	Text: "A suppression whose rule reports nothing where it points is dead weight: the problem was fixed, " +
		"the line moved, or the comment was written on the wrong line. Left in place it silently hides the " +
		"next real finding on that line. Remove the rule from the comment (or the comment).\n\n" +
		"Only rules that ran are checked: a suppression naming a rule disabled in `.berth.yaml` is not " +
		"reported. A `disable-line` comment on a line of its own covers that (empty) line only; use " +
		"`disable-next-line` to cover the line below.",
	Bad: `# berth:disable-file BR092 -- we do not require reasons
services:
  app:
    image: nginx:1.27
`,
	Good: `# berth:disable-file BR092 -- we do not require reasons
services:
  app:
    # berth:disable-next-line BR093
    image: nginx:${TAG}
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
}

// SuppressionWithoutReason is BR092.
var SuppressionWithoutReason = &lint.Rule{
	Code:  "BR092",
	Name:  "suppression-without-reason",
	Title: "a suppression does not say why the finding is acceptable",
	Text: "Write the reason after `--`: `# berth:disable-next-line BR301 -- the exporter reads /dev/kmsg`. " +
		"The reason is shown next to the suppressed finding in JSON and exported as the SARIF " +
		"justification, so reviewers and code scanning see why the exception exists.\n\n" +
		"The suppression still works without a reason; this finding is only information, and teams that " +
		"do not want it turn it off with `rules: {BR092: off}` in `.berth.yaml`.",
	Bad: `services:
  app:
    # berth:disable-next-line BR093
    image: nginx:${TAG}
`,
	Good: `services:
  app:
    # berth:disable-next-line BR093 -- TAG is set by the deploy job
    image: nginx:${TAG}
`,
	Since:    "0.1.0",
	Severity: lint.Info,
	Default:  true,
}

// LoadError is BR901.
var LoadError = &lint.Rule{
	Code:  "BR901",
	Name:  "load-error",
	Title: "the project cannot be loaded the way docker compose loads it",
	Text: "Docker Compose refuses to load the project for a reason that none of berth's own checks names. " +
		"berth finds what compose-go refuses on the nodes of every file itself (schema violations, values it " +
		"cannot read, unset required variables, `include`, `extends` and `env_file` that do not resolve, " +
		"undefined resources: BR0xx and BR1xx, all of them at once); this rule is the rest, compose-go's own " +
		"message, positioned where berth can tell. A problem berth cannot point at in a file is printed as an " +
		"error of the file, never at a made-up 1:1.\n\n" +
		"Fix the cause and lint again.",
	Bad: `services:
  app:
    image: nginx:1.27
    healthcheck:
      test: ["curl", "-f", "http://localhost"]
`,
	Good: `services:
  app:
    image: nginx:1.27
    healthcheck:
      test: ["CMD", "curl", "-f", "http://localhost"]
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
}

// UnsetVariable is BR093.
var UnsetVariable = &lint.Rule{
	Code:  "BR093",
	Name:  "unset-variable",
	Title: "a variable used without a default is not set",
	Text: "Docker Compose replaces an unset `$NAME` or `${NAME}` with an empty string and only logs a " +
		"warning, so `image: nginx:${TAG}` becomes `nginx:` and `ports: [\"${PORT}:80\"]` a random port. " +
		"berth checks each reference against the environment the project loads with: the process " +
		"environment, the project's `.env` and `--env-file`s.\n\n" +
		"Set the variable, or give it a default (`${TAG:-1.27}`) or make it required with a message " +
		"(`${TAG:?set TAG}`). A finding per reference, at the value that uses it.",
	Bad: `services:
  app:
    image: nginx:${TAG}
`,
	Good: `services:
  app:
    image: nginx:${TAG:-1.27}
`,
	Since:    "0.1.0",
	Severity: lint.Warning,
	Default:  true,
	Run: func(p *lint.Pass) {
		env := p.Project.Environment
		for _, path := range p.Project.Sources.Paths() {
			raw, ok := p.Raw(path)
			if !ok {
				continue
			}
			for _, name := range unsetReferences(raw) {
				if _, set := env[name]; !set {
					p.Reportf(path, "variable %q is not set: compose substitutes an empty string; set it or write ${%s:-default}", name, name)
				}
			}
		}
	},
}

// varRefRE matches $NAME, ${NAME} and ${NAME<modifier>...}; group 1 or 2 is
// the name, group 3 the modifier's first character if any.
var varRefRE = regexp.MustCompile(`\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)([^}A-Za-z0-9_]?))`)

// unsetReferences lists the variables s uses without a default, in order,
// once each: `$NAME` and `${NAME}`, not `${NAME:-x}`, `${NAME?x}`, `$$NAME`.
func unsetReferences(s string) []string {
	var out []string
	for _, m := range varRefRE.FindAllStringSubmatchIndex(s, -1) {
		if escapedDollar(s, m[0]) {
			continue
		}
		name := ""
		switch {
		case m[2] >= 0:
			name = s[m[2]:m[3]]
		case m[6] < m[7] && s[m[6]:m[7]] != "}":
			continue // a modifier: a default, an alternative or required
		default:
			name = s[m[4]:m[5]]
		}
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}

// escapedDollar reports whether the $ at i is escaped: preceded by an odd
// number of $.
func escapedDollar(s string, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && s[j] == '$'; j-- {
		n++
	}
	return n%2 == 1
}

// Policy is BR900.
var Policy = &lint.Rule{
	Code:  "BR900",
	Name:  "policy",
	Title: "the file breaks a constraint of the team's CUE policy",
	Text: "Policies are the team's own rules, written in CUE and given with `--policy FILE.cue` or " +
		"`policies:` in `.berth.yaml`: which registries images come from, which keys every service must " +
		"set. Each compose file, as written and with its variables substituted, is unified with every " +
		"policy; each conflict is a finding at the offending value, with the message the policy's author " +
		"wrote (`error(\"...\")` in a disjunction, or a `@berth(\"...\")` attribute on the field). " +
		"docs/policy.md describes the format.\n\n" +
		"Fix the file, or, when the exception is intended, suppress the finding like any other " +
		"(`# berth:disable-line BR900 -- reason`).",
	Bad: `# with the policy: services: [string]: image: =~"^registry.example.com/"
services:
  app:
    image: nginx:1.27
`,
	Good: `# with the policy: services: [string]: image: =~"^registry.example.com/"
services:
  app:
    image: registry.example.com/nginx:1.27
`,
	Since:    "0.1.0",
	Severity: lint.Error,
	Default:  true,
}
