package load

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// posString renders a looked-up position as "line:col-endline:endcol", or
// "-" when there is none.
func posString(pos Position, ok bool) string {
	if !ok {
		return "-"
	}
	return fmt.Sprintf("%d:%d-%d:%d", pos.Line, pos.Column, pos.EndLine, pos.EndColumn)
}

func mapFiles(t testing.TB, names ...string) *SourceMap {
	t.Helper()
	m := NewSourceMap()
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join("testdata", "yaml", "map", name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := ParseFile(name, src)
		if err != nil {
			t.Fatal(err)
		}
		m.AddFile(f)
	}
	return m
}

// TestSourceMap checks, per fixture set, where the key and the value of
// paths were written ("-" when the path has no key: list elements).
func TestSourceMap(t *testing.T) {
	type want struct{ path, file, key, val string }
	sets := []struct {
		name  string
		files []string
		want  []want
	}{
		{"nested", []string{"nested.yaml"}, []want{
			{"services", "nested.yaml", "1:1-1:9", "2:3-22:13"},
			{"services.web", "nested.yaml", "2:3-2:6", "3:5-22:13"},
			{"services.web.image", "nested.yaml", "3:5-3:10", "3:12-3:24"}, // double-quoted
			{"services.web.ports", "nested.yaml", "4:5-4:10", "5:7-7:24"},  // block list: to its last descendant
			{"services.web.ports[0]", "nested.yaml", "-", "5:9-5:16"},      // list element
			{"services.web.ports[1]", "nested.yaml", "-", "6:9-7:24"},      // mapping in a list
			{"services.web.ports[1].published", "nested.yaml", "7:9-7:18", "7:20-7:24"},
			{"services.web.environment.FOO", "nested.yaml", "9:7-9:10", "9:12-9:15"},
			{`services.web.environment["com.example.x"]`, "nested.yaml", "10:7-10:22", "10:24-10:32"}, // quoted key, single-quoted value
			{`services.web.labels["com.example.x"]`, "nested.yaml", "12:7-12:20", "12:22-12:23"},
			{`services.web.labels["key with space"]`, "nested.yaml", "13:7-13:21", "13:23-13:24"},
			{"services.web.command", "nested.yaml", "14:5-14:12", "14:14-14:31"}, // flow mapping, to its "}"
			{"services.web.command.a", "nested.yaml", "14:15-14:16", "14:18-14:19"},
			{"services.web.command.b", "nested.yaml", "14:21-14:22", "14:24-14:30"}, // flow list, to its "]"
			{"services.web.command.b[1]", "nested.yaml", "-", "14:28-14:29"},
			{"services.web.entrypoint[1]", "nested.yaml", "-", "15:22-15:24"},
			{"services.web.healthcheck.test", "nested.yaml", "17:7-17:11", "17:13-19:15"},     // literal block scalar
			{"services.web.healthcheck.interval", "nested.yaml", "20:7-20:15", "20:17-22:13"}, // folded block scalar
			{"networks.backend", "nested.yaml", "25:3-25:10", "25:11-25:11"},                  // null value: empty, after the colon
		}},
		{"anchors and merge keys", []string{"anchors.yaml"}, []want{
			{"services.web.image", "anchors.yaml", "11:5-11:10", "1:8-1:18"},  // image: *img points at &img's value
			{"services.web.restart", "anchors.yaml", "3:3-3:10", "3:12-3:18"}, // merged from *a: the anchor's key and value
			{"services.api.image", "anchors.yaml", "4:3-4:8", "4:10-4:16"},    // <<: [*a, *b]: the earlier source wins
			{"services.api.user", "anchors.yaml", "7:3-7:7", "7:9-7:10"},      // only in *b
			{"services.db.image", "anchors.yaml", "6:3-6:8", "6:10-6:16"},     // <<: [*b, *a]
			{"services.db.user", "anchors.yaml", "16:5-16:9", "16:11-16:16"},  // a local key wins over merged ones
			{"services.db.restart", "anchors.yaml", "3:3-3:10", "3:12-3:18"},
		}},
		{"non-ASCII columns count runes", []string{"unicode.yaml"}, []want{
			{"x-note", "unicode.yaml", "1:1-1:7", "1:9-1:14"},
			{"services.wéb", "unicode.yaml", "3:3-3:6", "3:8-3:37"},
			{"services.wéb.imäge", "unicode.yaml", "3:9-3:14", "3:16-3:21"},
			{"services.wéb.ports[1]", "unicode.yaml", "-", "3:34-3:35"},
		}},
		{"later file overrides", []string{"base.yml", "override.yml"}, []want{
			{"services", "override.yml", "1:1-1:9", "2:3-6:20"},
			{"services.web.image", "override.yml", "3:5-3:10", "3:12-3:17"},
			{"services.web.ports[0]", "base.yml", "-", "5:9-5:16"}, // only in base: kept
			{"services.web.environment", "override.yml", "4:5-4:16", "4:18-4:27"},
			{"services.web.environment.A", "", "-", "-"}, // dropped by !reset
			{"services.db.image", "override.yml", "6:5-6:10", "6:12-6:20"},
			{"networks.front", "base.yml", "9:3-9:8", "9:10-9:12"},
		}},
	}
	for _, set := range sets {
		t.Run(set.name, func(t *testing.T) {
			m := mapFiles(t, set.files...)
			for _, w := range set.want {
				k, kok := m.Key(w.path)
				v, vok := m.Value(w.path)
				if got := posString(k, kok); got != w.key {
					t.Errorf("Key(%s) = %s, want %s", w.path, got, w.key)
				}
				if got := posString(v, vok); got != w.val {
					t.Errorf("Value(%s) = %s, want %s", w.path, got, w.val)
				}
				if vok && v.File != w.file {
					t.Errorf("Value(%s) in %q, want %q", w.path, v.File, w.file)
				}
				l, lok := m.Lookup(w.path)
				wantLookup := w.key
				if wantLookup == "-" {
					wantLookup = w.val
				}
				if got := posString(l, lok); got != wantLookup {
					t.Errorf("Lookup(%s) = %s, want %s", w.path, got, wantLookup)
				}
			}
		})
	}
}

func TestSourceMapInline(t *testing.T) {
	tests := []struct {
		name, src, path, key, val string
	}{
		{"multi-line plain scalar", "a:\n  b: one\n    two\n\n    three\nc: 1\n", "a.b", "2:3-2:4", "2:6-5:10"},
		{"multi-line double-quoted", "a: \"x\n  \\\"y\\\"\"\n", "a", "1:1-1:2", "1:4-2:9"},
		{"single quote escape", "a: 'it''s'\n", "a", "1:1-1:2", "1:4-1:11"},
		{"flow mapping in list", "a: [{x: 1}, {y: 2}]\n", "a[1].y", "1:14-1:15", "1:17-1:18"},
		{"empty flow collections", "a: {}\nb: [ ]\n", "b", "2:1-2:2", "2:4-2:7"},
		{"alias key", "k: &k name\nm:\n  *k : v\n", "m.name", "3:3-3:5", "3:8-3:9"},
		{"tagged value", "a: !!str 123\n", "a", "1:1-1:2", "1:4-1:13"},
		{"block scalar keep, then less indented key", "a: |+\n  x\n\nb: 1\n", "a", "1:1-1:2", "1:4-2:4"},
		{"explicit indentation indicator", "a: |2\n    x\n  y\nb: 1\n", "a", "1:1-1:2", "1:4-3:4"},
		{"crlf", "a:\r\n  b: c\r\n", "a.b", "2:3-2:4", "2:6-2:7"},
		{"bom", "\ufeffa: b\n", "a", "1:1-1:2", "1:4-1:5"},
		{"tab and emoji before column", "a: [\"🐳\",\tb]\n", "a[1]", "-", "1:10-1:11"},
		{"inline merge mapping", "a:\n  <<: {x: 1}\n  y: 2\n", "a.x", "2:8-2:9", "2:11-2:12"},
		{"nested merge", "b: &b {x: 1}\nc: &c {<<: *b, y: 2}\nd:\n  <<: *c\n", "d.x", "1:8-1:9", "1:11-1:12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := ParseFile("c.yml", []byte(tc.src))
			if err != nil {
				t.Fatal(err)
			}
			m := NewSourceMap()
			m.AddFile(f)
			if got := posString(m.Key(tc.path)); got != tc.key {
				t.Errorf("Key(%s) = %s, want %s", tc.path, got, tc.key)
			}
			if got := posString(m.Value(tc.path)); got != tc.val {
				t.Errorf("Value(%s) = %s, want %s; paths %v", tc.path, got, tc.val, m.Paths())
			}
		})
	}
}

func TestSourceMapMultiDocument(t *testing.T) {
	f, err := ParseFile("c.yml", []byte("services:\n  a: {image: x}\n---\nservices:\n  a: {image: y}\n  b: {image: z}\n"))
	if err != nil {
		t.Fatal(err)
	}
	m := NewSourceMap()
	m.AddFile(f)
	// compose-go merges the documents of a file in order: the later wins.
	if got := posString(m.Value("services.a.image")); got != "5:14-5:15" {
		t.Errorf("services.a.image at %s", got)
	}
	if got := posString(m.KeyIn("c.yml", "services.b")); got != "6:3-6:4" {
		t.Errorf("KeyIn services.b at %s", got)
	}
}

func TestSourceMapNearestKeyInFindValue(t *testing.T) {
	m := mapFiles(t, "base.yml", "override.yml")
	tests := []struct{ path, want string }{
		{"services.web.image", "override.yml:3:5"},
		{"services.web.build.context", "override.yml:2:3"}, // not written: services.web
		{"services.web.ports[7]", "base.yml:4:5"},          // index not written: ports
		{"volumes.data", "override.yml:1:1"},               // nothing written: the top of the last file
		{`services["no such"].x`, "override.yml:1:1"},
		{"not[a valid path", "override.yml:1:1"},
	}
	for _, tc := range tests {
		if got := m.Nearest(tc.path).String(); got != tc.want {
			t.Errorf("Nearest(%s) = %s, want %s", tc.path, got, tc.want)
		}
	}
	if got := NewSourceMap().Nearest("x"); got.Line != 1 || got.Column != 1 {
		t.Errorf("Nearest on an empty map = %+v, want 1:1", got)
	}
	// KeyIn sees a file's own definition even where a later file overrides.
	if got := posString(m.KeyIn("base.yml", "services.web.image")); got != "3:5-3:10" {
		t.Errorf("KeyIn(base.yml) = %s", got)
	}
	if _, ok := m.KeyIn("base.yml", "services.db"); ok {
		t.Error("KeyIn(base.yml, services.db) found a key base.yml does not have")
	}
	if got, ok := m.FindValue("services.web.ports", "80"); !ok || got.String() != "base.yml:5:9" {
		t.Errorf("FindValue(80) = %v %v", got, ok)
	}
	if _, ok := m.FindValue("services.web", "nginx"); ok {
		t.Error("FindValue found the overridden image")
	}
}

func TestPathOf(t *testing.T) {
	tests := []struct {
		segs []any
		want string
	}{
		{[]any{"services", "web", "ports", 0}, "services.web.ports[0]"},
		{[]any{"networks", "backend"}, "networks.backend"},
		{[]any{"services", "web", "labels", "com.example.x"}, `services.web.labels["com.example.x"]`},
		{[]any{"a b", "c"}, `["a b"].c`},
		{[]any{"q", `say "hi"`, 2, "x"}, `q["say \"hi\""][2].x`},
		{[]any{"e", ""}, `e[""]`},
		{[]any{"x", "it's"}, `x["it's"]`},
		{[]any{"x", int64(3)}, "x[3]"},
		{nil, ""},
	}
	for _, tc := range tests {
		got := PathOf(tc.segs...)
		if got != tc.want {
			t.Errorf("PathOf(%v) = %s, want %s", tc.segs, got, tc.want)
		}
		segs, err := SplitPath(got)
		if err != nil {
			t.Errorf("SplitPath(%s): %v", got, err)
			continue
		}
		wantSegs := make([]any, len(tc.segs))
		for i, s := range tc.segs {
			if n, ok := s.(int64); ok {
				s = int(n)
			}
			wantSegs[i] = s
		}
		if len(segs) != len(wantSegs) || (len(segs) > 0 && !reflect.DeepEqual(segs, wantSegs)) {
			t.Errorf("SplitPath(%s) = %#v, want %#v", got, segs, wantSegs)
		}
	}
	for _, bad := range []string{".a", "a..b", "a[", "a[x]", `a["x`, "a[1]b", "a[-1]"} {
		if _, err := SplitPath(bad); err == nil {
			t.Errorf("SplitPath(%q) accepted", bad)
		}
	}
}

// BenchmarkParseAndMap parses and maps a generated ~800-line compose file.
func BenchmarkParseAndMap(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("x-common: &common\n  restart: unless-stopped\n  logging:\n    driver: json-file\n    options: {max-size: 10m}\nservices:\n")
	for i := 0; sb.Len() == 0 || strings.Count(sb.String(), "\n") < 790; i++ {
		fmt.Fprintf(&sb, "  svc%d:\n    <<: *common\n    image: \"registry.example.com/team/svc%d:1.%d\"\n", i, i, i)
		fmt.Fprintf(&sb, "    ports:\n      - \"%d:80\"\n      - target: 443\n        published: %d\n", 8000+i, 9000+i)
		fmt.Fprintf(&sb, "    environment:\n      LOG_LEVEL: info\n      DB_URL: postgres://db:5432/app%d\n", i)
		fmt.Fprintf(&sb, "    labels:\n      com.example.team: \"núcleo\"\n    command: [\"run\", \"--id\", \"%d\"]\n", i)
		fmt.Fprintf(&sb, "    healthcheck:\n      test: |\n        curl -f http://localhost/%d\n      interval: 30s\n", i)
	}
	src := []byte(sb.String())
	b.ReportMetric(float64(strings.Count(sb.String(), "\n")), "lines")
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		f, err := ParseFile("bench.yml", src)
		if err != nil {
			b.Fatal(err)
		}
		m := NewSourceMap()
		m.AddFile(f)
		if _, ok := m.Value("services.svc3.healthcheck.test"); !ok {
			b.Fatal("missing path")
		}
	}
}
