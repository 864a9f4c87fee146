package apply

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/go-archive"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"
)

// dockerignoreName is the file of a context directory whose patterns leave
// paths out of the context.
const dockerignoreName = ".dockerignore"

// buildContext is a context directory as the docker CLI sends it to the
// engine's classic builder: the directory's tree without what its
// .dockerignore leaves out, tarred by moby's archive package (the CLI's
// own), every entry owned by root.
type buildContext struct {
	dir      string       // symbolic links resolved: a link would be tarred as itself, not as the tree it points to
	excludes []string     // the .dockerignore patterns, with the exceptions that keep the build's own files
	extra    *contextFile // a Dockerfile that is not in dir (dockerfile_inline, or a file outside the context)
}

// contextFile is a file that is not in the context directory but is sent
// with it.
type contextFile struct {
	name string
	body []byte
}

// newBuildContext reads dir/.dockerignore and checks that everything the
// context sends can be read, as `docker build` does before it sends
// anything. dockerfile is the slash-separated path of the Dockerfile in the
// context, or "" when the Dockerfile is sent as an extra file: like the
// docker CLI, the context always keeps the Dockerfile and the .dockerignore
// file itself even when a pattern excludes them, since the builder reads
// both (and then drops the ones .dockerignore lists).
func newBuildContext(dir, dockerfile string) (*buildContext, error) {
	dir, err := filepath.Abs(dir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	if st, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	} else if !st.IsDir() {
		return nil, fmt.Errorf("build context %s is not a directory", dir)
	}
	ignorePath := filepath.Join(dir, dockerignoreName)
	var excludes []string
	f, err := os.Open(ignorePath)
	switch {
	case err == nil:
		excludes, err = ignorefile.ReadAll(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", ignorePath, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("build context: %w", err)
	}
	pm, err := patternmatcher.New(excludes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ignorePath, err)
	}
	if err := checkReadable(dir, pm); err != nil {
		return nil, err
	}
	for _, keep := range []string{dockerignoreName, dockerfile} {
		if keep == "" {
			continue
		}
		if out, err := excluded(pm, keep); err != nil {
			return nil, fmt.Errorf("%s: %w", ignorePath, err)
		} else if out {
			excludes = append(excludes, "!"+keep)
		}
	}
	return &buildContext{dir: dir, excludes: excludes}, nil
}

// excluded reports whether the context leaves out rel (slash-separated):
// it matches rel the way the archive package's walk does, each directory
// with its parent's results. (The docker CLI decides with patternmatcher's
// Matches and MatchesOrParentMatches, which disagree with the walk for an
// exception that names a parent: with "a/b" and "!a" they keep a/b/f, the
// walk leaves it out. Deciding as the walk decides keeps a Dockerfile that
// the walk would otherwise leave out.)
func excluded(pm *patternmatcher.PatternMatcher, rel string) (bool, error) {
	var (
		out  bool
		info patternmatcher.MatchInfo
		err  error
	)
	for i := 0; i <= len(rel); i++ {
		if i == len(rel) || rel[i] == '/' {
			if out, info, err = pm.MatchesUsingParentResults(rel[:i], info); err != nil {
				return false, err
			}
		}
	}
	return out, nil
}

// checkReadable walks what the context sends and fails on the first file
// or directory it may not read: the archive package only logs such a file
// and leaves it out, so without this check a build would run on a partial
// context. Excluded directories are not entered; symbolic links (which may
// dangle) and named pipes (whose open blocks) are not opened.
func checkReadable(dir string, pm *patternmatcher.PatternMatcher) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return fmt.Errorf("build context: cannot read %s: %w", p, err)
			}
			return fmt.Errorf("build context: %w", err)
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return fmt.Errorf("build context: %w", err)
		}
		if rel == "." {
			return nil
		}
		if out, err := excluded(pm, filepath.ToSlash(rel)); err != nil {
			return fmt.Errorf("build context: %s: %w", rel, err)
		} else if out {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() || d.Type()&(fs.ModeSymlink|fs.ModeNamedPipe) != 0 {
			return nil
		}
		f, err := os.Open(p)
		if errors.Is(err, fs.ErrPermission) {
			return fmt.Errorf("build context: cannot read %s: %w", p, err)
		}
		if err == nil {
			f.Close()
		}
		return nil
	})
}

// extraFileName is the context path of a Dockerfile that does not live in
// the context (dockerfile_inline, or a dockerfile outside the context
// directory). The docker CLI picks a random name; berth names the file
// after its content, so that the same text gives the same context and the
// builder's cache holds.
func extraFileName(body []byte) string {
	sum := sha256.Sum256(body)
	return ".dockerfile." + hex.EncodeToString(sum[:6])
}

// open starts tarring the context and returns the stream. An extra
// Dockerfile is added as the docker CLI adds one: under its own name, and
// listed in .dockerignore (which is created when the directory has none) so
// that the builder drops it from the context and a `COPY . .` does not
// copy it into the image.
func (c *buildContext) open() (io.ReadCloser, error) {
	rc, err := archive.TarWithOptions(c.dir, &archive.TarOptions{
		ExcludePatterns: c.excludes,
		ChownOpts:       &archive.ChownOpts{UID: 0, GID: 0},
	})
	if err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	if c.extra == nil {
		return rc, nil
	}
	// The files berth adds have a fixed modification time, so that the
	// same context gives the same tar stream.
	extra, mtime := c.extra, time.Unix(0, 0)
	return archive.ReplaceFileTarWrapper(rc, map[string]archive.TarModifierFunc{
		extra.name: func(string, *tar.Header, io.Reader) (*tar.Header, []byte, error) {
			return &tar.Header{Name: extra.name, Typeflag: tar.TypeReg, Mode: 0o600, ModTime: mtime}, extra.body, nil
		},
		dockerignoreName: func(_ string, h *tar.Header, content io.Reader) (*tar.Header, []byte, error) {
			var b bytes.Buffer
			if h == nil {
				h = &tar.Header{Name: dockerignoreName, Typeflag: tar.TypeReg, Mode: 0o600, ModTime: mtime}
				b.WriteString(dockerignoreName)
			} else if _, err := b.ReadFrom(content); err != nil {
				return nil, nil, fmt.Errorf("build context: reading %s: %w", dockerignoreName, err)
			}
			b.WriteString("\n" + extra.name + "\n")
			return h, b.Bytes(), nil
		},
	}), nil
}

// isRemoteContext reports whether a build context is a URL (git or
// tarball) rather than a directory.
func isRemoteContext(s string) bool {
	for _, p := range []string{"http://", "https://", "git://", "git@", "ssh://", "github.com/"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
