package kube

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"
)

// Names
//
// Compose allows service, volume, network, config and secret names that
// Kubernetes rejects (upper case, "_", ".", more than 63 characters). Every
// name berth writes is cleaned the same way: lower-cased, every character
// outside [a-z0-9-] turned into "-", runs of "-" collapsed, "-" trimmed
// from both ends, a leading digit prefixed with "x-" (Service names must
// start with a letter), and a name still longer than the limit cut and
// suffixed with the first 8 hex digits of the SHA-256 of the original, so
// that two long names that share a prefix stay distinct.

// cleanName turns s into a DNS-1035 label of at most max characters.
func cleanName(s string, max int) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(s) {
		ok := (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
		if !ok {
			if !dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = true
			continue
		}
		b.WriteRune(r)
		dash = false
	}
	out := strings.Trim(b.String(), "-")
	if out == "" {
		out = "x-" + shortHash(s)
	}
	if out[0] >= '0' && out[0] <= '9' {
		out = "x-" + out
	}
	if len(out) > max {
		out = strings.TrimRight(out[:max-9], "-") + "-" + shortHash(s)
	}
	return out
}

func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:4])
}

// join builds a name from parts and cleans it.
func join(max int, parts ...string) string {
	return cleanName(strings.Join(parts, "-"), max)
}

// serviceName assigns the Kubernetes name of a compose service, warning
// when it differs from the compose name. A name that another service
// already cleaned into gets a hash suffix. Services are assigned in sorted
// order, so the result does not depend on map iteration.
func (c *converter) serviceName(name string) string {
	if n, ok := c.names[name]; ok {
		return n
	}
	// 63: the name is also a label value and a Service name (DNS-1035 label).
	n := cleanName(name, validation.DNS1035LabelMaxLength)
	if other, clash := c.taken[n]; clash && other != name {
		n = cleanName(strings.TrimRight(n[:min(len(n), 54)], "-")+"-"+shortHash(name), validation.DNS1035LabelMaxLength)
	}
	c.names[name] = n
	c.taken[n] = name
	if n != name {
		c.warn("service name", svcPath(name), "renamed to %q: %s", n, nameReason(name))
	}
	return n
}

// nameReason says why a name had to change.
func nameReason(name string) string {
	if len(validation.IsDNS1035Label(name)) > 0 {
		return "not a valid Kubernetes name (at most 63 lower-case letters, digits and '-', starting with a letter); other services must reach it by the new name"
	}
	return "another service's name cleans to the same Kubernetes name"
}

// portName is a valid IANA service name (at most 15 characters, a letter,
// no "--") for a port: the compose name when valid, else proto-port.
func portName(name, proto string, port int32) string {
	if name != "" && len(validation.IsValidPortName(name)) == 0 {
		return name
	}
	return strings.ToLower(proto) + "-" + itoa(int(port))
}

// objectName is the Kubernetes name of the top-level element at path (a
// volume, config, secret or network) and reports, once, when cleaning
// changed it.
func (c *converter) objectName(path, name string) string {
	n := cleanName(name, validation.DNS1123LabelMaxLength)
	if n != name && !c.renamed[path] {
		if c.renamed == nil {
			c.renamed = map[string]bool{}
		}
		c.renamed[path] = true
		c.warn("names", path, "named %q in Kubernetes: names there are at most 63 lower-case letters, digits and '-'", n)
	}
	return n
}

// projectLabel is the project name as a label value: Docker Compose's
// project names (lower-case letters, digits, "-" and "_") already are one.
func (c *converter) projectLabel() string {
	if len(validation.IsValidLabelValue(c.p.Name)) == 0 {
		return c.p.Name
	}
	return cleanName(c.p.Name, validation.LabelValueMaxLength)
}
