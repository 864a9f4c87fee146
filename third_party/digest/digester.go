package digest

import (
	"hash"
	"io"
)

// Digester computes a digest: write the content to Hash, then call Digest.
type Digester interface {
	Hash() hash.Hash // the hash the content is written to
	Digest() Digest
}

type digester struct {
	alg  Algorithm
	hash hash.Hash
}

func (d *digester) Hash() hash.Hash { return d.hash }

func (d *digester) Digest() Digest { return NewDigest(d.alg, d.hash) }

// Verifier checks content against a digest: write the content, then call
// Verified.
type Verifier interface {
	io.Writer

	// Verified reports whether everything written so far has the digest.
	Verified() bool
}

type hashVerifier struct {
	digest Digest
	hash   hash.Hash
}

func (v hashVerifier) Write(p []byte) (int, error) { return v.hash.Write(p) }

func (v hashVerifier) Verified() bool {
	return v.digest == NewDigest(v.digest.Algorithm(), v.hash)
}
