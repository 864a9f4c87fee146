package apply

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadFilePositionsBadPlans: a saved plan that is not valid JSON, or
// has a field of the wrong type, is reported at file:line:col.
func TestReadFilePositionsBadPlans(t *testing.T) {
	cases := map[string]string{
		"{\"format_version\": 1":            "plan.json:1:21: ",
		"{\n  \"format_version\": \"x\"\n}": "plan.json:2:24: ",
	}
	for src, want := range cases {
		path := filepath.Join(t.TempDir(), "plan.json")
		if err := os.WriteFile(path, []byte(src), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(path)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ReadFile(%q) = %v, want an error containing %q", src, err, want)
		}
	}
}
