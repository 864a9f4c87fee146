package textdiff

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestUnified(t *testing.T) {
	old := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	new := "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\n"
	want := "--- f\n+++ f\n@@ -1,5 +1,5 @@\n a\n-b\n+B\n c\n d\n e\n@@ -8,3 +8,4 @@\n h\n i\n j\n+k\n"
	got, err := Unified("f", []byte(old), []byte(new))
	if err != nil || string(got) != want {
		t.Errorf("got (%v)\n%s\nwant\n%s", err, got, want)
	}
	if got, err := Unified("f", []byte(old), []byte(old)); err != nil || len(got) != 0 {
		t.Errorf("equal contents: %q, %v", got, err)
	}
}

// changes are edits a fix can make, at the edges where unified diffs go
// wrong: the first and last lines, a missing final newline, an empty file.
var changes = []struct{ name, old, new string }{
	{"middle", "a\nb\nc\nd\ne\nf\ng\nh\n", "a\nb\nc\nD\ne\nf\ng\nh\n"},
	{"first line", "a\nb\n", "x\na\nb\n"},
	{"append", "a\nb\nc\n", "a\nb\nc\nd\n"},
	{"no final newline", "a\nb\nc", "a\nb\nC"},
	{"add final newline", "a\nb\nc", "a\nb\nc\n"},
	{"drop final newline", "a\nb\nc\n", "a\nB\nc"},
	{"from empty", "", "a\n"},
	{"to empty", "a\nb\n", ""},
	{"two hunks", "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n", "one\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\ntwelve\n"},
}

// TestUnifiedApplies: git apply, which checks every context line and the
// newline markers strictly, turns the old file into the new one with the
// diff. Without git the test is skipped, except in CI.
func TestUnifiedApplies(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is not installed")
		}
		t.Skip("git is not installed: cannot check that the diffs apply")
	}
	for _, c := range changes {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			file := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(file, []byte(c.old), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := Unified("compose.yaml", []byte(c.old), []byte(c.new))
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(git, "apply", "-p0", "-")
			cmd.Dir = dir
			cmd.Stdin = bytes.NewReader(d)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git apply: %v\n%s\ndiff:\n%s", err, out, d)
			}
			got, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != c.new {
				t.Errorf("after git apply: %q, want %q\ndiff:\n%s", got, c.new, d)
			}
		})
	}
}
