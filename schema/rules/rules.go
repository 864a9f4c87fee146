// Package rules names the problems the compose-spec schema finds: the BR0xx
// rule table and the Violation type. It is its own package, free of CUE, so
// that the run-time validator (schema/spec) and everything that links it do
// not pay CUE's start-up cost; package schema re-exports it.
package rules

import "fmt"

// Rule identifies one kind of schema violation. Codes are stable: a retired
// code is never reused, and lint maps them to diagnostics unchanged.
type Rule struct {
	Code  string // BR0xx
	Name  string // kebab-case, shown next to the code
	Title string // one line for `berth rules`
}

// Violation is one problem in one compose file, positioned at the YAML node
// that has to change: the key for an unknown key or a bad name, the value for
// a type or value error, the enclosing key for a missing required key.
type Violation struct {
	File    string
	Line    int // 1-based
	Col     int // 1-based, in characters
	Path    string
	Message string
	Rule    Rule
}

// String renders the violation the way compilers do, so editors can jump to it.
func (v Violation) String() string {
	return fmt.Sprintf("%s:%d:%d: %s (%s %s)", v.File, v.Line, v.Col, v.Message, v.Rule.Code, v.Rule.Name)
}

// The BR0xx family: problems found in one compose file as written, before
// interpolation and merging.
var (
	// RuleYAMLSyntax: the file is not well-formed YAML.
	RuleYAMLSyntax = Rule{"BR001", "yaml-syntax", "the file is not valid YAML"}
	// RuleUnknownKey: a key the compose specification does not define
	// (usually a typo). Extension keys must start with "x-".
	RuleUnknownKey = Rule{"BR002", "unknown-key", "key not defined by the compose specification"}
	// RuleWrongType: a value of the wrong YAML type (a number where a string
	// is expected, a mapping where a list is expected, ...).
	RuleWrongType = Rule{"BR003", "wrong-type", "value has the wrong type"}
	// RuleInvalidValue: right type, but outside the allowed set: enum,
	// pattern, numeric range or format.
	RuleInvalidValue = Rule{"BR004", "invalid-value", "value is not one of the allowed values or formats"}
	// RuleMissingRequired: a key the specification requires is absent.
	RuleMissingRequired = Rule{"BR005", "missing-required", "required key is missing"}
	// RuleInvalidName: a service, network, volume, secret, config or model
	// name that does not match ^[a-zA-Z0-9._-]+$.
	RuleInvalidName = Rule{"BR006", "invalid-name", "resource name contains characters compose does not allow"}
	// RuleConflictingKeys: keys that are mutually exclusive are both set
	// (secret file|environment, build dockerfile|dockerfile_inline, ...).
	RuleConflictingKeys = Rule{"BR007", "conflicting-keys", "mutually exclusive keys are set together"}
	// RuleEmptyFile: the file holds no compose document at all.
	RuleEmptyFile = Rule{"BR008", "empty-file", "the file is empty"}
	// RuleDuplicateKey: the same key appears twice in one YAML mapping;
	// compose rejects this, and YAML says the result is undefined.
	RuleDuplicateKey = Rule{"BR009", "duplicate-key", "key appears twice in the same mapping"}
	// RuleDuplicateItem: a list whose entries must be unique has repeats.
	RuleDuplicateItem = Rule{"BR010", "duplicate-item", "list entries must be unique"}
	// RuleRequiredVariable: a `${NAME:?message}` or `${NAME?message}` whose
	// variable is not set; compose refuses to interpolate the file.
	RuleRequiredVariable = Rule{"BR011", "required-variable", "a required variable is not set"}
	// RuleInvalidInterpolation: a `$` or `${...}` compose cannot substitute.
	RuleInvalidInterpolation = Rule{"BR012", "invalid-interpolation", "malformed variable substitution"}
	// RuleUnparsableValue: the schema lets the value through, but compose
	// cannot convert it to the key's type: a duration, byte size, port,
	// volume, device, ulimit, number or boolean it cannot read.
	RuleUnparsableValue = Rule{"BR013", "unparsable-value", "value compose cannot read as the key's type"}
	// RuleUnresolvedExtends: `extends` names a file or a service that does
	// not exist.
	RuleUnresolvedExtends = Rule{"BR014", "unresolved-extends", "extends names a file or service that does not exist"}
	// RuleUnresolvedInclude: an `include` entry names a file that does not
	// exist, or includes itself.
	RuleUnresolvedInclude = Rule{"BR015", "unresolved-include", "include names a file that cannot be read"}
	// RuleEnvFile: a required `env_file` is missing or cannot be parsed.
	RuleEnvFile = Rule{"BR016", "bad-env-file", "env_file is missing or malformed"}
)

// The consistency problems compose refuses, found on the YAML nodes when
// compose-go has refused the project (so that none hides another); lint
// reports them under the same codes from the loaded project otherwise.
var (
	RuleUndefinedNetwork    = Rule{"BR101", "undefined-network", "service uses a network that is not defined"}
	RuleUndefinedVolume     = Rule{"BR102", "undefined-volume", "service mounts a named volume that is not defined"}
	RuleUndefinedSecret     = Rule{"BR103", "undefined-secret", "service uses a secret that is not defined"}
	RuleUndefinedConfig     = Rule{"BR104", "undefined-config", "service uses a config that is not defined"}
	RuleUndefinedDependency = Rule{"BR105", "undefined-dependency", "depends_on names a service that does not exist"}
	RuleUndefinedServiceRef = Rule{"BR106", "undefined-service-reference", "network_mode or volumes_from names a service that does not exist"}
	RuleHealthcheckCommand  = Rule{"BR117", "healthcheck-test-command", "a healthcheck.test list must start with CMD, CMD-SHELL or NONE"}
)

// Rules lists every rule of this package in code order, for `berth rules`.
var Rules = []Rule{
	RuleYAMLSyntax,
	RuleUnknownKey,
	RuleWrongType,
	RuleInvalidValue,
	RuleMissingRequired,
	RuleInvalidName,
	RuleConflictingKeys,
	RuleEmptyFile,
	RuleDuplicateKey,
	RuleDuplicateItem,
	RuleRequiredVariable,
	RuleInvalidInterpolation,
	RuleUnparsableValue,
	RuleUnresolvedExtends,
	RuleUnresolvedInclude,
	RuleEnvFile,
}
