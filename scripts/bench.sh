#!/usr/bin/env bash
# The table labels hold literal backticks (markdown code):
# shellcheck disable=SC2016
# berth against the tools its users compare it with, as whole processes
# (start to exit), on this machine, in one run: the commands of each
# comparison take turns run after run (scripts/interleave), so that a change
# of load reaches both sides alike. Prints medians and their ratios as
# markdown, with the machine, ready for the README:
#
#   - `config -q` against Docker Compose v5.5.1's `docker compose config -q`
#     on the corpus file awesome/flask-redis (goal: at most 0.7x) and on
#     testdata/bench/large (788 lines, 57 services; goal: at most 0.8x);
#   - `lint` on flask-redis against dclint 3.1 (goal: at least 25x faster);
#   - `lint` of the 39 corpus files in one call (goal: under 0.5 s);
#   - `--version` and all of the above for berth as it was before it became
#     one program (commit 5b82605: berth plus berth-engine, berth-kube and
#     berth-policy), so that the cost of the change is on record.
#
#   scripts/bench.sh
#   BENCH_RUNS=50 BENCH_SLOW_RUNS=20 scripts/bench.sh
#   BENCH_BEFORE= scripts/bench.sh          # skip the before build
#
# Environment (defaults in brackets):
#   BERTH_CORPUS      folder holding awesome/ [../shared/corpus]
#   BENCH_RUNS        timed runs of each fast comparison [30]
#   BENCH_SLOW_RUNS   timed runs of the comparison with dclint [15]
#   BENCH_WARMUP      untimed runs first [3]
#   BENCH_CACHE       where the reference tools are kept [/var/cache/berth-ci]
#   BENCH_COMPOSE     Docker Compose binary [$BENCH_CACHE/compose-v5.5.1/docker-compose],
#                     built from the Go module proxy when missing
#   BENCH_DCLINT      dclint [$BENCH_CACHE/dclint-3.1.0/node_modules/.bin/dclint],
#                     installed with npm when missing
#   BENCH_BEFORE      commit of the berth to compare with [5b82605]; empty skips it
#   BENCH_BEFORE_DIR  where its programs are built [$BENCH_CACHE/berth-$BENCH_BEFORE]
#
# Needs Go, git, and npm (only to install dclint). Run it on a quiet machine:
# it prints the load average before and after. The first run builds the
# references (Docker Compose takes 3-6 minutes on 2 cores, berth at 5b82605
# about 5); later runs take about 3 minutes.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
root=$(pwd)

runs=${BENCH_RUNS:-30}
slow_runs=${BENCH_SLOW_RUNS:-15}
warmup=${BENCH_WARMUP:-3}
cache=${BENCH_CACHE:-/var/cache/berth-ci}
compose_version=v5.5.1
compose=${BENCH_COMPOSE:-$cache/compose-$compose_version/docker-compose}
dclint_version=3.1.0
dclint=${BENCH_DCLINT:-$cache/dclint-$dclint_version/node_modules/.bin/dclint}
before=${BENCH_BEFORE-5b82605}
before_dir=${BENCH_BEFORE_DIR:-$cache/berth-$before}

say() { echo "bench: $*" >&2; }

corpus=${BERTH_CORPUS:-$root/../shared/corpus}
if [[ ! -f $corpus/awesome/flask-redis/compose.yaml ]]; then
  say "corpus not found at $corpus (set BERTH_CORPUS to the folder holding awesome/)"
  exit 1
fi
corpus=$(cd "$corpus" && pwd)
flask="$corpus/awesome/flask-redis/compose.yaml"
large="$root/testdata/bench/large/compose.yaml"
mapfile -t corpus_files < <(find "$corpus/awesome" -mindepth 2 -maxdepth 2 -name '*.y*ml' | sort)
if [[ ${#corpus_files[@]} -ne 39 ]]; then
  say "warning: the corpus has ${#corpus_files[@]} compose files, expected 39"
fi
for f in "$root" "${corpus_files[@]}" "$compose" "$dclint" "$before_dir"; do
  if [[ $f == *[[:space:]]* ]]; then
    say "paths with whitespace are not supported: $f"
    exit 1
  fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# --- the reference tools, built or installed once into the cache ---
if [[ ! -x $compose ]]; then
  # Docker Compose's own module from the Go module proxy, built the way its
  # Makefile does (static, version stamped). The module cache is read-only,
  # so it is built from a copy.
  say "building Docker Compose $compose_version into $(dirname "$compose")"
  mod=$(cd "$tmp" && go mod download -json "github.com/docker/compose/v5@$compose_version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [[ -d $mod ]] || { say "go mod download gave no module directory for Docker Compose"; exit 1; }
  cp -r "$mod" "$tmp/compose-src"
  chmod -R u+w "$tmp/compose-src"
  mkdir -p "$(dirname "$compose")"
  (cd "$tmp/compose-src" && CGO_ENABLED=0 go build -trimpath \
    -ldflags "-w -X github.com/docker/compose/v5/internal.Version=$compose_version" \
    -o "$compose" ./cmd)
fi
if [[ ! -x $dclint ]]; then
  prefix=$(dirname "$(dirname "$(dirname "$dclint")")")
  say "installing dclint $dclint_version into $prefix (npm)"
  mkdir -p "$prefix"
  npm install --no-fund --no-audit --silent --prefix "$prefix" "dclint@$dclint_version" >&2
fi
"$compose" version | grep -q "$compose_version" || { say "$compose is not Docker Compose $compose_version"; exit 1; }
[[ $("$dclint" --version) == "$dclint_version" ]] || { say "$dclint is not dclint $dclint_version"; exit 1; }

if [[ -n $before && ! -x $before_dir/berth ]]; then
  # berth before it became one program needs its companions next to it.
  say "building berth at $before (four programs) into $before_dir"
  mkdir "$tmp/before-src"
  git archive "$before" | tar -x -C "$tmp/before-src"
  mkdir -p "$before_dir"
  (cd "$tmp/before-src" && CGO_ENABLED=0 go build -trimpath -o "$before_dir/" ./cmd/...)
fi

say "building berth and scripts/interleave"
CGO_ENABLED=0 go build -trimpath -o "$tmp/berth" ./cmd/berth
go build -o "$tmp/interleave" ./scripts/interleave
berth="$tmp/berth"
old="$before_dir/berth"

# Each command must do its job once before it is timed.
"$berth" config -q -f "$flask"
"$berth" config -q -f "$large"
"$compose" -f "$flask" config -q
"$compose" -f "$large" config -q
if [[ -n $before ]]; then
  "$old" config -q -f "$flask"
  "$old" config -q -f "$large"
fi

results="$tmp/results.tsv"
# compare RUNS LABEL=COMMAND...: one interleaved measurement; the labels
# are keys for the tables below. Commands of "before" are left out when it
# is skipped.
compare() {
  local n=$1 args=() a
  shift
  for a in "$@"; do
    [[ -z $before && $a == before-* ]] && continue
    args+=("$a")
  done
  say "timing ${args[*]%%=*} ($n runs each)"
  "$tmp/interleave" -runs "$n" -warmup "$warmup" "${args[@]}" >>"$results"
}

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
all="${corpus_files[*]}"
compare "$runs" "config-flask=$berth config -q -f $flask" \
  "compose-flask=$compose -f $flask config -q" \
  "before-config-flask=$old config -q -f $flask"
compare "$runs" "config-large=$berth config -q -f $large" \
  "compose-large=$compose -f $large config -q" \
  "before-config-large=$old config -q -f $large"
compare "$slow_runs" "lint-flask=$berth lint --no-color $flask" \
  "dclint-flask=$dclint --color=false $flask" \
  "before-lint-flask=$old lint --no-color $flask"
# dclint is left out of the corpus run: it takes seconds per file set.
compare "$runs" "lint-corpus=$berth lint --no-color $all" \
  "before-lint-corpus=$old lint --no-color $all"
compare "$runs" "version=$berth --version" "before-version=$old --version"
load_end=$(cut -d' ' -f1-3 /proc/loadavg)

# med KEY: the median in ms; cpu KEY: the median CPU time in ms.
med() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' "$results"; }
cpu() { awk -F'\t' -v k="$1" '$1 == k { print $6 }' "$results"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
verdict() { awk -v x="$1" -v op="$2" -v g="$3" 'BEGIN {
  ok = (op == "<=" ? x <= g : op == ">=" ? x >= g : x < g); print ok ? "met" : "MISSED" }'; }

cf=$(ratio "$(med config-flask)" "$(med compose-flask)")
cl=$(ratio "$(med config-large)" "$(med compose-large)")
lf=$(ratio "$(med dclint-flask)" "$(med lint-flask)")
lc=$(awk -v m="$(med lint-corpus)" 'BEGIN { printf "%.3f", m / 1000 }')

cat <<EOF
| goal | berth median | reference median | ratio | goal | |
| --- | ---: | ---: | ---: | ---: | --- |
| \`config -q\` on \`flask-redis\` vs Docker Compose $compose_version | $(med config-flask) ms | $(med compose-flask) ms | ${cf}× | ≤ 0.7× | $(verdict "$cf" "<=" 0.7) |
| \`config -q\` on the large file (788 lines, 57 services) vs Docker Compose | $(med config-large) ms | $(med compose-large) ms | ${cl}× | ≤ 0.8× | $(verdict "$cl" "<=" 0.8) |
| \`lint\` on \`flask-redis\` vs dclint $dclint_version | $(med lint-flask) ms | $(med dclint-flask) ms | ${lf}× faster | ≥ 25× | $(verdict "$lf" ">=" 25) |
| \`lint\` of the ${#corpus_files[@]} corpus files in one call | $(med lint-corpus) ms | | | < 0.5 s | $(verdict "$lc" "<" 0.5) |
EOF
if [[ -n $before ]]; then
  cat <<EOF

| command | one program (now) | four programs ($before) | now / before |
| --- | ---: | ---: | ---: |
| \`--version\` | $(med version) ms | $(med before-version) ms | $(ratio "$(med version)" "$(med before-version)")× |
| \`config -q\` on \`flask-redis\` | $(med config-flask) ms | $(med before-config-flask) ms | $(ratio "$(med config-flask)" "$(med before-config-flask)")× |
| \`config -q\` on the large file | $(med config-large) ms | $(med before-config-large) ms | $(ratio "$(med config-large)" "$(med before-config-large)")× |
| \`lint\` on \`flask-redis\` | $(med lint-flask) ms | $(med before-lint-flask) ms | $(ratio "$(med lint-flask)" "$(med before-lint-flask)")× |
| \`lint\` of the corpus in one call | $(med lint-corpus) ms | $(med before-lint-corpus) ms | $(ratio "$(med lint-corpus)" "$(med before-lint-corpus)")× |
EOF
else
  printf '\n`berth --version`: %s ms\n' "$(med version)"
fi

printf '\nEvery measurement (ms; CPU is user + system time of the process):\n\n'
printf '| key | median | min | max | runs | CPU median | exit |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n'
awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }' "$results"

cpu_model=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
cat <<EOF

Machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, ${mem}; $(go version | cut -d' ' -f3-);
node $(node --version 2>/dev/null || echo '?'). Load average (1, 5, 15 min) at start: ${load_start};
at end: ${load_end}. berth built with \`CGO_ENABLED=0 go build -trimpath\`
($(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ', with uncommitted changes')); Docker Compose
$compose_version built static from its module; output to /dev/null; medians of interleaved runs
($runs each, $slow_runs for the comparison with dclint, after $warmup warm-up runs).
EOF
# CPU times of berth against the reference, for the record of where time goes.
say "CPU medians (ms): config flask $(cpu config-flask) vs $(cpu compose-flask), large $(cpu config-large) vs $(cpu compose-large)"
