package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"

	"github.com/berth-compose/berth/load"
)

// wantRE matches the "# want CODE@COL ..." comments of the broken files.
var wantRE = regexp.MustCompile(`# want ((?:BR\d{3}@\d+ ?)+)$`)

// TestBrokenFiles runs every project of testdata/broken (compose.yaml,
// merged with override.yaml when there is one) through `berth lint` and
// through the load `berth config` does, and holds both to the "# want
// CODE@COL" comments of all its files: every problem Docker Compose refuses
// must come out, each at its line:col under its rule, all in one run, and
// nothing else.
func TestBrokenFiles(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("testdata", "broken", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) < 60 {
		t.Fatalf("%d broken projects, want at least 60", len(dirs))
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			abs, err := filepath.Abs(dir)
			if err != nil {
				t.Fatal(err)
			}
			files := []string{filepath.Join(abs, "compose.yaml")}
			if _, err := os.Stat(filepath.Join(abs, "override.yaml")); err == nil {
				files = append(files, filepath.Join(abs, "override.yaml"))
			}
			want := brokenWants(t, abs)
			if len(want) == 0 {
				t.Fatal("no # want comments")
			}

			env := []string{"PWD=" + abs}
			res, err := Runner{Merge: true, Load: load.Options{ProjectDir: abs, Env: env}}.Run(context.Background(), files)
			if err != nil {
				t.Fatal(err)
			}
			if res.Err() != nil {
				t.Errorf("lint: input errors: %v", res.Err())
			}
			var got []string
			for _, d := range res.Diagnostics {
				got = append(got, fmt.Sprintf("%s:%d:%d %s", filepath.Base(d.Pos.File), d.Pos.Line, d.Pos.Column, d.Rule.Code))
			}
			if !slices.Equal(got, want) {
				t.Errorf("lint:\n got: %q\nwant: %q", got, want)
				for _, d := range res.Diagnostics {
					t.Logf("  %s:%d:%d %s %s", filepath.Base(d.Pos.File), d.Pos.Line, d.Pos.Column, d.Rule.Code, d.Message)
				}
			}

			// Docker Compose's loader refuses the project too: each finding is
			// something Compose refuses, not a stricter opinion of berth's.
			po, err := cli.NewProjectOptions(files, cli.WithWorkingDirectory(abs), cli.WithEnv(env), cli.WithName("broken"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := po.LoadProject(context.Background()); err == nil {
				t.Errorf("compose-go accepts the project")
			}

			_, err = load.Load(context.Background(), load.Options{Files: files, ProjectDir: abs, Env: env})
			var list load.Errors
			if !errors.As(err, &list) {
				t.Fatalf("config: want positioned errors, got %v", err)
			}
			got = nil
			for _, e := range list {
				var ve *load.ViolationError
				if !errors.As(e, &ve) {
					t.Errorf("config: an error without a rule: %v", e)
					continue
				}
				got = append(got, fmt.Sprintf("%s:%d:%d %s", filepath.Base(e.Pos.File), e.Pos.Line, e.Pos.Column, ve.Violation.Rule.Code))
			}
			if !slices.Equal(got, want) {
				t.Errorf("config:\n got: %q\nwant: %q\n%v", got, want, err)
			}
			// The same files give the same findings in the same order.
			_, again := load.Load(context.Background(), load.Options{Files: files, ProjectDir: abs, Env: env})
			if again == nil || again.Error() != err.Error() {
				t.Errorf("config: a second load says otherwise:\n%v\n--- first:\n%v", again, err)
			}
		})
	}
}

// brokenWants reads the want comments of every YAML file of dir, as
// "file:line:col CODE", sorted as lint sorts its findings.
func brokenWants(t *testing.T, dir string) []string {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	type pos struct {
		file      string
		line, col int
		code      string
	}
	var ps []pos
	for _, name := range names {
		src, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(src), "\n") {
			m := wantRE.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			for _, w := range strings.Fields(m[1]) {
				code, col, _ := strings.Cut(w, "@")
				c, _ := strconv.Atoi(col)
				ps = append(ps, pos{filepath.Base(name), i + 1, c, code})
			}
		}
	}
	slices.SortFunc(ps, func(a, b pos) int {
		if a.file != b.file {
			return strings.Compare(a.file, b.file)
		}
		if a.line != b.line {
			return a.line - b.line
		}
		if a.col != b.col {
			return a.col - b.col
		}
		return strings.Compare(a.code, b.code)
	})
	var out []string
	for _, p := range ps {
		out = append(out, fmt.Sprintf("%s:%d:%d %s", p.file, p.line, p.col, p.code))
	}
	return out
}
