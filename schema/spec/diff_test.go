package spec_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/sirupsen/logrus"
	yaml "go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/internal/corpustest"
	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/schema"
	"github.com/berth-compose/berth/schema/spec"
)

func TestMain(m *testing.M) {
	// compose-go logs every unset variable of every mutant; berth's loads
	// capture and restore logrus' output around themselves.
	logrus.SetOutput(io.Discard)
	os.Exit(m.Run())
}

// corpusFiles are the compose files of the shared corpus (see
// internal/corpustest: BERTH_CORPUS, or ../shared/corpus beside the
// repository; without it the tests skip and say why, and fail under CI).
func corpusFiles(t testing.TB) []string {
	var out []string
	for _, f := range corpustest.Files(t) {
		switch filepath.Base(f) {
		case "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml":
			out = append(out, f)
		}
	}
	return out
}

// options are the project options Docker Compose's config command builds
// (docker/compose cmd/compose toProjectOptions), for one file in dir.
func composeOptions(file, dir string, env []string, skipValidation bool) []cli.ProjectOptionsFn {
	fns := []cli.ProjectOptionsFn{
		cli.WithInterpolation(true),
		cli.WithResolvedPaths(true),
		cli.WithNormalization(true),
		cli.WithConsistency(true),
		cli.WithDiscardEnvFile,
		cli.WithWorkingDirectory(dir),
		cli.WithEnv(env),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		cli.WithName("difftest"),
	}
	if skipValidation {
		fns = append(fns, cli.WithLoadOptions(func(o *loader.Options) { o.SkipValidation = true }))
	}
	return fns
}

// composeLoad is compose-go's verdict on file (whose relative paths
// resolve against dir): its loader, run in-process as Docker Compose runs
// it, with validation on unless skipValidation.
func composeLoad(file, dir string, env []string, skipValidation bool) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compose-go panicked: %v", r)
		}
	}()
	po, err := cli.NewProjectOptions([]string{file}, composeOptions(file, dir, env, skipValidation)...)
	if err != nil {
		return err
	}
	_, err = po.LoadProject(context.Background())
	return err
}

// verdicts is what each side says about one input.
type verdicts struct {
	compose, composeNoValidation error
	berth                        error
	spec                         int  // violations spec finds
	parsed                       bool // load.ParseFile accepted the file
	cueAgrees                    bool
	cueDetail                    string
}

// judge writes src to a file in a fresh directory and asks compose-go,
// berth's loader, berth's validator and the CUE reference about it. dir is
// the project directory (a corpus project's, so env_file and build paths
// resolve as in the original).
func judge(t testing.TB, src []byte, dir string) verdicts {
	t.Helper()
	file := filepath.Join(t.TempDir(), "compose.yaml")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"PWD=" + dir}
	var v verdicts
	v.compose = composeLoad(file, dir, env, false)
	v.composeNoValidation = composeLoad(file, dir, env, true)
	_, v.berth = load.Load(context.Background(), load.Options{Files: []string{file}, ProjectDir: dir, ProjectName: "difftest", Env: env})
	v.cueAgrees = true
	f, err := load.ParseFile(file, src)
	if err != nil {
		return v
	}
	v.parsed = true
	opts := spec.Options{Interpolate: true, Lookup: func(string) (string, bool) { return "", false }}
	v.spec = len(spec.Validate(file, f.Docs, opts))
	for _, d := range spec.Data(f.Docs, opts) {
		jsErr, cueErr := spec.Accepts(d), schema.Check(d)
		if (jsErr == nil) != (cueErr == nil) {
			v.cueAgrees = false
			v.cueDetail = fmt.Sprintf("jsonschema/v6: %v\nCUE: %v", jsErr, cueErr)
		}
	}
	return v
}

// check fails t on any disagreement:
//   - berth's loader accepts exactly what compose-go's loader accepts;
//   - berth's validator finds nothing in a file compose-go accepts, and at
//     least one positioned violation in a file compose-go refuses only when
//     it validates (with validation off it loads);
//   - the CUE schema's verdict on the validated data is jsonschema/v6's.
func check(t *testing.T, name string, src []byte, v verdicts) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf("%s: %s\ncompose-go: %v\ncompose-go without validation: %v\nberth: %v\n--- source\n%s",
			name, fmt.Sprintf(format, args...), v.compose, v.composeNoValidation, v.berth, src)
	}
	if (v.compose == nil) != (v.berth == nil) {
		fail("berth and compose-go disagree")
	}
	if v.parsed {
		switch {
		case v.compose == nil && v.spec > 0:
			fail("berth's validator finds %d violations in a file compose-go accepts", v.spec)
		case v.compose != nil && v.composeNoValidation == nil && v.spec == 0:
			fail("compose-go's validation refuses the file, berth's validator finds nothing")
		}
	}
	if !v.cueAgrees {
		fail("the CUE schema disagrees with jsonschema/v6:\n%s", v.cueDetail)
	}
}

// TestDifferentialCorpus: every corpus file, as it is.
func TestDifferentialCorpus(t *testing.T) {
	files := corpusFiles(t)
	refused := 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		v := judge(t, src, filepath.Dir(f))
		check(t, f, src, v)
		if v.compose != nil {
			refused++
		}
	}
	t.Logf("%d corpus files, %d refused by compose-go", len(files), refused)
}

// TestDifferentialMutants: systematic mutants of every corpus file (wrong
// types, unknown keys, bad values, removed and missing required keys), one
// change each.
func TestDifferentialMutants(t *testing.T) {
	files := corpusFiles(t)
	var all []mutant
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		ms, err := mutants(src)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for i := range ms {
			ms[i].dir = filepath.Dir(f)
			ms[i].name = f + "#" + ms[i].name
		}
		all = append(all, ms...)
	}
	// All of them (half a minute on a quiet machine); -short keeps a
	// stride of about 150.
	stride := 1
	if testing.Short() {
		stride = max(len(all)/150, 1)
	}
	refused, compared := 0, 0
	for i, m := range all {
		if i%stride != 0 {
			continue
		}
		v := judge(t, m.src, m.dir)
		check(t, m.name, m.src, v)
		compared++
		if v.compose != nil {
			refused++
		}
	}
	if compared < 150 {
		t.Errorf("only %d mutants compared, want several hundred", compared)
	}
	t.Logf("%d mutants generated, %d compared, %d refused by compose-go", len(all), compared, refused)
}

// FuzzDifferential holds berth's loader and validator to compose-go's
// loader on any input.
func FuzzDifferential(f *testing.F) {
	seeds, _ := filepath.Glob("../testdata/*/*.yaml")
	if dir := os.Getenv("BERTH_CORPUS"); dir != "" {
		more, _ := filepath.Glob(filepath.Join(dir, "awesome", "*", "compose.yaml"))
		seeds = append(seeds, more...) // the corpus only when named: a fuzz run must not skip
	}
	for _, s := range seeds {
		if src, err := os.ReadFile(s); err == nil {
			f.Add(src)
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1<<14 {
			return
		}
		// An alias inside its own anchor: berth refuses it at once, compose-go
		// after 100,000 node visits, quadratic in its cycle check (10 s for
		// 23 bytes, twice per input), which the fuzzer takes for a hung
		// worker. The verdicts agree (TestDifferential's self-alias files
		// hold compose-go to it); here berth's loader must refuse it too.
		if _, err := load.ParseFile("compose.yaml", src); errors.Is(err, load.ErrSelfAlias) {
			file := filepath.Join(t.TempDir(), "compose.yaml")
			if err := os.WriteFile(file, src, 0o644); err != nil {
				t.Fatal(err)
			}
			if _, err := load.Load(context.Background(), load.Options{Files: []string{file}, ProjectName: "difftest"}); !selfAlias(err) {
				t.Errorf("berth's loader on a self-alias: %v, want ErrSelfAlias\n%s", err, src)
			}
			return
		}
		dir := t.TempDir()
		v := judge(t, src, dir)
		check(t, "fuzz input", src, v)
	})
}

// mutant is one changed copy of a corpus file.
type mutant struct {
	name, dir string
	src       []byte
}

// mutants changes one thing at a time in every service of src: each key
// renamed (unknown key), its value replaced by an integer, a mapping, a
// list, a boolean, a string outside any enum, null, or removed; each key of
// a nested mapping removed or given a wrong type; an extends without its
// required service; an unknown top-level key and a network and volume with a
// wrong-typed driver.
func mutants(src []byte) ([]mutant, error) {
	docs, err := parseDocs(src)
	if err != nil || len(docs) != 1 {
		return nil, err
	}
	var out []mutant
	emit := func(name string, edit func(top *yaml.Node) bool) error {
		d, _ := parseDocs(src)
		if len(d) != 1 || len(d[0].Content) == 0 || !edit(d[0].Content[0]) {
			return nil
		}
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		if err := enc.Encode(d[0]); err != nil {
			return fmt.Errorf("encoding mutant %s: %w", name, err)
		}
		if err := enc.Close(); err != nil {
			return fmt.Errorf("encoding mutant %s: %w", name, err)
		}
		out = append(out, mutant{name: name, src: buf.Bytes()})
		return nil
	}
	top := docs[0].Content[0]
	services := child(top, "services")
	if services == nil {
		return nil, nil
	}
	scalar := func(tag, v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v} }
	values := map[string]func() *yaml.Node{
		"int":    func() *yaml.Node { return scalar("!!int", "12345") },
		"bool":   func() *yaml.Node { return scalar("!!bool", "true") },
		"string": func() *yaml.Node { return scalar("!!str", "bogus value") },
		"null":   func() *yaml.Node { return scalar("!!null", "null") },
		"map":    bogusMap,
		"list": func() *yaml.Node {
			return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Content: []*yaml.Node{bogusMap()}}
		},
	}
	kinds := make([]string, 0, len(values))
	for k := range values {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for si := 0; si+1 < len(services.Content); si += 2 {
		svc := services.Content[si].Value
		sv := services.Content[si+1]
		if sv.Kind != yaml.MappingNode {
			continue
		}
		for ki := 0; ki+1 < len(sv.Content); ki += 2 {
			key := sv.Content[ki].Value
			at := func(top *yaml.Node) *yaml.Node { return child(child(top, "services"), svc) }
			if err := emit(fmt.Sprintf("%s.%s/rename", svc, key), func(top *yaml.Node) bool {
				at(top).Content[ki].Value += "z"
				return true
			}); err != nil {
				return nil, err
			}
			if err := emit(fmt.Sprintf("%s.%s/remove", svc, key), func(top *yaml.Node) bool {
				s := at(top)
				s.Content = append(s.Content[:ki:ki], s.Content[ki+2:]...)
				return true
			}); err != nil {
				return nil, err
			}
			for _, k := range kinds {
				if err := emit(fmt.Sprintf("%s.%s/%s", svc, key, k), func(top *yaml.Node) bool {
					at(top).Content[ki+1] = values[k]()
					return true
				}); err != nil {
					return nil, err
				}
			}
			nested := sv.Content[ki+1]
			if nested.Kind != yaml.MappingNode {
				continue
			}
			for ni := 0; ni+1 < len(nested.Content); ni += 2 {
				nk := nested.Content[ni].Value
				if err := emit(fmt.Sprintf("%s.%s.%s/remove", svc, key, nk), func(top *yaml.Node) bool {
					n := at(top).Content[ki+1]
					n.Content = append(n.Content[:ni:ni], n.Content[ni+2:]...)
					return true
				}); err != nil {
					return nil, err
				}
				if err := emit(fmt.Sprintf("%s.%s.%s/list", svc, key, nk), func(top *yaml.Node) bool {
					at(top).Content[ki+1].Content[ni+1] = values["list"]()
					return true
				}); err != nil {
					return nil, err
				}
			}
		}
		if err := emit(svc+"/extends-without-service", func(top *yaml.Node) bool {
			s := child(child(top, "services"), svc)
			s.Content = append(s.Content, scalar("!!str", "extends"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map",
				Content: []*yaml.Node{scalar("!!str", "file"), scalar("!!str", "other.yaml")}})
			return true
		}); err != nil {
			return nil, err
		}
	}
	for _, m := range []struct {
		name string
		edit func(top *yaml.Node) bool
	}{
		{"top/unknown-key", func(top *yaml.Node) bool {
			top.Content = append(top.Content, scalar("!!str", "servicez"), bogusMap())
			return true
		}},
		{"networks/driver-int", func(top *yaml.Node) bool {
			top.Content = append(top.Content, scalar("!!str", "networks"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map",
				Content: []*yaml.Node{scalar("!!str", "mutantnet"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map",
					Content: []*yaml.Node{scalar("!!str", "driver"), scalar("!!int", "5")}}}})
			return child(top, "networks") == top.Content[len(top.Content)-1]
		}},
		{"volumes/unknown-key", func(top *yaml.Node) bool {
			top.Content = append(top.Content, scalar("!!str", "volumes"), &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map",
				Content: []*yaml.Node{scalar("!!str", "mutantvol"), bogusMap()}})
			return child(top, "volumes") == top.Content[len(top.Content)-1]
		}},
	} {
		if err := emit(m.name, m.edit); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// child is the value of key in mapping n, or nil.
func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func bogusMap() *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "bogus"},
		{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"},
	}}
}

// parseDocs parses every document of src with yaml/v4.
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

// TestSelfAliasRefusedByBoth holds compose-go to the verdict FuzzDifferential
// assumes for an alias inside its own anchor: refused, as berth refuses it.
func TestSelfAliasRefusedByBoth(t *testing.T) {
	if testing.Short() {
		t.Skip("compose-go takes seconds on a self-alias")
	}
	src := []byte("x-: &base\n <<: *base\n")
	dir := t.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := composeLoad(file, dir, []string{"PWD=" + dir}, false); err == nil {
		t.Error("compose-go accepts an alias inside its own anchor")
	}
	if _, err := load.Load(context.Background(), load.Options{Files: []string{file}, ProjectName: "difftest"}); !selfAlias(err) {
		t.Errorf("berth: %v, want ErrSelfAlias", err)
	}
}

// selfAlias reports whether one of the positioned errors load returned is
// caused by an alias inside its own anchor.
func selfAlias(err error) bool {
	var list load.Errors
	if !errors.As(err, &list) {
		return errors.Is(err, load.ErrSelfAlias)
	}
	return slices.ContainsFunc(list, func(e *load.Error) bool { return errors.Is(e, load.ErrSelfAlias) })
}
