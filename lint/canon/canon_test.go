package canon_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/berth-compose/berth/internal/corpustest"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/lint/canon"
	"github.com/berth-compose/berth/load"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestGolden formats every testdata/*.yaml and compares with its .golden,
// then checks what must hold for any input: formatting the golden changes
// nothing (idempotence), the output is a permutation of the input's lines
// (so every comment, anchor, quote and flow collection is kept byte for
// byte), and the YAML data is the same.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no test files: %v", err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			src, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			got, err := canon.Format(path, src)
			if err != nil {
				t.Fatal(err)
			}
			golden := path + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("Format(%s) differs from %s:\n--- got\n%s\n--- want\n%s", path, golden, got, want)
			}
			checkInvariants(t, path, src, got)
		})
	}
}

func checkInvariants(t *testing.T, name string, src, got []byte) {
	t.Helper()
	again, err := canon.Format(name, got)
	if err != nil {
		t.Fatalf("formatting the output again: %v", err)
	}
	if !bytes.Equal(again, got) {
		t.Errorf("%s: not idempotent:\n--- once\n%s\n--- twice\n%s", name, got, again)
	}
	if a, b := lines(src), lines(got); !slices.Equal(a, b) {
		t.Errorf("%s: the output is not a permutation of the input's lines", name)
	}
	if err := canon.SameData(src, got); err != nil {
		t.Errorf("%s: data changed: %v", name, err)
	}
}

func lines(b []byte) []string {
	l := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	slices.Sort(l)
	return l
}

// TestUntouched: files already in canonical order, or that cannot be cut
// safely, come back byte for byte.
func TestUntouched(t *testing.T) {
	for name, src := range map[string]string{
		"canonical": "name: x\nservices:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n",
		"flow":      "{services: {web: {ports: [\"80:80\"], image: nginx}}, name: x}\n",
		"empty":     "# only a comment\n",
		// an anchor name defined twice: moving entries could rebind an alias
		"dup-anchor": "services:\n  a:\n    ports: &p [\"1:1\"]\n    image: &i x\n  b:\n    ports: *p\n    image: &i y\n    labels: {k: *i}\n",
	} {
		got, err := canon.Format(name, []byte(src))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if string(got) != src {
			t.Errorf("%s: changed:\n%s", name, got)
		}
	}
}

// TestParseError: Format reports where a file does not parse.
func TestParseError(t *testing.T) {
	_, err := canon.Format("bad.yaml", []byte("services:\n  web:\n\timage: x\n"))
	var le *load.Error
	if err == nil || !errorsAs(err, &le) || le.Pos.Line != 3 {
		t.Fatalf("got %v, want a *load.Error on line 3", err)
	}
}

func errorsAs(err error, target **load.Error) bool {
	e, ok := err.(*load.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestEveryServiceKeyHasAPlace: every key compose-go knows for a service
// has a rank in the canonical order, so none falls into the "unknown" group
// and churns (dclint's PR #303 for profiles).
func TestEveryServiceKeyHasAPlace(t *testing.T) {
	known := map[string]bool{}
	for _, k := range canon.ServiceKeyOrder {
		if known[k] {
			t.Errorf("%s is listed twice", k)
		}
		known[k] = true
	}
	// Keys compose-go still reads from docker-compose v1 files, which the
	// compose specification (and so the schema rules) reject, and the
	// service's name, which is never written.
	legacy := map[string]bool{"name": true, "dockerfile": true, "log_driver": true, "log_opt": true, "net": true, "volume_driver": true}
	for _, k := range yamlKeys(reflect.TypeFor[types.ServiceConfig]()) {
		if !known[k] && !legacy[k] {
			t.Errorf("service key %q has no place in canon.ServiceKeyOrder", k)
		}
	}
	for _, k := range yamlKeys(reflect.TypeFor[types.Project]()) {
		if canon.TopLevelRank(k) == len(canon.TopLevelOrder) {
			t.Errorf("top-level key %q has no place in canon.TopLevelOrder", k)
		}
	}
}

func yamlKeys(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		tag, _, _ := strings.Cut(typ.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" || strings.HasPrefix(tag, "#") {
			continue
		}
		out = append(out, tag)
	}
	return out
}

// TestCorpus formats every corpus file: idempotent, lines permuted, same
// data. (The config-invariance test in lint/rules also loads them.)
func TestCorpus(t *testing.T) {
	for _, path := range CorpusFiles(t) {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := canon.Format(path, src)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		checkInvariants(t, path, src, got)
	}
}

// CorpusFiles lists the corpus compose files (see internal/corpustest).
func CorpusFiles(t *testing.T) []string { return corpustest.Files(t) }
