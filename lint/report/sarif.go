package report

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/berth-compose/berth/lint"
)

// SARIF 2.1.0 (OASIS), as much of it as berth fills. GitHub code scanning
// reads: tool.driver.rules (rule metadata), results[].ruleId/ruleIndex,
// level, message.text, locations[0].physicalLocation (relative uri, 1-based
// region), partialFingerprints and suppressions.
type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations"`
	// ColumnKind: berth counts columns in Unicode code points; SARIF's
	// default would be UTF-16 code units.
	ColumnKind string        `json:"columnKind"`
	Results    []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifText          `json:"shortDescription"`
	FullDescription      sarifText          `json:"fullDescription"`
	HelpURI              string             `json:"helpUri"`
	Help                 sarifHelp          `json:"help"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifConfiguration struct {
	Enabled bool   `json:"enabled"`
	Level   string `json:"level"`
}

type sarifRuleProps struct {
	Tags             []string `json:"tags"`
	SecuritySeverity string   `json:"security-severity,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool `json:"executionSuccessful"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn"`
	EndLine     int `json:"endLine,omitempty"`
	EndColumn   int `json:"endColumn,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

// FingerprintKey names berth's entry in results[].partialFingerprints.
const FingerprintKey = "berthLineHash/v1"

// sarifLevel maps a severity to a SARIF level.
func sarifLevel(s lint.Severity) string {
	switch s {
	case lint.Error:
		return "error"
	case lint.Warning:
		return "warning"
	}
	return "note"
}

// securitySeverity is the score GitHub ranks security alerts by (> 9.0
// critical, 7.0-8.9 high, 4.0-6.9 medium, below low), from the rule's
// default severity; only security rules get one.
func securitySeverity(r *lint.Rule) string {
	if r.Family() != "security" {
		return ""
	}
	switch r.Severity {
	case lint.Error:
		return "8.0"
	case lint.Warning:
		return "5.0"
	}
	return "2.0"
}

func newSARIFRule(r *lint.Rule) sarifRule {
	tags := []string{r.Family()}
	return sarifRule{
		ID: r.Code, Name: r.Name,
		ShortDescription: sarifText{r.Title},
		FullDescription:  sarifText{r.Text},
		HelpURI:          RuleURI(r),
		Help: sarifHelp{
			Text: r.Text + "\n\nBad:\n\n" + r.Bad + "\nGood:\n\n" + r.Good,
			Markdown: r.Text + "\n\nBad:\n\n```yaml\n" + r.Bad + "```\n\nGood:\n\n```yaml\n" + r.Good + "```\n\n" +
				"[" + r.Code + " " + r.Name + "](" + RuleURI(r) + ")",
		},
		DefaultConfiguration: sarifConfiguration{Enabled: r.Default, Level: sarifLevel(r.Severity)},
		Properties:           sarifRuleProps{Tags: tags, SecuritySeverity: securitySeverity(r)},
	}
}

// artifactURI turns a file name into a SARIF uri: relative paths (what
// berth prints) stay relative to the repository root (%SRCROOT%), with
// forward slashes and percent-escaped segments; absolute paths become
// file:// URIs.
func artifactURI(name string) sarifArtifact {
	p := filepath.ToSlash(name)
	abs := filepath.IsAbs(name) || strings.HasPrefix(p, "/")
	p = strings.TrimPrefix(p, "./")
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	p = strings.Join(segs, "/")
	if abs {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // a Windows drive path: file:///C:/...
		}
		return sarifArtifact{URI: "file://" + p}
	}
	return sarifArtifact{URI: p, URIBaseID: "%SRCROOT%"}
}

// fingerprinter computes partial fingerprints that survive lines moving: a
// hash of the rule, the file, the whitespace-normalised text of the line the
// diagnostic starts on and the occurrence of that triple so far (two
// identical lines in one file get different fingerprints).
type fingerprinter struct {
	srcs *sources
	seen map[string]int
}

func (f *fingerprinter) of(d lint.Diagnostic, code, uri string) string {
	text, ok := f.srcs.line(d.Pos.File, d.Pos.Line)
	if ok {
		text = strings.Join(strings.Fields(text), " ")
	} else {
		text = "path:" + d.Path // no source: the model path is as stable
	}
	key := code + "\x00" + uri + "\x00" + text
	n := f.seen[key]
	f.seen[key] = n + 1
	sum := sha256.Sum256([]byte(key + "\x00" + strconv.Itoa(n)))
	return hex.EncodeToString(sum[:16])
}

// newSARIF builds the SARIF log of diags: one run, every rule of
// Options.Rules in the driver, one result per diagnostic (suppressed ones
// marked, as GitHub expects).
func newSARIF(diags []lint.Diagnostic, o Options) sarifLog {
	rules := o.Rules
	if rules == nil {
		seen := map[*lint.Rule]bool{}
		for _, d := range diags {
			if d.Rule != nil && !seen[d.Rule] {
				seen[d.Rule] = true
				rules = append(rules, d.Rule)
			}
		}
		slices.SortFunc(rules, func(a, b *lint.Rule) int { return cmp.Compare(a.Code, b.Code) })
	}
	index := map[string]int{}
	driver := sarifDriver{Name: "berth", Version: toolVersion(o), InformationURI: InformationURI, Rules: []sarifRule{}}
	add := func(r *lint.Rule) {
		if _, ok := index[r.Code]; !ok {
			index[r.Code] = len(driver.Rules)
			driver.Rules = append(driver.Rules, newSARIFRule(r))
		}
	}
	for _, r := range rules {
		add(r)
	}
	fp := &fingerprinter{srcs: newSources(o.Sources), seen: map[string]int{}}
	results := []sarifResult{}
	for _, d := range diags {
		if d.Rule == nil {
			continue
		}
		add(d.Rule) // a rule missing from Options.Rules still gets metadata
		art := artifactURI(d.Pos.File)
		region := sarifRegion{StartLine: max(d.Pos.Line, 1), StartColumn: max(d.Pos.Column, 1)}
		if d.Pos.EndLine > region.StartLine || (d.Pos.EndLine == region.StartLine && d.Pos.EndColumn > region.StartColumn) {
			region.EndLine, region.EndColumn = d.Pos.EndLine, max(d.Pos.EndColumn, 1)
		}
		res := sarifResult{
			RuleID: d.Rule.Code, RuleIndex: index[d.Rule.Code], Level: sarifLevel(d.Severity),
			Message:             sarifText{d.Message},
			Locations:           []sarifLocation{{sarifPhysical{art, region}}},
			PartialFingerprints: map[string]string{FingerprintKey: fp.of(d, d.Rule.Code, art.URI)},
		}
		if d.Suppressed {
			res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: d.Justification}}
		}
		results = append(results, res)
	}
	return sarifLog{
		Schema:  "https://json.schemastore.org/sarif-2.1.0.json",
		Version: "2.1.0",
		Runs: []sarifRun{{
			Tool:        sarifTool{driver},
			Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
			ColumnKind:  "unicodeCodePoints",
			Results:     results,
		}},
	}
}

func writeSARIF(w io.Writer, diags []lint.Diagnostic, o Options) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(newSARIF(diags, o))
}
