package apply

import (
	"path/filepath"
	"strings"
	"testing"
)

// sent reports whether the build context of dir sends path.
func sent(t *testing.T, dir, path string) bool {
	t.Helper()
	c, err := newBuildContext(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	_, ok := readTar(t, contextTar(t, c))[path]
	return ok
}

// TestIgnoreFileSyntax pins how a .dockerignore file is read, as the
// docker CLI reads it: a UTF-8 byte order mark is dropped, lines starting
// with '#' are comments, blanks around a pattern are trimmed, patterns are
// cleaned, and a leading '/' means the context root.
func TestIgnoreFileSyntax(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, map[string]string{
		".dockerignore":  "\xEF\xBB\xBFbom.dat\n# comment\n\n  *.log  \n!  keep.log\n/abs/path\n./rel//dir/\n #not a comment\n*.txt\n!/root.txt\n",
		"bom.dat":        "out, if the byte order mark is dropped",
		"# comment":      "kept: the line is a comment",
		"#not a comment": "out: the line starts with a blank",
		"a.log":          "out",
		"keep.log":       "kept",
		"abs/path":       "out",
		"rel/dir/f":      "out",
		"other.txt":      "out",
		"root.txt":       "kept",
	})
	for path, want := range map[string]bool{
		"bom.dat": false, "# comment": true, "#not a comment": false, "a.log": false, "keep.log": true,
		"abs/path": false, "rel/dir/f": false, "other.txt": false, "root.txt": true,
	} {
		if got := sent(t, dir, path); got != want {
			t.Errorf("%q sent: %v, want %v", path, got, want)
		}
	}
}

// TestIgnorePatterns pins which paths a .dockerignore leaves out of the
// context, with Docker's semantics: patterns match in order and the last
// one that matches wins; a pattern that matches a directory leaves out its
// contents; '*' and '?' do not cross '/', "**" matches any number of
// directories (none included), "[...]" is a character class. An excluded
// directory is entered only when an exception's text starts with its path
// (the docker CLI's rule), so a wildcard exception does not bring back a
// file below an excluded directory.
func TestIgnorePatterns(t *testing.T) {
	cases := []struct {
		name     string
		patterns []string
		path     string
		excluded bool
	}{
		{"plain name", []string{"secret.txt"}, "secret.txt", true},
		{"plain name is anchored at the root", []string{"secret.txt"}, "sub/secret.txt", false},
		{"directory excludes its contents", []string{"node_modules"}, "node_modules/a/b.js", true},
		{"star does not cross slash", []string{"*.txt"}, "sub/a.txt", false},
		{"star matches one level", []string{"*/a.txt"}, "sub/a.txt", true},
		{"star matches a directory and so its contents", []string{"sub/*"}, "sub/deep/x", true},
		{"double star at the start matches at any depth", []string{"**/a.txt"}, "x/y/z/a.txt", true},
		{"double star matches zero directories", []string{"**/a.txt"}, "a.txt", true},
		{"double star in the middle", []string{"a/**/b"}, "a/b", true},
		{"double star in the middle, deep", []string{"a/**/b"}, "a/x/y/b", true},
		{"trailing double star", []string{"a/**"}, "a/x/y", true},
		{"trailing double star leaves a sibling", []string{"a/**"}, "ab", false},
		{"double star alone excludes everything", []string{"**"}, "any/thing", true},
		{"question mark is one character", []string{"file?.txt"}, "file1.txt", true},
		{"question mark does not match slash", []string{"a?b"}, "a/b", false},
		{"character class", []string{"file[0-9].txt"}, "file7.txt", true},
		{"negated character class", []string{"file[^0-9].txt"}, "file7.txt", false},
		{"negated character class matches", []string{"file[^0-9].txt"}, "filex.txt", true},
		{"dot is literal", []string{"a.b"}, "axb", false},
		{"exception re-includes", []string{"*.md", "!README.md"}, "README.md", false},
		{"exception order matters: last wins", []string{"!README.md", "*.md"}, "README.md", true},
		{"exception then exclusion again", []string{"docs", "!docs/keep", "docs/keep/tmp"}, "docs/keep/tmp/x", true},
		{"exception inside excluded dir", []string{"docs", "!docs/keep"}, "docs/keep/file", false},
		{"exception does not touch other files", []string{"docs", "!docs/keep"}, "docs/other", true},
		{"leading slash is the root", []string{"/abs"}, "abs", true},
		{"escaped star is literal", []string{`a\*b`}, "a*b", true},
		{"escaped star does not glob", []string{`a\*b`}, "axb", false},
		{"not excluded without patterns", nil, "x", false},
		{"everything but one file", []string{"*", "!app"}, "app", false},
		{"everything but one file, rest out", []string{"*", "!app"}, "Dockerfile", true},
		{"exception below an excluded directory", []string{"docs", "!docs/keep.md"}, "docs/keep.md", false},
		{"exception in a sibling branch", []string{"a", "!a/b/c"}, "a/x/y", true},
		{"on the way to the exception", []string{"a", "!a/b/c"}, "a/b/c", false},
		// The archive package matches a/b with the results of its parent a,
		// which "!a" did not un-exclude (nothing excluded it): a/b stays out.
		{"exception of a parent comes too late", []string{"a/b", "!a"}, "a/b/f", true},
		{"exception of a parent, then the directory", []string{"a/b", "!a", "!a/b"}, "a/b/f", false},
		{"only root files come back", []string{"*", "!Dockerfile", "!.dockerignore"}, "src/x", true},
		{"wildcard exception does not enter an excluded directory", []string{"docs", "!*/keep.md"}, "docs/keep.md", true},
		{"wildcard exception outside excluded directories", []string{"docs", "*/keep.md", "!*/keep.md"}, "other/keep.md", false},
		{"double-star exception does not enter an excluded directory", []string{"a", "!**/keep"}, "a/deep/keep", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeTree(t, dir, map[string]string{
				".dockerignore":             strings.Join(tc.patterns, "\n"),
				filepath.FromSlash(tc.path): "x",
			})
			if got := sent(t, dir, tc.path); got == tc.excluded {
				t.Errorf("patterns %q, path %q: sent %v, want %v", tc.patterns, tc.path, got, !tc.excluded)
			}
		})
	}
}
