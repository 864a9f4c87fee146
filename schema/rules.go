package schema

import "github.com/berth-compose/berth/schema/rules"

// The rule table and Violation live in schema/rules, which does not import
// CUE; these aliases keep schema.Violation and schema.RuleX as the names
// callers use.
type (
	Rule      = rules.Rule
	Violation = rules.Violation
)

var (
	RuleYAMLSyntax      = rules.RuleYAMLSyntax
	RuleUnknownKey      = rules.RuleUnknownKey
	RuleWrongType       = rules.RuleWrongType
	RuleInvalidValue    = rules.RuleInvalidValue
	RuleMissingRequired = rules.RuleMissingRequired
	RuleInvalidName     = rules.RuleInvalidName
	RuleConflictingKeys = rules.RuleConflictingKeys
	RuleEmptyFile       = rules.RuleEmptyFile
	RuleDuplicateKey    = rules.RuleDuplicateKey
	RuleDuplicateItem   = rules.RuleDuplicateItem

	// Rules lists every rule of this package in code order, for `berth rules`.
	Rules = rules.Rules
)
