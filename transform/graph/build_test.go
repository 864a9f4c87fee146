package graph

import (
	"bytes"
	"html"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// featureProject loads a project that uses every feature the graph shows:
// port ranges, host IPs, udp, random host ports, network priorities, an
// external network and volume, all three conditions with restart and
// required: false, a dependency in a disabled profile, network_mode,
// anonymous, tmpfs and more bind mounts than a box lists.
func featureProject(t *testing.T) *types.Project {
	t.Helper()
	dir := t.TempDir()
	src := `name: build-test
services:
  web:
    image: nginx
    ports:
      - "8000-8002:80-82"
      - "127.0.0.1::9000"
      - "53:53/udp"
      - "53:53/tcp"
      - "[::1]:5353:53/udp"
      - "9000-9001:7000"
      - "4000"
    networks:
      front: {priority: 10}
      back: {}
      aaa: {}
    depends_on:
      db: {condition: service_healthy, restart: true}
      cache: {condition: service_started, required: false}
      init: {condition: service_completed_successfully}
    volumes:
      - data:/data:ro
      - logs:/logs
      - ./a:/a
      - ./b:/b
      - ../sibling:/s
      - /srv/x:/x
    tmpfs: /run
  db:
    image: postgres
    network_mode: host
    volumes: [data:/var/lib/postgresql/data, /anon]
  init:
    build: ./init
    networks: [back]
  cache:
    image: redis
    profiles: [cache]
networks:
  front: {}
  back: {}
  aaa: {external: true}
volumes:
  data: {}
  logs: {external: true}
`
	proj := filepath.Join(dir, "proj")
	if err := os.MkdirAll(filepath.Join(proj, "init"), 0o755); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(proj, "compose.yaml")
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return loadFile(t, file)
}

// TestBuild compares the whole Graph of featureProject with what its file
// says.
func TestBuild(t *testing.T) {
	g := Build(featureProject(t))
	want := &Graph{
		Project: "build-test",
		Services: []Service{
			{Name: "cache", Missing: true},
			{
				Name: "db", Image: "postgres", NetworkMode: "host",
				Mounts:  []string{"anonymous volume /anon"},
				Volumes: []VolumeMount{{Volume: "data", Target: "/var/lib/postgresql/data"}},
			},
			{Name: "init", Image: "build: ./init", Networks: []string{"back"}},
			{
				Name: "web", Image: "nginx", Networks: []string{"front", "aaa", "back"},
				Ports: []string{
					// By container port, then protocol.
					"53:53/tcp", "53:53/udp", "[::1]:5353:53/udp", "8000-8002:80-82/tcp",
					"*:4000/tcp", "9000-9001:7000/tcp", "127.0.0.1:*:9000/tcp",
				},
				// Sorted, three shown, the rest counted.
				Mounts: []string{"bind ../sibling:/s", "bind ./a:/a", "bind ./b:/b", "+2 more"},
				Volumes: []VolumeMount{
					{Volume: "data", Target: "/data", ReadOnly: true},
					{Volume: "logs", Target: "/logs"},
				},
				DependsOn: []Dependency{
					{Service: "cache", Condition: "service_started", Required: false},
					{Service: "db", Condition: "service_healthy", Required: true, Restart: true},
					{Service: "init", Condition: "service_completed_successfully", Required: true},
				},
			},
		},
		Networks: []Network{
			{Name: "aaa", External: true},
			{Name: "back", Members: []string{"init"}},
			{Name: "front", Members: []string{"web"}},
		},
		Volumes: []Volume{{Name: "data"}, {Name: "logs", External: true}},
	}
	if !reflect.DeepEqual(g, want) {
		t.Errorf("Build:\n got %+v\nwant %+v", *g, *want)
	}
	mmd, dot := render(t, g)
	checkRendered(t, g, mmd, dot)
	for _, s := range []string{
		`s_web -->|"service_healthy, restart: true"| s_db`,
		`s_web -.->|"service_started, required: false"| s_cache`,
		`s_web -->|"service_completed_successfully"| s_init`,
		`s_web ---|"/data:ro"| v_data`,
		`v_logs[("volume: logs (external)")]`,
		`subgraph n_aaa["network: aaa (external)"]`,
		`s_web -.- n_aaa`,
		`class s_cache missing`,
	} {
		if !strings.Contains(mmd, s) {
			t.Errorf("Mermaid lacks %s\n%s", s, mmd)
		}
	}
	if !strings.Contains(dot, `"s_web" -> "s_cache" [label="service_started, required: false", style=dashed];`) {
		t.Errorf("DOT: the optional dependency is not dashed\n%s", dot)
	}
}

func TestHostPath(t *testing.T) {
	for _, c := range []struct{ p, dir, want string }{
		{"/home/u/proj", "/home/u/proj", "."},
		{"/home/u/proj/src/app", "/home/u/proj", "./src/app"},
		{"/home/u/data", "/home/u/proj", "../data"},
		{"/var/run/docker.sock", "/home/u/proj", "/var/run/docker.sock"},
		{"relative", "/home/u/proj", "relative"},
		{"/x", "", "/x"},
	} {
		if got := hostPath(c.p, c.dir); got != c.want {
			t.Errorf("hostPath(%q, %q) = %q, want %q", c.p, c.dir, got, c.want)
		}
	}
}

// hostileNames are names no compose file should have but a graph must
// survive: Mermaid and DOT syntax, keywords, entity look-alikes, HTML,
// quotes and backslashes, control characters, non-UTF-8 bytes, unicode, and
// names that a careless identifier scheme would merge (a.b, a-b, a_b).
var hostileNames = []string{
	"a.b", "a-b", "a_b", "a_2db", "end", "END", "subgraph", "node", "edge", "digraph", "graph", "o", "x", "default",
	`"quoted"`, `back\slash\`, `\n`, `\"`, "ünïcødé-服务", "#quot;", "#35;", "&amp;", "&#38;", "<b>bold</b>", "a|b",
	"new\nline", "tab\tstop", "`tick`", "ﬂ°°35¶ß", "%%comment", "[x]", "(x)", "{x}", "a;b", "-->", "--", "a=b",
	"\u2028sep", "\x7f", "bad\xffutf8", "", " ", "-1", "1.5",
}

// TestHostileNames draws a project whose services, networks, volumes,
// images and paths carry hostile names, and checks that both outputs parse,
// that every name has its own node, and that every label decodes back to
// exactly the name (non-UTF-8 bytes as U+FFFD).
func TestHostileNames(t *testing.T) {
	p := hostileProject()
	g := Build(p)
	if len(g.Services) != len(hostileNames) || len(g.Networks) != len(hostileNames) || len(g.Volumes) != len(hostileNames) {
		t.Fatalf("Build kept %d services, %d networks, %d volumes, want %d of each", len(g.Services), len(g.Networks), len(g.Volumes), len(hostileNames))
	}
	mmd, dot := render(t, g)
	checkRendered(t, g, mmd, dot) // parses both; one node and group per name; edges match
	mg, err := parseMermaid(mmd)
	if err != nil {
		t.Fatal(err)
	}
	dg, err := parseDOT(dot)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range hostileNames {
		bind := "./" + name
		if name == "" {
			bind = "." // /w/ is the project directory itself
		}
		wantLabel := name + "\nimg " + name + "\nbind " + bind + ":/b"
		if got := mg.nodes[serviceID(name)].label; got != mermaidShown(wantLabel) {
			t.Errorf("Mermaid label of %q decodes to %q, want %q", name, got, mermaidShown(wantLabel))
		}
		if got := dotLabel(dg.nodes[serviceID(name)]["label"]); got != dotShown(wantLabel) {
			t.Errorf("DOT label of %q decodes to %q, want %q", name, got, dotShown(wantLabel))
		}
		if got := mg.subgraphs[networkID("net "+name)]; got != mermaidShown("network: net "+name) {
			t.Errorf("Mermaid subgraph title of %q: %q", name, got)
		}
		if got := mg.nodes[volumeID("vol "+name)].label; got != mermaidShown("volume: vol "+name) {
			t.Errorf("Mermaid volume label of %q: %q", name, got)
		}
	}
	// The comment line stays one line.
	if first := strings.SplitN(mmd, "\n", 2)[0]; !strings.HasPrefix(first, "%% berth graph of project proj\"}") {
		t.Errorf("Mermaid comment line: %q", first)
	}
	var again bytes.Buffer
	if err := Mermaid(&again, Build(p)); err != nil || again.String() != mmd {
		t.Errorf("a second drawing differs (err %v)", err)
	}
}

// hostileProject has a service, a network and a volume per hostile name;
// each service depends on the previous one, is also on the network of the
// one before that, and bind-mounts a path named after itself.
func hostileProject() *types.Project {
	p := &types.Project{Name: "proj\"}\n{", Services: types.Services{}, Networks: types.Networks{}, Volumes: types.Volumes{}, WorkingDir: "/w"}
	for i, name := range hostileNames {
		net, vol := "net "+name, "vol "+name
		s := types.ServiceConfig{
			Name:     name,
			Image:    "img " + name,
			Networks: map[string]*types.ServiceNetworkConfig{net: nil},
			Volumes: []types.ServiceVolumeConfig{
				{Type: types.VolumeTypeVolume, Source: vol, Target: "/t " + name},
				{Type: types.VolumeTypeBind, Source: "/w/" + name, Target: "/b"},
			},
			DependsOn: types.DependsOnConfig{},
		}
		if i > 0 {
			s.DependsOn[hostileNames[i-1]] = types.ServiceDependency{Condition: "service_healthy", Required: true}
		}
		if i > 1 {
			s.Networks["net "+hostileNames[i-2]] = nil // a second network: a dotted line
		}
		p.Services[name] = s
		p.Networks[net] = types.NetworkConfig{}
		p.Volumes[vol] = types.VolumeConfig{}
	}
	return p
}

// TestHostileNamesGraphviz asks Graphviz itself what it displays for the
// hostile names: every line of every service label must come out as a text
// element of the SVG exactly as the name reads.
func TestHostileNamesGraphviz(t *testing.T) {
	bin, err := exec.LookPath("dot")
	if err != nil {
		t.Skip("dot (graphviz) not installed: install Debian's graphviz to check what Graphviz displays")
	}
	p := &types.Project{Name: "hostile", Services: types.Services{}, WorkingDir: "/w"}
	for _, name := range hostileNames {
		p.Services[name] = types.ServiceConfig{Name: name, Image: "img " + name, NetworkMode: "none"}
	}
	var dot bytes.Buffer
	if err := DOT(&dot, Build(p)); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-Tsvg")
	cmd.Stdin = &dot
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Fatalf("dot: %v\n%s", err, stderr.String())
	}
	texts := map[string]bool{}
	for _, m := range svgText.FindAllStringSubmatch(out.String(), -1) {
		texts[strings.TrimSpace(html.UnescapeString(m[1]))] = true // SVG drops trailing blanks
	}
	for _, name := range hostileNames {
		for _, line := range strings.Split(dotShown(name+"\nimg "+name+"\nnetwork_mode: none"), "\n") {
			line = strings.TrimSpace(line)
			if line == "" {
				continue // Graphviz draws no text for a blank line
			}
			if !texts[line] {
				t.Errorf("service %q: Graphviz shows no text %q", name, line)
			}
		}
	}
}

var svgText = regexp.MustCompile(`<text[^>]*>([^<]*)</text>`)

// FuzzNames draws a two-service project whose names, image and paths come
// from the fuzzer and checks that both outputs parse and show exactly what
// the graph holds, with every label reading back as the name.
func FuzzNames(f *testing.F) {
	for i, n := range hostileNames {
		f.Add(n, hostileNames[(i+1)%len(hostileNames)], hostileNames[(i+2)%len(hostileNames)])
	}
	f.Fuzz(func(t *testing.T, service, network, volume string) {
		other := service + "2"
		p := &types.Project{Name: service, WorkingDir: "/w", Services: types.Services{
			service: {
				Name: service, Image: network + volume,
				Networks:  map[string]*types.ServiceNetworkConfig{network: nil, network + "2": nil},
				Volumes:   []types.ServiceVolumeConfig{{Type: types.VolumeTypeVolume, Source: volume, Target: "/" + service}},
				DependsOn: types.DependsOnConfig{other: {Condition: network, Required: true}},
			},
			other: {Name: other, Networks: map[string]*types.ServiceNetworkConfig{network + "2": nil}},
		}}
		g := Build(p)
		var mmd, dot bytes.Buffer
		if err := Mermaid(&mmd, g); err != nil {
			t.Fatal(err)
		}
		if err := DOT(&dot, g); err != nil {
			t.Fatal(err)
		}
		checkParsed(t, g, mmd.String(), dot.String())
		mg, err := parseMermaid(mmd.String())
		if err != nil {
			t.Fatal(err)
		}
		dg, err := parseDOT(dot.String())
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join(serviceLines(g.Services[slices.IndexFunc(g.Services, func(s Service) bool { return s.Name == service })]), "\n")
		if got := mg.nodes[serviceID(service)].label; got != mermaidShown(want) {
			t.Errorf("Mermaid label %q, want %q", got, mermaidShown(want))
		}
		if got := dotLabel(dg.nodes[serviceID(service)]["label"]); got != dotShown(want) {
			t.Errorf("DOT label %q, want %q", got, dotShown(want))
		}
	})
}
