package conformance

import (
	"bufio"
	_ "crypto/sha256" // registers the digest algorithm, as berth does
	_ "crypto/sha512"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"testing"

	composeschema "github.com/compose-spec/compose-go/v2/schema"
	"github.com/distribution/reference"
	"github.com/santhosh-tekuri/jsonschema/v6"
)

// result is one line of testdata/reference.jsonl. The file was produced by
// running the same calls against github.com/distribution/reference v0.5.0,
// the module the stand-in replaces.
type result struct {
	Input         string `json:"input"`
	Normalized    string `json:"normalized,omitempty"`
	NormalizedErr string `json:"normalized_err,omitempty"`
	DockerRef     string `json:"docker_ref,omitempty"`
	DockerRefErr  string `json:"docker_ref_err,omitempty"`
	Familiar      string `json:"familiar,omitempty"`
	Domain        string `json:"domain,omitempty"`
	Path          string `json:"path,omitempty"`
	Parsed        string `json:"parsed,omitempty"`
	ParsedType    string `json:"parsed_type,omitempty"`
	ParseErr      string `json:"parse_err,omitempty"`
}

func compute(in string) result {
	r := result{Input: in}
	if n, err := reference.ParseNormalizedNamed(in); err != nil {
		r.NormalizedErr = err.Error()
	} else {
		r.Normalized = n.String()
		r.Familiar = reference.FamiliarString(n)
		r.Domain = reference.Domain(n)
		r.Path = reference.Path(n)
	}
	if n, err := reference.ParseDockerRef(in); err != nil {
		r.DockerRefErr = err.Error()
	} else {
		r.DockerRef = n.String()
	}
	if p, err := reference.Parse(in); err != nil {
		r.ParseErr = err.Error()
	} else {
		r.Parsed = p.String()
		_, named := p.(reference.Named)
		_, tagged := p.(reference.Tagged)
		_, digested := p.(reference.Digested)
		r.ParsedType = fmt.Sprintf("named=%v tagged=%v digested=%v", named, tagged, digested)
	}
	return r
}

func TestReferenceMatchesUpstream(t *testing.T) {
	f, err := os.Open("testdata/reference.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		var want result
		if err := json.Unmarshal(sc.Bytes(), &want); err != nil {
			t.Fatalf("line %d: %v", n+1, err)
		}
		n++
		if got := compute(want.Input); got != want {
			t.Errorf("%q:\n got  %+v\n want %+v", want.Input, got, want)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 60 {
		t.Fatalf("only %d cases in testdata/reference.jsonl", n)
	}
}

// TestReferenceHelpers covers the calls the table does not: building
// references from parts, as compose-go's image digest resolution does.
func TestReferenceHelpers(t *testing.T) {
	named, err := reference.ParseNormalizedNamed("team/app:1")
	if err != nil {
		t.Fatal(err)
	}
	const d = "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	c, err := reference.WithDigest(named, d)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.String(), "docker.io/team/app:1@"+d; got != want {
		t.Errorf("WithDigest = %s, want %s", got, want)
	}
	if _, err := reference.WithDigest(named, "sha256:xyz"); !errors.Is(err, reference.ErrDigestInvalidFormat) {
		t.Errorf("WithDigest(bad) = %v, want ErrDigestInvalidFormat", err)
	}
	if _, err := reference.WithTag(named, "-x"); !errors.Is(err, reference.ErrTagInvalidFormat) {
		t.Errorf("WithTag(bad) = %v, want ErrTagInvalidFormat", err)
	}
	if got := reference.TrimNamed(c).String(); got != "docker.io/team/app" {
		t.Errorf("TrimNamed = %s", got)
	}
	if _, err := reference.WithName("x/UPPER"); err == nil {
		t.Error("WithName accepted an uppercase name")
	}
	if reference.IsNameOnly(named) || !reference.IsNameOnly(reference.TrimNamed(named)) {
		t.Error("IsNameOnly is wrong")
	}
}

// TestComposeGoValidationIsNotLinked holds the contract of the jsonschema
// stand-in: berth never validates through compose-go, and a code path that
// tried would fail loudly rather than pass everything.
func TestComposeGoValidationIsNotLinked(t *testing.T) {
	err := composeschema.Validate(map[string]any{"services": map[string]any{"web": map[string]any{"image": 1}}})
	if !errors.Is(err, jsonschema.ErrNotLinked) {
		t.Fatalf("compose-go schema.Validate = %v, want ErrNotLinked", err)
	}
}
