#!/usr/bin/env bash
# berth apply against Docker Compose v5.5.1's `up -d --wait`, from nothing
# to healthy, on a chain of three services (c depends on b healthy, b on a
# healthy) whose healthchecks run every second. The two take turns, round
# after round; between rounds the project is removed. Prints the medians,
# their ratio (goal: at most 0.75x) and the chain's floor beside them: the
# sum, over the three services, of the time from a container's start to
# the end of its first successful probe (no tool can be healthy sooner).
#
#   scripts/bench-apply-chain.sh (also run at the end of scripts/bench-apply.sh)
#   BENCH_ROUNDS=9 scripts/bench-apply-chain.sh
#
# Environment (defaults in brackets):
#   BENCH_ROUNDS   rounds, each one run of both [5]
#   BENCH_COMPOSE  Docker Compose binary [/var/cache/berth-ci/compose-v5.5.1/docker-compose]
#                  (scripts/bench.sh or .ci/run builds it)
#
# Needs Go, a Docker engine, GNU date and Docker Compose. Images are built locally FROM
# scratch from testdata/e2e/app and removed at the end.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
root=$(pwd)
rounds=${BENCH_ROUNDS:-5}
compose=${BENCH_COMPOSE:-/var/cache/berth-ci/compose-v5.5.1/docker-compose}
say() { echo "bench-apply-chain: $*" >&2; }
[[ -x $compose ]] || { say "Docker Compose not found at $compose (set BENCH_COMPOSE)"; exit 1; }

tmp=$(mktemp -d)
image=berth-bench-apply:1
berth_project=berthbenchapply
compose_project=composebenchapply
cleanup() {
  "$tmp/berth" -p "$berth_project" down --progress quiet >/dev/null 2>&1 || true
  "$compose" -p "$compose_project" -f "$tmp/compose.yaml" down >/dev/null 2>&1 || true
  docker rmi -f "$image" >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT

say "building berth and the test image"
go build -o "$tmp/berth" ./cmd/berth
mkdir -p "$tmp/ctx"
CGO_ENABLED=0 GOOS=linux go build -trimpath -ldflags="-s -w" -o "$tmp/ctx/app" ./testdata/e2e/app
printf 'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n' >"$tmp/ctx/Dockerfile"
docker build -q -t "$image" "$tmp/ctx" >/dev/null

cat >"$tmp/compose.yaml" <<EOF
services:
  a:
    image: $image
    command: ["kv"]
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"]
      interval: 1s
      retries: 30
  b:
    image: $image
    command: ["web"]
    environment:
      KV_ADDR: a:6379
    depends_on:
      a:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/health"]
      interval: 1s
      retries: 30
  c:
    image: $image
    command: ["proxy"]
    environment:
      UPSTREAM: http://b:8000
    depends_on:
      b:
        condition: service_healthy
    healthcheck:
      test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:80"]
      interval: 1s
      retries: 30
EOF

now() { date +%s.%N; }
ms() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%d\n", (b - a) * 1000 }'; }
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

# floor: for each container of the project, start to the end of its first
# successful probe, summed.
floor() {
  local total=0 id started ok
  for id in $(docker ps -q --filter "label=com.docker.compose.project=$1"); do
    started=$(docker inspect --format '{{.State.StartedAt}}' "$id")
    ok=$(docker inspect --format '{{range .State.Health.Log}}{{if eq .ExitCode 0}}{{.End.Format "2006-01-02T15:04:05.999999999Z07:00"}}{{"\n"}}{{end}}{{end}}' "$id" | head -1)
    [[ -n $ok ]] || { say "no successful probe in the log of $id"; return 1; }
    total=$((total + $(ms "$(date -d "$started" +%s.%N)" "$(date -d "$ok" +%s.%N)")))
  done
  echo "$total"
}

: >"$tmp/berth.ms"
: >"$tmp/compose.ms"
: >"$tmp/floor.ms"
say "$rounds rounds; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$rounds"); do
  t0=$(now)
  "$tmp/berth" -p "$berth_project" -f "$tmp/compose.yaml" apply --progress quiet --wait-timeout 60 >/dev/null
  t1=$(now)
  ms "$t0" "$t1" >>"$tmp/berth.ms"
  floor "$berth_project" >>"$tmp/floor.ms"
  "$tmp/berth" -p "$berth_project" down --progress quiet >/dev/null

  t0=$(now)
  "$compose" -p "$compose_project" -f "$tmp/compose.yaml" up -d --wait --wait-timeout 60 >/dev/null 2>&1
  t1=$(now)
  ms "$t0" "$t1" >>"$tmp/compose.ms"
  "$compose" -p "$compose_project" -f "$tmp/compose.yaml" down >/dev/null 2>&1
  say "round $i: berth $(tail -1 "$tmp/berth.ms") ms, compose $(tail -1 "$tmp/compose.ms") ms, floor $(tail -1 "$tmp/floor.ms") ms"
done
say "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

b=$(median <"$tmp/berth.ms")
c=$(median <"$tmp/compose.ms")
f=$(median <"$tmp/floor.ms")
ratio=$(awk -v b="$b" -v c="$c" 'BEGIN { printf "%.2f", b / c }')
verdict=$(awk -v r="$ratio" 'BEGIN { print (r <= 0.75) ? "met" : "not met" }')
echo "| apply from nothing to healthy, 3-service chain, 1 s healthchecks | berth ${b} ms | Docker Compose v5.5.1 \`up -d --wait\` ${c} ms | ${ratio}× | ≤ 0.75× | ${verdict} | floor ${f} ms |"
echo
echo "$(nproc) CPUs, $(uname -sr), Docker $(docker version --format '{{.Server.Version}}'); medians of $rounds alternating rounds"
