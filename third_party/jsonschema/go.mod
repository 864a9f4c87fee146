// A stand-in for github.com/santhosh-tekuri/jsonschema/v6, wired in by the
// replace directive in berth's go.mod. See README.md beside this file.
module github.com/santhosh-tekuri/jsonschema/v6

go 1.21

require golang.org/x/text v0.38.0
