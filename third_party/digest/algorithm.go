package digest

import (
	"crypto"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// Algorithm names a hash function and the encoding of its sum in a digest.
// Every algorithm this package knows encodes in lowercase hex.
type Algorithm string

// The algorithms this package can compute.
const (
	SHA256 Algorithm = "sha256" // SHA-256, 64 lowercase hex characters
	SHA384 Algorithm = "sha384" // SHA-384, 96 lowercase hex characters
	SHA512 Algorithm = "sha512" // SHA-512, 128 lowercase hex characters

	// Canonical is the algorithm digests are computed with by default.
	Canonical = SHA256
)

// cryptoHash maps a known algorithm to its crypto.Hash. A switch rather than
// a package-level map keeps init free of work.
func (a Algorithm) cryptoHash() (crypto.Hash, bool) {
	switch a {
	case SHA256:
		return crypto.SHA256, true
	case SHA384:
		return crypto.SHA384, true
	case SHA512:
		return crypto.SHA512, true
	}
	return 0, false
}

// Available reports whether a is known and its hash implementation is
// linked into the program (crypto/sha256 or crypto/sha512 imported). When it
// is false, Hash, Digester and the From* methods panic.
func (a Algorithm) Available() bool {
	h, ok := a.cryptoHash()
	return ok && h.Available()
}

func (a Algorithm) String() string {
	return string(a)
}

// Size returns the number of bytes in a sum of a, or 0 for an unknown
// algorithm.
func (a Algorithm) Size() int {
	h, ok := a.cryptoHash()
	if !ok {
		return 0
	}
	return h.Size()
}

// Set lets Algorithm be a command-line flag value. The empty string selects
// Canonical; any other value is taken as given and must be Available.
func (a *Algorithm) Set(value string) error {
	if value == "" {
		*a = Canonical
	} else {
		*a = Algorithm(value)
	}
	if !a.Available() {
		return ErrDigestUnsupported
	}
	return nil
}

// Digester returns a Digester computing a digest with a. It panics when a is
// not Available (the hash is created at once), so check Available first.
func (a Algorithm) Digester() Digester {
	return &digester{alg: a, hash: a.Hash()}
}

// Hash returns a new hash.Hash for a. A missing hash is a programming error
// (the implementation was not imported), so it panics rather than returning
// an error.
func (a Algorithm) Hash() hash.Hash {
	if !a.Available() {
		if a == "" {
			panic("empty digest algorithm, validate before calling Algorithm.Hash()")
		}
		panic(fmt.Sprintf("%v not available (make sure it is imported)", a))
	}
	h, _ := a.cryptoHash()
	return h.New()
}

// Encode encodes a raw sum, as returned by hash.Hash.Sum, into the encoded
// part of a digest.
func (a Algorithm) Encode(d []byte) string {
	return hex.EncodeToString(d)
}

// FromReader digests everything rd yields until io.EOF.
func (a Algorithm) FromReader(rd io.Reader) (Digest, error) {
	d := a.Digester()
	if _, err := io.Copy(d.Hash(), rd); err != nil {
		return "", err
	}
	return d.Digest(), nil
}

// FromBytes digests p.
func (a Algorithm) FromBytes(p []byte) Digest {
	d := a.Digester()
	// hash.Hash documents that Write never returns an error; a failure here
	// would be a broken hash implementation, not bad input.
	if _, err := d.Hash().Write(p); err != nil {
		panic("write to hash function returned error: " + err.Error())
	}
	return d.Digest()
}

// FromString digests s.
func (a Algorithm) FromString(s string) Digest {
	return a.FromBytes([]byte(s))
}

// Validate checks encoded as the encoded part of a digest of a: a known
// algorithm (ErrDigestUnsupported otherwise), exactly twice its size in
// characters (ErrDigestInvalidLength) and lowercase hex only
// (ErrDigestInvalidFormat).
func (a Algorithm) Validate(encoded string) error {
	if _, ok := a.cryptoHash(); !ok {
		return ErrDigestUnsupported
	}
	if len(encoded) != a.Size()*2 {
		return ErrDigestInvalidLength
	}
	for i := 0; i < len(encoded); i++ {
		if c := encoded[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return ErrDigestInvalidFormat
		}
	}
	return nil
}
