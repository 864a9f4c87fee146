#!/usr/bin/env bash
# install-check.sh proves that `go install github.com/berth-compose/berth/cmd/berth@VERSION`
# works for a user: it serves the committed checkout (HEAD) as a module from a
# local file:// GOPROXY, installs from it into an empty GOPATH, and runs the
# installed binary. The go command refuses to install a module whose go.mod
# has replace directives, so this fails the moment one comes back.
set -euo pipefail
cd "$(dirname "$0")/.."

module=github.com/berth-compose/berth
version=v0.0.0-$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S)-$(git rev-parse --short=12 HEAD)
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

at="$work/proxy/$module/@v"
mkdir -p "$at"
echo "$version" >"$at/list"
printf '{"Version":"%s","Time":"%s"}\n' "$version" "$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)" >"$at/$version.info"
git show HEAD:go.mod >"$at/$version.mod"
# A module zip holds the module's files under module@version/ (git archive
# leaves out what is not committed, as a published tag would). Like the
# proxy's zips, it leaves out folders that are modules of their own (the
# go command refuses a zip with a go.mod below the root): .ci/kube.
nested=()
while read -r mod; do
  [ "$mod" = go.mod ] || nested+=(":(exclude)$(dirname "$mod")")
done < <(git ls-tree -r --name-only HEAD | grep -E '(^|/)go\.mod$')
git archive --format=zip --prefix="$module@$version/" -o "$at/$version.zip" HEAD -- . "${nested[@]}"

export GOPATH="$work/gopath" GOMODCACHE="$work/gopath/pkg/mod" GOBIN="$work/bin"
# Modules this machine has already downloaded are served from its module
# cache (whose cache/download folder is laid out as a proxy), the rest from
# the usual proxy: the GOPATH starts empty either way.
export GOPROXY="file://$work/proxy,file://$(go env GOMODCACHE)/cache/download,$(go env GOPROXY)"
# berth's own version is not in the public checksum database; its
# dependencies are checked against it as usual.
export GONOSUMDB="$module" GOFLAGS=-buildvcs=false GOWORK=off
(cd "$work" && go install "$module/cmd/berth@$version")
"$GOBIN/berth" --version
"$GOBIN/berth" config -q -f testdata/seed/nginx-lb/docker-compose.yml
echo "go install $module/cmd/berth@$version: ok"
