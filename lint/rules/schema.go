package rules

import "github.com/berth-compose/berth/lint"

// Schema rules.
var Schema = []*lint.Rule{}
