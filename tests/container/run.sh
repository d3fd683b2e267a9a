#!/usr/bin/env bash
# respite's container image for real, with podman: builds deploy/Dockerfile (around the respite
# binary already built, so no second compile) and deploy/redis.Dockerfile, runs both in one pod
# (the app's view: respite on localhost:6380, Redis on localhost:6379) with respite's data dir on a
# named volume, and checks:
#   - the image: under 100 MB, no shell, its process runs as uid 10001, its HEALTHCHECK (respite
#     probe) passes, /readyz answers;
#   - writes forwarded while Redis is up; Redis' container SIGKILLed: writes keep being served
#     (locally) and acknowledged; Redis started again: every acknowledged write is in Redis;
#   - the journal outlives the respite container: Redis killed again, writes served locally,
#     respite's container stopped (SIGTERM: it exits 0 within the grace period) and started again
#     on the same volume: the journal is still there;
#   - SIGTERM with entries pending while Redis answers again (respite has not noticed: health
#     checks a minute apart) replays them before respite exits: all in Redis after `podman stop`;
#   - deploy/compose.yaml as written (podman-compose, the images above tagged as it names them):
#     its app counts through respite, keeps counting while Redis' container is killed, and Redis
#     has every count after it is back;
#   - deploy/kubernetes/*.yaml under `podman kube play` (tests/container/kube_checks.sh).
#   usage: tests/container/run.sh
# Environment: RESPITE_BIN (default <repo>/build/respite), CONTAINER_OUT (logs; default a temp
# dir, removed on success). Needs root or passwordless sudo: it installs podman, runc and
# debootstrap from Debian when missing and makes a debian:bookworm-slim base image with debootstrap
# when there is none (nothing is pulled from a registry). podman runs with
# tests/container/containers.conf (runc, cgroupfs, no default ulimits: what a CI sandbox allows).
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
RESPITE_BIN=${RESPITE_BIN:-$REPO/build/respite}
OUT=${CONTAINER_OUT:-$(mktemp -d /tmp/respite-container.XXXXXX)}
mkdir -p "$OUT"
export CONTAINERS_CONF=$HERE/containers.conf
TAG=respite-test-$$
POD=$TAG
VOLUME=$TAG-data

log() { echo "container: $*" >&2; }
fail() {
  log "FAIL: $*"
  local c
  for c in "$POD-respite" "${TAG}_respite_1" "${TAG}_app_1"; do
    if as_root podman container exists "$c" 2>/dev/null; then
      as_root podman logs "$c" >"$OUT/$c.log" 2>&1
    fi
  done
  log "logs in $OUT"
  exit 1
}
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }
pm() { as_root podman "$@"; }

cleanup() {
  kube_cleanup
  pm pod rm -f "$POD" >/dev/null 2>&1
  pm volume rm -f "$VOLUME" >/dev/null 2>&1
  as_root env RESPITE_PASSWORD=x podman-compose -p "$TAG" -f "$REPO/deploy/compose.yaml" down -v \
    >/dev/null 2>&1
  pm network rm -f "${TAG}_default" >/dev/null 2>&1  # podman-compose down leaves it
  # Anonymous volumes (the Redis image's /data) outlive a pod or compose project removed with -f.
  local v
  for v in $(pm volume ls -q 2>/dev/null); do
    grep -qx "$v" <<<"$VOLUMES_BEFORE" || pm volume rm -f "$v" >/dev/null 2>&1
  done
  pm rmi -f "localhost/respite:$TAG" "localhost/respite-redis:$TAG" >/dev/null 2>&1
}
VOLUMES_BEFORE=$(pm volume ls -q 2>/dev/null)
# shellcheck source=tests/container/kube_checks.sh
source "$HERE/kube_checks.sh"
trap cleanup EXIT

[[ -x $RESPITE_BIN ]] || fail "no respite binary at $RESPITE_BIN (tools/build.sh)"

# ---- podman and a base image, from Debian's archive only
export DEBIAN_FRONTEND=noninteractive
need=()
for p in podman runc debootstrap podman-compose; do command -v "$p" >/dev/null || need+=("$p"); done
# netavark sets up the build's and the pod's bridge networks with iptables, which a minimal
# machine may lack (podman then fails every RUN step with "netavark: No such file or directory").
command -v iptables >/dev/null || need+=(iptables)
# kube_for_podman.py reads the manifests with Debian's python3 and its YAML module (a python3
# earlier in PATH, such as pyenv's, may lack it).
/usr/bin/python3 -c 'import yaml' 2>/dev/null || need+=(python3-yaml)
if ((${#need[@]})); then
  log "installing ${need[*]}"
  # With podman's recommends: catatonit (a pod's infra container), netavark, aardvark-dns.
  as_root apt-get update -qq </dev/null && as_root apt-get install -y -qq "${need[@]}" catatonit \
    netavark aardvark-dns </dev/null >/dev/null || fail "apt-get install ${need[*]}"
fi
if ! pm image exists debian:bookworm-slim; then
  log "making debian:bookworm-slim with debootstrap"
  mirror=$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  [[ -n $mirror ]] || mirror=$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null)
  [[ -n $mirror ]] || mirror=http://deb.debian.org/debian
  root=$(mktemp -d)
  as_root debootstrap --variant=minbase bookworm "$root" "$mirror" >"$OUT/debootstrap.log" 2>&1 ||
    fail "debootstrap (see $OUT/debootstrap.log)"
  as_root rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  as_root cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/" 2>/dev/null ||
    echo "deb $mirror bookworm main" | as_root tee "$root/etc/apt/sources.list" >/dev/null
  as_root tar -C "$root" -c . | pm import --change 'CMD ["/bin/bash"]' - debian:bookworm-slim \
    >>"$OUT/debootstrap.log" 2>&1 || fail "podman import"
  as_root rm -rf "$root"
fi

# ---- the images: respite around the binary built here, Redis from Debian's package
ctx=$(mktemp -d)
strip -o "$ctx/respite" "$RESPITE_BIN" || fail "strip $RESPITE_BIN"
start=$(date +%s)
pm build --format docker -f "$REPO/deploy/Dockerfile" --build-arg RESPITE_BINARY=prebuilt \
  -t "localhost/respite:$TAG" "$ctx" >"$OUT/build-respite.log" 2>&1 ||
  fail "building deploy/Dockerfile (see $OUT/build-respite.log)"
rm -rf "$ctx"
pm build --format docker -f "$REPO/deploy/redis.Dockerfile" -t "localhost/respite-redis:$TAG" \
  "$REPO/deploy" >"$OUT/build-redis.log" 2>&1 ||
  fail "building deploy/redis.Dockerfile (see $OUT/build-redis.log)"
log "images built in $(($(date +%s) - start)) s"
size=$(pm image inspect --format '{{.Size}}' "localhost/respite:$TAG")
log "respite image: $((size / 1000000)) MB"
((size < 100000000)) || fail "the image is $size bytes, over 100 MB"
[[ -z $(pm image inspect --format '{{.Config.Healthcheck}}' "localhost/respite:$TAG" |
  grep -v '<nil>') ]] && fail "the image has no HEALTHCHECK"

# ---- the pod: respite and Redis share localhost; the host reaches them on free ports
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P_RESPITE=$(free_port)
P_ADMIN=$(free_port)
P_REDIS=$(free_port)
pm pod create --name "$POD" -p "127.0.0.1:$P_RESPITE:6380" -p "127.0.0.1:$P_ADMIN:9121" \
  -p "127.0.0.1:$P_REDIS:6379" >/dev/null || fail "podman pod create"
pm volume create "$VOLUME" >/dev/null || fail "podman volume create"
# appendfsync always: what Redis acknowledged survives its SIGKILL, so the checks below see
# respite's doing, not Redis' own losses.
pm run -d --pod "$POD" --name "$POD-redis" "localhost/respite-redis:$TAG" --appendonly yes \
  --appendfsync always >/dev/null || fail "starting Redis"
# The host reaches the pod through podman's port forwarding, not from loopback: respite's
# protected mode serves it only with a password (checked below without one).
PASSWORD=pw-$TAG
start_respite() {  # start_respite [HEALTH_INTERVAL_MS [PASSWORD]]
  pm run -d --pod "$POD" --name "$POD-respite" -v "$VOLUME:/var/lib/respite/data" \
    -e RESPITE_UPSTREAM=redis://127.0.0.1:6379 -e "RESPITE_HEALTH_INTERVAL_MS=${1:-100}" \
    -e "RESPITE_REQUIREPASS=${2-$PASSWORD}" \
    --health-interval disable "localhost/respite:$TAG" >/dev/null 2>>"$OUT/podman.log"
}
R() { REDISCLI_AUTH=$PASSWORD redis-cli -p "$P_RESPITE" "$@" 2>&1; }  # through respite
U() { redis-cli -p "$P_REDIS" "$@" 2>&1; }            # Redis itself
status() { curl -s --max-time 2 "http://127.0.0.1:$P_ADMIN/status"; }
state() { status | python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])' 2>/dev/null; }
journal() { status | python3 -c 'import json,sys; print(json.load(sys.stdin)["journal"]["entries"])' 2>/dev/null; }
wait_for() {  # wait_for SECONDS what command...
  local secs=$1 what=$2
  local until=$(($(date +%s) + secs))
  shift 2
  while ! "$@" >/dev/null 2>&1; do
    (($(date +%s) < until)) || fail "waited ${secs}s for: $what"
    sleep 0.2
  done
}
in_state() { [[ $(state) == "$1" ]]; }

# ---- the image's defaults: protected mode (no password) refuses a client from outside the pod
start_respite 100 "" || fail "starting respite without a password"
wait_for 30 "respite up" bash -c "curl -sf http://127.0.0.1:$P_ADMIN/healthz"
denied=$(redis-cli -p "$P_RESPITE" ping 2>&1)
[[ $denied == *"DENIED respite is running in protected mode"* ]] ||
  fail "no password, a client from outside the pod: $denied"
pm rm -f "$POD-respite" >/dev/null
start_respite || fail "starting respite"
wait_for 30 "respite forwarding" in_state forward
wait_for 10 "Redis answering" bash -c "[[ \$(redis-cli -p $P_REDIS ping 2>&1) == PONG ]]"

# ---- the image's own checks (the HEALTHCHECK is run by hand: no systemd timers here)
pid=$(pm inspect --format '{{.State.Pid}}' "$POD-respite")
uid=$(awk '/^Uid:/{print $2}' "/proc/$pid/status" 2>/dev/null || as_root awk '/^Uid:/{print $2}' "/proc/$pid/status")
[[ $uid == 10001 ]] || fail "respite runs as uid $uid, not 10001"
pm exec "$POD-respite" /bin/sh -c true >/dev/null 2>&1 && fail "the image has a shell"
pm healthcheck run "$POD-respite" >/dev/null || fail "the HEALTHCHECK (respite probe live) failed"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$P_ADMIN/readyz") == 200 ]] ||
  fail "/readyz is not 200"

# ---- writes: forwarded, then served locally through an outage, then all in Redis
acked=()
write() {  # write KEY VALUE: records the key when respite acknowledged it
  local r
  r=$(R set "$1" "$2")
  [[ $r == OK ]] && acked+=("$1=$2")
  [[ $r == OK ]]
}
for i in $(seq 1 50); do write "fwd:$i" "v$i" || fail "forwarded SET fwd:$i: $(R set fwd:$i v$i)"; done
[[ $(U get fwd:50) == v50 ]] || fail "fwd:50 did not reach Redis"

pm kill --signal KILL "$POD-redis" >/dev/null || fail "SIGKILL Redis"
wait_for 10 "respite serving locally" in_state local
for i in $(seq 1 200); do write "out:$i" "v$i" || fail "SET out:$i during the outage: $(R set out:$i v$i)"; done
[[ $(R get out:200) == v200 ]] || fail "a read during the outage: $(R get out:200)"
log "outage: 200 writes acknowledged locally, journal $(journal)"

pm start "$POD-redis" >/dev/null || fail "starting Redis again"
wait_for 30 "respite back to forwarding after the replay" in_state forward
check_all() {
  local kv k v missing=0
  for kv in "${acked[@]}"; do
    k=${kv%%=*}
    v=${kv#*=}
    [[ $(U get "$k") == "$v" ]] || { missing=$((missing + 1)); log "not in Redis: $k"; }
  done
  ((missing == 0)) || fail "$missing of ${#acked[@]} acknowledged writes missing upstream"
}
check_all
log "replayed: all ${#acked[@]} acknowledged writes are in Redis"

# ---- the journal outlives the respite container (same volume)
pm kill --signal KILL "$POD-redis" >/dev/null || fail "SIGKILL Redis (2)"
wait_for 10 "respite serving locally (2)" in_state local
for i in $(seq 1 100); do write "vol:$i" "v$i" || fail "SET vol:$i: $(R set vol:$i v$i)"; done
pending=$(journal)
((pending >= 100)) || fail "journal holds $pending entries after 100 local writes"
start=$(date +%s%N)
pm stop -t 15 "$POD-respite" >/dev/null 2>>"$OUT/podman.log" || fail "podman stop respite"
took_ms=$((($(date +%s%N) - start) / 1000000))
code=$(pm inspect --format '{{.State.ExitCode}}' "$POD-respite")
[[ $code == 0 ]] || fail "respite exited $code on SIGTERM"
((took_ms < 15000)) || fail "respite took $took_ms ms to stop (grace 15 s)"
log "SIGTERM: exit 0 in $took_ms ms with $pending entries pending (upstream down)"
pm logs "$POD-respite" >"$OUT/respite-first.log" 2>&1
grep -q "shutdown: $pending journal entries (.*) left in /var/lib/respite/data" "$OUT/respite-first.log" ||
  fail "SIGTERM did not log what it left (see $OUT/respite-first.log)"
pm rm "$POD-respite" >/dev/null 2>>"$OUT/podman.log" || fail "podman rm respite"
start=$(date +%s%N)
start_respite 60000 || fail "starting respite again on the volume"
wait_for 15 "respite up again" bash -c "curl -sf http://127.0.0.1:$P_ADMIN/healthz"
log "start-up: podman run to /healthz answering in $((($(date +%s%N) - start) / 1000000)) ms"
wait_for 10 "respite serving locally (3)" in_state local
again=$(journal)
[[ $again == "$pending" ]] || fail "journal after the restart: $again entries, before it: $pending"
[[ $(R get vol:100) == v100 ]] || fail "vol:100 not served after the restart: $(R get vol:100)"
pm start "$POD-redis" >/dev/null || fail "starting Redis again (2)"
wait_for 10 "Redis answering again" bash -c "[[ \$(redis-cli -p $P_REDIS ping 2>&1) == PONG ]]"
pm stop -t 15 "$POD-respite" >/dev/null 2>>"$OUT/podman.log" || fail "podman stop respite (2)"
code=$(pm inspect --format '{{.State.ExitCode}}' "$POD-respite")
[[ $code == 0 ]] || fail "respite exited $code on the second SIGTERM"
pm logs "$POD-respite" >"$OUT/respite-second.log" 2>&1
grep -q "shutdown: replayed all $pending journal entries upstream" "$OUT/respite-second.log" ||
  fail "no shutdown drain of the $pending entries (see $OUT/respite-second.log)"
check_all
# ---- deploy/compose.yaml as written, on the images built above
pm pod rm -f "$POD" >/dev/null 2>&1
pm tag "localhost/respite:$TAG" localhost/respite:latest || fail "podman tag"
pm tag "localhost/respite-redis:$TAG" localhost/respite-redis:latest || fail "podman tag"
compose() {
  as_root env RESPITE_PASSWORD="$PASSWORD" podman-compose -p "$TAG" -f "$REPO/deploy/compose.yaml" "$@"
}
compose up -d >"$OUT/compose-up.log" 2>&1 || fail "podman-compose up (see $OUT/compose-up.log)"
c_redis() { pm exec "${TAG}_redis_1" redis-cli "$@" 2>&1; }
c_respite() { pm exec -e "REDISCLI_AUTH=$PASSWORD" "${TAG}_app_1" redis-cli -h respite -p 6380 "$@" 2>&1; }
at_least() { local n; n=$("$@" 2>/dev/null | tail -1); [[ $n =~ ^[0-9]+$ ]] && ((n >= MIN)); }
MIN=3 wait_for 60 "the compose app counting in Redis" at_least c_redis get hits
before=$(c_redis get hits)
pm kill --signal KILL "${TAG}_redis_1" >/dev/null || fail "SIGKILL compose Redis"
# Each INCR served while Redis is down is journaled (respite's local copy starts empty with
# fallback.warm none, so the count itself is Redis' only).
# 90 s: after a container of the network dies, the app's lookups of "respite" through podman's
# DNS (aardvark) were seen to stall for seconds each, so its INCRs come slowly for a while.
MIN=3 wait_for 90 "the compose app's INCRs journaled" at_least c_respite RESPITE JOURNAL LEN
during=$(c_respite RESPITE JOURNAL LEN)
pm start "${TAG}_redis_1" >/dev/null || fail "starting compose Redis again"
MIN=$((before + during)) wait_for 60 "the outage's counts in Redis" at_least c_redis get hits
log "compose: hits $before before the outage, $during INCRs journaled through it, Redis has $(c_redis get hits) after"
compose down -v >"$OUT/compose-down.log" 2>&1 || fail "podman-compose down"
pm rmi localhost/respite:latest localhost/respite-redis:latest >/dev/null 2>&1

# ---- deploy/kubernetes/ under podman kube play
kube_checks

log "PASS: image $((size / 1000000)) MB, ${#acked[@]} acknowledged writes all in Redis, the journal ($pending entries) survived a container restart and drained on SIGTERM; compose ran as written; the Kubernetes manifests ran under podman kube play"
rm -rf "$OUT"
