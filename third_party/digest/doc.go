// Package digest is berth's own implementation of the API of
// github.com/opencontainers/go-digest v1.0.0: content digests of the form
// "algorithm:encoded" (sha256, sha384, sha512, lowercase hex), their
// validation, computation and verification.
//
// It differs from upstream in one way only: DigestRegexp and
// DigestRegexpAnchored are functions compiling the expressions on first call
// instead of variables compiled at init, so that importing the package costs
// a program nothing at start-up. See README.md.
package digest
