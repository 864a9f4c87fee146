// Command berth validates, lints, renders, plans and applies Docker Compose
// projects. This package only wires flags to the library packages: every
// decision lives in load, schema, transform and the packages after them.
package main

import (
	"context"
	"os"
	"os/signal"

	"github.com/berth-compose/berth/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ())
	stop()
	os.Exit(code)
}
