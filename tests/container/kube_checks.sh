# shellcheck shell=bash
# Sourced by tests/container/run.sh once the images are built: deploy/kubernetes/*.yaml under
# `podman kube play`, each on a podman network with a Redis container, the manifests' `my-app`
# played by an app that counts hits through respite once a second. kube_for_podman.py checks each
# manifest the way Kubernetes reads it and writes the copy podman runs (it says what differs).
#   - every form: respite's startup, liveness and readiness probes answer on the pod IP as the
#     kubelet asks them; respite runs as uid 10001 on a read-only root; the app's hits reach
#     Redis through respite; `podman pod stop` with the grace period ends respite with exit 0;
#   - persistent.yaml: Redis killed, the app's INCRs are journaled (readiness stays 200: respite
#     serves), the pod is stopped and deleted (respite logs what it leaves on the claim), a new
#     pod on the same claim finds the journal, and once Redis is back every journaled INCR is in it.
# Uses run.sh's helpers (pm, fail, log, wait_for, free_port), $TAG and $OUT.

KUBE_NET=$TAG-kube
KUBE_PREFIX=$TAG-
KUBE_REDIS=$TAG-kube-redis
KUBE_APP_IMAGE=localhost/respite-app:$TAG

kube_cleanup() {
  local f
  for f in "$OUT"/kube-*.yaml; do [[ -e $f ]] && pm kube down "$f" >/dev/null 2>&1; done
  pm rm -f -v "$KUBE_REDIS" >/dev/null 2>&1
  for f in $(pm volume ls -q | grep "^$KUBE_PREFIX"); do pm volume rm -f "$f" >/dev/null 2>&1; done
  pm secret rm "${KUBE_PREFIX}redis" "${KUBE_PREFIX}respite" >/dev/null 2>&1
  pm network rm -f "$KUBE_NET" >/dev/null 2>&1
  pm rmi -f "$KUBE_APP_IMAGE" >/dev/null 2>&1
}

# podman 4.3 reads a secretKeyRef from a podman secret holding a JSON map of base64 values.
kube_secret() {  # kube_secret NAME KEY VALUE
  printf '{"%s":"%s"}' "$2" "$(printf '%s' "$3" | base64 -w0)" |
    pm secret create "$KUBE_PREFIX$1" - >/dev/null || fail "podman secret create $1"
}

kube_pod() { pm pod ps --format '{{.Name}}' --filter "name=^$KUBE_PREFIX" | head -1; }
kube_ip() {
  local infra
  infra=$(pm pod inspect --format '{{.InfraContainerID}}' "$(kube_pod)") || return 1
  pm inspect --format "{{(index .NetworkSettings.Networks \"$KUBE_NET\").IPAddress}}" "$infra"
}
kube_status() { curl -s --max-time 2 "http://$KUBE_IP:9121/status"; }
kube_field() {  # kube_field PYTHON-EXPRESSION-ON-d
  kube_status | python3 -c "import json,sys; d=json.load(sys.stdin); print($1)" 2>/dev/null
}
kube_hits() { redis-cli -p "$P_KUBE_REDIS" get hits 2>/dev/null | tail -1; }
hits_at_least() { local n; n=$(kube_hits); [[ $n =~ ^[0-9]+$ ]] && ((n >= $1)); }
field_at_least() { local n; n=$(kube_field "$1"); [[ $n =~ ^[0-9]+$ ]] && ((n >= $2)); }
field_is() { [[ $(kube_field "$1") == "$2" ]]; }

kube_play() {  # kube_play FILE: plays it, then waits for every probe of respite to pass
  pm kube play --network "$KUBE_NET" "$1" >>"$OUT/kube-play.log" 2>&1 ||
    fail "podman kube play $1 (see $OUT/kube-play.log)"
  KUBE_POD=$(kube_pod)
  [[ -n $KUBE_POD ]] || fail "podman kube play $1 made no pod"
  KUBE_IP=$(kube_ip) || fail "no IP for $KUBE_POD on $KUBE_NET"
  local kind path port
  while read -r kind path port; do
    [[ $kind == grace ]] && continue
    wait_for 30 "$KUBE_POD: respite's $kind probe (GET $path on :$port)" \
      curl -sf -o /dev/null --max-time 2 "http://$KUBE_IP:$port$path"
  done <"$KUBE_PROBES"
}

kube_stop() {  # kube_stop: stops the pod within its grace period, respite exiting 0
  local grace start took code
  grace=$(awk '$1 == "grace" {print $2}' "$KUBE_PROBES")
  start=$(date +%s%N)
  pm pod stop -t "$grace" "$KUBE_POD" >/dev/null 2>>"$OUT/podman.log" || fail "podman pod stop $KUBE_POD"
  took=$((($(date +%s%N) - start) / 1000000))
  code=$(pm inspect --format '{{.State.ExitCode}}' "$KUBE_POD-respite")
  [[ $code == 0 ]] || fail "$KUBE_POD: respite exited $code on SIGTERM"
  ((took < grace * 1000)) || fail "$KUBE_POD took $took ms to stop (grace $grace s)"
  pm logs "$KUBE_POD-respite" >"$OUT/kube-$KUBE_POD-$start.log" 2>&1
  KUBE_STOP_LOG=$OUT/kube-$KUBE_POD-$start.log
  KUBE_STOP_MS=$took
  pm rm -f -v "$KUBE_POD-app" >/dev/null 2>&1  # and its image's anonymous volume
}

kube_checks() {
  pm network create "$KUBE_NET" >/dev/null || fail "podman network create"
  P_KUBE_REDIS=$(free_port)
  pm run -d --network "$KUBE_NET" --name "$KUBE_REDIS" -p "127.0.0.1:$P_KUBE_REDIS:6379" \
    "localhost/respite-redis:$TAG" --appendonly yes --appendfsync always >/dev/null ||
    fail "starting Redis for the Kubernetes checks"
  kube_secret redis url "redis://$KUBE_REDIS:6379"
  kube_secret respite admin-token "token-$TAG"
  # The manifests' my-app: counts hits through REDIS_URL, and stops on SIGTERM (a shell as PID 1
  # ignores it).
  cat >"$OUT/app.Containerfile" <<EOF
FROM localhost/respite-redis:$TAG
ENTRYPOINT ["/bin/sh", "-c", "trap 'exit 0' TERM; while :; do redis-cli -u \"\$REDIS_URL\" incr hits >/dev/null || echo no reply; sleep 1 & wait \$!; done"]
EOF
  pm build -f "$OUT/app.Containerfile" -t "$KUBE_APP_IMAGE" "$OUT" >"$OUT/build-app.log" 2>&1 ||
    fail "building the app stand-in (see $OUT/build-app.log)"
  wait_for 10 "Redis answering" bash -c "[[ \$(redis-cli -p $P_KUBE_REDIS ping 2>&1) == PONG ]]"

  local name file hits pid uid
  for name in sidecar native-sidecar persistent; do
    file=$OUT/kube-$name.yaml
    KUBE_PROBES=$OUT/kube-$name.probes
    /usr/bin/python3 "$HERE/kube_for_podman.py" "$REPO/deploy/kubernetes/$name.yaml" "$file" "$KUBE_PREFIX" \
      "localhost/respite:$TAG" "$KUBE_APP_IMAGE" >"$KUBE_PROBES" 2>"$OUT/kube-$name.check" ||
      fail "deploy/kubernetes/$name.yaml: $(cat "$OUT/kube-$name.check")"
    kube_play "$file"
    pid=$(pm inspect --format '{{.State.Pid}}' "$KUBE_POD-respite")
    uid=$(awk '/^Uid:/{print $2}' "/proc/$pid/status" 2>/dev/null || as_root awk '/^Uid:/{print $2}' "/proc/$pid/status")
    [[ $uid == 10001 ]] || fail "$name: respite runs as uid $uid, not 10001"
    [[ $(pm inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$KUBE_POD-respite") == true ]] ||
      fail "$name: respite's root file system is writable"
    hits=$(kube_hits)
    wait_for 30 "$name: the app's hits reaching Redis through respite" hits_at_least $((${hits:-0} + 3))
    [[ $name == persistent ]] && kube_outage "$file"
    kube_stop
    pm kube down "$file" >>"$OUT/kube-play.log" 2>&1 || fail "podman kube down $name"
    log "kubernetes $name.yaml: probes answered, uid 10001 on a read-only root, hits through respite, stopped in $KUBE_STOP_MS ms"
  done
}

# persistent.yaml through an outage, the pod deleted and made again on the same claim.
kube_outage() {  # kube_outage FILE
  local file=$1 at_kill left again
  at_kill=$(kube_hits)  # before the kill: an INCR after this read only makes the check looser
  pm kill --signal KILL "$KUBE_REDIS" >/dev/null || fail "SIGKILL Redis (kube)"
  wait_for 15 "persistent: respite serving locally" field_is 'd["state"]' local
  wait_for 30 "persistent: the app's INCRs journaled" field_at_least 'd["journal"]["entries"]' 3
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://$KUBE_IP:9121/readyz") == 200 ]] ||
    fail "persistent: /readyz is not 200 while respite serves locally"
  kube_stop
  left=$(sed -n 's/.*shutdown: \([0-9]*\) journal entries (.*) left in \/var\/lib\/respite\/data.*/\1/p' \
    "$KUBE_STOP_LOG")
  [[ -n $left ]] && ((left >= 3)) || fail "persistent: SIGTERM did not log what it left (see $KUBE_STOP_LOG)"
  pm kube down "$file" >>"$OUT/kube-play.log" 2>&1 || fail "podman kube down persistent"
  pm volume exists "${KUBE_PREFIX}my-app-respite-data" || fail "persistent: the claim's volume is gone"
  # A new pod on the same claim (podman would not create the claim's volume twice).
  kube_play "${file%.yaml}.pod.yaml"
  wait_for 15 "persistent: the new pod serving locally" field_is 'd["state"]' local
  again=$(kube_field 'd["journal"]["entries"]')
  [[ $again =~ ^[0-9]+$ ]] && ((again >= left)) ||
    fail "persistent: the new pod's journal holds ${again:-nothing}, the old one left $left"
  pm start "$KUBE_REDIS" >/dev/null || fail "starting Redis again (kube)"
  wait_for 30 "persistent: respite forwarding after the replay" field_is 'd["state"]' forward
  wait_for 10 "persistent: the journaled INCRs in Redis" hits_at_least $((at_kill + left))
  log "kubernetes persistent.yaml: $left INCRs journaled, the pod deleted, its successor found them on the claim and replayed them (hits $at_kill -> $(kube_hits))"
}
