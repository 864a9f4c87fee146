package load

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/cli"
)

// FuzzVerdict holds berth's load to compose-go's on arbitrary files: a file
// compose-go refuses gets at least one finding with a line and column from
// berth, and a file compose-go accepts is never refused by berth, nor does
// any of berth's value checks (spec.Decode) find a problem in it.
func FuzzVerdict(f *testing.F) {
	for _, s := range []string{
		benchCompose,
		"services:\n  web:\n    image: nginx\n    ports: [\"127.0.0.1:99999:80\"]\n    depends_on: [db]\n    volumes: [data:/data]\n",
		"services:\n  web:\n    image: nginx\n    healthcheck: {interval: 30 seconds, retries: 3}\n",
		"services:\n  web:\n    image: nginx\n    privileged: \"yes\"\n    mem_limit: 2g\n    cpus: 0.5\n",
		"services:\n  web:\n    image: nginx:${TAG:?need TAG}\n    environment:\n      X: ${X:-x}\n",
		"services:\n  web:\n    image: nginx\n    ulimits: {nofile: {soft: 1, hard: 2}, nproc: 3}\n    extra_hosts: [\"a=1.2.3.4\"]\n",
		"services:\n  web:\n    image: nginx\n    devices: [\"/dev/a:/dev/b\"]\n    volumes: [\"./x:/y:ro\"]\n    stop_grace_period: 1m\n",
	} {
		f.Add([]byte(s))
	}
	dir := f.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	f.Fuzz(func(t *testing.T, src []byte) {
		if err := os.WriteFile(path, src, 0o644); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		env := []string{"PWD=" + dir}
		composeErr := callSafely(func() error {
			po, err := cli.NewProjectOptions([]string{path}, cli.WithWorkingDirectory(dir), cli.WithEnv(env), cli.WithName("fuzz"))
			if err != nil {
				return err
			}
			_, err = po.LoadProject(ctx)
			return err
		})
		_, err := Load(ctx, Options{Files: []string{path}, Env: env, ProjectName: "fuzz"})
		if composeErr == nil {
			if err != nil {
				t.Fatalf("compose-go accepts the file, berth refuses it: %v", err)
			}
			pf, perr := ParseFile(path, src)
			if perr != nil {
				t.Fatalf("compose-go accepts the file, berth cannot parse it: %v", perr)
			}
			s := &session{opts: Options{Env: env}}
			if vs := s.decode(pf); len(vs) > 0 {
				t.Fatalf("compose-go accepts the file, berth's value checks do not: %v", vs[0])
			}
			return
		}
		if err == nil {
			t.Fatalf("compose-go refuses the file (%v), berth accepts it", composeErr)
		}
		for _, e := range asErrors(err) {
			if e.Pos.Line > 0 && e.Pos.Column > 0 {
				return
			}
		}
		t.Fatalf("compose-go refuses the file (%v), berth gives no position: %v", composeErr, err)
	})
}
