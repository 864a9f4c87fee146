package fast_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/berth-compose/berth/schema"
)

func TestScratch(t *testing.T) {
	src, _ := os.ReadFile(os.Getenv("F"))
	for _, v := range schema.Validate("x.yaml", src) {
		fmt.Println(v.Line, v.Col, v.Rule.Code, v.Path, "|", v.Message)
	}
}
