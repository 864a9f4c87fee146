package digest

import (
	"errors"
	"fmt"
	"hash"
	"io"
	"regexp"
	"strings"
	"sync"
)

// Digest is a content digest in the form "algorithm:encoded", for example
//
//	sha256:7173b809ca12ec5dee4506cd86be934c4596dd234ee82c0662eac04a8c2c71dc
//
// Being a string, digests compare with ==. A Digest obtained from Parse or
// the From* functions is valid; Algorithm and Encoded panic on a string
// without a ':'.
type Digest string

// NewDigest returns the digest of alg for the current sum of h.
func NewDigest(alg Algorithm, h hash.Hash) Digest {
	return NewDigestFromBytes(alg, h.Sum(nil))
}

// NewDigestFromBytes returns the digest of alg for the raw sum p, as from
// hash.Hash.Sum or a binary serialization.
func NewDigestFromBytes(alg Algorithm, p []byte) Digest {
	return NewDigestFromEncoded(alg, alg.Encode(p))
}

// NewDigestFromHex joins alg and hex like NewDigestFromEncoded, which new
// code should call instead (upstream calls this one deprecated, informally).
func NewDigestFromHex(alg, hex string) Digest {
	return NewDigestFromEncoded(Algorithm(alg), hex)
}

// NewDigestFromEncoded joins alg and encoded into a Digest without checking
// either.
func NewDigestFromEncoded(alg Algorithm, encoded string) Digest {
	return Digest(string(alg) + ":" + encoded)
}

// The two regular expressions of the digest grammar. The upstream module
// exports them as package variables compiled at init, which every program
// importing it pays for; here they are functions compiling on first call.
// Nothing in this package uses them: Validate checks the grammar by hand.
var (
	regexpsOnce          sync.Once
	digestRegexp         *regexp.Regexp
	digestRegexpAnchored *regexp.Regexp
)

const digestPattern = `[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+`

func compileRegexps() {
	digestRegexp = regexp.MustCompile(digestPattern)
	digestRegexpAnchored = regexp.MustCompile(`^` + digestPattern + `$`)
}

// DigestRegexp returns the expression matching digests of any algorithm,
// known or not.
func DigestRegexp() *regexp.Regexp {
	regexpsOnce.Do(compileRegexps)
	return digestRegexp
}

// DigestRegexpAnchored returns DigestRegexp anchored at both ends.
func DigestRegexpAnchored() *regexp.Regexp {
	regexpsOnce.Do(compileRegexps)
	return digestRegexpAnchored
}

// The errors of Parse and Validate. errors.New, unlike fmt.Errorf, is
// initialized statically by the compiler, with the same dynamic type and
// texts as upstream's values.
var (
	// ErrDigestInvalidFormat is returned when a digest does not follow the
	// grammar or its encoded part is not lowercase hex.
	ErrDigestInvalidFormat = errors.New("invalid checksum digest format")

	// ErrDigestInvalidLength is returned when the encoded part of a digest of
	// a known algorithm has the wrong length.
	ErrDigestInvalidLength = errors.New("invalid checksum digest length")

	// ErrDigestUnsupported is returned for a well-formed digest whose
	// algorithm is unknown or not linked into the program.
	ErrDigestUnsupported = errors.New("unsupported digest algorithm")
)

// Parse returns s as a Digest together with the result of its Validate.
func Parse(s string) (Digest, error) {
	d := Digest(s)
	return d, d.Validate()
}

// FromReader digests everything rd yields until io.EOF with Canonical.
func FromReader(rd io.Reader) (Digest, error) {
	return Canonical.FromReader(rd)
}

// FromBytes digests p with Canonical.
func FromBytes(p []byte) Digest {
	return Canonical.FromBytes(p)
}

// FromString digests s with Canonical.
func FromString(s string) Digest {
	return Canonical.FromString(s)
}

// Validate checks d: ErrDigestInvalidFormat when there is no algorithm or no
// encoded part, or, for an algorithm that is not Available, when d does not
// follow the general grammar (DigestRegexpAnchored), and ErrDigestUnsupported
// when it does. For an available algorithm it returns Algorithm.Validate of
// the encoded part.
func (d Digest) Validate() error {
	s := string(d)
	i := strings.IndexByte(s, ':')
	if i <= 0 || i+1 == len(s) {
		return ErrDigestInvalidFormat
	}
	alg, encoded := Algorithm(s[:i]), s[i+1:]
	if !alg.Available() {
		if !validAlgorithmName(string(alg)) || !validEncoded(encoded) {
			return ErrDigestInvalidFormat
		}
		return ErrDigestUnsupported
	}
	return alg.Validate(encoded)
}

// validAlgorithmName reports whether s matches [a-z0-9]+(?:[.+_-][a-z0-9]+)*:
// runs of lowercase letters and digits joined by single separators.
func validAlgorithmName(s string) bool {
	if s == "" {
		return false
	}
	afterSeparator := true // at the start, as after a separator, a run must begin
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
			afterSeparator = false
		case c == '.' || c == '+' || c == '_' || c == '-':
			if afterSeparator {
				return false
			}
			afterSeparator = true
		default:
			return false
		}
	}
	return !afterSeparator
}

// validEncoded reports whether s matches [a-zA-Z0-9=_-]+.
func validEncoded(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '=' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Algorithm returns the part of d before the first ':'. It panics when d has
// no ':'.
func (d Digest) Algorithm() Algorithm {
	return Algorithm(d[:d.sepIndex()])
}

// Verifier returns a writer that reports whether the content written to it
// has digest d. It panics when d's algorithm is not Available.
func (d Digest) Verifier() Verifier {
	return hashVerifier{hash: d.Algorithm().Hash(), digest: d}
}

// Encoded returns the part of d after the first ':'. It panics when d has no
// ':'.
func (d Digest) Encoded() string {
	return string(d[d.sepIndex()+1:])
}

// Hex returns d.Encoded(), which new code should call instead (upstream
// calls this one deprecated, informally).
func (d Digest) Hex() string {
	return d.Encoded()
}

func (d Digest) String() string {
	return string(d)
}

func (d Digest) sepIndex() int {
	i := strings.IndexByte(string(d), ':')
	if i < 0 {
		panic(fmt.Sprintf("no ':' separator in digest %q", d))
	}
	return i
}
