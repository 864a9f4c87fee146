// Package kind holds the error kinds compose-go's schema package inspects.
package kind

import (
	"math/big"

	"golang.org/x/text/message"
)

// Type: the value has the wrong type.
type Type struct {
	Got  string
	Want []string
}

func (*Type) KeywordPath() []string { return []string{"type"} }
func (k *Type) LocalizedString(p *message.Printer) string {
	return p.Sprintf("got %s, want %v", k.Got, k.Want)
}

// Minimum: the number is below the minimum.
type Minimum struct {
	Got  *big.Rat
	Want *big.Rat
}

func (*Minimum) KeywordPath() []string { return []string{"minimum"} }
func (k *Minimum) LocalizedString(p *message.Printer) string {
	return p.Sprintf("minimum: got %v, want %v", k.Got, k.Want)
}

// Maximum: the number is above the maximum.
type Maximum struct {
	Got  *big.Rat
	Want *big.Rat
}

func (*Maximum) KeywordPath() []string { return []string{"maximum"} }
func (k *Maximum) LocalizedString(p *message.Printer) string {
	return p.Sprintf("maximum: got %v, want %v", k.Got, k.Want)
}

// AdditionalProperties: properties the schema does not allow.
type AdditionalProperties struct {
	Properties []string
}

func (*AdditionalProperties) KeywordPath() []string { return []string{"additionalProperties"} }
func (k *AdditionalProperties) LocalizedString(p *message.Printer) string {
	return p.Sprintf("additional properties %v not allowed", k.Properties)
}
