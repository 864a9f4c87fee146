package spec

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/transform"
	"github.com/compose-spec/compose-go/v2/tree"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/go-viper/mapstructure/v2"
	yaml "go.yaml.in/yaml/v4"

	"github.com/berth-compose/berth/schema/rules"
)

// Decode finds, in one parsed compose file, what compose-go refuses after
// its schema has passed: a variable that cannot be substituted (every
// unset required one, each at its use), a string that compose-go's
// interpolation cannot cast to the key's type, and a value its decoder
// cannot read (durations, byte sizes, ports, volumes, devices, ulimits,
// extra hosts, cpus, ...). Each value is checked on its own YAML node with
// compose-go's own code: its interpolation casts, transform.Canonical (the
// short-syntax parsers for ports, volumes, devices, ulimits, ...) and
// loader.Transform (its mapstructure decoding into compose-go's types,
// go-units and str2duration included), so one bad value never hides
// another, and the verdict is compose-go's. The violations are sorted by
// position.
func Decode(filename string, docs []*yaml.Node, opts Options) (out []rules.Violation) {
	defer func() {
		if r := recover(); r != nil {
			out = append(out, rules.Violation{File: filename, Line: 1, Col: 1, Rule: rules.RuleUnparsableValue,
				Message: fmt.Sprintf("internal error while decoding: %v", r)})
		}
		sortViolations(out)
	}()
	for _, d := range docs {
		top := topNode(d)
		if top == nil || top.Kind != yaml.MappingNode {
			continue
		}
		dc := &decodePass{file: filename, opts: opts, failed: map[*yaml.Node]bool{}}
		dc.keys(top, nil, 0)
		if opts.Interpolate {
			dc.interpolate(top, nil, tree.NewPath(), "", 0)
		}
		dc.decode(top)
		out = append(out, dc.out...)
	}
	return out
}

// decodePass is the state of Decode over one document.
type decodePass struct {
	file   string
	opts   Options
	out    []rules.Violation
	failed map[*yaml.Node]bool // scalars whose interpolation failed (reported)
	visits int
}

func (d *decodePass) report(n *yaml.Node, path []pathElem, rule rules.Rule, msg string) {
	d.out = append(d.out, rules.Violation{File: d.file, Line: max(n.Line, 1), Col: max(n.Column, 1),
		Path: formatPath(path), Rule: rule, Message: msg})
}

func (d *decodePass) lookup(name string) (string, bool) {
	if d.opts.Lookup == nil {
		return "", false
	}
	return d.opts.Lookup(name)
}

// keys reports every mapping key that YAML reads as something other than
// a string (`0:`, `true:`, `~:`): compose-go refuses them anywhere.
func (d *decodePass) keys(n *yaml.Node, path []pathElem, depth int) {
	n = deref(n)
	if n == nil || depth > maxDepth {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if isMergeKey(k) {
				continue
			}
			if k.Kind != yaml.ScalarNode || k.Tag != "!!str" && !localTag(k.Tag) {
				d.report(k, appendKey(path, k.Value), rules.RuleWrongType, fmt.Sprintf("key %s of %s must be a string: quote it", strconv.Quote(k.Value), describeParent(path)))
				continue
			}
			d.keys(n.Content[i+1], appendKey(path, k.Value), depth+1)
		}
	case yaml.SequenceNode:
		for i, it := range n.Content {
			d.keys(it, appendIndex(path, i), depth+1)
		}
	}
}

// localTag reports a tag of the file's own (`!name`, not a YAML `!!type`):
// yaml/v4 leaves such a scalar its text, so as a key it is a string.
func localTag(tag string) bool {
	return strings.HasPrefix(tag, "!") && !strings.HasPrefix(tag, "!!")
}

// interpolate substitutes every string scalar as compose-go's interpolation
// does and reports each failure: every unset required variable of a value
// (compose-go stops at the first), a malformed ${...}, a cast to the key's
// type that fails.
func (d *decodePass) interpolate(n *yaml.Node, path []pathElem, tp tree.Path, last string, depth int) {
	n = deref(n)
	d.visits++
	if n == nil || depth > maxDepth || d.visits > maxVisits {
		return
	}
	switch n.Kind {
	case yaml.MappingNode:
		for _, kv := range entries(n) {
			k := kv[0].Value
			next := tp.Next(k)
			if len(path) == 0 {
				next = tree.NewPath(k)
			}
			d.interpolate(kv[1], appendKey(path, k), next, k, depth+1)
		}
		return
	case yaml.SequenceNode:
		for i, it := range items(n) {
			d.interpolate(it, appendIndex(path, i), tp.Next(tree.PathMatchList), tree.PathMatchList, depth+1)
		}
		return
	}
	s, ok := scalar(n).(string)
	if !ok {
		return
	}
	if strings.Contains(s, "$") {
		sub, failed := d.substitute(n, path, s)
		if failed {
			d.failed[n] = true
			return
		}
		s = sub
	}
	if fn := castFor(tp, last); fn != nil {
		if _, err := fn(s); err != nil {
			d.failed[n] = true
			d.report(n, path, rules.RuleUnparsableValue, fmt.Sprintf("%s: %s is not %s", formatPath(path), strconv.Quote(s), castNoun(err)))
		}
	}
}

// substitute substitutes s, reporting every unset required variable in it
// (compose-go stops at the first one: berth substitutes again, the ones
// found standing in, until none is left) and a malformed template.
func (d *decodePass) substitute(n *yaml.Node, path []pathElem, s string) (string, bool) {
	found := map[string]bool{}
	mapping := func(name string) (string, bool) {
		if found[name] {
			return "x", true // already reported: stand in for it
		}
		return d.lookup(name)
	}
	failed := false
	for range 64 {
		sub, err := template.SubstituteWithOptions(s, mapping, template.WithoutLogging)
		var missing *template.MissingRequiredError
		var invalid *template.InvalidTemplateError
		switch {
		case err == nil:
			return sub, failed
		case errors.As(err, &missing) && !found[missing.Variable]:
			found[missing.Variable] = true
			failed = true
			msg := fmt.Sprintf("required variable %s is not set", missing.Variable)
			if missing.Reason != "" {
				msg += ": " + missing.Reason
			}
			line, col := useAt(n, missing.Variable)
			d.out = append(d.out, rules.Violation{File: d.file, Line: line, Col: col, Path: formatPath(path),
				Rule: rules.RuleRequiredVariable, Message: msg})
		case errors.As(err, &invalid):
			d.report(n, path, rules.RuleInvalidInterpolation, fmt.Sprintf("%s: invalid interpolation %s: write $$ for a literal dollar sign", formatPath(path), strconv.Quote(invalid.Template)))
			return s, true
		default:
			d.report(n, path, rules.RuleInvalidInterpolation, fmt.Sprintf("%s: %v", formatPath(path), err))
			return s, true
		}
	}
	return s, true
}

// useAt is the position of the variable's use in the scalar n: the exact
// column of `${NAME` when n is written on one line, else n's own position.
func useAt(n *yaml.Node, name string) (int, int) {
	line, col := max(n.Line, 1), max(n.Column, 1)
	if strings.Contains(n.Value, "\n") {
		return line, col
	}
	i := strings.Index(n.Value, "${"+name)
	if i < 0 {
		return line, col
	}
	if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
		// An escape before the use would shift the column: only trust
		// quoted text free of them.
		if strings.ContainsAny(n.Value[:i], "\\'\"") {
			return line, col
		}
		col++
	} else if n.Style != 0 && n.Style != yaml.FlowStyle {
		return line, col
	}
	return line, col + len([]rune(n.Value[:i]))
}

// castNoun names the type a failed interpolation cast wanted, from the
// parser's typed error.
func castNoun(err error) string {
	var num *strconv.NumError
	if errors.As(err, &num) {
		if strings.HasPrefix(num.Func, "ParseFloat") {
			return "a number"
		}
		return "an integer"
	}
	return "a boolean (true or false)"
}

// sections are the top-level mappings whose entries compose-go decodes
// into its types, with what an entry is called.
var sections = []string{"services", "networks", "volumes", "secrets", "configs", "models"}

// decode checks every key of every entry of the decoded sections on its
// own. The sections are decoded whole first, then each entry: most files
// decode, and only what fails is taken apart.
func (d *decodePass) decode(top *yaml.Node) {
	whole := map[string]any{}
	for _, kv := range entries(top) {
		if isSection(kv[0].Value) {
			if v, ok := d.native(kv[1], tree.NewPath(kv[0].Value), kv[0].Value, 0); ok {
				whole[kv[0].Value] = withoutUndecoded(kv[0].Value, v)
			}
		}
	}
	if decodeErr(whole) == nil {
		return
	}
	for _, kv := range entries(top) {
		section := kv[0].Value
		if !isSection(section) {
			continue
		}
		sec := deref(kv[1])
		if sec == nil || sec.Kind != yaml.MappingNode {
			continue
		}
		for _, ekv := range entries(sec) {
			name := ekv[0].Value
			res := deref(ekv[1])
			if res == nil || res.Kind != yaml.MappingNode {
				continue
			}
			if v, ok := d.native(res, tree.NewPath(section, name), name, 0); ok &&
				decodeErr(map[string]any{section: withoutUndecoded(section, map[string]any{name: v})}) == nil {
				continue // the entry decodes as a whole
			}
			for _, fkv := range entries(res) {
				key := fkv[0].Value
				if strings.HasPrefix(key, "x-") || section == "services" && key == "extends" {
					continue // extensions are not decoded; extends is resolved, not decoded
				}
				path := []pathElem{{key: section}, {key: name}, {key: key}}
				val, ok := d.native(fkv[1], tree.NewPath(section, name, key), key, 0)
				if !ok {
					continue // its interpolation failed, reported as such
				}
				wrap := func(v any) map[string]any {
					return map[string]any{section: map[string]any{name: map[string]any{key: v}}}
				}
				if decodeErr(wrap(val)) == nil {
					continue
				}
				d.localize(fkv[1], val, path, wrap)
			}
		}
	}
}

// withoutUndecoded drops from a section's entries what decode does not
// check on its own (extensions, extends), so that the whole-section check
// and the per-key checks judge the same values.
func withoutUndecoded(section string, v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for name, e := range m {
		em, ok := e.(map[string]any)
		if !ok {
			out[name] = e
			continue
		}
		c := make(map[string]any, len(em))
		for k, x := range em {
			if strings.HasPrefix(k, "x-") || section == "services" && k == "extends" {
				continue
			}
			c[k] = x
		}
		out[name] = c
	}
	return out
}

func isSection(s string) bool {
	for _, x := range sections {
		if x == s {
			return true
		}
	}
	return false
}

// localize reports the innermost nodes under n that compose-go refuses on
// their own, or n itself when none does: a list of ten ports with one bad
// entry gets one finding, at that entry.
func (d *decodePass) localize(n *yaml.Node, val any, path []pathElem, wrap func(any) map[string]any) {
	n = deref(n)
	if n == nil {
		return
	}
	before := len(d.out)
	switch n.Kind {
	case yaml.MappingNode:
		m, _ := val.(map[string]any)
		for _, kv := range entries(n) {
			k := kv[0].Value
			cv, ok := m[k]
			if !ok {
				continue
			}
			inner := func(v any) map[string]any { return wrap(map[string]any{k: v}) }
			if decodeErr(inner(cv)) != nil {
				d.localize(kv[1], cv, appendKey(path, k), inner)
			}
		}
	case yaml.SequenceNode:
		l, _ := val.([]any)
		for i, it := range items(n) {
			if i >= len(l) {
				break
			}
			inner := func(v any) map[string]any { return wrap([]any{v}) }
			if decodeErr(inner(l[i])) != nil {
				d.localize(it, l[i], appendIndex(path, i), inner)
			}
		}
	}
	if len(d.out) > before {
		return
	}
	err := decodeErr(wrap(val))
	if err == nil {
		return
	}
	d.report(n, path, rules.RuleUnparsableValue, decodeMessage(path, n, err))
}

// decodeErr runs compose-go's canonical transformation and its decoding
// into types.Project over dict, a model holding one value.
func decodeErr(dict map[string]any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("compose-go cannot read this value (%v)", r)
		}
	}()
	c, err := transform.Canonical(dict, false)
	if err != nil {
		return err
	}
	var p types.Project
	return loader.Transform(c, &p)
}

// decodeMessage says what the value at path should be, in the user's
// terms (from the Go type compose-go decodes it into), and the parser's
// reason.
func decodeMessage(path []pathElem, n *yaml.Node, err error) string {
	what := "a value compose can read here"
	if t := fieldType(path); t != nil {
		if noun := typeNoun(t); noun != "" {
			what = noun
		}
	}
	subject := formatPath(path)
	if n.Kind == yaml.ScalarNode {
		subject += ": " + strconv.Quote(n.Value)
	}
	return fmt.Sprintf("%s is not %s: %s", subject, what, decodeCause(err))
}

// decodeCause is the parser's own error inside mapstructure's wrapping.
func decodeCause(err error) string {
	for {
		var de *mapstructure.DecodeError
		if !errors.As(err, &de) || de.Unwrap() == nil {
			break
		}
		err = de.Unwrap()
	}
	return err.Error()
}

var (
	durationType  = reflect.TypeFor[types.Duration]()
	bytesType     = reflect.TypeFor[types.UnitBytes]()
	cpusType      = reflect.TypeFor[types.NanoCPUs]()
	portType      = reflect.TypeFor[types.ServicePortConfig]()
	volumeType    = reflect.TypeFor[types.ServiceVolumeConfig]()
	deviceType    = reflect.TypeFor[types.DeviceMapping]()
	ulimitType    = reflect.TypeFor[types.UlimitsConfig]()
	hostsType     = reflect.TypeFor[types.HostsList]()
	fileModeType  = reflect.TypeFor[types.FileMode]()
	projectType   = reflect.TypeFor[types.Project]()
	servicesType  = reflect.TypeFor[types.Services]()
	mappingType   = reflect.TypeFor[types.MappingWithEquals]()
	stringMapType = reflect.TypeFor[types.Mapping]()
)

// special reports whether t is decoded by a parser of its own.
func special(t reflect.Type) bool {
	switch t {
	case durationType, bytesType, cpusType, portType, volumeType, deviceType, ulimitType, hostsType, fileModeType, mappingType, stringMapType:
		return true
	}
	return false
}

func typeNoun(t reflect.Type) string {
	switch t {
	case durationType:
		return "a duration (such as 30s or 1m30s)"
	case bytesType:
		return "a byte size (such as 512m or 2g)"
	case cpusType:
		return "a number of CPUs (such as 0.5)"
	case portType:
		return `a port (such as "8080:80" or "127.0.0.1:8080:80/udp")`
	case volumeType:
		return `a volume (such as "data:/var/lib/data" or "./src:/src:ro")`
	case deviceType:
		return `a device (such as "/dev/ttyUSB0:/dev/ttyUSB0")`
	case ulimitType:
		return "a ulimit (a number, or soft and hard)"
	case hostsType:
		return `a list of extra hosts (such as "host.example=10.0.0.1")`
	case fileModeType:
		return "a file mode (such as 0440)"
	case mappingType, stringMapType:
		return "a list of KEY=VALUE or a mapping"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "a boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	}
	return ""
}

// fieldType follows path through compose-go's types by their yaml tags:
// the Go type compose-go decodes the value at path into, nil when unknown.
func fieldType(path []pathElem) reflect.Type {
	t := projectType
	for i, e := range path {
		t = indirect(t)
		if special(t) {
			return t // decoded as a whole (HostsList from a list, ...)
		}
		switch {
		case t == servicesType && !e.isIndex:
			t = reflect.TypeFor[types.ServiceConfig]()
		case t.Kind() == reflect.Struct:
			if e.isIndex {
				return nil
			}
			f, ok := fieldByTag(t, e.key)
			if !ok {
				return nil
			}
			t = f
		case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
			t = t.Elem()
		case t.Kind() == reflect.Map:
			t = t.Elem()
		default:
			if i < len(path) {
				return t
			}
		}
	}
	return indirect(t)
}

func indirect(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func fieldByTag(t reflect.Type, key string) (reflect.Type, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == key {
			return f.Type, true
		}
		if f.Anonymous && name == "" {
			if ft, ok := fieldByTag(indirect(f.Type), key); ok {
				return ft, true
			}
		}
	}
	return nil, false
}

// native is the value compose-go's decoder gets for n: the YAML decoded as
// compose-go decodes it (integers stay integers), each string substituted
// and cast. ok is false when a substitution or cast failed under n (the
// interpolation pass reports those).
func (d *decodePass) native(n *yaml.Node, tp tree.Path, last string, depth int) (any, bool) {
	n = deref(n)
	if n == nil || depth > maxDepth {
		return nil, true
	}
	switch n.Kind {
	case yaml.MappingNode:
		// A key whose interpolation failed is left out (reported as
		// such): its siblings are still decoded.
		m := map[string]any{}
		for _, kv := range entries(n) {
			if v, ok := d.native(kv[1], tp.Next(kv[0].Value), kv[0].Value, depth+1); ok {
				m[kv[0].Value] = v
			}
		}
		return m, true
	case yaml.SequenceNode:
		its := items(n)
		l := make([]any, 0, len(its))
		for _, it := range its {
			v, ok := d.native(it, tp.Next(tree.PathMatchList), tree.PathMatchList, depth+1)
			if !ok {
				return nil, false
			}
			l = append(l, v)
		}
		return l, true
	}
	if d.failed[n] {
		return nil, false
	}
	var v any
	if err := n.Decode(&v); err != nil {
		v = n.Value
	}
	s, isString := v.(string)
	if isString && !d.opts.Interpolate && strings.Contains(s, "$") {
		return nil, false // --no-interpolate: a value with a variable is not judged
	}
	if !isString || !d.opts.Interpolate {
		return v, true
	}
	if strings.Contains(s, "$") {
		sub, err := template.SubstituteWithOptions(s, template.Mapping(d.lookup), template.WithoutLogging)
		if err != nil {
			return nil, false
		}
		s = sub
	}
	if fn := castFor(tp, last); fn != nil {
		cv, err := fn(s)
		if err != nil {
			return nil, false
		}
		return cv, true
	}
	return s, true
}

func appendKey(p []pathElem, k string) []pathElem {
	return append(p[:len(p):len(p)], pathElem{key: k})
}

func appendIndex(p []pathElem, i int) []pathElem {
	return append(p[:len(p):len(p)], pathElem{index: i, isIndex: true})
}
