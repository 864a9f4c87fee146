package apply

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// buildContext is a directory sent to the engine as a tar stream, without
// what its .dockerignore leaves out.
type buildContext struct {
	dir     string
	ignore  *ignoreMatcher
	extra   []contextFile                       // files added at the root, such as an inline Dockerfile
	readDir func(string) ([]os.DirEntry, error) // os.ReadDir; tests count the directories walked
}

// contextFile is a file that is not in the context directory but is sent
// with it.
type contextFile struct {
	name string
	body []byte
}

// newBuildContext reads dir/.dockerignore. keep lists context paths that
// are always sent even when a pattern excludes them, as the docker CLI
// always sends the Dockerfile and the .dockerignore file itself (the
// builder reads both).
func newBuildContext(dir string, keep ...string) (*buildContext, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("build context: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("build context %s is not a directory", dir)
	}
	var patterns []string
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	switch {
	case err == nil:
		patterns, err = readDockerignore(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ".dockerignore"), err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("build context: %w", err)
	}
	m, err := newIgnoreMatcher(patterns)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, ".dockerignore"), err)
	}
	for _, k := range append([]string{".dockerignore"}, keep...) {
		if m.Excluded(k) {
			patterns = append(patterns, "!"+k)
		}
	}
	if m, err = newIgnoreMatcher(patterns); err != nil {
		return nil, err
	}
	return &buildContext{dir: dir, ignore: m, readDir: os.ReadDir}, nil
}

// extraFileName is the context path of a Dockerfile that does not live in
// the context (dockerfile_inline, or a dockerfile outside the context
// directory): named after its content, so the same text gives the same
// context.
func extraFileName(body []byte) string {
	sum := sha256.Sum256(body)
	return ".dockerfile." + hex.EncodeToString(sum[:6])
}

// WriteTo writes the context as a tar stream: directories, regular files
// and symbolic links (not followed) in lexical order, owned by root (uid and
// gid 0, as the docker CLI sends them), with their permission bits and
// modification times. Sockets are skipped. Excluded directories are not
// read at all unless an exception pattern may bring back something below
// them.
func (c *buildContext) WriteTo(w io.Writer) (int64, error) {
	cw := &countWriter{w: w}
	tw := tar.NewWriter(cw)
	for _, f := range c.extra {
		h := &tar.Header{Typeflag: tar.TypeReg, Name: f.name, Mode: 0o644, Size: int64(len(f.body)), ModTime: time.Unix(0, 0), Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return cw.n, err
		}
		if _, err := tw.Write(f.body); err != nil {
			return cw.n, err
		}
	}
	if err := c.walk(tw, ""); err != nil {
		return cw.n, err
	}
	err := tw.Close()
	return cw.n, err
}

func (c *buildContext) walk(tw *tar.Writer, rel string) error {
	entries, err := c.readDir(filepath.Join(c.dir, filepath.FromSlash(rel)))
	if err != nil {
		return fmt.Errorf("build context: %w", err)
	}
	for _, e := range entries {
		name := path.Join(rel, e.Name())
		excluded := c.ignore.Excluded(name)
		if excluded && !(e.IsDir() && c.ignore.walkExcludedDir(name)) {
			continue
		}
		info, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed while walking
			}
			return fmt.Errorf("build context: %w", err)
		}
		if !excluded {
			if err := c.add(tw, name, info); err != nil {
				return err
			}
		}
		if e.IsDir() {
			if err := c.walk(tw, name); err != nil {
				return err
			}
		}
	}
	return nil
}

// add writes one entry.
func (c *buildContext) add(tw *tar.Writer, name string, info fs.FileInfo) error {
	full := filepath.Join(c.dir, filepath.FromSlash(name))
	if info.Mode()&fs.ModeSocket != 0 {
		return nil
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		var err error
		if link, err = os.Readlink(full); err != nil {
			return fmt.Errorf("build context: %w", err)
		}
	}
	h, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return fmt.Errorf("build context: %s: %w", full, err)
	}
	h.Name = name
	if info.IsDir() {
		h.Name += "/"
	}
	h.Uid, h.Gid, h.Uname, h.Gname = 0, 0, "", ""
	h.ModTime = info.ModTime().Truncate(time.Second)
	h.AccessTime, h.ChangeTime = time.Time{}, time.Time{}
	h.Format = tar.FormatPAX
	if err := tw.WriteHeader(h); err != nil {
		return fmt.Errorf("build context: %s: %w", full, err)
	}
	if h.Typeflag != tar.TypeReg {
		return nil
	}
	f, err := os.Open(full)
	if err != nil {
		return fmt.Errorf("build context: %w", err)
	}
	defer f.Close()
	// A file that grows while it is sent is cut at the size in its header.
	if _, err := io.Copy(tw, io.LimitReader(f, h.Size)); err != nil {
		return fmt.Errorf("build context: %s: %w", full, err)
	}
	return nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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
