package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"

	"github.com/berth-compose/berth/lint"
	"github.com/berth-compose/berth/load"
)

// sarifSchemaPath finds the OASIS SARIF 2.1.0 schema: $BERTH_SHARED/schemas,
// else the shared directory next to the repository.
func sarifSchemaPath(t *testing.T) string {
	t.Helper()
	var candidates []string
	if d := os.Getenv("BERTH_SHARED"); d != "" {
		candidates = append(candidates, filepath.Join(d, "schemas", "sarif-schema-2.1.0.json"))
	}
	candidates = append(candidates, filepath.Join("..", "..", "..", "shared", "schemas", "sarif-schema-2.1.0.json"))
	for _, p := range candidates {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "SARIF schema not found (set BERTH_SHARED to the directory holding schemas/sarif-schema-2.1.0.json); tried " + strings.Join(candidates, ", ")
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// TestSARIFSchema validates the SARIF output against the OASIS JSON Schema,
// with formats (uri, date-time) asserted.
func TestSARIFSchema(t *testing.T) {
	path := sarifSchemaPath(t)
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// v5 of this validator: v6 is replaced in go.mod by a stand-in without a
	// validator (third_party/jsonschema/README.md says why).
	c := jsonschema.NewCompiler()
	c.AssertFormat = true
	const url = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	if err := c.AddResource(url, f); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	for name, diags := range map[string][]lint.Diagnostic{
		"diagnostics":                 testDiagnostics(t),
		"clean":                       nil,
		"absolute and odd file names": oddFileDiagnostics(),
	} {
		t.Run(name, func(t *testing.T) {
			out := render(t, SARIF, diags, testOptions(false))
			inst, err := decodeJSON(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("SARIF output does not validate:\n%v", err)
			}
		})
	}
	// The validator bites: a level SARIF does not define is rejected.
	bad := bytes.Replace(render(t, SARIF, testDiagnostics(t), testOptions(false)), []byte(`"level": "note"`), []byte(`"level": "info"`), 1)
	inst, err := decodeJSON(bad)
	if err != nil {
		t.Fatal(err)
	}
	if sch.Validate(inst) == nil {
		t.Error(`the schema accepted "level": "info"`)
	}
}

// decodeJSON decodes a document the way the validator expects: numbers as
// json.Number.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func oddFileDiagnostics() []lint.Diagnostic {
	pos := func(file string) load.Position {
		return load.Position{File: file, Line: 1, Column: 1, EndLine: 1, EndColumn: 2}
	}
	return []lint.Diagnostic{
		{Rule: rulePrivileged, Severity: lint.Error, Pos: pos("/abs/dir/compose.yaml"), Message: "m"},
		{Rule: rulePrivileged, Severity: lint.Error, Pos: pos("dir with space/compose #1.yaml"), Message: "m"},
		{Rule: rulePrivileged, Severity: lint.Error, Pos: pos("./deploy/compose.yaml"), Message: "m"},
	}
}

// sarifDoc is the part of SARIF GitHub code scanning reads, decoded
// independently of the writer's types.
type sarifDoc struct {
	Version string `json:"version"`
	Runs    []struct {
		Tool struct {
			Driver struct {
				Name    string `json:"name"`
				Version string `json:"version"`
				Rules   []struct {
					ID               string                `json:"id"`
					ShortDescription struct{ Text string } `json:"shortDescription"`
					Help             struct{ Text, Markdown string }
					Default          struct{ Level string } `json:"defaultConfiguration"`
					Properties       map[string]any         `json:"properties"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		ColumnKind string `json:"columnKind"`
		Results    []struct {
			RuleID    string `json:"ruleId"`
			RuleIndex int    `json:"ruleIndex"`
			Level     string `json:"level"`
			Message   struct{ Text string }
			Locations []struct {
				PhysicalLocation struct {
					ArtifactLocation struct {
						URI       string `json:"uri"`
						URIBaseID string `json:"uriBaseId"`
					} `json:"artifactLocation"`
					Region struct {
						StartLine, StartColumn, EndLine, EndColumn int
					} `json:"region"`
				} `json:"physicalLocation"`
			} `json:"locations"`
			PartialFingerprints map[string]string `json:"partialFingerprints"`
			Suppressions        []struct{ Kind, Justification string }
		} `json:"results"`
	} `json:"runs"`
}

func decodeSARIF(t *testing.T, out []byte) sarifDoc {
	t.Helper()
	var doc sarifDoc
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Runs) != 1 {
		t.Fatalf("%d runs, want 1", len(doc.Runs))
	}
	return doc
}

// TestSARIFGitHub checks what GitHub code scanning needs beyond the schema
// (research/lint-anchors.md §4.2).
func TestSARIFGitHub(t *testing.T) {
	diags := testDiagnostics(t)
	doc := decodeSARIF(t, render(t, SARIF, diags, testOptions(false)))
	if doc.Version != "2.1.0" {
		t.Errorf("version %q", doc.Version)
	}
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name != "berth" || d.Version != "0.1.0" {
		t.Errorf("driver %q %q", d.Name, d.Version)
	}
	if run.ColumnKind != "unicodeCodePoints" {
		t.Errorf("columnKind %q: berth columns count characters", run.ColumnKind)
	}
	if len(d.Rules) != len(testRules) {
		t.Errorf("%d rules, want every rule of Options.Rules (%d)", len(d.Rules), len(testRules))
	}
	for _, r := range d.Rules {
		if r.ShortDescription.Text == "" || r.Help.Text == "" || !strings.Contains(r.Help.Markdown, "```yaml") {
			t.Errorf("rule %s lacks description or help with examples", r.ID)
		}
		tags, _ := r.Properties["tags"].([]any)
		if len(tags) == 0 {
			t.Errorf("rule %s has no tags", r.ID)
		}
		ss, has := r.Properties["security-severity"].(string)
		if security := strings.HasPrefix(r.ID, "BR3"); security != has {
			t.Errorf("rule %s: security-severity %q, want one exactly on security rules", r.ID, ss)
		} else if has {
			if v, err := strconv.ParseFloat(ss, 64); err != nil || v <= 0 || v > 10 {
				t.Errorf("rule %s: security-severity %q not a score", r.ID, ss)
			}
		}
	}
	if len(run.Results) != len(diags) {
		t.Fatalf("%d results for %d diagnostics (suppressed ones must stay, marked)", len(run.Results), len(diags))
	}
	fps := map[string]bool{}
	for i, res := range run.Results {
		if res.RuleIndex < 0 || res.RuleIndex >= len(d.Rules) || d.Rules[res.RuleIndex].ID != res.RuleID {
			t.Errorf("result %d: ruleIndex %d does not point at %s", i, res.RuleIndex, res.RuleID)
		}
		if res.Message.Text == "" || len(res.Locations) == 0 {
			t.Fatalf("result %d: no message or location", i)
		}
		loc := res.Locations[0].PhysicalLocation
		if u := loc.ArtifactLocation.URI; strings.Contains(u, "://") || strings.HasPrefix(u, "/") || strings.HasPrefix(u, "./") || strings.Contains(u, `\`) {
			t.Errorf("result %d: uri %q is not relative with forward slashes", i, u)
		}
		reg := loc.Region
		if reg.StartLine < 1 || reg.StartColumn < 1 {
			t.Errorf("result %d: region %+v not 1-based", i, reg)
		}
		if reg.EndLine != 0 && (reg.EndLine < reg.StartLine || reg.EndLine == reg.StartLine && reg.EndColumn <= reg.StartColumn) {
			t.Errorf("result %d: region %+v ends before it starts", i, reg)
		}
		fp := res.PartialFingerprints[FingerprintKey]
		if fp == "" || fps[fp] {
			t.Errorf("result %d: fingerprint %q empty or not unique", i, fp)
		}
		fps[fp] = true
		if diags[i].Suppressed != (len(res.Suppressions) > 0) {
			t.Errorf("result %d: suppressions %v, diagnostic suppressed=%v", i, res.Suppressions, diags[i].Suppressed)
		}
		for _, s := range res.Suppressions {
			if s.Kind != "inSource" || s.Justification != diags[i].Justification {
				t.Errorf("result %d: suppression %+v", i, s)
			}
		}
	}
}

// TestSARIFFingerprintStable: inserting lines above a finding, or
// re-indenting its line, keeps its fingerprint; identical lines get
// different ones.
func TestSARIFFingerprintStable(t *testing.T) {
	fingerprints := func(src string, lines ...int) []string {
		var diags []lint.Diagnostic
		for _, l := range lines {
			diags = append(diags, lint.Diagnostic{Rule: rulePrivileged, Severity: lint.Error, Message: "m",
				Pos: load.Position{File: "c.yaml", Line: l, Column: 5, EndLine: l, EndColumn: 9}})
		}
		doc := decodeSARIF(t, render(t, SARIF, diags, Options{Sources: map[string][]byte{"c.yaml": []byte(src)}}))
		var out []string
		for _, r := range doc.Runs[0].Results {
			out = append(out, r.PartialFingerprints[FingerprintKey])
		}
		return out
	}
	before := fingerprints("services:\n  a:\n    privileged: true\n  b:\n    privileged: true\n", 3, 5)
	after := fingerprints("# a comment\nservices:\n\n  a:\n      privileged:   true\n  b:\n    privileged: true\n", 5, 7)
	if before[0] != after[0] || before[1] != after[1] {
		t.Errorf("fingerprints moved with the lines: %v -> %v", before, after)
	}
	if before[0] == before[1] {
		t.Error("two findings on identical lines share a fingerprint")
	}
}

func TestArtifactURI(t *testing.T) {
	for in, want := range map[string]sarifArtifact{
		"compose.yaml":              {URI: "compose.yaml", URIBaseID: "%SRCROOT%"},
		"./deploy/compose.yaml":     {URI: "deploy/compose.yaml", URIBaseID: "%SRCROOT%"},
		"a b/c#1.yaml":              {URI: "a%20b/c%231.yaml", URIBaseID: "%SRCROOT%"},
		"/srv/app/compose.yaml":     {URI: "file:///srv/app/compose.yaml"},
		filepath.Join("x", "y.yml"): {URI: "x/y.yml", URIBaseID: "%SRCROOT%"},
	} {
		if got := artifactURI(in); got != want {
			t.Errorf("artifactURI(%q) = %+v, want %+v", in, got, want)
		}
	}
}

// TestJSONRoundTrip decodes the JSON output into the documented wire struct
// (strictly: no unknown fields) and compares it with the diagnostics.
func TestJSONRoundTrip(t *testing.T) {
	diags := testDiagnostics(t)
	out := render(t, JSON, diags, testOptions(false))
	dec := json.NewDecoder(bytes.NewReader(out))
	dec.DisallowUnknownFields()
	var rep JSONReport
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("JSON output does not decode into JSONReport: %v", err)
	}
	if rep.FormatVersion != JSONFormatVersion || rep.Tool.Name != "berth" || rep.Tool.Version != "0.1.0" {
		t.Errorf("header %+v %+v", rep.FormatVersion, rep.Tool)
	}
	if len(rep.Diagnostics) != len(diags) {
		t.Fatalf("%d diagnostics, want %d", len(rep.Diagnostics), len(diags))
	}
	for i, d := range diags {
		got := rep.Diagnostics[i]
		want := JSONDiagnostic{File: d.Pos.File, Line: d.Pos.Line, Column: d.Pos.Column, EndLine: d.Pos.EndLine, EndColumn: d.Pos.EndColumn,
			Code: d.Rule.Code, Name: d.Rule.Name, Severity: d.Severity.String(), Family: d.Rule.Family(), Message: d.Message,
			Path: d.Path, Fixable: len(d.Fixes) > 0, Suppressed: d.Suppressed, Justification: d.Justification}
		if got != want {
			t.Errorf("diagnostic %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if rep.Summary != Count(diags) || rep.Summary.Suppressed != 1 || rep.Summary.Problems != len(diags)-1 {
		t.Errorf("summary %+v", rep.Summary)
	}
	again, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	json.Unmarshal(out, &a)
	json.Unmarshal(again, &b)
	if ja, _ := json.Marshal(a); !bytes.Equal(ja, mustMarshal(b)) {
		t.Error("re-encoding the decoded report changes it")
	}
}

func mustMarshal(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
