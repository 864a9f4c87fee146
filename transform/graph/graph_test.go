package graph

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/berth-compose/berth/internal/corpustest"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/berth-compose/berth/load"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// loadFile loads one compose file the way berth graph does, with an
// environment that holds nothing of the test machine.
func loadFile(t *testing.T, path string) *types.Project {
	t.Helper()
	p, err := load.Load(context.Background(), load.Options{
		Files:           []string{path},
		Env:             []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"},
		NoEnvResolution: true,
	})
	if err != nil {
		t.Fatalf("loading %s: %v", path, err)
	}
	return p.Project
}

func render(t *testing.T, g *Graph) (mmd, dot string) {
	t.Helper()
	var m, d bytes.Buffer
	if err := Mermaid(&m, g); err != nil {
		t.Fatal(err)
	}
	if err := DOT(&d, g); err != nil {
		t.Fatal(err)
	}
	return m.String(), d.String()
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./transform/graph -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n%s", path, lineDiff(string(want), got))
	}
}

// TestSeedGolden draws the tutorial's three examples. The goldens were
// reviewed against the compose files: nginx-lb has flask-redis on backend
// (its first network by name) with a dotted line to frontend, nginx on
// frontend publishing 8000:80 and waiting for flask-redis.
func TestSeedGolden(t *testing.T) {
	for _, name := range []string{"flask-redis", "healthcheck", "nginx-lb"} {
		t.Run(name, func(t *testing.T) {
			p := loadFile(t, filepath.Join("..", "..", "testdata", "seed", name, "docker-compose.yml"))
			g := Build(p)
			mmd, dot := render(t, g)
			checkRendered(t, g, mmd, dot)
			golden(t, filepath.Join("testdata", "seed", name+".mmd"), mmd)
			golden(t, filepath.Join("testdata", "seed", name+".dot"), dot)
		})
	}
}

// corpusDir finds the shared corpus (see internal/corpustest).
func corpusDir(t *testing.T) string { return corpustest.Dir(t) }

// TestCorpusGolden draws five corpus samples chosen for what they exercise:
// service_healthy conditions and a service on two networks
// (nginx-flask-mysql, react-java-mysql), tcp and udp on one port and a
// chain of dependencies (elasticsearch-logstash-kibana), absolute bind
// mounts and unset variables (pihole-cloudflared-DoH), several named
// volumes shared by services (nextcloud-redis-mariadb).
func TestCorpusGolden(t *testing.T) {
	corpus := corpusDir(t)
	for _, name := range []string{"nginx-flask-mysql", "react-java-mysql", "elasticsearch-logstash-kibana", "pihole-cloudflared-DoH", "nextcloud-redis-mariadb"} {
		t.Run(name, func(t *testing.T) {
			p := loadFile(t, filepath.Join(corpus, "awesome", name, "compose.yaml"))
			g := Build(p)
			mmd, dot := render(t, g)
			checkRendered(t, g, mmd, dot)
			golden(t, filepath.Join("testdata", "corpus", name+".mmd"), mmd)
			golden(t, filepath.Join("testdata", "corpus", name+".dot"), dot)
		})
	}
}

// TestCorpusAll draws every loadable corpus file and checks both outputs
// with the parsers, and that drawing twice gives the same bytes.
func TestCorpusAll(t *testing.T) {
	corpus := corpusDir(t)
	files, err := filepath.Glob(filepath.Join(corpus, "awesome", "*", "*.y*ml"))
	if err != nil {
		t.Fatal(err)
	}
	drawn := 0
	for _, f := range files {
		p, err := load.Load(context.Background(), load.Options{
			Files: []string{f}, Env: []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}, NoEnvResolution: true,
		})
		if err != nil {
			continue // plex does not load (corpus README); config's tests cover loading
		}
		drawn++
		g := Build(p.Project)
		mmd, dot := render(t, g)
		mmd2, dot2 := render(t, Build(p.Project))
		if mmd != mmd2 || dot != dot2 {
			t.Errorf("%s: two drawings differ", f)
		}
		checkRendered(t, g, mmd, dot)
	}
	if drawn < 38 {
		t.Errorf("drew %d corpus files, want the 38 that load", drawn)
	}
}

// checkRendered parses both outputs and checks that they show exactly what
// the graph holds: one node per service, one group per network with its
// members inside, one edge per dependency (with its label), per secondary
// network and per volume mount. With Graphviz installed, dot must also
// accept the DOT output.
func checkRendered(t *testing.T, g *Graph, mmd, dot string) {
	t.Helper()
	checkParsed(t, g, mmd, dot)
	runDot(t, dot)
}

// checkParsed is checkRendered without Graphviz.
func checkParsed(t testing.TB, g *Graph, mmd, dot string) {
	t.Helper()
	mg, err := parseMermaid(mmd)
	if err != nil {
		t.Fatalf("Mermaid output does not parse: %v\n%s", err, mmd)
	}
	dg, err := parseDOT(dot)
	if err != nil {
		t.Fatalf("DOT output does not parse: %v\n%s", err, dot)
	}
	if !dg.directed || dotLabel(dg.name) != dotShown(g.Project) {
		t.Errorf("DOT: directed=%v name=%q, want a digraph named %q", dg.directed, dg.name, g.Project)
	}
	type edge struct{ from, to, label string }
	var wantEdges []edge
	wantNodes := 0
	for _, s := range g.Services {
		wantNodes++
		mn, ok := mg.nodes[serviceID(s.Name)]
		if !ok || !strings.HasPrefix(mn.label+"\n", mermaidShown(s.Name)+"\n") {
			t.Errorf("Mermaid: service %q: node %+v (found %v)", s.Name, mn, ok)
		}
		dn, ok := dg.nodes[serviceID(s.Name)]
		if !ok || !strings.HasPrefix(dotLabel(dn["label"])+"\n", dotShown(s.Name)+"\n") {
			t.Errorf("DOT: service %q: node %v (found %v)", s.Name, dn, ok)
		}
		wantSub, wantCluster := "", ""
		if s.Grouped() {
			wantSub = networkID(s.Networks[0])
			wantCluster = "cluster_" + wantSub
		}
		if got := mg.inside[serviceID(s.Name)]; got != wantSub {
			t.Errorf("Mermaid: %q is in subgraph %q, want %q", s.Name, got, wantSub)
		}
		if got := dg.parent[serviceID(s.Name)]; got != wantCluster {
			t.Errorf("DOT: %q is in subgraph %q, want %q", s.Name, got, wantCluster)
		}
		for _, d := range s.DependsOn {
			wantEdges = append(wantEdges, edge{serviceID(s.Name), serviceID(d.Service), d.Label()})
		}
		for _, n := range s.OtherNetworks() {
			wantEdges = append(wantEdges, edge{serviceID(s.Name), networkID(n), ""})
		}
		for _, m := range s.Volumes {
			wantEdges = append(wantEdges, edge{serviceID(s.Name), volumeID(m.Volume), m.Label()})
		}
	}
	for _, v := range g.Volumes {
		wantNodes++
		if mg.nodes[volumeID(v.Name)].shape != "cylinder" {
			t.Errorf("Mermaid: volume %q is not a cylinder node", v.Name)
		}
		if dg.nodes[volumeID(v.Name)]["shape"] != "cylinder" {
			t.Errorf("DOT: volume %q is not a cylinder node", v.Name)
		}
	}
	for _, n := range g.Networks {
		if mg.subgraphs[networkID(n.Name)] != mermaidShown(n.Label()) {
			t.Errorf("Mermaid: network %q: subgraph title %q", n.Name, mg.subgraphs[networkID(n.Name)])
		}
		if dotLabel(dg.subs["cluster_"+networkID(n.Name)]["label"]) != dotShown(n.Label()) {
			t.Errorf("DOT: network %q: cluster label %q", n.Name, dg.subs["cluster_"+networkID(n.Name)]["label"])
		}
	}
	if len(mg.nodes) != wantNodes {
		t.Errorf("Mermaid: %d nodes, want %d", len(mg.nodes), wantNodes)
	}
	if len(dg.nodes) != wantNodes+len(g.Networks) { // + one anchor per cluster
		t.Errorf("DOT: %d nodes, want %d", len(dg.nodes), wantNodes+len(g.Networks))
	}
	var wantM, wantD, gotM, gotD []edge
	for _, e := range wantEdges {
		wantM = append(wantM, edge{e.from, e.to, mermaidShown(e.label)})
		wantD = append(wantD, edge{e.from, e.to, dotShown(e.label)})
	}
	for _, e := range mg.edges {
		gotM = append(gotM, edge{e.from, e.to, e.label})
	}
	for _, e := range dg.edges {
		gotD = append(gotD, edge{e.from, e.to, dotLabel(e.attrs["label"])})
		if lh := e.attrs["lhead"]; lh != "" && dg.parent[e.to] != lh {
			t.Errorf("DOT: edge to %s has lhead %s but the node is in %q", e.to, lh, dg.parent[e.to])
		}
	}
	cmpEdges := func(a, b edge) int { return strings.Compare(fmt.Sprint(a), fmt.Sprint(b)) }
	for _, l := range [][]edge{wantM, wantD, gotM, gotD} {
		slices.SortFunc(l, cmpEdges)
	}
	if !slices.Equal(wantM, gotM) {
		t.Errorf("Mermaid edges:\n got %q\nwant %q", gotM, wantM)
	}
	if !slices.Equal(wantD, gotD) {
		t.Errorf("DOT edges:\n got %q\nwant %q", gotD, wantD)
	}
}

// runDot feeds the DOT output to Graphviz when it is installed (Debian's
// graphviz package); it is not required, so its absence is a visible skip.
func runDot(t *testing.T, dot string) {
	t.Helper()
	bin, err := exec.LookPath("dot")
	if err != nil {
		t.Run("graphviz", func(t *testing.T) { t.Skip("dot (graphviz) not installed: DOT output checked by the parser only") })
		return
	}
	cmd := exec.Command(bin, "-Tsvg")
	cmd.Stdin = strings.NewReader(dot)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("dot -Tsvg: %v\n%s\n%s", err, stderr.String(), dot)
	}
}

// dotLabel decodes a DOT label the way Graphviz displays it: HTML
// entities (&#N;) first, then the backslash escapes (\n a line break, \x
// the character x).
func dotLabel(s string) string {
	s = dotEntity.ReplaceAllStringFunc(s, func(m string) string {
		n, _ := strconv.Atoi(m[2 : len(m)-1])
		return string(rune(n))
	})
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\' && i+1 < len(s) && s[i+1] == 'n':
			b.WriteByte('\n')
			i++
		case s[i] == '\\' && i+1 < len(s):
			b.WriteByte(s[i+1])
			i++
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// mermaidShown is what Mermaid displays for a text berth was given: bytes
// that are not UTF-8 replaced.
func mermaidShown(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }

// dotShown is what Graphviz displays: also C0 controls but the newline, and
// DEL, as their control pictures.
func dotShown(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' {
			return 0x2400 + r
		}
		if r == 0x7f {
			return 0x2421
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}

var dotEntity = regexp.MustCompile(`&#([0-9]+);`)

// lineDiff shows the first lines where want and got differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < max(len(w), len(g)) && shown < 10; i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n  want %q\n  got  %q\n", i+1, wl, gl)
			shown++
		}
	}
	return b.String()
}
