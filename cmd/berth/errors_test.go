package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadInputIsPositioned runs berth config on every kind of bad input
// (testdata/errors): each must print file:line:col: message, exit 2 and
// never panic.
func TestBadInputIsPositioned(t *testing.T) {
	dir, err := filepath.Abs(filepath.Join("..", "..", "testdata", "errors"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ file, want string }{
		{"missing.yaml", "missing.yaml: no such file"},
		{"directory.yaml", "directory.yaml: is a directory, not a compose file"},
		{"empty.yaml", "empty.yaml:1:1: file is empty"},
		{"syntax.yaml", "syntax.yaml:4:4: did not find expected key"},
		{"duplicate-key.yaml", `duplicate-key.yaml:4:5: duplicate key "image" (first defined at 3:5)`},
		{"tabs.yaml", "tabs.yaml:3:1: tab character used for indentation; use spaces"},
		{"invalid-utf8.yaml", "invalid-utf8.yaml:3:16: invalid UTF-8 (byte 0xFF)"},
		{"alias-bomb.yaml", `alias-bomb.yaml:5:29: alias *d expands the document to more than`},
		{"missing-env-file.yaml", `missing-env-file.yaml:4:15: service "web": env file missing.env does not exist (BR016 bad-env-file)`},
		{"required-variable.yaml", "required-variable.yaml:3:19: required variable TAG is not set: TAG must be set to the release (BR011 required-variable)"},
		// Every undefined reference, not the first only.
		{"undefined-network.yaml", `undefined-network.yaml:4:16: service "web" refers to undefined network "front" (BR101 undefined-network)
undefined-network.yaml:6:9: service "web" refers to undefined volume "data" (BR102 undefined-volume)`},
		{"undefined-secret.yaml", `undefined-secret.yaml:5:9: service "web" refers to undefined secret "api_token" (BR103 undefined-secret)`},
		{"cycle.yaml", "cycle.yaml:7:18: dependency cycle detected: api -> worker -> web -> api"},
		{"readme.yaml", `readme.yaml:5:5: `},
		// The unset variable is warned about first, then the spec it broke.
		{"invalid-volume-spec.yaml", `invalid-volume-spec.yaml:5:9: warning: The "MEDIA_PATH" variable is not set. Defaulting to a blank string.
invalid-volume-spec.yaml:5:9: services.plex.volumes[0]: "${MEDIA_PATH}:/media/" is not a volume (such as "data:/var/lib/data" or "./src:/src:ro"): invalid spec: :/media/: empty section between colons (BR013 unparsable-value)`},
	}
	env := []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r := runBerth(t, dir, env, "config", "-f", c.file)
			if r.code != 2 {
				t.Errorf("exit %d, want 2", r.code)
			}
			if r.stdout != "" {
				t.Errorf("printed to stdout: %q", r.stdout)
			}
			if !strings.HasPrefix(r.stderr, c.want) {
				t.Errorf("stderr:\n%s\nwant it to start with:\n%s", r.stderr, c.want)
			}
			if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine") {
				t.Errorf("panicked:\n%s", r.stderr)
			}
		})
	}
}

// TestSchemaErrorsAllReported checks that every schema problem of every
// file is reported in one run, one line each.
func TestSchemaErrorsAllReported(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "errors"))
	r := runBerth(t, dir, []string{"PATH=/usr/bin:/bin"}, "config", "-q", "-f", "readme.yaml")
	want := []string{
		"readme.yaml:5:5: ",
		"readme.yaml:7:18: ",
		"readme.yaml:9:12: ",
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != 2 || len(lines) != len(want) {
		t.Fatalf("exit %d, %d lines, want exit 2 and %d lines:\n%s", r.code, len(lines), len(want), r.stderr)
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want prefix %q", i+1, lines[i], w)
		}
	}
}

// TestLintDirectoryIsUsageError: a directory given to lint is a usage error
// (exit 2, no made-up position), as for config.
func TestLintDirectoryIsUsageError(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("..", "..", "testdata", "errors"))
	r := runBerth(t, dir, []string{"PATH=/usr/bin:/bin"}, "lint", "directory.yaml")
	if r.code != 2 || !strings.HasPrefix(r.stderr, "directory.yaml: is a directory, not a compose file") {
		t.Errorf("exit %d, stderr %q; want exit 2 and the directory named", r.code, r.stderr)
	}
}

// TestNullValueMessage: a null where a mapping belongs is named once.
func TestNullValueMessage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte("services:\n  web: null\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := runBerth(t, dir, []string{"PATH=/usr/bin:/bin"}, "config", "-q")
	want := "compose.yaml:2:8: services.web: expected mapping, got null (BR003 wrong-type)\n"
	if r.code != 2 || r.stderr != want {
		t.Errorf("exit %d, stderr %q; want %q", r.code, r.stderr, want)
	}
}
