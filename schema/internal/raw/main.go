package main

import (
	"fmt"
	"os"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/errors"
	"cuelang.org/go/encoding/yaml"
)

func main() {
	src, _ := os.ReadFile("schema/compose.cue")
	ex, _ := os.ReadFile("schema/extra.cue")
	ctx := cuecontext.New()
	s := ctx.CompileBytes(src, cue.Filename("compose.cue")).Unify(ctx.CompileBytes(ex, cue.Filename("extra.cue")))
	for _, name := range os.Args[1:] {
		b, _ := os.ReadFile(name)
		f, err := yaml.Extract(name, b)
		if err != nil { fmt.Println("EXTRACT", err); continue }
		err = s.Unify(ctx.BuildFile(f)).Validate(cue.Concrete(true))
		for _, e := range errors.Errors(err) {
			f, a := e.Msg()
			fmt.Printf("  %q %s %v\n", e.Path(), fmt.Sprintf(f, a...), errors.Positions(e))
		}
	}
}
