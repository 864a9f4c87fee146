#!/usr/bin/env bash
# kube-apiserver.sh builds (or reuses) a real kube-apiserver and etcd and
# runs them on 127.0.0.1, so that the tests of `berth convert` can hand its
# output to the API server itself: admission, defaulting and cross-field
# validation live there, not in the k8s.io/api types. No kubelet is needed
# to accept or reject objects.
#
#   scripts/kube-apiserver.sh build        build or reuse both binaries
#   scripts/kube-apiserver.sh start DIR    start both (state in DIR), wait for
#                                          /readyz, print the tests' env lines
#   scripts/kube-apiserver.sh stop DIR     stop what start started
#
# Both programs are built from the Go module proxy in throwaway modules of
# their own, never in berth's go.mod: berth must stay installable with
# `go install`, which refuses a module with replace directives, and the
# kube-apiserver build needs 33 of them. Binaries are cached by version
# under /var/cache/berth-ci/, so only the first run on a machine pays for
# the build (about 10 minutes cold for kube-apiserver, 1 for etcd).
set -euo pipefail

kube_version=v1.37.2
staging_version=v0.37.2 # the published version of each staging module of $kube_version
etcd_version=v3.6.16
cache=${BERTH_CI_CACHE:-/var/cache/berth-ci}
apiserver_bin=$cache/kube-apiserver-$kube_version/kube-apiserver
etcd_bin=$cache/etcd-$etcd_version/etcd

# build_in_module builds package $3 of module $1@$2 into $4 from a fresh
# module that requires it. Extra go.mod edits come on stdin (one
# `go mod edit` flag a line). The builds run niced: the machine is shared.
build_in_module() {
  local module=$1 version=$2 package=$3 out=$4 work rc=0
  work=$(mktemp -d)
  (
    cd "$work"
    export GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOWORK=off
    go mod init berth-ci/build >/dev/null 2>&1
    go mod edit -require="$module@$version"
    local edit
    while read -r edit; do go mod edit "$edit"; done
    # A package of a dependency cannot be blank-imported when it is a
    # main package; `go get` of the package resolves the graph and sums.
    nice -n 10 go get "$package@$version"
    mkdir -p "$(dirname "$out")"
    nice -n 10 go build -trimpath -ldflags='-s -w' -o "$out.tmp" "$package"
    mv "$out.tmp" "$out"
  ) || rc=$?
  rm -rf "$work"
  return $rc
}

build_apiserver() {
  if [ -x "$apiserver_bin" ]; then echo "== kube-apiserver $kube_version: cached ($apiserver_bin)"; return; fi
  echo "== building kube-apiserver $kube_version (CGO_ENABLED=0)"
  local start gomod
  start=$(date +%s)
  gomod=$(GOFLAGS= go mod download -json "k8s.io/kubernetes@$kube_version" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  # k8s.io/kubernetes points each staging module at ./staging/src/...,
  # which a module from the proxy does not carry: use the published copy
  # of the same path instead.
  grep -E '^\s*k8s\.io/[^ ]+ => \./staging/' "$gomod" |
    awk -v v="$staging_version" '{print "-replace=" $1 "=" $1 "@" v}' |
    build_in_module k8s.io/kubernetes "$kube_version" k8s.io/kubernetes/cmd/kube-apiserver "$apiserver_bin"
  echo "== kube-apiserver built in $(( $(date +%s) - start ))s"
}

build_etcd() {
  if [ -x "$etcd_bin" ]; then echo "== etcd $etcd_version: cached ($etcd_bin)"; return; fi
  echo "== building etcd $etcd_version (CGO_ENABLED=0)"
  local start
  start=$(date +%s)
  # etcd's server module replaces its sibling modules with ../ paths, so
  # `go install pkg@version` refuses it; a module of our own ignores them.
  build_in_module go.etcd.io/etcd/server/v3 "$etcd_version" go.etcd.io/etcd/server/v3 "$etcd_bin" </dev/null
  echo "== etcd built in $(( $(date +%s) - start ))s"
}

# free_port prints a loopback port nothing listens on (bash alone: a fresh
# CI machine may have no python).
free_port() {
  local port
  while :; do
    port=$(( 20000 + RANDOM % 20000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
}

start() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local etcd_client etcd_peer api_port token
  etcd_client=$(free_port)
  etcd_peer=$(free_port)
  api_port=$(free_port)
  token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')

  "$etcd_bin" --name berth-ci --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "berth-ci=http://127.0.0.1:$etcd_peer" --log-level warn >"$dir/etcd.log" 2>&1 &
  echo $! >"$dir/etcd.pid"

  openssl genrsa -out "$dir/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/sa.key" -pubout -out "$dir/sa.pub" 2>/dev/null
  # One static token with the admin group: the tests create namespaces.
  echo "$token,berth-test,berth-test,system:masters" >"$dir/tokens.csv"

  "$apiserver_bin" --etcd-servers "http://127.0.0.1:$etcd_client" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --cert-dir "$dir/certs" \
    --token-auth-file "$dir/tokens.csv" --authorization-mode RBAC \
    --service-account-key-file "$dir/sa.pub" --service-account-signing-key-file "$dir/sa.key" \
    --service-account-issuer https://kubernetes.default.svc.cluster.local \
    --service-cluster-ip-range 10.96.0.0/16 --allow-privileged=true \
    >"$dir/kube-apiserver.log" 2>&1 &
  echo $! >"$dir/kube-apiserver.pid"

  local server=https://127.0.0.1:$api_port i
  for i in $(seq 1 180); do
    if curl -ksf -H "Authorization: Bearer $token" "$server/readyz" >/dev/null 2>&1; then
      cat >"$dir/env" <<EOF
BERTH_TEST_KUBE_SERVER=$server
BERTH_TEST_KUBE_TOKEN=$token
EOF
      cat "$dir/env"
      return
    fi
    if ! kill -0 "$(cat "$dir/kube-apiserver.pid")" 2>/dev/null; then break; fi
    sleep 1
  done
  echo "kube-apiserver did not become ready:" >&2
  tail -30 "$dir/kube-apiserver.log" >&2
  tail -10 "$dir/etcd.log" >&2
  stop "$dir"
  return 1
}

stop() {
  local dir=$1 name
  for name in kube-apiserver etcd; do
    if [ -f "$dir/$name.pid" ]; then
      local pid i
      pid=$(cat "$dir/$name.pid")
      kill "$pid" 2>/dev/null || true
      # kube-apiserver drains for a while after SIGTERM; wait, then insist.
      for i in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$name.pid"
    fi
  done
}

case "${1:-}" in
build) build_etcd; build_apiserver ;;
start) start "${2:?usage: $0 start DIR}" ;;
stop) stop "${2:?usage: $0 stop DIR}" ;;
*) echo "usage: $0 build | start DIR | stop DIR" >&2; exit 2 ;;
esac
