package main

import (
	"fmt"
	"os"

	"github.com/berth-compose/berth/schema"
)

func main() {
	for _, name := range os.Args[1:] {
		b, _ := os.ReadFile(name)
		for _, v := range schema.Validate(name, b) {
			fmt.Println(v, "  path=", v.Path)
		}
	}
}
