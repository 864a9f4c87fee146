// berth's own implementation of the go-digest v1.0.0 API, wired in by the
// replace directive in berth's go.mod. See README.md beside this file.
module github.com/opencontainers/go-digest

go 1.21
