// Command gendocs writes docs/rules.md from the rule metadata in lint/rules;
// it is run by `go generate ./lint/rules`.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/berth-compose/berth/lint/rules"
)

func main() {
	out := flag.String("o", "docs/rules.md", "file to write")
	flag.Parse()
	md := rules.Markdown(rules.All())
	if old, err := os.ReadFile(*out); err == nil && bytes.Equal(old, md) {
		return // unchanged: keep the timestamp
	}
	if err := os.WriteFile(*out, md, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gendocs:", err)
		os.Exit(1)
	}
}
