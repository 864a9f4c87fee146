package reference

import (
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

const (
	legacyDefaultDomain = "index.docker.io"
	defaultDomain       = "docker.io"
	officialRepoPrefix  = "library/"
	defaultTag          = "latest"
)

// ParseNormalizedNamed parses a reference as a user types it (`redis`,
// `team/app:1`) into its fully qualified form (`docker.io/library/redis`).
func ParseNormalizedNamed(s string) (Named, error) {
	if isIdentifier(s) {
		return nil, fmt.Errorf("invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s)
	}
	domain, remainder := splitDockerDomain(s)
	var remote string
	if i := strings.IndexRune(remainder, ':'); i > -1 {
		remote = remainder[:i]
	} else {
		remote = remainder
	}
	if strings.ToLower(remote) != remote {
		return nil, fmt.Errorf("invalid reference format: repository name (%s) must be lowercase", remote)
	}
	ref, err := Parse(domain + "/" + remainder)
	if err != nil {
		return nil, err
	}
	named, ok := ref.(Named)
	if !ok {
		return nil, fmt.Errorf("reference %s has no name", ref.String())
	}
	return named, nil
}

// ParseDockerRef normalizes ref like ParseNormalizedNamed, adds the
// `latest` tag to a bare name, and drops the tag of a reference that also
// has a digest (the digest decides).
func ParseDockerRef(ref string) (Named, error) {
	named, err := ParseNormalizedNamed(ref)
	if err != nil {
		return nil, err
	}
	if _, tagged := named.(NamedTagged); tagged {
		if c, ok := named.(Canonical); ok {
			return canonicalReference{namedRepository: repoOf(c), digest: c.Digest()}, nil
		}
	}
	return TagNameOnly(named), nil
}

// splitDockerDomain splits name into its registry and the rest, applying
// Docker Hub's defaults: a first component without '.' or ':' that is not
// "localhost" and is lowercase is part of the path, not a registry.
func splitDockerDomain(name string) (domain, remainder string) {
	i := strings.IndexRune(name, '/')
	if i == -1 || (!strings.ContainsAny(name[:i], ".:") && name[:i] != "localhost" && strings.ToLower(name[:i]) == name[:i]) {
		domain, remainder = defaultDomain, name
	} else {
		domain, remainder = name[:i], name[i+1:]
	}
	if domain == legacyDefaultDomain {
		domain = defaultDomain
	}
	if domain == defaultDomain && !strings.ContainsRune(remainder, '/') {
		remainder = officialRepoPrefix + remainder
	}
	return domain, remainder
}

// IsNameOnly reports whether ref has neither a tag nor a digest.
func IsNameOnly(ref Named) bool {
	if _, ok := ref.(NamedTagged); ok {
		return false
	}
	if _, ok := ref.(Canonical); ok {
		return false
	}
	return true
}

// TagNameOnly adds the `latest` tag to a reference with neither tag nor
// digest.
func TagNameOnly(ref Named) Named {
	if IsNameOnly(ref) {
		tagged, err := WithTag(ref, defaultTag)
		if err != nil {
			// "latest" is a valid tag: unreachable.
			return ref
		}
		return tagged
	}
	return ref
}

// FamiliarName is the name as a user types it (`redis`, not
// `docker.io/library/redis`).
func FamiliarName(ref Named) string {
	domain, path := Domain(ref), Path(ref)
	if domain != defaultDomain {
		return ref.Name()
	}
	// Only a one-level official image loses its "library/" prefix.
	if rest, ok := strings.CutPrefix(path, officialRepoPrefix); ok && !strings.ContainsRune(rest, '/') {
		return rest
	}
	return path
}

// FamiliarString is the reference as a user types it.
func FamiliarString(ref Reference) string {
	var s string
	if named, ok := ref.(Named); ok {
		s = FamiliarName(named)
	}
	if t, ok := ref.(Tagged); ok {
		s += ":" + t.Tag()
	}
	if d, ok := ref.(Digested); ok {
		s += "@" + d.Digest().String()
	}
	return s
}

// ParseAnyReference parses a reference or a bare image ID (64 hex digits,
// optionally with a sha256: prefix).
func ParseAnyReference(ref string) (Reference, error) {
	if isIdentifier(ref) {
		return digestReference("sha256:" + ref), nil
	}
	if d, err := digest.Parse(ref); err == nil {
		return digestReference(d), nil
	}
	return ParseNormalizedNamed(ref)
}
