package apply

import (
	"slices"
	"strings"
	"testing"
)

func TestReadDockerignore(t *testing.T) {
	in := "\xEF\xBB\xBF# comment\n\n  *.log  \n!  keep.log\n/abs/path\n./rel//dir/\n #not a comment\n!/root.txt\n"
	got, err := readDockerignore(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"*.log", "!keep.log", "abs/path", "rel/dir", "#not a comment", "!root.txt"}
	if !slices.Equal(got, want) {
		t.Errorf("patterns %q, want %q", got, want)
	}
}

func TestIgnoreMatcher(t *testing.T) {
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
		{"leading slash was trimmed on read", []string{"abs"}, "abs", true},
		{"escaped star is literal", []string{`a\*b`}, "a*b", true},
		{"escaped star does not glob", []string{`a\*b`}, "axb", false},
		{"not excluded without patterns", nil, "x", false},
		{"everything but one file", []string{"*", "!app"}, "app", false},
		{"everything but one file, rest out", []string{"*", "!app"}, "Dockerfile", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, err := newIgnoreMatcher(tc.patterns)
			if err != nil {
				t.Fatal(err)
			}
			if got := m.Excluded(tc.path); got != tc.excluded {
				t.Errorf("patterns %q, path %q: excluded %v, want %v", tc.patterns, tc.path, got, tc.excluded)
			}
		})
	}
}

func TestIgnoreMatcherErrors(t *testing.T) {
	for _, p := range []string{"!", "a[", "[]"} {
		if _, err := newIgnoreMatcher([]string{p}); err == nil {
			t.Errorf("pattern %q accepted", p)
		}
	}
}

func TestWalkExcludedDir(t *testing.T) {
	cases := []struct {
		patterns []string
		dir      string
		walk     bool
	}{
		{[]string{"node_modules"}, "node_modules", false},              // no exception at all
		{[]string{"docs", "!docs/keep.md"}, "docs", true},              // exception below
		{[]string{"docs", "!other/keep.md"}, "docs", false},            // exception elsewhere
		{[]string{"docs", "!*/keep.md"}, "docs", true},                 // wildcard component
		{[]string{"a", "!a/b/c"}, "a/x", false},                        // exception in a sibling branch
		{[]string{"a", "!a/b/c"}, "a/b", true},                         // on the way to the exception
		{[]string{"a", "!**/keep"}, "a/deep", true},                    // ** can be anywhere
		{[]string{"a/b", "!a"}, "a/b", true},                           // exception of a parent
		{[]string{"*", "!Dockerfile", "!.dockerignore"}, "src", false}, // only root files come back
	}
	for _, tc := range cases {
		m, err := newIgnoreMatcher(tc.patterns)
		if err != nil {
			t.Fatal(err)
		}
		if got := m.walkExcludedDir(tc.dir); got != tc.walk {
			t.Errorf("patterns %q, dir %q: walk %v, want %v", tc.patterns, tc.dir, got, tc.walk)
		}
	}
}
