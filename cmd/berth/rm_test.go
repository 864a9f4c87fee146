package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestRmArgs(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "stack"), []byte("services: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	root := (&app{}).rootCommand()
	for in, want := range map[string]string{
		"rm -f":                         "rm --force",
		"rm -f web":                     "rm --force web",
		"rm -s -f -v":                   "rm -s --force -v",
		"rm -f compose.yaml -p x":       "rm -f compose.yaml -p x",
		"rm -f ../dev/c.yml -f":         "rm -f ../dev/c.yml --force",
		"rm -f stack web":               "rm -f stack web",
		"rm -f - -f":                    "rm -f - --force",
		"rm -p -f -f":                   "rm -p -f --force",
		"-p x rm -f":                    "-p x rm --force",
		"-f a.yaml rm -f":               "-f a.yaml rm --force",
		"rm -- -f":                      "rm -- -f",
		"build -f":                      "build -f",
		"pull rm -f":                    "pull rm -f",
		"down -f compose.yaml":          "down -f compose.yaml",
		"rm --progress plain -f web":    "rm --progress plain --force web",
		"rm --file compose.yaml -f web": "rm --file compose.yaml --force web",
	} {
		if got := strings.Join(rmArgs(root, strings.Fields(in)), " "); got != want {
			t.Errorf("rmArgs(%s) = %s, want %s", in, got, want)
		}
	}
	args := []string{"rm", "-f"}
	rmArgs(root, args)
	if !slices.Equal(args, []string{"rm", "-f"}) {
		t.Error("rmArgs changed its argument slice")
	}
}
