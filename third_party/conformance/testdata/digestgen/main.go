// Command digestgen writes testdata/digest.jsonl: the results of the REAL
// github.com/opencontainers/go-digest v1.0.0 on the inputs below, which
// TestDigestMatchesUpstream (../../digest_test.go) holds berth's stand-in
// (third_party/digest) to. It lives under testdata so that it never builds
// into berth, and it must run outside berth's module, where go.mod's replace
// directive would swap in the stand-in. From the repository root:
//
//	d=$(mktemp -d) && cp third_party/conformance/testdata/digestgen/main.go "$d" &&
//	  (cd "$d" && go mod init digestgen && go get github.com/opencontainers/go-digest@v1.0.0 &&
//	   go run .) > third_party/conformance/testdata/digest.jsonl
//
// Keep the inputs and compute in step with digest_test.go: the test runs the
// same calls, with one difference, DigestRegexp and DigestRegexpAnchored
// being functions in the stand-in and variables upstream.
package main

import (
	"bytes"
	_ "crypto/sha256" // registers the algorithms, as berth's dependencies do
	_ "crypto/sha512"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/opencontainers/go-digest"
)

// result is one line of digest.jsonl; the same struct is in digest_test.go.
type result struct {
	Kind string `json:"kind"` // digest, content, algorithm or errors

	// kind digest: calls on Digest(Input)
	Input          string `json:"input,omitempty"`
	ParseErr       string `json:"parse_err,omitempty"`
	Algorithm      string `json:"algorithm,omitempty"`
	AlgorithmPanic string `json:"algorithm_panic,omitempty"`
	Encoded        string `json:"encoded,omitempty"`
	EncodedPanic   string `json:"encoded_panic,omitempty"`
	Hex            string `json:"hex,omitempty"`
	AlgValidateErr string `json:"alg_validate_err,omitempty"`
	Verified       bool   `json:"verified,omitempty"` // content "hello"
	VerifierPanic  string `json:"verifier_panic,omitempty"`
	RegexpAnchored bool   `json:"regexp_anchored,omitempty"`
	RegexpFind     string `json:"regexp_find,omitempty"`

	// kind content: digests of Content
	Content        string `json:"content,omitempty"`
	FromString     string `json:"from_string,omitempty"`
	FromBytes      string `json:"from_bytes,omitempty"`
	FromReader     string `json:"from_reader,omitempty"`
	SHA384         string `json:"sha384,omitempty"`
	SHA512         string `json:"sha512,omitempty"`
	Digester512    string `json:"digester512,omitempty"`
	VerifiesOwn    bool   `json:"verifies_own,omitempty"`
	VerifiesOther  bool   `json:"verifies_other,omitempty"`
	FromStringOK   bool   `json:"from_string_ok,omitempty"` // Validate of FromString is nil
	ParseFromBytes string `json:"parse_from_bytes,omitempty"`

	// kind algorithm: calls on Algorithm(Alg); also Available and Size of
	// kind digest's Algorithm()
	Alg             string `json:"alg,omitempty"`
	Available       bool   `json:"available,omitempty"`
	Size            int    `json:"size,omitempty"`
	SetValue        string `json:"set_value,omitempty"`
	SetErr          string `json:"set_err,omitempty"`
	HashSize        int    `json:"hash_size,omitempty"`
	HashPanic       string `json:"hash_panic,omitempty"`
	DigesterPanic   string `json:"digester_panic,omitempty"`
	Encode          string `json:"encode,omitempty"`
	FromBytesRaw    string `json:"from_bytes_raw,omitempty"`
	FromEncoded     string `json:"from_encoded,omitempty"`
	FromHex         string `json:"from_hex,omitempty"`
	ValidateEmpty   string `json:"validate_empty,omitempty"`
	ValidateSized   string `json:"validate_sized,omitempty"`
	ValidateUpper   string `json:"validate_upper,omitempty"`
	FromStringPanic string `json:"from_string_panic,omitempty"`

	// kind errors: the texts of the exported error values
	ErrInvalidFormat string `json:"err_invalid_format,omitempty"`
	ErrInvalidLength string `json:"err_invalid_length,omitempty"`
	ErrUnsupported   string `json:"err_unsupported,omitempty"`
}

// hexN returns n lowercase hex characters.
func hexN(n int) string {
	return strings.Repeat("0123456789abcdef", n/16+1)[:n]
}

func digestInputs() []string {
	h64, h96, h128 := hexN(64), hexN(96), hexN(128)
	up := strings.ToUpper
	return []string{
		"sha256:" + h64,
		"sha384:" + h96,
		"sha512:" + h128,
		"sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", // of "hello"
		"sha256:" + h64[:63],
		"sha256:" + h64 + "0",
		"sha256:" + h96,
		"sha384:" + h64,
		"sha384:" + h128,
		"sha512:" + h64,
		"sha512:" + h128[:127],
		"sha256:" + up(h64),
		"sha256:" + h64[:63] + "A",
		"sha384:" + up(h96),
		"sha512:" + up(h128),
		"sha256:g" + h64[1:],
		"sha256: " + h64[1:],
		"sha256:" + h64[:63] + "=",
		"sha256:" + h64[:63] + "\n",
		"sha256:" + h64[:63] + "é",
		"SHA256:" + h64,
		"Sha256:" + h64,
		" sha256:" + h64,
		"sha256 :" + h64,
		"sha256:" + h64 + " ",
		"",
		":",
		"::",
		"sha256",
		"sha256:",
		":" + h64,
		"sha256::" + h64,
		"sha256:" + h64 + ":",
		"sha256@" + h64,
		h64,
		"md5:d41d8cd98f00b204e9800998ecf8427e",
		"sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
		"sha3-256:" + h64,
		"blake3:" + h64,
		"sha256+b64u:LCa0a2j_xo_5m0U8HTBBNBNCLXBkg7-g-YpeiGJm564",
		"multihash+base58:QmRZxt2b1FVZPNqd8hsiykDL3TdBDeTSPX9Kv46HmX4Gx8",
		"foo.bar:abc",
		"foo..bar:abc",
		"foo.:abc",
		".foo:abc",
		"-foo:abc",
		"foo_-bar:abc",
		"f.o+o_b-a9r:abc",
		"a:b",
		"0:0",
		"a:=",
		"a:-_=",
		"a:ABC",
		"a:b c",
		"a:b/c",
		"a:b.c",
		"a:b+c",
		"a:é",
		"é:abc",
		"UPPER:abc",
		"sha 256:" + h64,
		"sha256:" + h64 + "\x00",
		"a:ｂ",
		"sha256:" + h64 + "\nsha256:" + h64,
		"text with sha512:" + h128 + " inside",
	}
}

func contentInputs() []string {
	return []string{"", "hello", "hello\n", "berth", strings.Repeat("x", 10000), "é\x00"}
}

func algorithmInputs() []string {
	return []string{"", "sha256", "sha384", "sha512", "SHA256", "md5", "sha1", "sha3-256", "blake3", "sha256 ", "foo"}
}

// catch runs f and returns the text of its panic, or "".
func catch(f func()) (msg string) {
	defer func() {
		if r := recover(); r != nil {
			msg = fmt.Sprint(r)
		}
	}()
	f()
	return ""
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func computeDigest(in string) result {
	r := result{Kind: "digest", Input: in}
	d, err := digest.Parse(in)
	r.ParseErr = errText(err)
	if d != digest.Digest(in) {
		r.ParseErr += " (Parse returned " + string(d) + ")"
	}
	r.AlgorithmPanic = catch(func() {
		alg := d.Algorithm()
		r.Algorithm = alg.String()
		r.Available = alg.Available()
		r.Size = alg.Size()
	})
	r.EncodedPanic = catch(func() { r.Encoded = d.Encoded(); r.Hex = d.Hex() })
	if r.AlgorithmPanic == "" && r.EncodedPanic == "" {
		r.AlgValidateErr = errText(d.Algorithm().Validate(d.Encoded()))
	}
	r.VerifierPanic = catch(func() {
		v := d.Verifier()
		v.Write([]byte("hel"))
		v.Write([]byte("lo"))
		r.Verified = v.Verified()
	})
	r.RegexpAnchored = digest.DigestRegexpAnchored.MatchString(in)
	r.RegexpFind = digest.DigestRegexp.FindString(in)
	return r
}

func computeContent(in string) result {
	r := result{Kind: "content", Content: in}
	d := digest.FromString(in)
	r.FromString = string(d)
	r.FromStringOK = d.Validate() == nil
	r.FromBytes = string(digest.FromBytes([]byte(in)))
	if fr, err := digest.FromReader(strings.NewReader(in)); err != nil {
		r.FromReader = "error: " + err.Error()
	} else {
		r.FromReader = string(fr)
	}
	r.SHA384 = string(digest.SHA384.FromString(in))
	r.SHA512 = string(digest.SHA512.FromBytes([]byte(in)))
	dg := digest.SHA512.Digester()
	dg.Hash().Write([]byte(in))
	r.Digester512 = string(dg.Digest())
	v := d.Verifier()
	v.Write([]byte(in))
	r.VerifiesOwn = v.Verified()
	v = d.Verifier()
	v.Write([]byte(in + "x"))
	r.VerifiesOther = v.Verified()
	p, err := digest.Parse(r.SHA384)
	r.ParseFromBytes = string(p) + " " + errText(err)
	return r
}

func computeAlgorithm(in string) result {
	alg := digest.Algorithm(in)
	r := result{Kind: "algorithm", Alg: in, Available: alg.Available(), Size: alg.Size()}
	var set digest.Algorithm
	r.SetErr = errText(set.Set(in))
	r.SetValue = string(set)
	r.HashPanic = catch(func() { r.HashSize = alg.Hash().Size() })
	r.DigesterPanic = catch(func() { alg.Digester() })
	r.FromStringPanic = catch(func() { alg.FromString("x") })
	raw := []byte{0x00, 0x01, 0x7f, 0xab, 0xff}
	r.Encode = alg.Encode(raw)
	r.FromBytesRaw = string(digest.NewDigestFromBytes(alg, raw))
	r.FromEncoded = string(digest.NewDigestFromEncoded(alg, "AbC="))
	r.FromHex = string(digest.NewDigestFromHex(in, "abc"))
	r.ValidateEmpty = errText(alg.Validate(""))
	r.ValidateSized = errText(alg.Validate(hexN(alg.Size() * 2)))
	r.ValidateUpper = errText(alg.Validate(strings.ToUpper(hexN(alg.Size() * 2))))
	return r
}

func main() {
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	emit := func(r result) {
		if err := enc.Encode(r); err != nil {
			fmt.Fprintln(os.Stderr, "digestgen:", err)
			os.Exit(1)
		}
	}
	emit(result{
		Kind:             "errors",
		ErrInvalidFormat: digest.ErrDigestInvalidFormat.Error(),
		ErrInvalidLength: digest.ErrDigestInvalidLength.Error(),
		ErrUnsupported:   digest.ErrDigestUnsupported.Error(),
	})
	for _, in := range digestInputs() {
		emit(computeDigest(in))
	}
	for _, in := range contentInputs() {
		emit(computeContent(in))
	}
	for _, in := range algorithmInputs() {
		emit(computeAlgorithm(in))
	}
	os.Stdout.Write(out.Bytes())
}
