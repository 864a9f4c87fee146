package spec

import (
	"fmt"
	"strconv"
	"strings"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// printer renders jsonschema/v6's messages for the rare error kinds that
// have no wording of berth's own.
var printer = message.NewPrinter(language.English)

// pathElem is one step of a model path: a mapping key or a list index (a
// key may look like a number, so the two are kept apart).
type pathElem struct {
	key     string
	index   int
	isIndex bool
}

func plainKey(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z':
		case i > 0 && (r == '-' || r >= '0' && r <= '9'):
		default:
			return false
		}
	}
	return true
}

// formatPath renders a path the way load's source map spells paths, e.g.
// services."my.app".ports[0].
func formatPath(p []pathElem) string {
	var b strings.Builder
	for i, e := range p {
		switch {
		case e.isIndex:
			b.WriteString("[" + strconv.Itoa(e.index) + "]")
		default:
			if i > 0 {
				b.WriteByte('.')
			}
			if plainKey(e.key) {
				b.WriteString(e.key)
			} else {
				b.WriteString(strconv.Quote(e.key))
			}
		}
	}
	return b.String()
}

// namedKind returns "service" etc. when p is the name of a top-level
// resource, whose names are constrained by a pattern.
func namedKind(p []pathElem) string {
	if len(p) != 2 || p[0].isIndex || p[1].isIndex {
		return ""
	}
	switch p[0].key {
	case "services", "networks", "volumes", "secrets", "configs", "models":
		return strings.TrimSuffix(p[0].key, "s")
	}
	return ""
}

func lastKey(p []pathElem) string {
	if len(p) == 0 {
		return ""
	}
	if e := p[len(p)-1]; !e.isIndex {
		return e.key
	}
	return strconv.Itoa(p[len(p)-1].index)
}

// describeParent names the mapping a key lives in, in the user's terms.
func describeParent(p []pathElem) string {
	if len(p) == 0 {
		return "the top level"
	}
	if k := namedKind(p); k != "" {
		return fmt.Sprintf("%s %q", k, p[1].key)
	}
	return formatPath(p)
}

func unknownKeyMsg(p []pathElem, cands []string) string {
	key := lastKey(p)
	parent := p[:len(p)-1]
	var msg string
	if len(parent) == 0 {
		msg = fmt.Sprintf("unknown top-level key %q (extensions must start with \"x-\")", key)
	} else {
		msg = fmt.Sprintf("unknown key %q in %s", key, describeParent(parent))
	}
	if s := suggest(key, cands); s != "" {
		msg += fmt.Sprintf("; did you mean %q?", s)
	}
	return msg
}

// suggest returns the closest candidate within a small edit distance.
func suggest(key string, cands []string) string {
	best, bestD := "", 3
	for _, c := range cands {
		if c == key {
			continue
		}
		if d := editDistance(strings.ToLower(key), strings.ToLower(c)); d < bestD {
			best, bestD = c, d
		}
	}
	if bestD > 2 || len(key) <= 2 {
		return ""
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
