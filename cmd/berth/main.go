// Command berth validates, lints, renders, plans and applies Docker Compose
// projects. This package only wires flags to the library packages: every
// decision lives in load, schema, lint, transform and apply.
package main

import (
	"context"
	"os"

	"github.com/berth-compose/berth/internal/cli"
)

func main() {
	os.Exit(run(context.Background(), os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ()))
}
