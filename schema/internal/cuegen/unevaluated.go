package cuegen

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// fixUnevaluated rewrites every $defs entry of the form
//
//	{allOf: [{$ref: "#/$defs/a"}, ...], properties: {...}, unevaluatedProperties: false}
//
// in doc into one closed object (allOf'd properties inlined, a property that
// two branches define required to satisfy both, additionalProperties:
// false). Any other use of the keyword is an error: fail closed.
func fixUnevaluated(doc map[string]any) error {
	defs, _ := doc["$defs"].(map[string]any)
	names := make([]string, 0, len(defs))
	for name := range defs {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		def, _ := defs[name].(map[string]any)
		if def == nil {
			continue
		}
		uv, has := def["unevaluatedProperties"]
		if !has {
			continue
		}
		if uv != false {
			return fmt.Errorf("$defs/%s: unevaluatedProperties is %v, only false is supported", name, uv)
		}
		if err := inlineAllOf(name, def, defs); err != nil {
			return err
		}
	}
	// hasKey first: findKey sorts every map it visits for a deterministic
	// message, which is only worth paying for on the error path.
	if !hasKey(doc, "unevaluatedProperties") {
		return nil
	}
	if p := findKey(doc, "unevaluatedProperties", ""); p != "" {
		return fmt.Errorf("%s: unevaluatedProperties in an unsupported position", p)
	}
	return nil
}

func inlineAllOf(name string, def, defs map[string]any) error {
	props, _ := def["properties"].(map[string]any)
	if props == nil {
		props = map[string]any{}
	}
	pats, _ := def["patternProperties"].(map[string]any)
	if pats == nil {
		pats = map[string]any{}
	}
	if t, ok := def["type"]; ok && t != "object" {
		return fmt.Errorf("$defs/%s: type %v, want object", name, t)
	}
	allOf, _ := def["allOf"].([]any)
	for _, a := range allOf {
		am, _ := a.(map[string]any)
		ref, _ := am["$ref"].(string)
		if len(am) != 1 || !strings.HasPrefix(ref, "#/$defs/") {
			return fmt.Errorf("$defs/%s: unsupported allOf entry %v", name, a)
		}
		sub, ok := defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		if !ok {
			return fmt.Errorf("$defs/%s: %s not found", name, ref)
		}
		for k := range sub {
			switch k {
			case "type", "properties", "patternProperties", "description", "title":
			default:
				return fmt.Errorf("$defs/%s: %s has keyword %q that cannot be inlined", name, ref, k)
			}
		}
		subProps, _ := sub["properties"].(map[string]any)
		for k, v := range subProps {
			props[k] = conjoin(props[k], v)
		}
		subPats, _ := sub["patternProperties"].(map[string]any)
		for k, v := range subPats {
			pats[k] = conjoin(pats[k], v)
		}
	}
	def["properties"] = props
	if len(pats) > 0 {
		def["patternProperties"] = pats
	}
	delete(def, "allOf")
	delete(def, "unevaluatedProperties")
	def["additionalProperties"] = false
	def["type"] = "object"
	return nil
}

// conjoin is the schema a property must satisfy when two allOf branches
// both define it: the one definition when they are the same (compose-go
// v2.16's container_spec and workload_spec both allow "^x-" extensions),
// else both, as allOf says.
func conjoin(a, b any) any {
	switch {
	case a == nil:
		return b
	case reflect.DeepEqual(a, b):
		return a
	}
	return map[string]any{"allOf": []any{a, b}}
}

func hasKey(v any, key string) bool {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if k == key || hasKey(x, key) {
				return true
			}
		}
	case []any:
		for _, x := range v {
			if hasKey(x, key) {
				return true
			}
		}
	}
	return false
}

// findKey returns the JSON path of the first occurrence of key anywhere in
// v (keys of properties/patternProperties maps included, as in cuegen).
func findKey(v any, key, at string) string {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if k == key {
				return at + "/" + k
			}
			if p := findKey(v[k], key, at+"/"+k); p != "" {
				return p
			}
		}
	case []any:
		for i, e := range v {
			if p := findKey(e, key, fmt.Sprintf("%s/%d", at, i)); p != "" {
				return p
			}
		}
	}
	return ""
}
