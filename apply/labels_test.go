package apply

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/filters"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"

	"github.com/berth-compose/berth/transform"
)

// composeLabels is what Docker Compose writes on what it creates
// (../shared/research/compose-internals.md §1): each key with the format of
// its value. A berth object must carry exactly these com.docker.compose.*
// keys, each with a value of that format.
var composeLabels = struct {
	container, network, volume map[string]*regexp.Regexp
}{
	container: map[string]*regexp.Regexp{
		LabelProject:     regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`),
		LabelService:     regexp.MustCompile(`^[a-zA-Z0-9._-]+$`),
		LabelVersion:     regexp.MustCompile(`^\d+\.\d+\.\d+$`), // no "v", no suffix
		LabelWorkingDir:  regexp.MustCompile(`^/`),
		LabelConfigFiles: regexp.MustCompile(`^/[^,]+(,/[^,]+)*$`), // absolute, comma-joined
		LabelOneOff:      regexp.MustCompile(`^False$`),            // Python-style, as Compose v1 wrote it
		LabelNumber:      regexp.MustCompile(`^[1-9][0-9]*$`),
		LabelConfigHash:  regexp.MustCompile(`^[0-9a-f]{64}$`), // no "sha256:" prefix
		LabelDependsOn:   regexp.MustCompile(`^$|^[^:,]+:(service_started|service_healthy|service_completed_successfully):(true|false)(,[^:,]+:(service_started|service_healthy|service_completed_successfully):(true|false))*$`),
		LabelImage:       regexp.MustCompile(`^sha256:[0-9a-f]{64}$`),
	},
	network: map[string]*regexp.Regexp{
		LabelNetwork:    regexp.MustCompile(`^[a-zA-Z0-9._-]+$`),
		LabelProject:    regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`),
		LabelVersion:    regexp.MustCompile(`^\d+\.\d+\.\d+$`),
		LabelConfigHash: regexp.MustCompile(`^[0-9a-f]{64}$`),
	},
	volume: map[string]*regexp.Regexp{
		LabelVolume:     regexp.MustCompile(`^[a-zA-Z0-9._-]+$`),
		LabelProject:    regexp.MustCompile(`^[a-z0-9][a-z0-9_-]*$`),
		LabelVersion:    regexp.MustCompile(`^\d+\.\d+\.\d+$`),
		LabelConfigHash: regexp.MustCompile(`^[0-9a-f]{64}$`),
	},
}

// checkLabels compares an object's labels with the Compose set: the same
// com.docker.compose.* keys (plus extra, for the keys Compose adds only in
// some cases), values of the same format, and the exact values in want.
func checkLabels(t *testing.T, what string, got map[string]string, formats map[string]*regexp.Regexp, extra map[string]*regexp.Regexp, want map[string]string) {
	t.Helper()
	var keys, wantKeys []string
	for k := range got {
		if strings.HasPrefix(k, "com.docker.compose.") {
			keys = append(keys, k)
		}
	}
	for k := range formats {
		wantKeys = append(wantKeys, k)
	}
	for k := range extra {
		wantKeys = append(wantKeys, k)
	}
	slices.Sort(keys)
	slices.Sort(wantKeys)
	if !slices.Equal(keys, wantKeys) {
		t.Errorf("%s: com.docker.compose.* keys\n got %v\nwant %v", what, keys, wantKeys)
	}
	for k, re := range formats {
		if v, ok := got[k]; ok && !re.MatchString(v) {
			t.Errorf("%s: %s=%q is not in Compose's format %s", what, k, v, re)
		}
	}
	for k, re := range extra {
		if v, ok := got[k]; ok && !re.MatchString(v) {
			t.Errorf("%s: %s=%q is not in Compose's format %s", what, k, v, re)
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s=%q, want %q", what, k, got[k], v)
		}
	}
}

const labelsCompose = `services:
  db:
    image: berth-e2e-app:test
    command: ["kv"]
    labels:
      com.example.team: data
      com.docker.compose.service: not-db # Compose's own labels win over the user's
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 500ms
      retries: 60
    volumes:
      - data:/data
    networks: [back]
  cache:
    image: berth-e2e-app:test
    command: ["kv"]
    networks: [back]
  web:
    image: berth-e2e-app:test
    command: ["web"]
    environment:
      KV_ADDR: db:6379
      GREETING: ${GREETING}
    depends_on:
      db:
        condition: service_healthy
        restart: true
      cache:
        condition: service_started
    networks: [back]
networks:
  back:
    labels:
      com.example.net: "yes"
volumes:
  data:
    labels:
      com.example.vol: "yes"
`

// TestE2ELabelsAsCompose applies a project on the real engine, reads back
// the labels of its containers, network and volume, and compares them with
// what Docker Compose writes; then recreates a service and checks the
// replacement's labels.
func TestE2ELabelsAsCompose(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "GREETING=hello\n")
	p := pr.load(labelsCompose)
	envFile := filepath.Join(pr.dir, ".env")
	// --env-file given explicitly: Compose then writes environment_file.
	opts := Options{Wait: true, EnvFiles: []string{envFile}}
	apply := func() {
		t.Helper()
		plan, err := PlanFor(context.Background(), d, p, opts)
		if err != nil {
			t.Fatal(err)
		}
		if err := pr.execute(plan, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	apply()

	ctx := context.Background()
	hashes, err := transform.ServiceHashes(p, nil, true)
	if err != nil {
		t.Fatal(err)
	}
	img, err := d.ImageInspect(ctx, e2eImage)
	if err != nil {
		t.Fatal(err)
	}
	envFileFormat := map[string]*regexp.Regexp{LabelEnvFile: regexp.MustCompile(`^/[^,]+(,/[^,]+)*$`)}
	obs := pr.observe()
	svc := obs.byService()
	for _, h := range hashes {
		c := svc[h[0]]
		in, err := d.ContainerInspect(ctx, c.ID) // the labels as the engine stored them
		if err != nil {
			t.Fatal(err)
		}
		checkLabels(t, "container "+c.Name, in.Config.Labels, composeLabels.container, envFileFormat, map[string]string{
			LabelProject: pr.name, LabelService: h[0], LabelVersion: ComposeVersion,
			LabelWorkingDir: pr.dir, LabelConfigFiles: filepath.Join(pr.dir, "compose.yaml"), LabelEnvFile: envFile,
			LabelOneOff: "False", LabelNumber: "1", LabelConfigHash: h[1], LabelImage: img.ID,
		})
	}
	if got := svc["db"].Labels["com.example.team"]; got != "data" {
		t.Errorf("db lost the user's label: com.example.team=%q", got)
	}
	// depends_on: Compose writes the entries in map order; berth sorts them.
	dep := func(service string) []string {
		l, ok := svc[service].Labels[LabelDependsOn]
		if !ok {
			t.Errorf("%s has no %s label (Compose writes it even when empty)", service, LabelDependsOn)
		}
		if l == "" {
			return nil
		}
		entries := strings.Split(l, ",")
		slices.Sort(entries)
		return entries
	}
	if got := dep("web"); !slices.Equal(got, []string{"cache:service_started:false", "db:service_healthy:true"}) {
		t.Errorf("web depends_on label entries %v", got)
	}
	if got := dep("db"); got != nil {
		t.Errorf("db depends_on label entries %v, want none", got)
	}

	nets, err := d.NetworkList(ctx, network.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+pr.name))})
	if err != nil {
		t.Fatal(err)
	}
	if len(nets) != 1 {
		t.Fatalf("networks %v", nets)
	}
	checkLabels(t, "network "+nets[0].Name, nets[0].Labels, composeLabels.network, nil, map[string]string{
		LabelNetwork: "back", LabelProject: pr.name, LabelVersion: ComposeVersion, "com.example.net": "yes",
		LabelConfigHash: composeHash(t, p.Networks["back"]),
	})
	vols, err := d.VolumeList(ctx, volume.ListOptions{Filters: filters.NewArgs(filters.Arg("label", LabelProject+"="+pr.name))})
	if err != nil {
		t.Fatal(err)
	}
	if len(vols.Volumes) != 1 {
		t.Fatalf("volumes %v", vols.Volumes)
	}
	v := p.Volumes["data"]
	if v.Driver == "" {
		v.Driver = "local"
	}
	checkLabels(t, "volume "+vols.Volumes[0].Name, vols.Volumes[0].Labels, composeLabels.volume, nil, map[string]string{
		LabelVolume: "data", LabelProject: pr.name, LabelVersion: ComposeVersion, "com.example.vol": "yes",
		LabelConfigHash: composeHash(t, v),
	})

	// A recreate: the replacement also names the replica it replaced,
	// without the project prefix (Docker Compose v5 writes it when the
	// recreate keeps anonymous volumes, the default; anon_e2e_test.go
	// checks that -V leaves it out).
	if err := os.WriteFile(filepath.Join(pr.dir, ".env"), []byte("GREETING=bonjour\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p = pr.load(labelsCompose)
	apply()
	after := pr.observe().byService()
	if after["web"].ID == svc["web"].ID {
		t.Fatal("web was not recreated")
	}
	in, err := d.ContainerInspect(ctx, after["web"].ID)
	if err != nil {
		t.Fatal(err)
	}
	checkLabels(t, "recreated "+after["web"].Name, in.Config.Labels, composeLabels.container,
		map[string]*regexp.Regexp{LabelEnvFile: envFileFormat[LabelEnvFile], LabelReplace: regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)},
		map[string]string{LabelReplace: "web-1", LabelService: "web"})
}

// composeHash is Docker Compose's NetworkHash / VolumeHash, written out
// from the research notes: sha256 of the JSON of the definition, lowercase
// hex (VolumeHash defaults the driver to "local" first: the caller does).
func composeHash(t *testing.T, def any) string {
	t.Helper()
	b, err := json.Marshal(def)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
