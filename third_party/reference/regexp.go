package reference

import (
	"regexp"

	"sync"
)

// The grammar of an image reference:
//
//	reference        := name [ ":" tag ] [ "@" digest ]
//	name             := [domain '/'] remote-name
//	domain           := host [':' port-number]
//	host             := domain-name | '[' IPv6address ']'
//	domain-name      := domain-component ['.' domain-component]*
//	domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
//	remote-name      := path-component ['/' path-component]*
//	path-component   := alpha-numeric [separator alpha-numeric]*
//	alpha-numeric    := /[a-z0-9]+/
//	separator        := /[_.]|__|[-]+/
//	tag              := /[\w][\w.-]{0,127}/
//	digest           := algorithm ":" hex
//	identifier       := /[a-f0-9]{64}/
const (
	alphaNumeric    = `[a-z0-9]+`
	separator       = `(?:[._]|__|[-]+)`
	domainComponent = `(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])`
	ipv6            = `\[(?:[a-fA-F0-9:]+)\]`
	tagPattern      = `[\w][\w.-]{0,127}`
	digestPattern   = `[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][[:xdigit:]]{32,}`
	identifier      = `([a-f0-9]{64})`

	domainName     = domainComponent + `(?:\.` + domainComponent + `)*`
	host           = `(?:` + domainName + `|` + ipv6 + `)`
	domainAndPort  = host + `(?::[0-9]+)?`
	pathComponent  = alphaNumeric + `(?:` + separator + alphaNumeric + `)*`
	remoteName     = pathComponent + `(?:/` + pathComponent + `)*`
	namePattern    = `(?:` + domainAndPort + `/)?` + remoteName
	referenceMatch = `^((?:` + domainAndPort + `/)?` + remoteName + `)(?::(` + tagPattern + `))?(?:@(` + digestPattern + `))?$`
)

// expressions are compiled on first use, not at start-up: see README.md.
type expressions struct {
	reference, name, tag, digest, identifier *regexp.Regexp
}

var compiled = sync.OnceValue(func() *expressions {
	return &expressions{
		reference:  regexp.MustCompile(referenceMatch),
		name:       regexp.MustCompile(`^(?:(` + domainAndPort + `)/)?(` + remoteName + `)$`),
		tag:        regexp.MustCompile(`^` + tagPattern + `$`),
		digest:     regexp.MustCompile(`^` + digestPattern + `$`),
		identifier: regexp.MustCompile(`^` + identifier + `$`),
	}
})

// splitName splits a valid name into its domain (empty when absent) and path.
func splitName(name string) (domain, path string) {
	m := compiled().name.FindStringSubmatch(name)
	if len(m) != 3 {
		return "", name
	}
	return m[1], m[2]
}

// isIdentifier reports whether s is a bare 64-hex image ID.
func isIdentifier(s string) bool { return compiled().identifier.MatchString(s) }
