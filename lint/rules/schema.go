package rules

import (
	"os"

	"github.com/compose-spec/compose-go/v2/dotenv"

	"github.com/berth-compose/berth/lint"
	schemarules "github.com/berth-compose/berth/schema/rules"
)

// schemaRule builds the lint rule of a schema rule: the same code, name and
// title as schema/rules, so the two tables cannot drift (the engine maps
// load.Project.Violations to these rules by code). Schema rules have no Run:
// the validator finds their problems while loading.
func schemaRule(r schemarules.Rule, text, bad, good string) *lint.Rule {
	return &lint.Rule{
		Code: r.Code, Name: r.Name, Title: r.Title, Text: text, Bad: bad, Good: good,
		Since: "0.1.0", Severity: lint.Error, Default: true,
	}
}

// Schema rules: what the compose specification itself rejects. Docker
// Compose refuses to run a file with any of these problems.
var Schema = []*lint.Rule{
	YAMLSyntax, UnknownKey, WrongType, InvalidValue, MissingRequired,
	InvalidName, ConflictingKeys, EmptyFile, DuplicateKey, DuplicateItem,
	RequiredVariable, InvalidInterpolation, UnparsableValue, UnresolvedExtends, UnresolvedInclude, BadEnvFile,
}

// The BR0xx rules, one per schema/rules code.
var (
	YAMLSyntax = schemaRule(schemarules.RuleYAMLSyntax,
		"The file cannot be parsed as YAML, so nothing else in it can be checked and Docker Compose "+
			"refuses it. The usual causes are inconsistent indentation, a tab used for indentation, "+
			"an unclosed quote or bracket, and a `key: value` line whose value itself contains `: `.\n\n"+
			"Fix the text at the reported position; quote values that contain `: `, ` #` or start with "+
			"`*`, `&`, `!`, `{` or `[`. This problem is reported by the parser and cannot be suppressed.",
		"services:\n  web:\n    image: nginx\n   ports:\n      - \"8080:80\"\n",
		"services:\n  web:\n    image: nginx\n    ports:\n      - \"8080:80\"\n")

	UnknownKey = schemaRule(schemarules.RuleUnknownKey,
		"The compose specification does not define this key; it is usually a typo (`restat`, "+
			"`enviroment`) or a key that belongs one level up or down. Docker Compose rejects the file.\n\n"+
			"Correct the spelling or move the key to where the specification defines it. Keep "+
			"private data under an extension key, whose name starts with `x-`.",
		"services:\n  web:\n    image: nginx\n    restat: always\n",
		"services:\n  web:\n    image: nginx\n    restart: always\n")

	WrongType = schemaRule(schemarules.RuleWrongType,
		"The value has a YAML type the specification does not allow here: a number where a string "+
			"is expected, a single value where a list is expected, a mapping where a string is "+
			"expected, and so on. Docker Compose rejects the file.\n\n"+
			"Write the value in a form the message names as expected; quote a name or a version "+
			"that YAML would read as a number.",
		"services:\n  web:\n    image: nginx\n    container_name: 2024\n",
		"services:\n  web:\n    image: nginx\n    container_name: \"2024\"\n")

	InvalidValue = schemaRule(schemarules.RuleInvalidValue,
		"The value has the right type but is not allowed: a word outside an enumeration, a string "+
			"that does not match the required pattern or format, or a number out of range. Docker "+
			"Compose rejects the file.\n\n"+
			"Use one of the values the message lists, or write the value in the documented format.",
		"services:\n  web:\n    image: nginx\n    depends_on:\n      db:\n        condition: started\n  db:\n    image: postgres\n",
		"services:\n  web:\n    image: nginx\n    depends_on:\n      db:\n        condition: service_started\n  db:\n    image: postgres\n")

	MissingRequired = schemaRule(schemarules.RuleMissingRequired,
		"A key the specification requires is absent, so Docker Compose cannot interpret the "+
			"mapping around it (an `ulimits` entry without `hard`, an `extends` without `service`, ...).\n\n"+
			"Add the missing key named in the message.",
		"services:\n  web:\n    image: nginx\n    ulimits:\n      nofile:\n        soft: 1024\n",
		"services:\n  web:\n    image: nginx\n    ulimits:\n      nofile:\n        soft: 1024\n        hard: 4096\n")

	InvalidName = schemaRule(schemarules.RuleInvalidName,
		"Service, network, volume, secret, config and model names may contain only letters, digits, "+
			"`.`, `_` and `-` (they become parts of container, network and volume names). Docker "+
			"Compose rejects any other character, including spaces.\n\n"+
			"Rename the resource, and update every reference to it.",
		"services:\n  \"web server\":\n    image: nginx\n",
		"services:\n  web-server:\n    image: nginx\n")

	ConflictingKeys = schemaRule(schemarules.RuleConflictingKeys,
		"Two keys that exclude each other are both set, for example a secret with both `file` and "+
			"`environment`, or a build with both `dockerfile` and `dockerfile_inline`. Docker Compose "+
			"rejects the file because it cannot know which one you meant.\n\n"+
			"Keep one of the two keys.",
		"services:\n  web:\n    image: nginx\n    secrets: [token]\nsecrets:\n  token:\n    file: ./token.txt\n    environment: TOKEN\n",
		"services:\n  web:\n    image: nginx\n    secrets: [token]\nsecrets:\n  token:\n    file: ./token.txt\n")

	EmptyFile = schemaRule(schemarules.RuleEmptyFile,
		"The file holds no YAML document: it is empty, blank or only comments. Docker Compose accepts "+
			"an empty override file next to others, but a project whose only file is empty has "+
			"nothing to run.\n\n"+
			"Add the services, or delete the file and stop passing it with `-f`.",
		"# services will be added later\n",
		"services:\n  web:\n    image: nginx\n")

	DuplicateKey = schemaRule(schemarules.RuleDuplicateKey,
		"The same key appears twice in one mapping. YAML leaves the result undefined and Docker "+
			"Compose rejects the file; in other tools the second value silently wins, hiding the first.\n\n"+
			"Keep one of the two entries, merging their contents if both were meant.",
		"services:\n  web:\n    image: nginx\n    restart: always\n    restart: \"no\"\n",
		"services:\n  web:\n    image: nginx\n    restart: always\n")

	DuplicateItem = schemaRule(schemarules.RuleDuplicateItem,
		"A list whose entries must be unique (`security_opt`, `external_links`, `device_cgroup_rules`, "+
			"...) has the same entry twice. Docker Compose rejects the file. (Lists that Compose merges "+
			"by key, such as `cap_add`, `dns`, `environment` or `ports`, keep the last entry instead.)\n\n"+
			"Remove the repeated entry.",
		"services:\n  web:\n    image: nginx\n    security_opt:\n      - no-new-privileges:true\n      - no-new-privileges:true\n",
		"services:\n  web:\n    image: nginx\n    security_opt:\n      - no-new-privileges:true\n")
)

// The BR0xx rules of what compose refuses after the schema has passed:
// found on each value's YAML node with compose-go's own parsers, so that
// every one of them is reported, each at its place.
var (
	RequiredVariable = schemaRule(schemarules.RuleRequiredVariable,
		"A `${NAME:?message}` (unset or empty) or `${NAME?message}` (unset) names a variable that the "+
			"environment and `.env` do not set, so Docker Compose refuses to interpolate the file. berth "+
			"reports every such variable, each where it is used; Docker Compose stops at the first.\n\n"+
			"Set the variable (in the environment, `.env` or an `--env-file`), or give it a default with "+
			"`${NAME:-default}`.",
		"services:\n  web:\n    image: \"nginx:${TAG:?set TAG}\"\n",
		"services:\n  web:\n    image: \"nginx:${TAG:-1.27}\"\n")

	InvalidInterpolation = schemaRule(schemarules.RuleInvalidInterpolation,
		"A `$` starts a substitution that Docker Compose cannot parse (`${}`, `${NAME`, `${NAME:x}`), "+
			"and it refuses the file.\n\nClose the braces and use one of `${NAME}`, `${NAME:-default}`, "+
			"`${NAME:?message}`, `${NAME:+value}`; write `$$` for a literal dollar sign.",
		"services:\n  web:\n    image: nginx\n    command: echo ${HOME\n",
		"services:\n  web:\n    image: nginx\n    command: echo $${HOME}\n")

	UnparsableValue = schemaRule(schemarules.RuleUnparsableValue,
		"The compose specification lets almost every value be a string (so that it may hold a variable), "+
			"but Docker Compose then has to read the string as the key's type, and refuses the file when it "+
			"cannot: a duration (`30 seconds`), a byte size (`2 gigs`), a port (`\"127.0.0.1:99999:80\"`), a "+
			"volume or device spec, a ulimit, an integer (`retries: three`), a boolean "+
			"(`privileged: yes-please`). berth checks each value on its own, with compose-go's own "+
			"parsers, so every one is reported at its node.\n\nWrite the value in the form the message names.",
		"services:\n  web:\n    image: nginx\n    healthcheck:\n      interval: 30 seconds\n      retries: three\n",
		"services:\n  web:\n    image: nginx\n    healthcheck:\n      interval: 30s\n      retries: 3\n")

	UnresolvedExtends = schemaRule(schemarules.RuleUnresolvedExtends,
		"`extends` names a service that the file it points to does not define, or a `file:` that does "+
			"not exist, so Docker Compose cannot build the service and refuses the project.\n\n"+
			"Fix the service name or the path (relative to the file that holds `extends`).",
		"services:\n  web:\n    image: nginx\n    extends:\n      service: bsae\n  base:\n    image: nginx\n",
		"services:\n  web:\n    image: nginx\n    extends:\n      service: base\n  base:\n    image: nginx\n")

	UnresolvedInclude = schemaRule(schemarules.RuleUnresolvedInclude,
		"An `include` entry names a compose file that does not exist (or is a directory), so Docker "+
			"Compose refuses the project.\n\nFix the path: it is relative to the file that holds `include`.",
		"include:\n  - ./db/compose.yaml\nservices:\n  web:\n    image: nginx\n",
		"services:\n  web:\n    image: nginx\n")

	BadEnvFile = schemaRule(schemarules.RuleEnvFile,
		"A service's `env_file` names a file that does not exist (and is not marked `required: false`), "+
			"or one whose lines are not `KEY=VALUE`, so Docker Compose refuses to create the service.\n\n"+
			"Create the file, fix the path (relative to the project directory), or mark an optional file "+
			"with `required: false`.",
		"services:\n  web:\n    image: nginx\n    env_file: ./missing.env\n",
		"services:\n  web:\n    image: nginx\n    env_file:\n      - path: ./missing.env\n        required: false\n")
)

func init() {
	// berth lint loads without reading env files (lint.LoadOptions), so
	// compose-go does not refuse a missing one: the rule checks the loaded
	// project's env files itself.
	BadEnvFile.Run = checkEnvFiles
}

// checkEnvFiles reports every required env file that does not exist or
// that compose-go's dotenv parser refuses, at the entry that names it.
func checkEnvFiles(p *lint.Pass) {
	for _, s := range csServices(p.Project) {
		if s.disabled {
			continue
		}
		at := csPath(s.name, "env_file")
		if !csWritten(p, at) {
			continue
		}
		items := csItems(p, at)
		for i, ef := range s.cfg.EnvFiles {
			where := at
			if i < len(items) {
				where = items[i]
				if _, ok := p.Project.Sources.Value(where + ".path"); ok {
					where += ".path"
				}
			}
			if p.Interpolated(where) {
				continue
			}
			info, err := os.Stat(ef.Path)
			switch {
			case err != nil && bool(ef.Required):
				p.Reportf(where, "service %q: env file %s does not exist", s.name, ef.Path)
			case err == nil && info.IsDir():
				p.Reportf(where, "service %q: env file %s is a directory", s.name, ef.Path)
			case err == nil:
				if _, perr := dotenv.GetEnvFromFile(p.Project.Environment, []string{ef.Path}); perr != nil {
					p.Reportf(where, "service %q: env file %s cannot be read: %v", s.name, ef.Path, perr)
				}
			}
		}
	}
}

// ParseDiagnostics turns an error of load.ParseFile into BR001 yaml-syntax,
// BR008 empty-file and BR009 duplicate-key diagnostics of the rules in rs,
// so that `berth lint` reports a file that cannot be parsed like any other
// finding: lint parses each file first (it reads the text for the report
// anyway) and loads the project only from files that parse. Pass it only
// ParseFile's errors: a positioned error of load.Load may come from
// compose-go and would be mislabelled BR001. Errors without a position or
// of a rule not in rs come back in rest. The diagnostics are never
// suppressed: a comment in a file that does not parse cannot be trusted.
func ParseDiagnostics(err error, rs []*lint.Rule) (diags []lint.Diagnostic, rest []error) {
	return lint.ParseDiagnostics(err, rs)
}
