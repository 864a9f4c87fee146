package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConvert runs berth convert as users do: the project flags before the
// command, its output, warnings and exit status.
func TestConvert(t *testing.T) {
	dir := t.TempDir()
	compose := "services:\n  web:\n    image: nginx:1.27\n    ports: [\"8080:80\"]\n    sysctls:\n      net.core.somaxconn: 1024\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}

	r := runBerth(t, dir, env, "-p", "demo", "convert", "--to", "kubernetes")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"kind: Deployment", "name: web", "app.kubernetes.io/part-of: demo", "image: nginx:1.27"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
		}
	}
	if want := "warning: services.web.sysctls[\"net.core.somaxconn\"] (compose.yaml:6:7): converted to the pod's securityContext.sysctls, but net.core.somaxconn is not a safe sysctl"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}

	r = runBerth(t, dir, env, "convert", "--to", "kubernetes", "--strict")
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "error: services.web.sysctls") {
		t.Errorf("--strict: exit %d, stdout %q, stderr:\n%s", r.code, r.stdout, r.stderr)
	}

	r = runBerth(t, dir, env, "convert", "--to", "swarm")
	if r.code != 2 || !strings.Contains(r.stderr, "--to swarm") {
		t.Errorf("--to swarm: exit %d, stderr:\n%s", r.code, r.stderr)
	}

	file := filepath.Join(dir, "k8s.yaml")
	r = runBerth(t, dir, env, "convert", "--to", "kubernetes", "-p", "demo", "-o", file)
	if b, err := os.ReadFile(file); r.code != 0 || err != nil || r.stdout != "" || !strings.Contains(string(b), "---\napiVersion: apps/v1\nkind: Deployment") {
		t.Errorf("-o FILE: exit %d, stdout %q, file %q (%v)", r.code, r.stdout, b, err)
	}

	out := filepath.Join(dir, "out") + string(filepath.Separator)
	r = runBerth(t, dir, env, "convert", "--to", "kubernetes", "-o", out)
	if r.code != 0 {
		t.Fatalf("-o DIR/: exit %d\n%s", r.code, r.stderr)
	}
	k, err := os.ReadFile(filepath.Join(out, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"service-web.yaml", "deployment-web.yaml", "networkpolicy-network-default.yaml"} {
		if !strings.Contains(string(k), "- "+f+"\n") {
			t.Errorf("kustomization.yaml lacks %s:\n%s", f, k)
		}
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Error(err)
		}
	}

	r = runBerth(t, dir, env, "convert", "--to", "kubernetes", "-n", "shop")
	if r.code != 0 || !strings.HasPrefix(r.stdout, "apiVersion: v1\nkind: Namespace\nmetadata:\n") || strings.Count(r.stdout, "  namespace: shop\n") != strings.Count(r.stdout, "\nkind: ")-1 {
		t.Errorf("-n shop: exit %d, want the Namespace first and every other object in it:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r = runBerth(t, dir, env, "convert", "--to", "kubernetes", "--namespace", "Shop_1"); r.code != 2 || !strings.Contains(r.stderr, `namespace "Shop_1"`) {
		t.Errorf("--namespace Shop_1: exit %d, stderr %q; want exit 2 naming it", r.code, r.stderr)
	}

	chart := filepath.Join(dir, "chart") + string(filepath.Separator)
	r = runBerth(t, dir, env, "-p", "demo", "convert", "--to", "helm", "-o", chart)
	if r.code != 0 {
		t.Fatalf("--to helm -o DIR/: exit %d\n%s", r.code, r.stderr)
	}
	for _, f := range []string{"Chart.yaml", "values.yaml", "templates/deployment-web.yaml", "templates/service-web.yaml"} {
		if _, err := os.Stat(filepath.Join(chart, f)); err != nil {
			t.Errorf("--to helm: %v", err)
		}
	}
	if r = runBerth(t, dir, env, "convert", "--to", "helm"); r.code != 2 || !strings.Contains(r.stderr, "-o DIR/") {
		t.Errorf("--to helm without -o: exit %d, stderr %q; want exit 2 asking for -o DIR/", r.code, r.stderr)
	}
}

// TestConvertSecretNotice: convert names the variables it moved into a
// Secret, never their values, and --strict does not fail on them.
func TestConvertSecretNotice(t *testing.T) {
	dir := t.TempDir()
	compose := "services:\n  db:\n    image: postgres:17\n    environment:\n      POSTGRES_PASSWORD: hunter2-value\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(compose), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"HOME=/nonexistent", "PATH=/usr/bin:/bin"}
	r := runBerth(t, dir, env, "-p", "demo", "convert", "--to", "kubernetes", "--strict")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	if want := "warning: services.db.environment (compose.yaml:4:5): moved to Secret db-env (secretKeyRef), not the Deployment: POSTGRES_PASSWORD"; !strings.Contains(r.stderr, want) {
		t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
	}
	if strings.Contains(r.stderr, "hunter2") {
		t.Errorf("stderr shows the value:\n%s", r.stderr)
	}
	if !strings.Contains(r.stdout, "kind: Secret") || strings.Contains(r.stdout, "hunter2-value") {
		t.Errorf("want the value in a Secret (base64), not in plain text:\n%s", r.stdout)
	}
}
