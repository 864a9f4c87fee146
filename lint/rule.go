// Package lint is berth's rule engine: rules are values that inspect a loaded
// project and report problems at model paths; the engine turns paths into
// exact ranges through the load source map, applies the configuration and
// suppressions, and hands complete diagnostics to the formatters.
package lint

import (
	"fmt"
	"strings"
)

// Severity orders findings; the zero value is invalid so that a rule that
// forgets to set it fails the registry test instead of becoming a warning.
type Severity int

const (
	Info Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "error", "warning" or "info".
func ParseSeverity(s string) (Severity, error) {
	switch strings.ToLower(s) {
	case "error":
		return Error, nil
	case "warning", "warn":
		return Warning, nil
	case "info":
		return Info, nil
	}
	return 0, fmt.Errorf("unknown severity %q: use error, warning or info", s)
}

// Rule is one check, described completely by its fields: `berth rules`,
// docs/rules.md and SARIF's rule metadata are all generated from them.
type Rule struct {
	Code  string // "BR301": stable, never reused
	Name  string // "privileged": kebab-case, stable
	Title string // one line, lower case, no period
	Text  string // why it matters and what to do instead (markdown)
	Bad   string // a compose file where the rule fires
	Good  string // the same file fixed; the rule stays silent
	Since string // first release with the rule

	Severity Severity // default severity
	// Default is false for rules that are noisy on real files: they run
	// only when enabled in .berth.yaml (the doc says why).
	Default bool
	Fixable bool // the rule attaches fixes to its diagnostics

	Run func(*Pass)
}

// Family is the rule's group, from its code: BR00x-BR08x schema, BR09x meta
// (suppressions, load problems), BR1xx consistency, BR2xx reliability, BR3xx
// security, BR4xx style.
func (r *Rule) Family() string {
	if len(r.Code) < 3 {
		return "unknown"
	}
	if strings.HasPrefix(r.Code, "BR09") {
		return "meta" // suppression and load findings, emitted by the engine
	}
	switch r.Code[2] {
	case '0':
		return "schema"
	case '1':
		return "consistency"
	case '2':
		return "reliability"
	case '3':
		return "security"
	case '4':
		return "style"
	case '9':
		return "meta"
	}
	return "unknown"
}
