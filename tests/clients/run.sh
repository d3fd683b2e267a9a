#!/usr/bin/env bash
# Real client libraries through respite across a real outage: redis-py's Lock (Debian's
# python3-redis) and Redlock on ioredis (npm, pinned by package-lock.json) lock, update two
# counters and unlock in a loop for CLIENTS_SECONDS, and a BullMQ queue (npm, its own ioredis)
# adds and processes jobs (Queue, Worker, QueueEvents: Lua scripts, BZPOPMIN, XREAD BLOCK), while
# the Redis behind respite is SIGKILLed at KILL_AT and restarted on the same port and AOF dir at
# RESTART_AT. Passes when the lock clients saw no error and no lost update, and Redis itself ends
# with exactly what they were acknowledged; and when every BullMQ job whose add was acknowledged
# was processed and completed exactly once (jobs were added and completed while respite served
# locally too), and Redis ends with exactly those jobs completed and none waiting (nor failed or
# active beyond what a command with an unknown outcome explains, see check_bullmq).
#   usage: tests/clients/run.sh
# Environment: RESPITE_BIN (default <repo>/build/respite), PYTHON (default /usr/bin/python3,
# where python3-redis installs), NODE (node), CLIENTS_SECONDS (12), KILL_AT (3), RESTART_AT (7),
# CLIENTS_WARM (respite's fallback.warm, replica), CLIENTS_STRICT (1: fail on the TRYAGAIN below
# too), CLIENTS_BULLMQ (0: skip BullMQ), CLIENTS_OUT (logs; default a temp dir, removed on
# success).
# The one error tolerated: README documents that a command in flight when Redis dies gets
# `-TRYAGAIN ... the outcome is unknown`; each client has one connection, so at most one per client.
set -uo pipefail
export LC_ALL=C

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RESPITE_BIN=${RESPITE_BIN:-$HERE/../../build/respite}
PYTHON=${PYTHON:-/usr/bin/python3}
NODE=${NODE:-node}
SECONDS_TOTAL=${CLIENTS_SECONDS:-12}
# BullMQ needs a local copy in Redis' own order: fallback.warm=replica (the default here). With
# writes, concurrent scripts are mirrored in reply order and it fails (README, Limits).
BULLMQ=${CLIENTS_BULLMQ:-1}
KILL_AT=${KILL_AT:-3}
RESTART_AT=${RESTART_AT:-7}
OUT=${CLIENTS_OUT:-$(mktemp -d /tmp/respite-clients.XXXXXX)}
mkdir -p "$OUT"

log() { echo "clients: $*" >&2; }
fail() { log "FAIL: $*"; log "logs in $OUT"; exit 1; }

PIDS=()
cleanup() {  # respite first, so it does not log the Redis going away
  local p
  for p in ${RESPITE_PID:-} "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_ping() {  # port pid what
  for _ in $(seq 100); do
    [[ $(redis-cli -p "$1" ping 2>/dev/null) == PONG ]] && return 0
    kill -0 "$2" 2>/dev/null || fail "$3 exited during startup"
    sleep 0.05
  done
  fail "$3 on port $1 did not answer PING"
}
status() { curl -s "http://127.0.0.1:$ADMIN_PORT/status"; }
field() {  # json-path... : prints the value at that path of /status
  status | "$PYTHON" -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1:]: v=v[k]
print(v)' "$@" 2>/dev/null
}

# ------------------------------------------------------------------ prerequisites
[[ -x "$RESPITE_BIN" ]] || fail "respite binary $RESPITE_BIN missing (build it, or set RESPITE_BIN)"
for c in redis-server redis-cli "$NODE" npm curl timeout; do
  command -v "$c" >/dev/null || fail "$c not found (deploy/install-deps.sh)"
done
"$PYTHON" -c 'import redis' 2>/dev/null || fail "$PYTHON cannot import redis (apt-get install python3-redis)"
# npm ci only when package-lock.json changed since the last install (node_modules is the cache).
if ! cmp -s "$HERE/package-lock.json" "$HERE/node_modules/.respite-installed-lock" 2>/dev/null; then
  log "npm ci"
  (cd "$HERE" && npm ci --ignore-scripts --no-audit --no-fund </dev/null >"$OUT/npm-ci.log" 2>&1) ||
    { cat "$OUT/npm-ci.log" >&2; fail "npm ci"; }
  cp "$HERE/package-lock.json" "$HERE/node_modules/.respite-installed-lock"
fi
log "redis-py $("$PYTHON" -c 'import redis; print(redis.__version__)'), node $("$NODE" --version)," \
  "$("$NODE" -p 'const l=require(process.argv[1]).packages;
    ["redlock", "ioredis", "bullmq", "bullmq/node_modules/ioredis"]
      .map(n=>n+" "+l["node_modules/"+n].version).join(", ")' "$HERE/package-lock.json")"

# ------------------------------------------------------------------ redis and respite
REDIS_PORT=$(free_port)
# appendfsync always: every write a client was told about is on disk before the reply, so
# SIGKILL loses none of them and the final comparison is exact.
start_redis() {
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$OUT/redis" --save '' \
    --appendonly yes --appendfsync always --logfile "$OUT/redis.log" --daemonize no &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  wait_ping "$REDIS_PORT" "$REDIS_PID" redis-server
}
mkdir -p "$OUT/redis"
start_redis

RESPITE_PORT=$(free_port)
ADMIN_PORT=$(free_port)
# Failover within about 0.2 s, failback 0.2 s after Redis answers. fallback.warm=replica: the
# counters and the queue, written before the outage, must be readable locally during it, as Redis
# had them.
RESPITE_HEALTH_INTERVAL_MS=100 RESPITE_HEALTH_TIMEOUT_MS=100 RESPITE_HEALTH_UNHEALTHY_AFTER=2 \
  RESPITE_HEALTH_HEALTHY_AFTER=2 RESPITE_BREAKER_BACKOFF_BASE_MS=50 \
  RESPITE_BREAKER_BACKOFF_MAX_MS=500 RESPITE_FALLBACK_WARM=${CLIENTS_WARM:-replica} \
  "$RESPITE_BIN" --listen "127.0.0.1:$RESPITE_PORT" --admin "127.0.0.1:$ADMIN_PORT" \
  --upstream "redis://127.0.0.1:$REDIS_PORT" --data-dir "$OUT/respite-data" --log-level info \
  >"$OUT/respite.log" 2>&1 &
RESPITE_PID=$!
PIDS+=("$RESPITE_PID")
wait_ping "$RESPITE_PORT" "$RESPITE_PID" respite

# ------------------------------------------------------------------ clients and the outage
at() {  # whole seconds since both clients were running: sleeps until then
  local left=$(($1 * 1000 - ($(date +%s%3N) - start_ms)))
  ((left <= 0)) || sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
}
# A deadline on the clients too: a request respite never answers must fail the run, not hang it.
limit=$((SECONDS_TOTAL + 60))
timeout -k 5 "$limit" "$PYTHON" "$HERE/redis_py_lock_outage.py" "$RESPITE_PORT" "$SECONDS_TOTAL" "clients:py:" \
  >"$OUT/py.json" 2>"$OUT/py.err" &
PY_PID=$!
timeout -k 5 "$limit" "$NODE" "$HERE/redlock_outage.mjs" "$RESPITE_PORT" "$SECONDS_TOTAL" "clients:node:" \
  >"$OUT/node.json" 2>"$OUT/node.err" &
NODE_PID=$!
PIDS+=("$PY_PID" "$NODE_PID")
BULL=clients:bull:outage  # BullMQ's key prefix and queue name
if [[ $BULLMQ == 1 ]]; then
  timeout -k 5 "$limit" "$NODE" "$HERE/bullmq_outage.mjs" "$RESPITE_PORT" "$ADMIN_PORT" \
    "$SECONDS_TOTAL" "${BULL%:*}" >"$OUT/bullmq.json" 2>"$OUT/bullmq.err" &
  BULL_PID=$!
  PIDS+=("$BULL_PID")
fi
# The timeline starts once every client has counted on Redis (start-up takes a while on a busy
# machine): both counters, and one BullMQ job completed when BullMQ runs.
for _ in $(seq 200); do
  (($(redis-cli -p "$REDIS_PORT" get clients:py:incr) + 0 > 0 &&
    $(redis-cli -p "$REDIS_PORT" get clients:node:incr) + 0 > 0 &&
    (BULLMQ == 0 || $(redis-cli -p "$REDIS_PORT" zcard "$BULL:completed") + 0 > 0))) \
    2>/dev/null && break
  sleep 0.05
done
start_ms=$(date +%s%3N)

at "$KILL_AT"
log "t=${KILL_AT}s: SIGKILL redis-server (pid $REDIS_PID)"
{ kill -9 "$REDIS_PID"; wait "$REDIS_PID"; } 2>/dev/null  # quiet: no "Killed" job notice
sleep 0.5
log "respite state after the kill: $(field state)"
at "$RESTART_AT"
log "t=${RESTART_AT}s: restart redis-server on port $REDIS_PORT (same AOF)"
start_redis

wait "$PY_PID"; py_rc=$?
wait "$NODE_PID"; node_rc=$?
bull_rc=0
[[ $BULLMQ == 1 ]] && { wait "$BULL_PID"; bull_rc=$?; }

# Forwarding again with an empty journal, so Redis holds everything the clients were told.
for _ in $(seq 100); do
  [[ $(field state) == forward && $(field journal entries) == 0 ]] && break
  sleep 0.1
done
state=$(field state)
entries=$(field journal entries)

# ------------------------------------------------------------------ verdict
problems=()
kill -0 "$RESPITE_PID" 2>/dev/null || problems+=("respite exited during the run (see its log)")
[[ $state == forward ]] || problems+=("respite did not return to forward (state: $state)")
[[ $entries == 0 ]] || problems+=("journal not drained ($entries entries left)")
grep -q '^PONG$' <(redis-cli -p "$REDIS_PORT" ping) || problems+=("upstream gone at the end")
check_client() {  # name rc json-file prefix
  local name=$1 rc=$2 json=$3 prefix=$4 summary want_rmw want_incr maybe_incr n_unknown
  local got_rmw got_incr lock
  summary=$(tail -1 "$json")
  if [[ -z $summary ]]; then
    problems+=("$name exited $rc with no summary: $(tail -5 "${json%.json}.err")")
    return
  fi
  # The report on stderr; "rmw incrs incrs_unknown unknown_count" on stdout.
  read -r want_rmw want_incr maybe_incr n_unknown < <("$PYTHON" -c 'import json,sys
s = json.loads(sys.argv[1]); err = sys.stderr
print("clients: %s: %d cycles, %d increments, %d errors, %d lost updates, %d outcomes unknown,"
      " %d acquires refused while a lock of unknown state ran out its TTL,"
      " longest gap between cycles %.3f s" % (sys.argv[2], s["cycles"], s["incrs"],
      s["error_count"], s["lost"], len(s["unknown"]), s.get("waited_for_unknown_release", 0),
      s["max_gap_s"]), file=err)
for kind, items in (("error", s["errors"]), ("unknown outcome", s["unknown"])):
    groups = {}  # the same error, repeated: one line with its count and first and last time
    for e in items: groups.setdefault((e["what"], e["error"]), []).append(e["t"])
    for (what, text), ts in groups.items():
        print("    %s %dx t=%s..%ss %s: %s" % (kind, len(ts), ts[0], ts[-1], what, text[:300]),
              file=err)
print(s["rmw"], s["incrs"], s["incrs_unknown"], len(s["unknown"]))' "$summary" "$name")
  ((rc == 0)) || problems+=("$name exited $rc (errors or lost updates above)")
  local most=1
  [[ ${CLIENTS_STRICT:-0} == 1 ]] && most=0
  ((n_unknown <= most)) ||
    problems+=("$name: $n_unknown commands with an unknown outcome (at most $most)")
  got_rmw=$(redis-cli -p "$REDIS_PORT" get "${prefix}rmw")
  got_incr=$(redis-cli -p "$REDIS_PORT" get "${prefix}incr")
  lock=$(redis-cli -p "$REDIS_PORT" exists "${prefix}lock")
  log "$name on Redis: rmw=$got_rmw (last written $want_rmw)," \
    "incr=$got_incr (acknowledged $want_incr, $maybe_incr unknown), lock held: $lock"
  [[ $got_rmw == "$want_rmw" ]] ||
    problems+=("$name: Redis has rmw=$got_rmw, the client last wrote $want_rmw")
  [[ $got_incr =~ ^[0-9]+$ ]] && ((got_incr >= want_incr && got_incr <= want_incr + maybe_incr)) ||
    problems+=("$name: Redis has incr=$got_incr, the client got $want_incr INCRs acknowledged")
  [[ $lock == 0 ]] || problems+=("$name: the lock is still held on Redis after the last release")
}
check_client redis-py-lock "$py_rc" "$OUT/py.json" "clients:py:"
check_client node-redlock "$node_rc" "$OUT/node.json" "clients:node:"
check_bullmq() {  # rc json-file
  local rc=$1 json=$2 summary completed n_unknown got
  summary=$(tail -1 "$json")
  if [[ -z $summary ]]; then
    problems+=("bullmq exited $rc with no summary: $(tail -5 "${json%.json}.err")")
    return
  fi
  # The report on stderr; "jobs_processed adds_local completed_local unknown_count" on stdout.
  read -r completed adds_local completed_local n_unknown worker_unknown failed_unknown < <("$PYTHON" -c 'import json,sys
s = json.loads(sys.argv[1]); err = sys.stderr
print("clients: bullmq: %d adds acknowledged (%d while respite served locally), %d outcomes"
      " unknown; %d processor calls (%d locally), %d completed (%d locally), %d heard by"
      " QueueEvents (%d locally); %d errors, %d duplicates, %d missing, %d unexpected;"
      " longest gap between adds %.3f s" % (s["adds"], s["adds_local"], len(s["unknown"]),
      s["processed"], s["processed_local"], s["completed"], s["completed_local"], s["heard"],
      s["heard_local"], s["error_count"], len(s["duplicates"]), s["missing_count"],
      len(s["unexpected"]), s["max_add_gap_s"]), file=err)
for kind, items in (("error", s["errors"]), ("unknown outcome", s["unknown"])):
    groups = {}  # the same error, repeated: one line with its count and first and last time
    for e in items: groups.setdefault((e["what"], e["error"]), []).append(e["t"])
    for (what, text), ts in groups.items():
        print("    %s %dx t=%s..%ss %s: %s" % (kind, len(ts), ts[0], ts[-1], what, text[:300]),
              file=err)
for k in ("duplicates", "missing", "completion_unknown", "unexpected", "wrong_id", "id_reused",
          "not_heard", "heard_twice"):
    if s[k]: print("    %s: %s" % (k, json.dumps(s[k])[:600]), file=err)
kinds = [u["what"] for u in s["unknown"]]
print(s["processed_jobs"], s["adds_local"], s["completed_local"],
      len([k for k in kinds if k != "failed"]), kinds.count("worker"), kinds.count("failed"))' "$summary")
  ((rc == 0)) || problems+=("bullmq exited $rc (errors, duplicates or missing jobs above)")
  # One add in flight at a time, up to 4 jobs' scripts (concurrency 4) and a lock extension on
  # the worker's connection: up to 6 commands may be in flight when Redis dies.
  local most=6
  [[ ${CLIENTS_STRICT:-0} == 1 ]] && most=0
  ((n_unknown <= most)) ||
    problems+=("bullmq: $n_unknown commands with an unknown outcome (at most $most)")
  ((adds_local > 0 && completed_local > 0)) ||
    problems+=("bullmq: no job added ($adds_local) or completed ($completed_local) while local")
  # Lua-free, on Redis itself: exactly the jobs the worker completed, nothing left behind.
  local done_on_redis active failed
  done_on_redis=$(redis-cli -p "$REDIS_PORT" zcard "$BULL:completed")
  got="wait=$(redis-cli -p "$REDIS_PORT" llen "$BULL:wait")"
  active=$(redis-cli -p "$REDIS_PORT" llen "$BULL:active")
  got+=" delayed=$(redis-cli -p "$REDIS_PORT" zcard "$BULL:delayed")"
  failed=$(redis-cli -p "$REDIS_PORT" zcard "$BULL:failed")
  log "bullmq on Redis: completed=$done_on_redis $got active=$active failed=$failed (the worker" \
    "processed $completed jobs; $worker_unknown worker commands and $failed_unknown completions" \
    "with unknown outcomes)"
  [[ $got == "wait=0 delayed=0" ]] || problems+=("bullmq: Redis has $got left")
  # Every job the worker processed is completed on Redis, except one whose completion met TRYAGAIN
  # and did not run there (BullMQ failed it instead): at most one per such completion.
  ((done_on_redis <= completed && done_on_redis >= completed - failed_unknown)) ||
    problems+=("bullmq: Redis has $done_on_redis completed, the worker processed $completed jobs")
  # A worker command that met -TRYAGAIN (moveToActive/moveToFinished, which also fetches the next
  # job) may have run on Redis without the worker hearing it: a job left in active (BullMQ's
  # stalled-job check takes it back later); a completion that met it fails its job. One each.
  ((active <= worker_unknown)) ||
    problems+=("bullmq: $active jobs left active, more than the $worker_unknown unknown worker commands")
  ((failed <= failed_unknown)) ||
    problems+=("bullmq: $failed jobs failed, more than the $failed_unknown completions that met TRYAGAIN")
}
[[ $BULLMQ == 1 ]] && check_bullmq "$bull_rc" "$OUT/bullmq.json"
log "respite state changes:"
grep -E 'upstream|replay|forwarding|locally' "$OUT/respite.log" | tail -8 | sed 's/^/    /' >&2

if ((${#problems[@]})); then
  for p in "${problems[@]}"; do log "  - $p"; done
  fail "client libraries through an outage (${#problems[@]} problems)"
fi
if [[ $BULLMQ == 1 ]]; then
  log "PASS: redis-py Lock, node Redlock and BullMQ through an upstream outage, no errors, no" \
    "lost updates, every acknowledged job completed exactly once"
else
  log "PASS: redis-py Lock and node Redlock through an upstream outage, no errors, no lost updates"
fi
[[ -n ${CLIENTS_OUT:-} ]] || rm -rf "$OUT"
