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

// contextTar reads the whole tar stream of a build context.
func contextTar(t *testing.T, c *buildContext) []byte {
	t.Helper()
	rc, err := c.open()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// contextTree is the files of the context test: a .dockerignore that
// leaves out heavy and secret things, with exceptions, and lists the
// Dockerfile and itself.
var contextTree = map[string]string{
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
}

func TestBuildContextTar(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, contextTree)
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
	got := readTar(t, contextTar(t, c))
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
}

// TestBuildContextOwner: every entry is owned by root, whoever owns the
// files, as the docker CLI sends them.
func TestBuildContextOwner(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"a/b.txt": "b"})
	if os.Geteuid() == 0 {
		for _, p := range []string{"a", "a/b.txt"} {
			if err := os.Lchown(filepath.Join(dir, p), 1234, 5678); err != nil {
				t.Fatal(err)
			}
		}
	}
	c, err := newBuildContext(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(contextTar(t, c)))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("%s owned by %d:%d (%q:%q)", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
	}
}

func TestBuildContextExtraFile(t *testing.T) {
	body := []byte("FROM scratch\nCOPY a.txt /\n")
	name := extraFileName(body)
	if name != extraFileName(body) || !strings.HasPrefix(name, ".dockerfile.") {
		t.Fatalf("extra file name %q is not stable", name)
	}
	for _, tc := range []struct {
		what, ignore, wantIgnore string
		entries                  int
	}{
		// As the docker CLI: the extra Dockerfile is listed in
		// .dockerignore, created when there is none, so that the builder
		// drops it (and the created .dockerignore) from what COPY sees.
		{"without a .dockerignore", "", ".dockerignore\n" + name + "\n", 4},
		{"with a .dockerignore", "*.log", "*.log\n" + name + "\n", 3},
	} {
		t.Run(tc.what, func(t *testing.T) {
			dir := t.TempDir()
			files := map[string]string{"a.txt": "a", "b.log": "b"}
			if tc.ignore != "" {
				files[".dockerignore"] = tc.ignore
			}
			writeTree(t, dir, files)
			c, err := newBuildContext(dir, "")
			if err != nil {
				t.Fatal(err)
			}
			c.extra = &contextFile{name: name, body: body}
			got := readTar(t, contextTar(t, c))
			if got[name].body != string(body) || got[name].typ != tar.TypeReg || got["a.txt"].body != "a" {
				t.Errorf("entries %v", got)
			}
			if e := got[".dockerignore"]; e.body != tc.wantIgnore {
				t.Errorf(".dockerignore %q, want %q", e.body, tc.wantIgnore)
			}
			if _, ok := got["b.log"]; ok == (tc.ignore != "") {
				t.Errorf("b.log sent: %v", ok)
			}
			if len(got) != tc.entries {
				t.Errorf("entries %v, want %d: the extra file, .dockerignore, a.txt, b.log unless excluded", got, tc.entries)
			}
		})
	}
}

func TestBuildContextErrors(t *testing.T) {
	if _, err := newBuildContext(filepath.Join(t.TempDir(), "missing"), ""); err == nil {
		t.Error("missing context accepted")
	}
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{"file": "x"})
	if _, err := newBuildContext(filepath.Join(dir, "file"), ""); err == nil || !strings.Contains(err.Error(), "not a directory") {
		t.Errorf("file as context: %v", err)
	}
	for _, p := range []string{"!", "a[", "[]"} {
		dir := t.TempDir()
		writeTree(t, dir, map[string]string{".dockerignore": "ok\n" + p + "\n"})
		if _, err := newBuildContext(dir, ""); err == nil || !strings.Contains(err.Error(), ".dockerignore") {
			t.Errorf("bad .dockerignore pattern %q: %v", p, err)
		}
	}
}

// TestBuildContextSymlinkedDir: a context directory reached through a
// symbolic link is the tree it points to, not the link.
func TestBuildContextSymlinkedDir(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, map[string]string{"real/a.txt": "a", "real/.dockerignore": "b.txt\n", "real/b.txt": "b"})
	if err := os.Symlink("real", filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	c, err := newBuildContext(filepath.Join(root, "link"), "")
	if err != nil {
		t.Fatal(err)
	}
	got := readTar(t, contextTar(t, c))
	if _, ok := got["b.txt"]; got["a.txt"].body != "a" || ok {
		t.Errorf("entries %v", got)
	}
}
