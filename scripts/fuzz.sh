#!/usr/bin/env bash
# Runs every fuzz target of the module for a bounded time each (default 15s).
# A crash fails the script; the crashing input is left in testdata/fuzz/ to
# become a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
budget=${1:-15s}
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //'); do
    echo "-- fuzz $pkg $target ($budget)"
    go test "$pkg" -run='^$' -fuzz="^${target}\$" -fuzztime="$budget"
  done
done
