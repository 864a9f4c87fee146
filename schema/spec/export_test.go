package spec

import "reflect"

// TypeAt is fieldType for tests outside the package: the Go type
// compose-go decodes the value at path (keys as strings, list indexes as
// ints) into, nil when unknown.
func TypeAt(path []any) reflect.Type {
	var p []pathElem
	for _, e := range path {
		switch x := e.(type) {
		case int:
			p = append(p, pathElem{index: x, isIndex: true})
		case string:
			p = append(p, pathElem{key: x})
		}
	}
	return fieldType(p)
}
