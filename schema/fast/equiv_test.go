package fast_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/berth-compose/berth/schema"
	"github.com/berth-compose/berth/schema/fast"
	yaml "go.yaml.in/yaml/v4"
)

// knownWeaker lists inputs where the CUE reference is known to report less
// than fast: fast must report a superset there, and every extra violation
// must be explained here. Keys are the case names the test prints.
var knownWeaker = map[string]string{}

// parseDocs parses a file the way berth does (yaml/v4, every document).
func parseDocs(src []byte) ([]*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(src))
	var docs []*yaml.Node
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("parsing YAML: %w", err)
		}
		docs = append(docs, &n)
	}
}

func keys(vs []schema.Violation) []string {
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, fmt.Sprintf("%d:%d %s", v.Line, v.Col, v.Rule.Code))
	}
	sort.Strings(out)
	return out
}

// fileLevel reports whether the reference verdict is about the file rather
// than its documents (syntax, empty file), which fast leaves to its caller.
func fileLevel(vs []schema.Violation) bool {
	for _, v := range vs {
		if v.Rule == schema.RuleYAMLSyntax || v.Rule == schema.RuleEmptyFile {
			return true
		}
	}
	return false
}

type result struct{ compared, skipped, weaker int }

// compare validates src with both validators and fails t on any difference
// not listed in knownWeaker.
func compare(t *testing.T, name string, src []byte, res *result) {
	t.Helper()
	want := schema.Validate(name, src)
	docs, err := parseDocs(src)
	if err != nil || fileLevel(want) {
		res.skipped++
		return
	}
	got := fast.ValidateDocs(name, docs)
	res.compared++
	g, w := keys(got), keys(want)
	if slices.Equal(g, w) {
		return
	}
	detail := func() string {
		var b strings.Builder
		fmt.Fprintf(&b, "\n--- source\n%s\n--- fast", src)
		for _, v := range got {
			fmt.Fprintf(&b, "\n  %s [%s]", v, v.Path)
		}
		b.WriteString("\n--- schema (CUE)")
		for _, v := range want {
			fmt.Fprintf(&b, "\n  %s [%s]", v, v.Path)
		}
		return b.String()
	}
	if reason, ok := knownWeaker[name]; ok {
		for _, x := range w {
			if !slices.Contains(g, x) {
				t.Errorf("%s: listed as CUE-weaker (%s) but fast misses %s%s", name, reason, x, detail())
				return
			}
		}
		res.weaker++
		return
	}
	t.Errorf("%s: fast %v, schema %v%s", name, g, w, detail())
}

func schemaTestdata(t *testing.T) []string {
	files, _ := filepath.Glob(filepath.Join("..", "testdata", "*", "*.yaml"))
	more, _ := filepath.Glob(filepath.Join("testdata", "*.yaml"))
	files = append(files, more...)
	if len(files) == 0 {
		msg := "no schema/testdata fixtures yet"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return files
}

func corpusFiles(t *testing.T) []string {
	dir := os.Getenv("BERTH_CORPUS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "corpus")
	}
	var files []string
	for _, pat := range []string{"compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml"} {
		m, _ := filepath.Glob(filepath.Join(dir, "awesome", "*", pat))
		files = append(files, m...)
	}
	if len(files) == 0 {
		msg := fmt.Sprintf("corpus not found under %s/awesome (set BERTH_CORPUS)", dir)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	sort.Strings(files)
	return files
}

// TestEquivalenceFixtures: every fixture of package schema (valid and
// invalid) and of this package gives the same (line, column, rule) set.
func TestEquivalenceFixtures(t *testing.T) {
	var res result
	for _, f := range schemaTestdata(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		compare(t, f, src, &res)
	}
	t.Logf("fixtures: %d compared, %d file-level (syntax/empty) skipped, %d listed CUE-weaker", res.compared, res.skipped, res.weaker)
}

// TestEquivalenceCorpus: the real-world corpus files.
func TestEquivalenceCorpus(t *testing.T) {
	var res result
	for _, f := range corpusFiles(t) {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		compare(t, f, src, &res)
	}
	t.Logf("corpus: %d compared, %d skipped, %d listed CUE-weaker", res.compared, res.skipped, res.weaker)
}

// mutations yields, for every key of every service of src, the four
// mutations of the research notes (cue-compose-go.md §1.4): the key
// renamed to keyz, its value set to 12345, to {bogus: true} and to
// [{bogus: true}]. Each mutant is re-encoded by yaml/v4, so both validators
// see the same text.
func mutations(src []byte) (map[string][]byte, error) {
	out := map[string][]byte{}
	docs, err := parseDocs(src)
	if err != nil {
		return nil, err
	}
	for di := range docs {
		fresh := func() (*yaml.Node, []*yaml.Node) {
			d, _ := parseDocs(src)
			return d[di], d
		}
		services := func(doc *yaml.Node) *yaml.Node {
			if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
				return nil
			}
			top := doc.Content[0]
			for i := 0; i+1 < len(top.Content); i += 2 {
				if top.Content[i].Value == "services" && top.Content[i+1].Kind == yaml.MappingNode {
					return top.Content[i+1]
				}
			}
			return nil
		}
		d0, _ := fresh()
		svcs := services(d0)
		if svcs == nil {
			continue
		}
		for si := 1; si < len(svcs.Content); si += 2 {
			svc := svcs.Content[si]
			if svc.Kind != yaml.MappingNode {
				continue
			}
			for ki := 0; ki+1 < len(svc.Content); ki += 2 {
				key := svc.Content[ki].Value
				for _, m := range []string{"rename", "int", "map", "list"} {
					d, all := fresh()
					s := services(d).Content[si]
					switch m {
					case "rename":
						s.Content[ki].Value += "z"
					case "int":
						s.Content[ki+1] = &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "12345"}
					case "map":
						s.Content[ki+1] = bogusMap()
					case "list":
						s.Content[ki+1] = &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{bogusMap()}}
					}
					var buf bytes.Buffer
					enc := yaml.NewEncoder(&buf)
					for _, x := range all {
						if err := enc.Encode(x); err != nil {
							return nil, fmt.Errorf("encoding mutant: %w", err)
						}
					}
					if err := enc.Close(); err != nil {
						return nil, fmt.Errorf("encoding mutant: %w", err)
					}
					out[fmt.Sprintf("doc%d/%s.%s/%s", di, svcs.Content[si-1].Value, key, m)] = buf.Bytes()
				}
			}
		}
	}
	return out, nil
}

func bogusMap() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "bogus"},
		{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"},
	}}
}

// TestEquivalenceMutations: the mutation set generated from the corpus and
// the valid fixtures.
func TestEquivalenceMutations(t *testing.T) {
	if testing.Short() {
		t.Skip("mutations take a while with the CUE reference")
	}
	files := corpusFiles(t)
	valid, _ := filepath.Glob(filepath.Join("..", "testdata", "valid", "*.yaml"))
	files = append(files, valid...)
	var res result
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := mutations(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		names := make([]string, 0, len(ms))
		for n := range ms {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			compare(t, f+"#"+n, ms[n], &res)
		}
	}
	t.Logf("mutations: %d compared, %d skipped, %d listed CUE-weaker", res.compared, res.skipped, res.weaker)
}
