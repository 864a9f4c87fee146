package rules

import "github.com/berth-compose/berth/lint"

// Meta rules.
var Meta = []*lint.Rule{}
