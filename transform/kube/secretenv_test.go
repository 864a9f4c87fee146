package kube_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/berth-compose/berth/transform/kube"
)

// TestSecretsStaySecret: secret-looking values of environment, env_file and
// the command line end up in the service's Secret and nowhere else; the
// notices and warnings name them and never show them.
func TestSecretsStaySecret(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "demo")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		".env":    "ADMIN_TOKEN=tok-interp-9\n",
		"app.env": "LOG_LEVEL=debug\nAPI_KEY=key-from-file-7\n",
		"compose.yaml": `services:
  app:
    image: example/app:1.2
    env_file: [app.env]
    environment:
      DB_HOST: db
      DB_PASSWORD: pw-env-3
    command: ["serve", "--admin-token=${ADMIN_TOKEN}", "--requirepass", "pw-flag-5", "--key-file", "/run/k", "--default-authentication-plugin=plain"]
    healthcheck:
      test: ["CMD-SHELL", "check -p pw-env-3 && echo 'as pw-env-3'"]
  worker:
    image: example/worker:1.2
    environment:
      DATABASE_URL: postgres://app:pw-env-3@db/app
`,
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	res, err := kube.Convert(loadDir(t, dir, "compose.yaml"), kube.Options{})
	if err != nil {
		t.Fatal(err)
	}
	checkObjects(t, res.Objects)
	secretValues := []string{"tok-interp-9", "key-from-file-7", "pw-env-3", "pw-flag-5"}

	var dep *appsv1.Deployment
	var secret *corev1.Secret
	for _, o := range res.Objects {
		if o.Service != "app" {
			continue
		}
		b, err := kube.Marshal(o)
		if err != nil {
			t.Fatal(err)
		}
		switch obj := o.Obj.(type) {
		case *appsv1.Deployment:
			dep = obj
		case *corev1.Secret:
			secret = obj
			continue
		}
		for _, v := range secretValues {
			if strings.Contains(string(b), v) {
				t.Errorf("%s %s holds the secret value %q:\n%s", o.Kind, o.Name, v, b)
			}
		}
	}
	if dep == nil || secret == nil {
		t.Fatalf("want a Deployment and a Secret, got %v", res.Objects)
	}
	if secret.Name != "app-env" {
		t.Errorf("Secret is named %q, want app-env", secret.Name)
	}
	for key, want := range map[string]string{"DB_PASSWORD": "pw-env-3", "API_KEY": "key-from-file-7", "ADMIN_TOKEN": "tok-interp-9", "REQUIREPASS": "pw-flag-5"} {
		if got := string(secret.Data[key]); got != want {
			t.Errorf("Secret data %s = %q, want %q", key, got, want)
		}
	}
	ctr := dep.Spec.Template.Spec.Containers[0]
	wantArgs := []string{"serve", "--admin-token=$(ADMIN_TOKEN)", "--requirepass", "$(REQUIREPASS)", "--key-file", "/run/k", "--default-authentication-plugin=plain"}
	if strings.Join(ctr.Args, " ") != strings.Join(wantArgs, " ") {
		t.Errorf("args = %q, want %q", ctr.Args, wantArgs)
	}
	refs := map[string]string{}
	for _, e := range ctr.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			refs[e.Name] = e.ValueFrom.SecretKeyRef.Name + "/" + e.ValueFrom.SecretKeyRef.Key
		} else if e.Name != "DB_HOST" {
			t.Errorf("env %s is a plain value %q", e.Name, e.Value)
		}
	}
	for _, name := range []string{"DB_PASSWORD", "ADMIN_TOKEN", "REQUIREPASS"} {
		if refs[name] != "app-env/"+name {
			t.Errorf("env %s refers to %q, want app-env/%s", name, refs[name], name)
		}
	}
	var fromSecret bool
	for _, ef := range ctr.EnvFrom {
		fromSecret = fromSecret || (ef.SecretRef != nil && ef.SecretRef.Name == "app-env")
	}
	if !fromSecret {
		t.Errorf("envFrom does not load Secret app-env (API_KEY of app.env): %+v", ctr.EnvFrom)
	}

	wantProbe := `check -p "${DB_PASSWORD}" && echo 'as '"${DB_PASSWORD}"''`
	if p := ctr.LivenessProbe; p == nil || p.Exec == nil || p.Exec.Command[2] != wantProbe {
		t.Errorf("liveness probe = %+v, want sh -c %s", p, wantProbe)
	}
	var workerSecret bool
	for _, o := range res.Objects {
		if o.Service != "worker" {
			continue
		}
		b, _ := kube.Marshal(o)
		if s, ok := o.Obj.(*corev1.Secret); ok {
			workerSecret = string(s.Data["DATABASE_URL"]) == "postgres://app:pw-env-3@db/app"
		} else if strings.Contains(string(b), "pw-env-3") {
			t.Errorf("%s %s holds a password of another service:\n%s", o.Kind, o.Name, b)
		}
	}
	if !workerSecret {
		t.Error("DATABASE_URL, which holds app's DB_PASSWORD, is not in Secret worker-env")
	}

	text := warningText(res.Warnings) + warningText(res.Notices)
	for _, v := range secretValues {
		if strings.Contains(text, v) {
			t.Errorf("the warnings show the value %q:\n%s", v, text)
		}
	}
	for _, name := range []string{"DB_PASSWORD", "API_KEY", "ADMIN_TOKEN", "REQUIREPASS"} {
		if !strings.Contains(text, name) {
			t.Errorf("the warnings do not name %s:\n%s", name, text)
		}
	}
	if !strings.Contains(warningText(res.Warnings), "services.app.command") {
		t.Errorf("no warning about the secrets of the command:\n%s", text)
	}
	if strings.Contains(warningText(res.Warnings), "moved to Secret") {
		t.Errorf("moved values are warnings (they would fail --strict), want notices:\n%s", text)
	}
}
