#!/usr/bin/env bash
# The table labels hold literal backticks (markdown code):
# shellcheck disable=SC2016
# Times the whole berth process, start to exit, the way a pre-commit hook runs
# it: on one small corpus file, on a large real-world-style file
# (testdata/bench/large/compose.yaml, 788 lines, 57 services) and once per file
# over the whole corpus. Prints a markdown table with the machine it ran on,
# ready to paste into the README. Takes under 3 minutes on a 2-core machine.
#
#   scripts/bench.sh            # corpus from $BERTH_CORPUS or ../shared/corpus
#   BENCH_RUNS=50 scripts/bench.sh
#
# Needs Go, hyperfine and jq; the last two are installed with apt-get (Debian
# packages) when missing.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
root=$(pwd)

runs=${BENCH_RUNS:-30}          # runs per single-process command
loop_runs=${BENCH_LOOP_RUNS:-10} # runs of the whole-corpus loop
warmup=${BENCH_WARMUP:-3}

corpus=${BERTH_CORPUS:-$root/../shared/corpus}
flask="$corpus/awesome/flask-redis/compose.yaml"
large="$root/testdata/bench/large/compose.yaml"
if [[ ! -f $flask ]]; then
  echo "bench: corpus not found at $corpus (set BERTH_CORPUS)" >&2
  exit 1
fi
corpus=$(cd "$corpus" && pwd)
flask="$corpus/awesome/flask-redis/compose.yaml"
mapfile -t corpus_files < <(find "$corpus/awesome" -mindepth 2 -maxdepth 2 -name '*.y*ml' | LC_ALL=C sort)
if [[ ${#corpus_files[@]} -ne 39 ]]; then
  echo "bench: warning: corpus has ${#corpus_files[@]} compose files, expected 39" >&2
fi
for f in "${corpus_files[@]}"; do
  if [[ $f == *[[:space:]]* ]]; then
    echo "bench: corpus path with whitespace not supported: $f" >&2
    exit 1
  fi
done

need() { # need COMMAND PACKAGE: install the Debian package when COMMAND is missing
  command -v "$1" >/dev/null 2>&1 && return
  echo "bench: installing $2 (apt-get)" >&2
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  if [[ -z ${apt_updated:-} ]]; then
    "${sudo[@]}" apt-get update -qq >&2
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "$2" >&2
}
need hyperfine hyperfine
need jq jq

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "bench: building berth" >&2
CGO_ENABLED=0 go build -trimpath -o "$tmp/berth" ./cmd/berth
berth="$tmp/berth"

# Every command must succeed once before it is timed (the loop tolerates the
# one corpus file that Docker Compose also rejects, plex).
"$berth" --version >/dev/null
"$berth" config -q -f "$flask"
"$berth" config -q -f "$large"

ms() { awk -v s="$1" 'BEGIN { printf "%.1f", s * 1000 }'; }

rows=()
bench() { # bench LABEL COMPOSE_REFERENCE_MS HYPERFINE_ARGS...
  local label=$1 ref=$2 json="$tmp/${#rows[@]}.json"
  shift 2
  hyperfine --style none --export-json "$json" "$@" >/dev/null
  local median min max n
  read -r median min max n < <(jq -r '.results[0] |
    [.median, .min, .max, (.times | length)] | map(tostring) | join(" ")' "$json")
  rows+=("$(printf '| %s | %.1f | %.1f | %.1f | %d | %s |' "$label" \
    "$(ms "$median")" "$(ms "$min")" "$(ms "$max")" "$n" "${ref:-–}")")
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
single=(--shell=none --warmup "$warmup" --runs "$runs")
echo "bench: timing (${runs} runs each, ${loop_runs} for the corpus loop)" >&2
bench '`berth --version`' '' "${single[@]}" "$berth --version"
bench '`berth config -q` flask-redis' 46 "${single[@]}" "$berth config -q -f $flask"
bench '`berth config -q` large (788 lines, 57 services)' 201 "${single[@]}" "$berth config -q -f $large"
bench '`berth config` flask-redis' '' "${single[@]}" "$berth config -f $flask"
bench '`berth config` large' '' "${single[@]}" "$berth config -f $large"
loop="for f in ${corpus_files[*]}; do $berth config -q -f \$f >/dev/null 2>&1 || true; done"
bench "\`berth config -q\` × ${#corpus_files[@]} corpus files, one process each (total)" '' \
  --warmup 1 --runs "$loop_runs" "$loop"

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
load_end=$(cut -d' ' -f1-3 /proc/loadavg)
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)

cat <<EOF
| command | median ms | min ms | max ms | runs | Docker Compose v5.5.1 median ms |
| --- | ---: | ---: | ---: | ---: | ---: |
EOF
printf '%s\n' "${rows[@]}"
cat <<EOF

Machine: $(nproc) CPUs, ${cpu:-unknown CPU}, ${mem}; $(go version | cut -d' ' -f3-); $(hyperfine --version).
Load average (1, 5, 15 min) at start: ${load_start}; at end: ${load_end} (figures are
comparable only when the load stayed well under the CPU count).
Whole process, start to exit, output to /dev/null; berth built with \`CGO_ENABLED=0 go build -trimpath\`.
Docker Compose figures are reference medians of \`docker compose config -q\`
measured on machines of the same kind (the large one on a 788-line, 57-service file).
EOF
