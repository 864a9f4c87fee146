package projectflags

import (
	"reflect"
	"testing"

	"github.com/spf13/pflag"
)

// TestArgsRoundTrip: the arguments berth hands a companion program parse
// back into the same flags, so that it loads the same project.
func TestArgsRoundTrip(t *testing.T) {
	var first Flags
	fs := pflag.NewFlagSet("a", pflag.ContinueOnError)
	first.Register(fs)
	in := []string{"-f", "a.yaml", "--file=b b.yaml", "-p", "demo", "--project-directory", "/srv/app",
		"--env-file", ".env", "--env-file", "x.env", "--profile", "debug", "--profile", "tools"}
	if err := fs.Parse(in); err != nil {
		t.Fatal(err)
	}
	var second Flags
	fs2 := pflag.NewFlagSet("b", pflag.ContinueOnError)
	second.Register(fs2)
	if err := fs2.Parse(first.Args()); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(first, second) {
		t.Errorf("round trip changed the flags:\n%+v\n%+v", first, second)
	}
	want := Flags{Files: []string{"a.yaml", "b b.yaml"}, Name: "demo", Dir: "/srv/app", EnvFiles: []string{".env", "x.env"}, Profiles: []string{"debug", "tools"}}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("parsed %+v, want %+v", first, want)
	}
	if got := (&Flags{}).Args(); len(got) != 0 {
		t.Errorf("no flags gave arguments %q", got)
	}
}
