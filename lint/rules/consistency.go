package rules

import "github.com/berth-compose/berth/lint"

// Consistency rules.
var Consistency = []*lint.Rule{}
