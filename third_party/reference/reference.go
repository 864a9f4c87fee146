// Package reference parses and normalizes container image references
// (`redis`, `registry:5000/team/app:1.2@sha256:…`). It is berth's own
// implementation of the API of github.com/distribution/reference, compiled
// lazily: see README.md.
package reference

import (
	"errors"
	"fmt"
	"strings"

	"github.com/opencontainers/go-digest"
)

// NameTotalLengthMax is the longest name a reference may have.
const NameTotalLengthMax = 255

var (
	ErrReferenceInvalidFormat = errors.New("invalid reference format")
	ErrTagInvalidFormat       = errors.New("invalid tag format")
	ErrDigestInvalidFormat    = errors.New("invalid digest format")
	ErrNameContainsUppercase  = errors.New("repository name must be lowercase")
	ErrNameEmpty              = errors.New("repository name must have at least one component")
	ErrNameTooLong            = fmt.Errorf("repository name must not be more than %v characters", NameTotalLengthMax)
	ErrNameNotCanonical       = errors.New("repository name must be canonical")
)

// Reference is any reference.
type Reference interface {
	String() string
}

// Named is a reference with a name.
type Named interface {
	Reference
	Name() string
}

// Tagged is a reference with a tag.
type Tagged interface {
	Reference
	Tag() string
}

// NamedTagged is a named reference with a tag.
type NamedTagged interface {
	Named
	Tag() string
}

// Digested is a reference with a digest.
type Digested interface {
	Reference
	Digest() digest.Digest
}

// Canonical is a named reference with a digest.
type Canonical interface {
	Named
	Digest() digest.Digest
}

// namedRepository is a Named whose domain and path are known.
type namedRepository interface {
	Named
	Domain() string
	Path() string
}

// Domain returns the domain part of a Named reference ("" when it has none).
func Domain(named Named) string {
	if r, ok := named.(namedRepository); ok {
		return r.Domain()
	}
	d, _ := splitName(named.Name())
	return d
}

// Path returns the path part of a Named reference.
func Path(named Named) string {
	if r, ok := named.(namedRepository); ok {
		return r.Path()
	}
	_, p := splitName(named.Name())
	return p
}

// Parse parses s into a Reference, without normalizing it.
func Parse(s string) (Reference, error) {
	m := compiled().reference.FindStringSubmatch(s)
	if m == nil {
		if s == "" {
			return nil, ErrNameEmpty
		}
		if compiled().reference.FindStringSubmatch(strings.ToLower(s)) != nil {
			return nil, ErrNameContainsUppercase
		}
		return nil, ErrReferenceInvalidFormat
	}
	name, tag, dgst := m[1], m[2], m[3]
	if len(name) > NameTotalLengthMax {
		return nil, ErrNameTooLong
	}
	var repo repository
	repo.domain, repo.path = splitName(name)
	ref := reference{namedRepository: repo, tag: tag}
	if dgst != "" {
		d, err := digest.Parse(dgst)
		if err != nil {
			return nil, err
		}
		ref.digest = d
	}
	if r := bestType(ref); r != nil {
		return r, nil
	}
	return nil, ErrNameEmpty
}

// ParseNamed parses s into a Named reference that must already be in
// canonical form (with its domain).
func ParseNamed(s string) (Named, error) {
	named, err := ParseNormalizedNamed(s)
	if err != nil {
		return nil, err
	}
	if named.String() != s {
		return nil, ErrNameNotCanonical
	}
	return named, nil
}

// WithName returns a Named reference for name.
func WithName(name string) (Named, error) {
	if len(name) > NameTotalLengthMax {
		return nil, ErrNameTooLong
	}
	m := compiled().name.FindStringSubmatch(name)
	if len(m) != 3 {
		return nil, ErrReferenceInvalidFormat
	}
	return repository{domain: m[1], path: m[2]}, nil
}

// WithTag returns name with tag.
func WithTag(name Named, tag string) (NamedTagged, error) {
	if !compiled().tag.MatchString(tag) {
		return nil, ErrTagInvalidFormat
	}
	repo := repoOf(name)
	if c, ok := name.(Canonical); ok {
		return reference{namedRepository: repo, tag: tag, digest: c.Digest()}, nil
	}
	return taggedReference{namedRepository: repo, tag: tag}, nil
}

// WithDigest returns name with digest.
func WithDigest(name Named, d digest.Digest) (Canonical, error) {
	if !compiled().digest.MatchString(string(d)) {
		return nil, ErrDigestInvalidFormat
	}
	repo := repoOf(name)
	if t, ok := name.(Tagged); ok {
		return reference{namedRepository: repo, tag: t.Tag(), digest: d}, nil
	}
	return canonicalReference{namedRepository: repo, digest: d}, nil
}

// TrimNamed drops the tag and digest of ref.
func TrimNamed(ref Named) Named {
	return repoOf(ref)
}

func repoOf(name Named) repository {
	if r, ok := name.(namedRepository); ok {
		return repository{domain: r.Domain(), path: r.Path()}
	}
	d, p := splitName(name.Name())
	return repository{domain: d, path: p}
}

// bestType returns the narrowest type that holds ref; nil when it has
// neither a name nor a digest.
func bestType(ref reference) Reference {
	switch {
	case ref.Name() == "":
		if ref.digest != "" {
			return digestReference(ref.digest)
		}
		return nil
	case ref.tag == "" && ref.digest == "":
		return ref.namedRepository
	case ref.tag == "":
		return canonicalReference{namedRepository: ref.namedRepository, digest: ref.digest}
	case ref.digest == "":
		return taggedReference{namedRepository: ref.namedRepository, tag: ref.tag}
	}
	return ref
}

type repository struct {
	domain, path string
}

func (r repository) String() string { return r.Name() }
func (r repository) Name() string {
	if r.domain == "" {
		return r.path
	}
	return r.domain + "/" + r.path
}
func (r repository) Domain() string { return r.domain }
func (r repository) Path() string   { return r.path }

type reference struct {
	namedRepository
	tag    string
	digest digest.Digest
}

func (r reference) String() string        { return r.Name() + ":" + r.tag + "@" + r.digest.String() }
func (r reference) Tag() string           { return r.tag }
func (r reference) Digest() digest.Digest { return r.digest }

type taggedReference struct {
	namedRepository
	tag string
}

func (t taggedReference) String() string { return t.Name() + ":" + t.tag }
func (t taggedReference) Tag() string    { return t.tag }

type canonicalReference struct {
	namedRepository
	digest digest.Digest
}

func (c canonicalReference) String() string        { return c.Name() + "@" + c.digest.String() }
func (c canonicalReference) Digest() digest.Digest { return c.digest }

type digestReference digest.Digest

func (d digestReference) String() string        { return digest.Digest(d).String() }
func (d digestReference) Digest() digest.Digest { return digest.Digest(d) }
