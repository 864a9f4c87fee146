package apply

import (
	"fmt"
	"strings"
)

// warnOrphans names, in the plan's warnings, every container of a service
// no longer in the files that the plan removes: files given by mistake
// (-f other.yaml) must not remove a project's containers without a word.
func (b *builder) warnOrphans() {
	var names []string
	for _, s := range b.plan.Steps {
		if s.Action == Remove && len(s.Reasons) == 1 && s.Reasons[0].Code == Orphan {
			names = append(names, s.Name)
		}
	}
	if len(names) > 0 {
		b.plan.Warnings = append(b.plan.Warnings, fmt.Sprintf("%d orphan container(s) of services not in the compose files will be removed: %s (--keep-orphans keeps them)", len(names), strings.Join(names, ", ")))
	}
}
