package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/berth-compose/berth/internal/corpustest"
)

// The corpus oracles were produced with the corpus root at this path and
// HOME at this directory (../shared/corpus/README.md). Config hashes cover
// absolute paths, so the hash test copies the corpus exactly there.
const (
	oracleRoot = "/tmp/corpus-root"
	oracleHome = "/home/corpus"
)

// corpusDir finds the shared corpus (see internal/corpustest).
func corpusDir(t *testing.T) string { return corpustest.Dir(t) }

// oracleRootLock keeps two test processes on one machine (a developer's
// run beside another) from using the oracle root at once: the path is fixed
// by the oracles, so the second one waits. Taken once, held until exit.
// The file is returned so that OnceValues keeps it: a file the collector
// finalised would close, and the lock would go with it.
var oracleRootLock = sync.OnceValues(func() (*os.File, error) {
	f, err := os.OpenFile(oracleRoot+".lock", os.O_CREATE|os.O_RDWR, 0o666)
	if err != nil {
		return nil, err
	}
	return f, syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
})

// copyCorpus copies the corpus compose files to the oracle root.
func copyCorpus(t *testing.T, from string) {
	t.Helper()
	if _, err := oracleRootLock(); err != nil {
		t.Fatalf("locking %s: %v", oracleRoot, err)
	}
	if err := os.RemoveAll(oracleRoot); err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(from, "awesome")
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		dst := filepath.Join(oracleRoot, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil {
		t.Fatalf("copying corpus to %s: %v", oracleRoot, err)
	}
	t.Cleanup(func() { os.RemoveAll(oracleRoot) })
}

type sample struct {
	name   string // e.g. flask-redis
	file   string // compose.yaml or compose.yml
	dir    string // directory of compose.yaml under the oracle root
	oracle string // path prefix of the oracle files
}

func corpusSamples(t *testing.T) []sample {
	corpus := corpusDir(t)
	copyCorpus(t, corpus)
	var out []sample
	entries, err := os.ReadDir(filepath.Join(corpus, "oracle", "awesome"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files, _ := filepath.Glob(filepath.Join(corpus, "awesome", e.Name(), "*.y*ml"))
		if len(files) != 1 {
			t.Fatalf("%s: want one compose file, found %v", e.Name(), files)
		}
		file := filepath.Base(files[0])
		out = append(out, sample{
			name:   e.Name(),
			file:   file,
			dir:    filepath.Join(oracleRoot, "awesome", e.Name()),
			oracle: filepath.Join(corpus, "oracle", "awesome", e.Name(), file+".oracle"),
		})
	}
	if len(out) != 39 {
		t.Fatalf("corpus has %d samples, want 39", len(out))
	}
	return out
}

func readOracle(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := strings.ReplaceAll(string(b), "@CORPUS@", oracleRoot)
	return strings.ReplaceAll(s, "@HOME@", oracleHome)
}

var oracleEnv = []string{"HOME=" + oracleHome, "PATH=/usr/bin:/bin"}

// TestCorpusParity checks berth config against what Docker Compose v5.5.1
// printed for each of the 39 corpus files: stdout byte for byte (YAML and
// JSON), --hash '*', the exit status and the warnings.
func TestCorpusParity(t *testing.T) {
	for _, s := range corpusSamples(t) {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			yaml := runBerth(t, s.dir, oracleEnv, "config", "-f", s.file)
			wantExit := strings.TrimSpace(readOracle(t, s.oracle+".exit"))
			// Docker Compose exits 1 on any failure; berth's contract
			// (DESIGN.md) is 2 for input that cannot be loaded. The status
			// is compared through that mapping, so a success or a failure
			// on one side is always one on the other.
			gotExit := map[int]string{0: "0", 2: "1"}[yaml.code]
			if gotExit != wantExit {
				t.Fatalf("exit %d, Compose exited %s\nstderr:\n%s", yaml.code, wantExit, yaml.stderr)
			}
			checkStderr(t, yaml.stderr, readOracle(t, s.oracle+".stderr"), yaml.code != 0)
			if yaml.code != 0 {
				if yaml.stdout != "" {
					t.Errorf("failed load printed to stdout: %q", yaml.stdout)
				}
				return
			}
			if want := readOracle(t, s.oracle+".yaml"); yaml.stdout != want {
				t.Errorf("config YAML differs from Docker Compose:\n%s", lineDiff(want, yaml.stdout))
			}
			js := runBerth(t, s.dir, oracleEnv, "config", "-f", s.file, "--format", "json")
			if want := readOracle(t, s.oracle+".json"); js.stdout != want || js.code != 0 {
				t.Errorf("config JSON (exit %d) differs from Docker Compose:\n%s", js.code, lineDiff(want, js.stdout))
			}
			hash := runBerth(t, s.dir, oracleEnv, "config", "-f", s.file, "--hash", "*")
			if want := readOracle(t, s.oracle+".hash"); hash.stdout != want || hash.code != 0 {
				t.Errorf("config --hash '*' (exit %d):\n%s", hash.code, lineDiff(want, hash.stdout))
			}
		})
	}
}

// warningLine matches berth's warnings, with or without a position.
var warningLine = regexp.MustCompile(`^(?:.+:\d+:\d+: )?warning: (.*)$`)

// checkStderr requires the same warnings as Compose (as a multiset: Compose
// prints them in the order it meets them while interpolating maps), and for
// a failed load the same error message.
func checkStderr(t *testing.T, got, want string, failed bool) {
	t.Helper()
	var gotW, wantW []string
	var errLines []string
	for _, l := range strings.Split(strings.TrimRight(got, "\n"), "\n") {
		if m := warningLine.FindStringSubmatch(l); m != nil {
			gotW = append(gotW, m[1])
		} else if l != "" {
			errLines = append(errLines, l)
		}
	}
	var wantErr []string
	for _, l := range strings.Split(strings.TrimRight(want, "\n"), "\n") {
		l = strings.ReplaceAll(l, `\"`, `"`) // logrus quoted the message
		if m, ok := strings.CutPrefix(l, "warning: "); ok {
			wantW = append(wantW, m)
		} else if l != "" {
			wantErr = append(wantErr, l)
		}
	}
	slices.Sort(gotW)
	slices.Sort(wantW)
	if !slices.Equal(gotW, wantW) {
		t.Errorf("warnings differ from Compose:\n got: %q\nwant: %q", gotW, wantW)
	}
	if failed {
		for _, w := range wantErr {
			if !strings.Contains(strings.Join(errLines, "\n"), w) {
				t.Errorf("error %q not reported; stderr:\n%s", w, got)
			}
		}
	} else if len(errLines) > 0 {
		t.Errorf("unexpected stderr lines: %q", errLines)
	}
}

// lineDiff shows the first differing lines of two texts.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 8; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + "\n  want: " + wl + "\n   got: " + gl + "\n")
			shown++
		}
	}
	return b.String()
}
