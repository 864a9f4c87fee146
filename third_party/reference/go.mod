// berth's own implementation of the image reference grammar, wired in by the
// replace directive in berth's go.mod. See README.md beside this file.
module github.com/distribution/reference

go 1.21

require github.com/opencontainers/go-digest v1.0.0
