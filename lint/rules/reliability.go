package rules

import "github.com/berth-compose/berth/lint"

// Reliability rules.
var Reliability = []*lint.Rule{}
