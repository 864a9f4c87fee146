package rules

import "github.com/berth-compose/berth/lint"

// Style rules.
var Style = []*lint.Rule{}
