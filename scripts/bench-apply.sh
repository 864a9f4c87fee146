#!/usr/bin/env bash
# The table labels hold literal backticks (markdown code):
# shellcheck disable=SC2016
# Times `berth apply` of the 20-service project testdata/bench/apply20 (four
# stacks of five services, healthchecks every 5s, every depends_on waited on
# as service_healthy) from nothing to all healthy, and a no-op `berth plan`
# on it once it is up (target: under 200 ms). Both are whole processes, start
# to exit, against the local Docker engine. Then runs the Go benchmark of
# Diff on the same project. Prints a markdown table with the machine.
#
#   scripts/bench-apply.sh
#   BENCH_APPLY_RUNS=10 BENCH_RUNS=50 scripts/bench-apply.sh
#
# Needs Go, a Docker engine (the test image berth-e2e-app:test is built
# from testdata/e2e/app when missing; no registry is used), hyperfine and jq.
# Run it on a quiet machine: the script prints the load average before and
# after; re-run when it is above 1.5.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
root=$(pwd)

apply_runs=${BENCH_APPLY_RUNS:-5} # applies from nothing
runs=${BENCH_RUNS:-30}            # no-op plans
warmup=${BENCH_WARMUP:-3}
compose="$root/testdata/bench/apply20/compose.yaml"
image='berth-e2e-app:test'
project=berthe2ebench$$

for tool in hyperfine jq docker; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench-apply: $tool is not installed" >&2; exit 1; }
done
docker info >/dev/null 2>&1 || { echo "bench-apply: the Docker engine does not answer (docker info)" >&2; exit 1; }

tmp=$(mktemp -d)
berth="$tmp/berth"
cleanup() {
  "$berth" -p "$project" -f "$compose" down --volumes --progress quiet >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
CGO_ENABLED=0 go build -trimpath -o "$berth" ./cmd/berth

# The test image, as the apply tests build it: the static test program in a
# FROM scratch image.
if ! docker image inspect "$image" >/dev/null 2>&1; then
  mkdir "$tmp/image"
  CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$tmp/image/app" ./testdata/e2e/app
  printf 'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n' >"$tmp/image/Dockerfile"
  docker build -q -t "$image" "$tmp/image" >/dev/null
fi

b=("$berth" -p "$project" -f "$compose")
down="${b[*]} down --volumes --progress quiet"
up="${b[*]} apply --progress quiet --wait-timeout 120"
plan="${b[*]} plan --detailed-exitcode"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
# From nothing: each run starts after a down that removes everything,
# volumes included. apply exits 0 only once all 20 services are healthy.
hyperfine --style basic --runs "$apply_runs" -N --prepare "$down" \
  --export-json "$tmp/apply.json" "$up" >&2
# Up and converged: plan must find nothing to do (--detailed-exitcode exits
# 2 on changes, which fails the benchmark).
"${b[@]}" apply --progress quiet --wait-timeout 120 >/dev/null
hyperfine --style basic --warmup "$warmup" --runs "$runs" -N \
  --export-json "$tmp/plan.json" "$plan" >&2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

read -r diff_new diff_noop < <(go test ./apply -run '^$' -bench 'BenchmarkDiffApply20' -benchtime 2000x | awk '
  /from-nothing/ { fn = $3 / 1e6 } /no-op/ { noop = $3 / 1e6 }
  END { printf "%.2f %.2f\n", fn, noop }')

median() { jq -r '.results[0].median * 1000 | floor' "$1"; }
printf '\n| berth, 20 services (`testdata/bench/apply20`) | median | target |\n| --- | ---: | ---: |\n'
printf '| `apply` from nothing to all healthy | %s ms | |\n' "$(median "$tmp/apply.json")"
printf '| `plan` when nothing changed | %s ms | 200 ms |\n' "$(median "$tmp/plan.json")"
printf '| `Diff` alone (Go benchmark), from nothing / no-op | %s ms / %s ms | |\n' "$diff_new" "$diff_noop"
echo
echo "machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), $(go version | cut -d' ' -f3), Docker $(docker version --format '{{.Server.Version}}')"

# The same engine against Docker Compose: a 3-service healthy chain, berth
# apply vs docker compose up -d --wait (BENCH_CHAIN=0 skips it).
if [ "${BENCH_CHAIN:-1}" != 0 ]; then
  echo
  bash "$root/scripts/bench-apply-chain.sh"
fi
