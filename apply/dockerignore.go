package apply

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path"
	"regexp"
	"strings"
)

// readDockerignore reads the patterns of a .dockerignore file the way the
// docker CLI does: a UTF-8 byte order mark is dropped, lines starting with
// '#' are comments, surrounding blanks are trimmed, each pattern is cleaned
// (so "./a//b/" is "a/b") and a leading '/' is dropped, since every pattern
// is relative to the context root. A leading '!' marks an exception.
func readDockerignore(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	first := true
	for sc.Scan() {
		line := sc.Bytes()
		if first {
			line = bytes.TrimPrefix(line, []byte("\xEF\xBB\xBF"))
			first = false
		}
		p := string(line)
		if strings.HasPrefix(p, "#") {
			continue
		}
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		exception := p[0] == '!'
		if exception {
			p = strings.TrimSpace(p[1:])
		}
		if p != "" {
			p = path.Clean(p)
			if len(p) > 1 && p[0] == '/' {
				p = p[1:]
			}
		}
		if exception {
			p = "!" + p
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	return out, nil
}

// ignorePattern is one compiled .dockerignore pattern.
type ignorePattern struct {
	text      string // cleaned, without the '!'
	exception bool
	re        *regexp.Regexp
	comps     []string // text split on '/', to decide whether an excluded directory must still be walked
}

// ignoreMatcher decides which paths of a build context are left out, with
// Docker's semantics: patterns are matched in order and the last one that
// matches a path wins; a pattern matches a path when it matches the path
// itself or one of its parent directories (so "dist" leaves out everything
// under dist/); '*' and '?' do not cross '/', "**" matches any number of
// directories (none included), and "[...]" is a character class ("[^...]"
// negated).
type ignoreMatcher struct {
	patterns   []ignorePattern
	exceptions bool
}

// newIgnoreMatcher compiles patterns as readDockerignore returns them.
func newIgnoreMatcher(patterns []string) (*ignoreMatcher, error) {
	m := &ignoreMatcher{}
	for _, p := range patterns {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		ip := ignorePattern{}
		if p[0] == '!' {
			if len(p) == 1 {
				return nil, fmt.Errorf(`illegal exclusion pattern: "!"`)
			}
			ip.exception, p = true, p[1:]
			m.exceptions = true
		}
		p = path.Clean(p)
		re, err := compileIgnore(p)
		if err != nil {
			return nil, fmt.Errorf("invalid .dockerignore pattern %q: %w", p, err)
		}
		ip.text, ip.re, ip.comps = p, re, strings.Split(p, "/")
		m.patterns = append(m.patterns, ip)
	}
	return m, nil
}

// compileIgnore turns one pattern into an anchored regular expression.
func compileIgnore(p string) (*regexp.Regexp, error) {
	var b strings.Builder
	b.WriteByte('^')
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '*' && i+1 < len(p) && p[i+1] == '*':
			i++ // "**"
			if i+1 < len(p) && p[i+1] == '/' {
				i++ // "**/" is "**"
			}
			if i+1 == len(p) {
				b.WriteString(".*") // a trailing "**" takes everything below
			} else {
				b.WriteString("(.*/)?") // any number of directories, none included
			}
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(string(p[i])))
			} else {
				b.WriteString(`\\`)
			}
		case c == '[':
			end := strings.IndexByte(p[i+1:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unterminated character class")
			}
			class := p[i+1 : i+1+end]
			if class == "" || class == "^" {
				return nil, fmt.Errorf("empty character class")
			}
			b.WriteByte('[')
			if class[0] == '^' { // Go's filepath.Match negation, as Docker; '!' is literal
				b.WriteByte('^')
				class = class[1:]
			}
			for j := 0; j < len(class); j++ {
				switch class[j] {
				case '\\', '[', ']', '^':
					b.WriteByte('\\')
				}
				b.WriteByte(class[j])
			}
			b.WriteByte(']')
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteByte('$')
	return regexp.Compile(b.String())
}

// matches reports whether the pattern matches rel or one of its parents.
func (ip *ignorePattern) matches(rel string) bool {
	if ip.re.MatchString(rel) {
		return true
	}
	for i := 0; i < len(rel); i++ {
		if rel[i] == '/' && ip.re.MatchString(rel[:i]) {
			return true
		}
	}
	return false
}

// Excluded reports whether the context path rel (slash-separated, relative
// to the context root) is left out of the build context.
func (m *ignoreMatcher) Excluded(rel string) bool {
	excluded := false
	for i := range m.patterns {
		if m.patterns[i].matches(rel) {
			excluded = !m.patterns[i].exception
		}
	}
	return excluded
}

// walkExcludedDir reports whether an excluded directory must still be
// walked because an exception might bring back something below it. It
// errs on the side of walking: whatever is walked is still matched path by
// path, so the answer changes only how much is read, never what is sent.
// (The docker CLI prunes harder: it walks an excluded directory only when
// an exception's text starts with the directory's path, so with "a" and
// "!*/keep" it leaves out a/keep although the patterns keep it; berth sends
// what the patterns say.)
func (m *ignoreMatcher) walkExcludedDir(dir string) bool {
	if !m.exceptions {
		return false
	}
	d := strings.Split(dir, "/")
	for i := range m.patterns {
		if m.patterns[i].exception && mayMatchBelow(m.patterns[i].comps, d) {
			return true
		}
	}
	return false
}

// mayMatchBelow reports whether a pattern with components p could match a
// path below the directory with components d, or one of its parents.
func mayMatchBelow(p, d []string) bool {
	for {
		if len(p) == 0 || len(d) == 0 {
			return true // p matches an ancestor of a path below d, or continues below d
		}
		if strings.Contains(p[0], "**") {
			return true
		}
		re, err := compileIgnore(p[0])
		if err != nil || !re.MatchString(d[0]) {
			return false
		}
		p, d = p[1:], d[1:]
	}
}
