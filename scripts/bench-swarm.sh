#!/usr/bin/env bash
# berth apply --swarm against docker stack deploy, from nothing to every
# task running (healthy: Swarm counts a task with a healthcheck as running
# only once healthy), on a single-node swarm on this machine: berth waits by
# itself; docker stack deploy returns at once, so it is followed by polling
# docker stack services until every service shows N/N. The two take turns,
# run after run, and each run ends with the stack removed and its tasks gone.
# Prints the medians and their ratio (goal: at most 1.0x), for the project
# without depends_on, with it (service_started: berth creates each service
# once its dependency's tasks have started) and with service_healthy (berth
# waits for each dependency to be healthy; docker stack deploy ignores
# depends_on, so that row is the price of the order, not overhead).
#
#   scripts/bench-swarm.sh            # BENCH_RUNS=5 by default
#
# A swarm is initialised (on 127.0.0.1) only if the engine is in none, and
# left again at the end, with the docker_gwbridge network it made; the test
# image is built FROM scratch with testdata/e2e/app and removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-5}
image=berth-swarm-bench:latest
work=$(mktemp -d)
initialised=
gwbridge_made=

cleanup() {
  docker stack rm berthbenchsw >/dev/null 2>&1 || true
  while [ -n "$(docker ps -aq --filter label=com.docker.stack.namespace=berthbenchsw 2>/dev/null)" ]; do sleep 0.3; done
  docker image rm -f "$image" >/dev/null 2>&1 || true
  if [ -n "$initialised" ]; then
    docker swarm leave --force >/dev/null
    if [ -n "$gwbridge_made" ]; then docker network rm docker_gwbridge >/dev/null 2>&1 || true; fi
  fi
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = inactive ]; then
  docker network inspect docker_gwbridge >/dev/null 2>&1 || gwbridge_made=1
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  initialised=1
fi

CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$work/app" ./testdata/e2e/app
printf 'FROM scratch\nCOPY app /app\nENTRYPOINT ["/app"]\n' >"$work/Dockerfile"
docker build -q -t "$image" "$work" >/dev/null
CGO_ENABLED=0 go build -o "$work/berth" ./cmd/berth

mkdir "$work/stack"
cat >"$work/stack/compose.yaml" <<YAML
services:
  kv:
    image: $image
    command: [kv]
    healthcheck: {test: ["CMD", "/app", "probe", "tcp", "127.0.0.1:6379"], interval: 1s}
    deploy: {endpoint_mode: dnsrr}
  web:
    image: $image
    command: [web]
    environment: {KV_ADDR: "kv:6379"}
    depends_on: [kv]
    healthcheck: {test: ["CMD", "/app", "probe", "http://127.0.0.1:8000/health"], interval: 1s}
    deploy: {replicas: 3, endpoint_mode: dnsrr}
  proxy:
    image: $image
    command: [proxy]
    environment: {UPSTREAM: "http://web:8000"}
    depends_on: [web]
    deploy: {endpoint_mode: dnsrr}
YAML

sed '/depends_on/d' "$work/stack/compose.yaml" >"$work/stack/nodeps.yaml"
sed 's/depends_on: \[\(.*\)\]/depends_on: {\1: {condition: service_healthy}}/' "$work/stack/compose.yaml" >"$work/stack/healthy.yaml"

gone() {
  while [ -n "$(docker ps -aq --filter label=com.docker.stack.namespace=berthbenchsw)" ] ||
        [ -n "$(docker network ls -q --filter label=com.docker.stack.namespace=berthbenchsw)" ]; do sleep 0.2; done
}
now() { date +%s.%N; }

run_berth() {
  local t0 t1
  t0=$(now)
  (cd "$work/stack" && "$work/berth" -f "$1" -p berthbenchsw apply --swarm --progress quiet)
  t1=$(now)
  (cd "$work/stack" && "$work/berth" -f "$1" -p berthbenchsw down --swarm --progress quiet)
  gone
  echo "$t1 - $t0" | bc
}

run_stack() {
  local t0 t1
  t0=$(now)
  docker stack deploy --detach=true --resolve-image never -c "$work/stack/$1" berthbenchsw >/dev/null
  until out=$(docker stack services --format '{{.Replicas}}' berthbenchsw) &&
        [ "$(echo "$out" | wc -l)" -eq 3 ] && ! echo "$out" | awk -F/ '$1!=$2{bad=1} END{exit !bad}'; do
    sleep 0.2
  done
  t1=$(now)
  docker stack rm berthbenchsw >/dev/null
  gone
  echo "$t1 - $t0" | bc
}

median() { sort -n | awk '{a[NR]=$1} END{print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

echo "| from nothing to all tasks healthy (3 services, 5 tasks, $runs runs, medians) | berth apply --swarm | docker stack deploy + polling | ratio |"
echo "| --- | --- | --- | --- |"
for file in nodeps.yaml compose.yaml; do
  : >"$work/berth.txt"; : >"$work/stack.txt"
  for _ in $(seq "$runs"); do
    run_berth "$file" >>"$work/berth.txt"
    run_stack "$file" >>"$work/stack.txt"
  done
  b=$(median <"$work/berth.txt"); s=$(median <"$work/stack.txt")
  label="without depends_on"; [ "$file" = compose.yaml ] && label="depends_on: [kv] (service_started)"
  printf '| %s | %.2f s | %.2f s | %.2fx |\n' "$label" "$b" "$s" "$(echo "$b / $s" | bc -l)"
done
# docker stack deploy refuses depends_on's long syntax (its schema is the
# version 3 file format's), so berth runs this one alone.
: >"$work/berth.txt"
for _ in $(seq "$runs"); do run_berth healthy.yaml >>"$work/berth.txt"; done
printf '| depends_on with condition: service_healthy | %.2f s | refused (%s) | |\n' "$(median <"$work/berth.txt")" \
  "$(docker stack deploy --detach=true -c "$work/stack/healthy.yaml" berthbenchsw 2>&1 | tail -1)"
echo "machine: $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg), Docker $(docker version --format '{{.Server.Version}}')"
