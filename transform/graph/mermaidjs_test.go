package graph

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestMermaidJS gives the Mermaid outputs (seed examples, the feature
// project of TestBuild, the hostile names) to Mermaid's own parser and
// checks that Mermaid reads the same graph: one vertex per service, volume
// and network that a dotted line reaches, one edge per dependency, network
// link and mount with its label, and each network's members inside its
// subgraph. It needs Node and a directory whose node_modules hold mermaid
// (11) and jsdom, named by BERTH_MERMAID (npm install mermaid@11 jsdom);
// without them it skips and says so. CI does not install them.
func TestMermaidJS(t *testing.T) {
	dir := os.Getenv("BERTH_MERMAID")
	node, err := exec.LookPath("node")
	if dir == "" || err != nil {
		t.Skip("set BERTH_MERMAID to a directory with node_modules/mermaid and node_modules/jsdom (and install node) to check the Mermaid output with Mermaid's parser")
	}
	graphs := map[string]*Graph{}
	for _, name := range []string{"flask-redis", "healthcheck", "nginx-lb"} {
		graphs[name] = Build(loadFile(t, filepath.Join("..", "..", "testdata", "seed", name, "docker-compose.yml")))
	}
	graphs["features"] = Build(featureProject(t))
	graphs["hostile"] = Build(hostileProject())
	tmp := t.TempDir()
	var files []string
	for name, g := range graphs {
		var b bytes.Buffer
		if err := Mermaid(&b, g); err != nil {
			t.Fatal(err)
		}
		f := filepath.Join(tmp, name+".mmd")
		if err := os.WriteFile(f, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	script, err := filepath.Abs(filepath.Join("testdata", "mermaid-parse.mjs"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(node, append([]string{script, dir}, files...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node: %v\n%s", err, stderr.String())
	}
	var results []struct {
		File      string
		Error     string
		Vertices  []struct{ ID, Label string }
		Edges     []struct{ From, To, Label string }
		Subgraphs []struct {
			ID, Title string
			Nodes     []string
		}
	}
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("reading the parser's answer: %v\n%s", err, out)
	}
	if len(results) != len(files) {
		t.Fatalf("parser answered for %d files, want %d", len(results), len(files))
	}
	for _, r := range results {
		name := filepath.Base(r.File)
		name = name[:len(name)-len(".mmd")]
		g := graphs[name]
		if r.Error != "" {
			t.Errorf("%s: Mermaid rejects it: %s", name, r.Error)
			continue
		}
		// Mermaid trims the blanks around a label (as it displays it), so
		// labels are compared trimmed.
		trim := strings.TrimSpace
		vertices := map[string]string{}
		for _, v := range r.Vertices {
			vertices[v.ID] = trim(v.Label)
		}
		want := map[string]string{}
		var wantEdges, gotEdges []string
		for _, s := range g.Services {
			want[serviceID(s.Name)] = trim(mermaidShown(strings.Join(serviceLines(s), "\n")))
			for _, d := range s.DependsOn {
				wantEdges = append(wantEdges, serviceID(s.Name)+" "+serviceID(d.Service)+" "+trim(mermaidShown(d.Label())))
			}
			for _, n := range s.OtherNetworks() {
				want[networkID(n)] = vertices[networkID(n)] // an edge to a subgraph makes Mermaid list it as a vertex too
				wantEdges = append(wantEdges, serviceID(s.Name)+" "+networkID(n)+" ")
			}
			for _, m := range s.Volumes {
				wantEdges = append(wantEdges, serviceID(s.Name)+" "+volumeID(m.Volume)+" "+trim(mermaidShown(m.Label())))
			}
		}
		for _, v := range g.Volumes {
			want[volumeID(v.Name)] = trim(mermaidShown(v.Label()))
		}
		for id, l := range want {
			if got, ok := vertices[id]; !ok || got != l {
				t.Errorf("%s: vertex %s: Mermaid reads %q (found %v), want %q", name, id, got, ok, l)
			}
		}
		if len(vertices) != len(want) {
			t.Errorf("%s: Mermaid reads %d vertices, want %d", name, len(vertices), len(want))
		}
		for _, e := range r.Edges {
			gotEdges = append(gotEdges, e.From+" "+e.To+" "+trim(e.Label))
		}
		slices.Sort(wantEdges)
		slices.Sort(gotEdges)
		if !slices.Equal(wantEdges, gotEdges) {
			t.Errorf("%s: Mermaid reads edges\n%q\nwant\n%q", name, gotEdges, wantEdges)
		}
		subs := map[string][]string{}
		titles := map[string]string{}
		for _, s := range r.Subgraphs {
			nodes := slices.Clone(s.Nodes)
			slices.Sort(nodes)
			subs[s.ID], titles[s.ID] = nodes, trim(s.Title)
		}
		for _, n := range g.Networks {
			var members []string
			for _, m := range n.Members {
				members = append(members, serviceID(m))
			}
			slices.Sort(members)
			if !slices.Equal(subs[networkID(n.Name)], members) || titles[networkID(n.Name)] != trim(mermaidShown(n.Label())) {
				t.Errorf("%s: subgraph %s: Mermaid reads %q %q, want %q %q", name, networkID(n.Name),
					titles[networkID(n.Name)], subs[networkID(n.Name)], mermaidShown(n.Label()), members)
			}
		}
		if len(subs) != len(g.Networks) {
			t.Errorf("%s: Mermaid reads %d subgraphs, want %d", name, len(subs), len(g.Networks))
		}
	}
}
