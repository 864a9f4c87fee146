// Package rules holds berth's lint rules, one family per file; All lists
// them in code order. Every surface that shows rules (berth rules,
// docs/rules.md, SARIF) reads this list.
package rules

import (
	"cmp"
	"slices"

	"github.com/berth-compose/berth/lint"
)

// All returns every rule, sorted by code.
func All() []*lint.Rule {
	all := slices.Concat(Schema, Consistency, Reliability, Security, Style, Meta)
	slices.SortFunc(all, func(a, b *lint.Rule) int { return cmp.Compare(a.Code, b.Code) })
	return all
}
