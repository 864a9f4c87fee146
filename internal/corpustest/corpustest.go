// Package corpustest finds the corpus of real compose files that berth's
// tests hold berth to: the 39 files of docker/awesome-compose under
// awesome/, and what Docker Compose v5.5.1 printed for each under oracle/.
//
// BERTH_CORPUS names the folder that holds awesome/ and oracle/; without it,
// the corpus is looked for at ../shared/corpus beside the repository (where
// the project's notes keep it). A user's clone has neither: a test that
// needs the corpus then skips and says why, except under CI=true, where a
// missing corpus is a failure.
package corpustest

import (
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// Dir returns the absolute path of the corpus folder (the one holding
// awesome/ and oracle/), or skips or fails t when there is none.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := find()
	if err != nil {
		missing(t, "corpus not found: "+err.Error()+" (set BERTH_CORPUS to the folder holding awesome/ and oracle/)")
	}
	return dir
}

// Files returns the corpus compose files (awesome/*/compose.yaml and the
// like), sorted, as absolute paths.
func Files(t testing.TB) []string {
	t.Helper()
	dir := Dir(t)
	files, err := filepath.Glob(filepath.Join(dir, "awesome", "*", "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		missing(t, "no compose files under "+filepath.Join(dir, "awesome"))
	}
	sort.Strings(files)
	return files
}

// Loadable returns the corpus files that load without a variable the
// corpus does not set: all but plex's (it needs PLEX_MEDIA_PATH; see the
// corpus README).
func Loadable(t testing.TB) []string {
	t.Helper()
	var out []string
	for _, f := range Files(t) {
		if filepath.Base(filepath.Dir(f)) != "plex" {
			out = append(out, f)
		}
	}
	return out
}

func missing(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

type notFound string

func (e notFound) Error() string { return string(e) }

func find() (string, error) {
	if dir := os.Getenv("BERTH_CORPUS"); dir != "" {
		return check(dir)
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	return check(filepath.Join(root, "..", "shared", "corpus"))
}

func check(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(filepath.Join(abs, "awesome")); err != nil {
		return "", notFound(abs + " has no awesome/ folder")
	}
	return abs, nil
}

// moduleRoot is the folder of the go.mod above the test's working
// directory (a package's own folder under go test).
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", notFound("no go.mod above the working directory")
		}
		dir = parent
	}
}
