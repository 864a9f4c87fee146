package kube_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berth-compose/berth/transform/kube"
)

const (
	tableStart = "<!-- mapping table: generated from transform/kube.ServiceKeys by TestReadmeMappingTable -->\n"
	tableEnd   = "<!-- end of mapping table -->\n"
)

// mappingTable renders ServiceKeys as the README's Markdown table.
func mappingTable() string {
	var b strings.Builder
	b.WriteString("| compose key | Kubernetes | reported (warning) when |\n| --- | --- | --- |\n")
	for _, k := range kube.ServiceKeys() {
		target, warns := k.Target, k.Warns
		if target == "" {
			target = "—"
			warns = "always: not converted: " + k.Reason
		}
		if warns == "" {
			warns = "never"
		}
		b.WriteString("| `" + k.Key + "` | " + target + " | " + warns + " |\n")
	}
	return b.String()
}

// TestReadmeMappingTable keeps the README's mapping table equal to the
// table the code uses (go test -run TestReadmeMappingTable -update rewrites
// it).
func TestReadmeMappingTable(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	i, j := strings.Index(s, tableStart), strings.Index(s, tableEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the markers of the mapping table")
	}
	got, want := s[i+len(tableStart):j], mappingTable()
	if got == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(s[:i+len(tableStart)]+want+s[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's mapping table differs from the code's; run go test ./transform/kube -run TestReadmeMappingTable -update")
}
