// Command gen writes schema/compose.cue from compose-go's embedded JSON
// Schema. It is run by go generate in the schema package.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/berth-compose/berth/schema/internal/cuegen"
)

func main() {
	out := flag.String("o", "compose.cue", "output file")
	flag.Parse()
	b, err := cuegen.Generate()
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
