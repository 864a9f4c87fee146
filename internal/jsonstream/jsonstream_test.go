package jsonstream

import (
	"strings"
	"testing"
)

func TestErr(t *testing.T) {
	for _, tt := range []struct{ stream, want string }{
		{`{"stream":"Step 1/2"}` + "\n" + `{"stream":"done"}`, ""},
		{`{"stream":"Step 1/2"}{"error":"no such file"}{"error":"later"}`, "docker build: no such file"},
		{`{"stream":`, "docker build: unexpected EOF"},
	} {
		err := Err(strings.NewReader(tt.stream), "docker build")
		if got := ""; err != nil {
			got = err.Error()
			if got != tt.want {
				t.Errorf("%q: %q, want %q", tt.stream, got, tt.want)
			}
		} else if tt.want != "" {
			t.Errorf("%q: no error, want %q", tt.stream, tt.want)
		}
	}
}
