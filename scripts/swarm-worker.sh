#!/usr/bin/env bash
# A second Docker engine on this machine, for the two-node Swarm test
# (apply/swarm/multinode): a dockerd in a network namespace of its own,
# reached from the host over a veth pair, with its own data-root, exec-root,
# socket, containerd namespaces and hostname, and no bridge or iptables
# rules of its own. The test joins it to the host engine's swarm as a
# worker. Beside it, a registry (the distribution registry, as
# BERTH_TEST_REGISTRY gives it) serves one storage folder on 127.0.0.1 both
# in the host's namespace and in the worker's, so that both engines pull
# the same image name from a loopback registry, which Docker trusts without
# TLS. The registry asks for a login (user berth, password
# berth-swarm-test), so that a worker can pull only with the credentials
# berth sends with a service (apply --with-registry-auth).
#
#   scripts/swarm-worker.sh start DIR   # prints nothing; writes DIR/env
#   scripts/swarm-worker.sh stop DIR    # undoes all of start, idempotent
#
# DIR/env sets BERTH_TEST_SWARM_WORKER (the worker's DOCKER_HOST),
# BERTH_TEST_SWARM_MANAGER_ADDR (the host's end of the veth, which the
# swarm must advertise), BERTH_TEST_SWARM_REGISTRY (host:port) and
# BERTH_TEST_SWARM_REGISTRY_AUTH (user:password).
#
# Needs root, iproute2, nsenter and unshare (util-linux), dockerd.
# nsenter --net, not `ip netns exec`: the latter remounts /sys in a mount
# namespace of its own, which hides the cgroup mounts dockerd needs.
set -euo pipefail
cmd=${1:?usage: swarm-worker.sh start|stop DIR}
dir=${2:?usage: swarm-worker.sh start|stop DIR}
ns=berth-worker
host_if=berthw0
worker_if=berthw1
# 198.18.0.0/15 is set aside for network tests (RFC 2544): neither Docker's
# bridge pools nor Swarm's overlay pool hand it out.
manager_addr=198.18.231.1
worker_addr=198.18.231.2
registry_port=5055

say() { echo "swarm-worker: $*" >&2; }

stop() {
  for f in registry-host registry-worker dockerd; do
    if [ -f "$dir/$f.pid" ]; then
      pid=$(cat "$dir/$f.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$dir/$f.pid"
    fi
  done
  # What the worker's engine left mounted (container layers, network
  # namespaces) goes before its folder does.
  if [ -d "$dir" ]; then
    { grep -F " $dir/" /proc/mounts || true; } | cut -d' ' -f2 | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  if ip netns list 2>/dev/null | grep -qw "^$ns"; then ip netns delete "$ns"; fi
  if ip link show "$host_if" >/dev/null 2>&1; then ip link delete "$host_if"; fi
  rm -rf "$dir"
}

start() {
  [ "$(id -u)" = 0 ] || { say "needs root"; exit 1; }
  registry=${BERTH_TEST_REGISTRY:?BERTH_TEST_REGISTRY must name the distribution registry binary}
  if ip link show "$host_if" >/dev/null 2>&1 || ip netns list | grep -qw "^$ns"; then
    say "$ns or $host_if exists already (an earlier run not stopped?): run 'scripts/swarm-worker.sh stop DIR' first"
    exit 1
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)

  ip netns add "$ns"
  ip link add "$host_if" type veth peer name "$worker_if"
  ip link set "$worker_if" netns "$ns"
  ip addr add "$manager_addr/24" dev "$host_if"
  ip link set "$host_if" up
  ip -n "$ns" addr add "$worker_addr/24" dev "$worker_if"
  ip -n "$ns" link set "$worker_if" up
  ip -n "$ns" link set lo up

  echo '{}' >"$dir/daemon.json" # whatever /etc/docker/daemon.json says is the host engine's
  nsenter --net="/var/run/netns/$ns" unshare --uts sh -c 'hostname berth-worker && exec "$@"' sh \
    dockerd --config-file "$dir/daemon.json" \
    --data-root "$dir/data" --exec-root "$dir/exec" --pidfile "$dir/dockerd.pid" \
    -H "unix://$dir/docker.sock" \
    --containerd-namespace berth-worker --containerd-plugins-namespace berth-worker-plugins \
    --bridge none --iptables=false --ip-masq=false \
    >"$dir/dockerd.log" 2>&1 &
  for _ in $(seq 1 120); do
    DOCKER_HOST="unix://$dir/docker.sock" docker info >/dev/null 2>&1 && break
    sleep 0.5
  done
  if ! DOCKER_HOST="unix://$dir/docker.sock" docker info >/dev/null 2>&1; then
    say "the worker's dockerd did not start:"; tail -30 "$dir/dockerd.log" >&2; exit 1
  fi

  mkdir -p "$dir/registry"
  # bcrypt of the test password (cost 4): the registry reads htpasswd files.
  echo 'berth:$2a$04$7TLk4t3MGp7CePGx.DJ4JeLlrJI5fEIgCzMHj0GLPWX4bFeU.3Vci' >"$dir/htpasswd"
  cat >"$dir/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $dir/registry
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$registry_port
auth:
  htpasswd:
    realm: berth-test
    path: $dir/htpasswd
EOF
  "$registry" serve "$dir/registry.yml" >"$dir/registry-host.log" 2>&1 &
  echo $! >"$dir/registry-host.pid"
  nsenter --net="/var/run/netns/$ns" "$registry" serve "$dir/registry.yml" >"$dir/registry-worker.log" 2>&1 &
  echo $! >"$dir/registry-worker.pid"
  for _ in $(seq 1 100); do
    if curl -fsS -u berth:berth-swarm-test "http://127.0.0.1:$registry_port/v2/" >/dev/null 2>&1 &&
       nsenter --net="/var/run/netns/$ns" curl -fsS -u berth:berth-swarm-test "http://127.0.0.1:$registry_port/v2/" >/dev/null 2>&1; then
      break
    fi
    sleep 0.1
  done
  nsenter --net="/var/run/netns/$ns" curl -fsS -u berth:berth-swarm-test "http://127.0.0.1:$registry_port/v2/" >/dev/null ||
    { say "the registry did not start:"; cat "$dir"/registry-*.log >&2; exit 1; }

  cat >"$dir/env" <<EOF
BERTH_TEST_SWARM_WORKER=unix://$dir/docker.sock
BERTH_TEST_SWARM_MANAGER_ADDR=$manager_addr
BERTH_TEST_SWARM_REGISTRY=127.0.0.1:$registry_port
BERTH_TEST_SWARM_REGISTRY_AUTH=berth:berth-swarm-test
EOF
}

case $cmd in
start) start ;;
stop) stop ;;
*) say "unknown command $cmd (start or stop)"; exit 2 ;;
esac
