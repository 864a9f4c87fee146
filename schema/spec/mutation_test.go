package spec_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	yaml "go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/load"
	"github.com/berth-compose/berth/schema/spec"
)

// scalarEdit is one scalar of a service written as a value of the wrong
// type or unit, in place: the node keeps its line and column.
type scalarEdit struct {
	service   string
	path      string
	line, col int
	off, end  int // the scalar's text in the source
	wrong     string
	raw       bool // wrong is YAML to write as it is, not a string to quote
}

// wrongFor is a value compose-go cannot read as t (false: no such type
// among the ones mutated).
func wrongFor(t reflect.Type) (string, bool) {
	switch t {
	case reflect.TypeFor[types.Duration]():
		return "30 parsecs", true
	case reflect.TypeFor[types.UnitBytes]():
		return "2 parsecs", true
	case reflect.TypeFor[types.NanoCPUs]():
		return "lots", true
	case reflect.TypeFor[types.ServicePortConfig]():
		return "127.0.0.1:99999:80", true
	}
	if t == nil {
		return "", false
	}
	switch t.Kind() {
	case reflect.Bool:
		return "yes-please", true
	case reflect.Int, reflect.Int32, reflect.Int64, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "three", true
	case reflect.Float32, reflect.Float64:
		return "lots", true
	}
	return "", false
}

// serviceEdits lists, per service in file order, the scalars of src that
// have a type to get wrong, written plain or simply quoted on one line.
func serviceEdits(t *testing.T, src []byte) [][]scalarEdit {
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil || len(doc.Content) == 0 {
		t.Fatalf("parse: %v", err)
	}
	lines := strings.SplitAfter(string(src), "\n")
	lineOff := make([]int, len(lines)+1)
	for i, l := range lines {
		lineOff[i+1] = lineOff[i] + len(l)
	}
	var services *yaml.Node
	top := doc.Content[0]
	for i := 0; i+1 < len(top.Content); i += 2 {
		if top.Content[i].Value == "services" {
			services = top.Content[i+1]
		}
	}
	if services == nil || services.Kind != yaml.MappingNode {
		return nil
	}
	var out [][]scalarEdit
	for i := 0; i+1 < len(services.Content); i += 2 {
		name := services.Content[i].Value
		var edits []scalarEdit
		var walk func(n *yaml.Node, path []any)
		walk = func(n *yaml.Node, path []any) {
			switch n.Kind {
			case yaml.MappingNode:
				for j := 0; j+1 < len(n.Content); j += 2 {
					k := n.Content[j].Value
					if k == "<<" || strings.HasPrefix(k, "x-") || k == "extends" {
						continue
					}
					walk(n.Content[j+1], append(slices.Clone(path), k))
				}
			case yaml.SequenceNode:
				for j, it := range n.Content {
					walk(it, append(slices.Clone(path), j))
				}
			case yaml.ScalarNode:
				wrong, ok := wrongFor(spec.TypeAt(path))
				raw := false
				if !ok && spec.TypeAt(path) == reflect.TypeFor[string]() && len(path) == 3 {
					// A string key: the wrong type is a mapping.
					wrong, ok, raw = "{wrong: type}", true, true
				}
				if !ok || strings.ContainsAny(n.Value, "$\"'\\\n") || n.Line < 1 || n.Line > len(lines) {
					return
				}
				off := lineOff[n.Line-1] + n.Column - 1
				end := off + len(n.Value)
				switch n.Style {
				case 0:
				case yaml.DoubleQuotedStyle, yaml.SingleQuotedStyle:
					end += 2
				default:
					return
				}
				if end > len(src) {
					return
				}
				edits = append(edits, scalarEdit{service: name, path: fmt.Sprint(path), line: n.Line, col: n.Column, off: off, end: end, wrong: wrong, raw: raw})
			}
		}
		walk(services.Content[i+1], []any{"services", name})
		// A wrong unit first; a wrong type of a string key after.
		slices.SortStableFunc(edits, func(a, b scalarEdit) int {
			switch {
			case a.raw == b.raw:
				return 0
			case b.raw:
				return -1
			}
			return 1
		})
		out = append(out, edits)
	}
	return out
}

// apply writes the edits (on distinct lines) into src.
func apply(src []byte, edits []scalarEdit) []byte {
	sorted := slices.Clone(edits)
	slices.SortFunc(sorted, func(a, b scalarEdit) int { return b.off - a.off })
	out := slices.Clone(src)
	for _, e := range sorted {
		text := `"` + e.wrong + `"`
		if e.raw {
			text = e.wrong
		}
		out = slices.Concat(out[:e.off:e.off], []byte(text), out[e.end:])
	}
	return out
}

// TestMutationEveryValueAtItsNode changes scalars of the corpus' services
// to values of the wrong type or unit (a duration, a byte size, a number,
// a boolean, a port; a mapping for a string): each such scalar of each service on its own, then
// the first of every service of a file at once. Every mutant must be
// refused by compose-go, and berth must report every mutation at its node,
// in one run.
func TestMutationEveryValueAtItsNode(t *testing.T) {
	files := corpusFiles(t)
	mutants, misses, untyped, services := 0, 0, 0, 0
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		dir := filepath.Dir(f)
		if composeLoad(f, dir, []string{"PWD=" + dir}, false) != nil {
			continue // refused as it is: nothing to hold a mutation to
		}
		perService := serviceEdits(t, src)
		var firsts []scalarEdit
		lines := map[int]bool{}
		for _, edits := range perService {
			services++
			if len(edits) == 0 {
				untyped++
				continue
			}
			if !lines[edits[0].line] {
				lines[edits[0].line] = true
				firsts = append(firsts, edits[0])
			}
			for _, e := range edits {
				mutants++
				misses += checkMutant(t, f, dir, src, []scalarEdit{e})
			}
		}
		if len(firsts) > 1 {
			mutants++
			misses += checkMutant(t, f, dir, src, firsts)
		}
	}
	t.Logf("%d mutants over %d services of %d corpus files (%d services without a typed scalar to mutate): %d misses",
		mutants, services, len(files), untyped, misses)
	if mutants == 0 {
		t.Fatal("no mutants")
	}
}

// checkMutant applies edits to src and returns 1 when berth misses one of
// them (the test fails then).
func checkMutant(t *testing.T, file, dir string, src []byte, edits []scalarEdit) int {
	t.Helper()
	mutated := apply(src, edits)
	path := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(path, mutated, 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"PWD=" + dir}
	if composeLoad(path, dir, env, false) == nil {
		t.Errorf("%s: compose-go accepts the mutant %v", file, edits)
		return 1
	}
	_, err := load.Load(context.Background(), load.Options{Files: []string{path}, ProjectDir: dir, ProjectName: "difftest", Env: env})
	var list load.Errors
	var one *load.Error
	switch {
	case errors.As(err, &list):
	case errors.As(err, &one):
		list = load.Errors{one}
	default:
		t.Errorf("%s: berth gives no positioned error for %v: %v", file, edits, err)
		return 1
	}
	for _, e := range edits {
		if !slices.ContainsFunc(list, func(le *load.Error) bool { return le.Pos.Line == e.line && le.Pos.Column == e.col }) {
			t.Errorf("%s: %s %s = %q: not reported at %d:%d; berth said:\n%v", file, e.service, e.path, e.wrong, e.line, e.col, err)
			return 1
		}
	}
	return 0
}
