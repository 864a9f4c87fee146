// Package kubetest holds the tests of `berth convert` that need what berth
// itself must not link: a real kube-apiserver (reached with client-go) and
// Helm (to render and lint the charts berth writes). It is a module of its
// own so that berth's go.mod stays small and installable with go install;
// .ci/run starts the API server (scripts/kube-apiserver.sh) and runs
// `go test ./...` here.
package kubetest
