// Command berth validates, lints, renders, plans and applies Docker Compose
// projects. This package only wires flags to the library packages: every
// decision lives in load, schema, transform and the packages after them.
package main

import (
	"context"
	"os"

	"github.com/berth-compose/berth/internal/cli"
)

// main leaves interrupts to their default, ending the process: berth's own
// commands read, or write through writeFileAtomic, so there is nothing to
// finish, and the Docker Engine commands, which do have steps to finish,
// run in berth-engine, to which cli.Forward passes interrupts on. Catching
// signals here (os/signal starts its watcher goroutine and thread) cost
// every start about 0.3 ms.
func main() {
	os.Exit(run(context.Background(), os.Args[1:], cli.Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}, os.Environ()))
}
