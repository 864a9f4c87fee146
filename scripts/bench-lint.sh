#!/usr/bin/env bash
# Times `berth lint` as pre-commit runs it: one process on one corpus file
# (flask-redis) and one process on all 39 corpus files. Targets: at most
# 50 ms for one file and under 0.5 s for the 39 (dclint takes 756 ms for
# one file). Prints hyperfine's medians in a markdown table.
#
#   scripts/bench-lint.sh            # corpus from $BERTH_CORPUS or ../shared/corpus
#   BENCH_RUNS=50 scripts/bench-lint.sh
#
# Needs Go and hyperfine (apt-get install hyperfine) and jq.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
root=$(pwd)
runs=${BENCH_RUNS:-30}
warmup=${BENCH_WARMUP:-3}

corpus=${BERTH_CORPUS:-$root/../shared/corpus}
if [[ ! -d $corpus/awesome ]]; then
  echo "bench-lint: corpus not found at $corpus (set BERTH_CORPUS)" >&2
  exit 1
fi
corpus=$(cd "$corpus" && pwd)
for tool in hyperfine jq; do
  command -v "$tool" >/dev/null 2>&1 || { echo "bench-lint: $tool is not installed (apt-get install $tool)" >&2; exit 1; }
done
mapfile -t files < <(find "$corpus/awesome" -mindepth 2 -maxdepth 2 -name '*.y*ml' | sort)
one="$corpus/awesome/flask-redis/compose.yaml"

bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
CGO_ENABLED=0 go build -o "$bin/berth" ./cmd/berth
berth="$bin/berth"

# Lint never fails the benchmark: findings exit 1.
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --style basic --warmup "$warmup" --runs "$runs" -i -N \
  --export-json "$bin/one.json" "$berth lint --no-color $one" >&2
hyperfine --style basic --warmup "$warmup" --runs "$runs" -i -N \
  --export-json "$bin/all.json" "$berth lint --no-color ${files[*]}" >&2
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"

median() { jq -r '.results[0].median * 1000 | floor' "$1"; }
printf '\n| berth lint | files | median (ms) | target (ms) |\n|---|---|---|---|\n'
printf '| flask-redis/compose.yaml | 1 | %s | 50 |\n' "$(median "$bin/one.json")"
printf '| whole corpus, one process | %d | %s | 500 |\n' "${#files[@]}" "$(median "$bin/all.json")"
echo
echo "machine: $(nproc) CPUs, $(go version | cut -d' ' -f3)"
