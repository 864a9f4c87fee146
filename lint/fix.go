package lint

import (
	"cmp"
	"fmt"
	"slices"
)

// ApplyFixes applies the first fix of every diagnostic in file to src.
// Edits that overlap an edit already taken are skipped (run --fix again to
// apply them), so a fix never corrupts the file.
func ApplyFixes(src []byte, file string, diags []Diagnostic) ([]byte, error) {
	var edits []Edit
	for _, d := range diags {
		if len(d.Fixes) == 0 || d.Suppressed {
			continue
		}
		for _, e := range d.Fixes[0].Edits {
			if e.File == file || e.File == "" {
				edits = append(edits, e)
			}
		}
	}
	slices.SortStableFunc(edits, func(a, b Edit) int { return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End)) })
	var out []byte
	last := 0
	for _, e := range edits {
		if e.Start < last {
			continue // overlaps the previous edit
		}
		if e.Start > e.End || e.End > len(src) {
			return nil, fmt.Errorf("edit [%d,%d) outside %s (%d bytes)", e.Start, e.End, file, len(src))
		}
		out = append(out, src[last:e.Start]...)
		out = append(out, e.New...)
		last = e.End
	}
	return append(out, src[last:]...), nil
}
