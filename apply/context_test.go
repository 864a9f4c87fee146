package apply

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type tarEntry struct {
	typ  byte
	mode int64
	link string
	body string
	uid  int
}

func readTar(t *testing.T, b []byte) map[string]tarEntry {
	t.Helper()
	out := map[string]tarEntry{}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		out[h.Name] = tarEntry{typ: h.Typeflag, mode: h.Mode, link: h.Linkname, body: string(body), uid: h.Uid}
	}
}

func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBuildContextTar(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		"Dockerfile":                "FROM scratch\n",
		".dockerignore":             "# everything heavy\nnode_modules\n*.secret\n!keep.secret\ndocs\n!docs/README.md\nDockerfile\n.dockerignore\n",
		"app/main.go":               "package main\n",
		"app/tool.sh":               "#!/bin/sh\n",
		"big.secret":                "s3cret",
		"keep.secret":               "kept",
		"node_modules/a/index.js":   "x",
		"docs/README.md":            "readme",
		"docs/internal/design.md":   "design",
		"sub/dir/deep/file.txt":     "deep",
		"sub/dir/deep/other.secret": "nested secrets are not matched by *.secret",
	})
	if err := os.Chmod(filepath.Join(dir, "app/tool.sh"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../keep.secret", filepath.Join(dir, "app/link")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/does/not/exist", filepath.Join(dir, "dangling")); err != nil {
		t.Fatal(err)
	}

	c, err := newBuildContext(dir, "Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var walked []string
	c.readDir = func(p string) ([]os.DirEntry, error) {
		rel, _ := filepath.Rel(dir, p)
		walked = append(walked, filepath.ToSlash(rel))
		return os.ReadDir(p)
	}
	var buf bytes.Buffer
	n, err := c.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Errorf("WriteTo returned %d, wrote %d", n, buf.Len())
	}
	got := readTar(t, buf.Bytes())
	var names []string
	for name := range got {
		names = append(names, name)
	}
	slices.Sort(names)
	want := []string{
		".dockerignore", "Dockerfile", // always sent, though the file excludes them
		"app/", "app/link", "app/main.go", "app/tool.sh",
		"dangling",
		"docs/README.md", // the exception, without docs/ itself
		"keep.secret",
		"sub/", "sub/dir/", "sub/dir/deep/", "sub/dir/deep/file.txt", "sub/dir/deep/other.secret",
	}
	if !slices.Equal(names, want) {
		t.Errorf("tar entries\n%q\nwant\n%q", names, want)
	}
	if e := got["app/tool.sh"]; e.typ != tar.TypeReg || e.mode&0o777 != 0o755 || e.body != "#!/bin/sh\n" {
		t.Errorf("app/tool.sh: %+v", e)
	}
	if e := got["app/main.go"]; e.mode&0o777 != 0o644 || e.uid != 0 {
		t.Errorf("app/main.go: %+v", e)
	}
	if e := got["app/link"]; e.typ != tar.TypeSymlink || e.link != "../keep.secret" || e.body != "" {
		t.Errorf("app/link is not kept as a symlink: %+v", e)
	}
	if e := got["dangling"]; e.typ != tar.TypeSymlink || e.link != "/does/not/exist" {
		t.Errorf("dangling: %+v", e)
	}
	if e := got["app/"]; e.typ != tar.TypeDir {
		t.Errorf("app/: %+v", e)
	}
	// node_modules is never read; docs is, for the exception below it.
	if slices.Contains(walked, "node_modules") || slices.Contains(walked, "node_modules/a") {
		t.Errorf("excluded directory walked: %q", walked)
	}
	if !slices.Contains(walked, "docs") {
		t.Errorf("docs not walked for its exception: %q", walked)
	}
}

func TestBuildContextExtraFile(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a.txt": "a"})
	c, err := newBuildContext(dir)
	if err != nil {
		t.Fatal(err)
	}
	body := []byte("FROM scratch\nCOPY a.txt /\n")
	name := extraFileName(body)
	if name != extraFileName(body) || !strings.HasPrefix(name, ".dockerfile.") {
		t.Fatalf("extra file name %q is not stable", name)
	}
	c.extra = []contextFile{{name: name, body: body}}
	var buf bytes.Buffer
	if _, err := c.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	got := readTar(t, buf.Bytes())
	if got[name].body != string(body) || got["a.txt"].body != "a" || len(got) != 2 {
		t.Errorf("entries %v", got)
	}
}

func TestBuildContextErrors(t *testing.T) {
	if _, err := newBuildContext(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("missing context accepted")
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{".dockerignore": "ok\n!\n"})
	if _, err := newBuildContext(dir); err == nil || !strings.Contains(err.Error(), ".dockerignore") {
		t.Errorf("bad .dockerignore: %v", err)
	}
}
