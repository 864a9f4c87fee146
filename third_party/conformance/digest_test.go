package conformance

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
)

// digestResult is one line of testdata/digest.jsonl, which was produced by
// testdata/digestgen running the same calls against the real
// github.com/opencontainers/go-digest v1.0.0 (see its doc comment to
// regenerate). The struct and the compute functions are copies of the
// generator's; keep them in step.
type digestResult struct {
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

// catchPanic runs f and returns the text of its panic, or "".
func catchPanic(f func()) (msg string) {
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

func computeDigest(in string) digestResult {
	r := digestResult{Kind: "digest", Input: in}
	d, err := digest.Parse(in)
	r.ParseErr = errText(err)
	if d != digest.Digest(in) {
		r.ParseErr += " (Parse returned " + string(d) + ")"
	}
	r.AlgorithmPanic = catchPanic(func() {
		alg := d.Algorithm()
		r.Algorithm = alg.String()
		r.Available = alg.Available()
		r.Size = alg.Size()
	})
	r.EncodedPanic = catchPanic(func() { r.Encoded = d.Encoded(); r.Hex = d.Hex() })
	if r.AlgorithmPanic == "" && r.EncodedPanic == "" {
		r.AlgValidateErr = errText(d.Algorithm().Validate(d.Encoded()))
	}
	r.VerifierPanic = catchPanic(func() {
		v := d.Verifier()
		v.Write([]byte("hel"))
		v.Write([]byte("lo"))
		r.Verified = v.Verified()
	})
	r.RegexpAnchored = digest.DigestRegexpAnchored().MatchString(in)
	r.RegexpFind = digest.DigestRegexp().FindString(in)
	return r
}

func computeContent(in string) digestResult {
	r := digestResult{Kind: "content", Content: in}
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

func computeAlgorithm(in string) digestResult {
	alg := digest.Algorithm(in)
	r := digestResult{Kind: "algorithm", Alg: in, Available: alg.Available(), Size: alg.Size()}
	var set digest.Algorithm
	r.SetErr = errText(set.Set(in))
	r.SetValue = string(set)
	r.HashPanic = catchPanic(func() { r.HashSize = alg.Hash().Size() })
	r.DigesterPanic = catchPanic(func() { alg.Digester() })
	r.FromStringPanic = catchPanic(func() { alg.FromString("x") })
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

func TestDigestMatchesUpstream(t *testing.T) {
	f, err := os.Open("testdata/digest.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	counts := map[string]int{}
	for line := 1; sc.Scan(); line++ {
		var want digestResult
		if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
			t.Fatalf("line %d: %v", line, err)
		}
		counts[want.Kind]++
		var got digestResult
		switch want.Kind {
		case "digest":
			got = computeDigest(want.Input)
		case "content":
			got = computeContent(want.Content)
		case "algorithm":
			got = computeAlgorithm(want.Alg)
		case "errors":
			got = digestResult{
				Kind:             "errors",
				ErrInvalidFormat: digest.ErrDigestInvalidFormat.Error(),
				ErrInvalidLength: digest.ErrDigestInvalidLength.Error(),
				ErrUnsupported:   digest.ErrDigestUnsupported.Error(),
			}
		default:
			t.Fatalf("line %d: unknown kind %q", line, want.Kind)
		}
		if got != want {
			g, _ := json.Marshal(got)
			t.Errorf("line %d:\n got  %s\n want %s", line, g, sc.Bytes())
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if counts["digest"] < 50 || counts["content"] < 5 || counts["algorithm"] < 8 || counts["errors"] != 1 {
		t.Fatalf("testdata/digest.jsonl is short: %v", counts)
	}
}

// TestDigestErrorIdentity covers what texts cannot: callers compare the
// returned errors with == and errors.Is against the exported values.
func TestDigestErrorIdentity(t *testing.T) {
	for in, want := range map[string]error{
		"sha256:abc":               digest.ErrDigestInvalidLength,
		"sha256:" + hexN(63) + "G": digest.ErrDigestInvalidFormat,
		"foo:abc":                  digest.ErrDigestUnsupported,
		"foo..bar:abc":             digest.ErrDigestInvalidFormat,
	} {
		if _, err := digest.Parse(in); err != want {
			t.Errorf("Parse(%q) = %v, want the exported %v", in, err, want)
		}
	}
	var a digest.Algorithm
	if err := a.Set("md5"); err != digest.ErrDigestUnsupported {
		t.Errorf("Set(md5) = %v, want ErrDigestUnsupported", err)
	}
}
