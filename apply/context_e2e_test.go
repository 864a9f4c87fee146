package apply

import (
	"path/filepath"
	"testing"
	"time"
)

// TestE2EBuildInlineContext: with dockerfile_inline, the Dockerfile berth
// adds to the context is listed in .dockerignore (created when the
// context has none), as the docker CLI does, so the builder drops it and a
// `COPY . /ctx/` copies neither it nor a .dockerignore berth made up.
func TestE2EBuildInlineContext(t *testing.T) {
	d := e2eDocker(t)
	pr := newE2EProject(t, d, "")
	writeTree(t, filepath.Join(pr.dir, "ignored"), buildContextFiles)
	writeTree(t, filepath.Join(pr.dir, "plain"), map[string]string{"version.txt": "v1"})
	const inline = "FROM " + e2eImage + "\nCOPY . /ctx/\n"
	compose := `services:
  ignored:
    build:
      context: ./ignored
      dockerfile_inline: |
        FROM ` + e2eImage + `
        COPY . /ctx/
    command: ["web"]
  plain:
    build:
      context: ./plain
      dockerfile_inline: |
        FROM ` + e2eImage + `
        COPY . /ctx/
    command: ["web"]
`
	removeImageAtEnd(t, d, pr.name+"-ignored")
	removeImageAtEnd(t, d, pr.name+"-plain")
	p := pr.load(compose)
	if got := p.Services["plain"].Build.DockerfileInline; got != inline {
		t.Fatalf("inline Dockerfile %q, want %q", got, inline)
	}
	if err := pr.execute(pr.plan(p), time.Minute); err != nil {
		t.Fatal(err)
	}
	added := "/ctx/" + extraFileName([]byte(inline))
	svc := pr.observe().byService()
	for _, tc := range []struct {
		service string
		paths   map[string]bool
	}{
		{"ignored", map[string]bool{
			added: false, "/ctx/.dockerignore": true, "/ctx/keep.log": true,
			// The context's own Dockerfile is not the build's: the
			// .dockerignore that lists it leaves it out.
			"/ctx/Dockerfile": false, "/ctx/secret.txt": false,
		}},
		{"plain", map[string]bool{added: false, "/ctx/.dockerignore": false, "/ctx/version.txt": true}},
	} {
		c, ok := svc[tc.service]
		if !ok {
			t.Fatalf("no container for %s", tc.service)
		}
		for path, want := range tc.paths {
			if got := pathInContainer(t, d, c.ID, path); got != want {
				t.Errorf("%s: %s in the image: %v, want %v", tc.service, path, got, want)
			}
		}
	}
}
