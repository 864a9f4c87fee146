package rules

import "github.com/berth-compose/berth/lint"

// Security rules.
var Security = []*lint.Rule{}
