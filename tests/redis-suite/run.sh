#!/usr/bin/env bash
# Runs Redis 7.0.15's own TCL test suite against (a) a plain redis-server and
# (b) respite in front of an identical redis-server, one fresh server (pair) per
# unit and target, and compares the results unit by unit.
#
# Environment:
#   RESPITE_SUITE          ci (default) or full: which units to run
#   RESPITE_SUITE_UNITS    "unit/a unit/type/b ...": run exactly these units instead
#   RESPITE_SUITE_TARGETS  "redis respite" (default), or either one alone
#   RESPITE_SUITE_DIR      where the Debian source of redis is unpacked
#                          (default $HOME/.cache/respite/redis-suite)
#   RESPITE_SUITE_OUT      output dir for logs (default /tmp/respite-suite-TIMESTAMP)
#   RESPITE_BIN            respite binary (default <repo>/build/respite)
#   RESPITE_ARGS           extra arguments for respite (e.g. "--log-level debug")
#   REDIS_SERVER           redis-server binary (default: redis-server on PATH)
#   RESPITE_SUITE_UNIT_TIMEOUT  wall-clock seconds per unit run before it counts as HUNG (900)
#   RESPITE_SUITE_TEST_TIMEOUT  runtest --timeout: seconds without progress before runtest
#                               gives up and prints the test in progress (180)
#   RESPITE_SUITE_DURABLE  1: pass --durable (an exception fails the test instead of
#                          aborting the unit)
#   RESPITE_SUITE_EXTRA    extra runtest arguments (e.g. "--only /SUBSCRIBE --verbose")
#   RESPITE_SUITE_SKIPFILE tests respite skips (runtest --skipfile; redis still runs them): a
#                          file in local-skip.txt's format ("# reason" lines, then exact test
#                          names), or "none". Default: tests/redis-suite/local-skip.txt in LOCAL
#                          mode, none otherwise. (A --skipfile in RESPITE_SUITE_EXTRA replaces it.)
#
# LOCAL mode (RESPITE_ARGS has "--mode local", or RESPITE_MODE=local): respite serves from its
# local store with the upstream unreachable (no redis-server is started behind it; it points at
# 127.0.0.1:1), and skips the tests in local-skip.txt that need commands the local store does not
# serve yet; the list is printed, and the comparison with redis counts only the tests respite ran.
#
# Exit status: 0 when respite matches redis in every unit (or, with a single target,
# when that target passes every unit), 1 otherwise, 2 on setup errors.
set -uo pipefail
export LC_ALL=C

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SUITE=${RESPITE_SUITE:-ci}
SUITE_DIR=${RESPITE_SUITE_DIR:-$HOME/.cache/respite/redis-suite}
REDIS_VERSION=7.0.15
SRC_DIR="$SUITE_DIR/redis-$REDIS_VERSION"
TARGETS=${RESPITE_SUITE_TARGETS:-redis respite}
RESPITE_BIN=${RESPITE_BIN:-$REPO_ROOT/build/respite}
REDIS_SERVER=${REDIS_SERVER:-redis-server}
UNIT_TIMEOUT=${RESPITE_SUITE_UNIT_TIMEOUT:-900}
TEST_TIMEOUT=${RESPITE_SUITE_TEST_TIMEOUT:-180}
OUT=${RESPITE_SUITE_OUT:-/tmp/respite-suite-$(date +%Y%m%d-%H%M%S)}

CI_UNITS="unit/multi unit/scripting unit/pubsub unit/type/list"
FULL_UNITS="unit/protocol unit/keyspace unit/scan unit/info-command unit/type/string
  unit/type/incr unit/type/list unit/type/list-2 unit/type/list-3 unit/type/set
  unit/type/zset unit/type/hash unit/expire unit/multi unit/pubsub unit/dump
  unit/type/stream unit/type/stream-cgroups unit/sort unit/other unit/pubsubshard
  unit/scripting unit/functions unit/bitops unit/bitfield unit/geo unit/hyperloglog"
if [[ -n "${RESPITE_SUITE_UNITS:-}" ]]; then
  UNITS=$RESPITE_SUITE_UNITS
else
  case "$SUITE" in
    ci) UNITS=$CI_UNITS ;;
    full) UNITS=$FULL_UNITS ;;
    *) echo "run.sh: RESPITE_SUITE must be ci or full, not '$SUITE'" >&2; exit 2 ;;
  esac
fi

LOCAL=0
# shellcheck disable=SC2086
set -- ${RESPITE_ARGS:-}
while (($#)); do
  case "$1" in
    --mode=local) LOCAL=1 ;;
    --mode=*) LOCAL=0 ;;
    --mode) [[ "${2:-}" == local ]] && LOCAL=1 || LOCAL=0; shift ;;
  esac
  shift
done
# respite reads RESPITE_MODE itself when no --mode flag says otherwise.
if [[ " ${RESPITE_ARGS:-} " != *" --mode"* && "${RESPITE_MODE:-}" == local ]]; then LOCAL=1; fi
# A port nothing listens on: the upstream respite cannot reach in LOCAL mode.
LOCAL_UPSTREAM_PORT=1

SKIPFILE=${RESPITE_SUITE_SKIPFILE:-}
if [[ -z "$SKIPFILE" && $LOCAL == 1 ]]; then SKIPFILE=$REPO_ROOT/tests/redis-suite/local-skip.txt; fi
[[ "$SKIPFILE" == none ]] && SKIPFILE=

# Tests that need things an external server behind a proxy cannot give.
DENY_TAGS="-needs:debug -needs:repl -needs:config-maxmemory -needs:config-resetstat -needs:reset -needs:save -needs:pfdebug"

log() { echo "run.sh: $*" >&2; }

for t in $TARGETS; do
  case "$t" in redis|respite) ;; *) log "unknown target '$t' (redis, respite)"; exit 2 ;; esac
done

# ---------------------------------------------------------------- fetch the suite
as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo -n "$@"; fi; }

fetch_suite() {
  if [[ -x "$SRC_DIR/runtest" && -f "$SRC_DIR/tests/test_helper.tcl" ]]; then
    return 0
  fi
  log "fetching the redis $REDIS_VERSION source package into $SUITE_DIR"
  export DEBIAN_FRONTEND=noninteractive
  # A deb-src entry for bookworm, on the mirror the existing sources use.
  if ! grep -rqsE '^[[:space:]]*(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    local mirror sec_mirror
    mirror=$(grep -hsE '^[[:space:]]*URIs:.*/debian/?$' /etc/apt/sources.list.d/*.sources | head -1 | awk '{print $2}')
    [[ -n "$mirror" ]] || mirror=$(grep -hsE '^[[:space:]]*deb[[:space:]].*/debian/?[[:space:]]+bookworm[[:space:]]' \
                                     /etc/apt/sources.list /etc/apt/sources.list.d/*.list | head -1 | awk '{print $2}')
    [[ -n "$mirror" ]] || mirror=http://deb.debian.org/debian
    sec_mirror=$(grep -hsE '^[[:space:]]*URIs:.*/debian-security/?$' /etc/apt/sources.list.d/*.sources | head -1 | awk '{print $2}')
    [[ -n "$sec_mirror" ]] || sec_mirror=http://deb.debian.org/debian-security
    log "adding deb-src entries for $mirror and $sec_mirror"
    as_root tee /etc/apt/sources.list.d/respite-deb-src.sources >/dev/null <<EOF
Types: deb-src
URIs: $mirror
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: $sec_mirror
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  fi
  as_root apt-get update -qq </dev/null || { log "apt-get update failed"; exit 2; }
  local missing=()
  for p in dpkg-dev tcl; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  if ((${#missing[@]})); then
    as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null ||
      { log "apt-get install ${missing[*]} failed"; exit 2; }
  fi
  mkdir -p "$SUITE_DIR"
  (cd "$SUITE_DIR" && apt-get source -qq redis </dev/null >&2) || { log "apt-get source redis failed"; exit 2; }
  if [[ ! -x "$SRC_DIR/runtest" ]]; then
    log "apt-get source did not produce $SRC_DIR/runtest"; exit 2
  fi
}

fetch_suite
command -v tclsh >/dev/null || { log "tclsh missing (apt-get install tcl)"; exit 2; }
command -v "$REDIS_SERVER" >/dev/null || { log "$REDIS_SERVER not found"; exit 2; }
command -v redis-cli >/dev/null || { log "redis-cli not found"; exit 2; }
if [[ " $TARGETS " == *" respite "* && ! -x "$RESPITE_BIN" ]]; then
  log "respite binary $RESPITE_BIN missing (build it, or set RESPITE_BIN)"; exit 2
fi
if ! "$REDIS_SERVER" --version | grep -q "v=$REDIS_VERSION"; then
  log "warning: $("$REDIS_SERVER" --version) is not $REDIS_VERSION; results may differ from the suite's expectations"
fi

mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
log "logs in $OUT"

# ---------------------------------------------------------------- the skip list (respite only)
# $OUT/skip-names: the names alone, for runtest --skipfile; $OUT/skip-reasons: "REASON<TAB>NAME".
SKIP_COUNT=0
if [[ -n "$SKIPFILE" && " $TARGETS " == *" respite "* ]]; then
  [[ -r "$SKIPFILE" ]] || { log "skip file $SKIPFILE not readable"; exit 2; }
  awk '{ sub(/\r$/, "") }
       /^##/ { next }
       /^#/ { reason = $0; sub(/^#[ \t]*/, "", reason); next }
       /^[ \t]*$/ { reason = ""; next }
       { print (reason == "" ? "(no reason given)" : reason) "\t" $0 }' "$SKIPFILE" >"$OUT/skip-reasons"
  cut -f2- "$OUT/skip-reasons" >"$OUT/skip-names"
  SKIP_COUNT=$(grep -c . "$OUT/skip-names")
  mode="LOCAL mode: "; [[ $LOCAL == 1 ]] || mode=""
  log "${mode}respite skips $SKIP_COUNT tests listed in $SKIPFILE (redis runs them all):"
  cut -f1 "$OUT/skip-reasons" | sort | uniq -c | sort -k1,1nr -k2 | sed 's/^/run.sh:   /' >&2
  log "skipped tests:"
  awk -F'\t' '$1 != last { print "run.sh:   # " $1; last = $1 } { print "run.sh:     " $2 }' \
    "$OUT/skip-reasons" >&2
fi
if [[ $LOCAL == 1 ]]; then
  log "LOCAL mode: respite serves from its local store, upstream redis://127.0.0.1:$LOCAL_UPSTREAM_PORT (unreachable)"
fi

# ---------------------------------------------------------------- processes
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$p" 2>/dev/null
  done
  PIDS=()
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

stop_pid() {
  local p=$1 keep=() q
  kill "$p" 2>/dev/null
  for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$p" 2>/dev/null
  wait "$p" 2>/dev/null
  for q in "${PIDS[@]}"; do [[ "$q" == "$p" ]] || keep+=("$q"); done
  PIDS=("${keep[@]}")
}

wait_ping() {  # port pid what
  for _ in $(seq 100); do
    [[ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" == PONG ]] && return 0
    kill -0 "$2" 2>/dev/null || { log "$3 exited during startup"; return 1; }
    sleep 0.1
  done
  log "$3 on port $1 did not answer PING"; return 1
}

start_redis() {  # dir -> sets REDIS_PORT REDIS_PID
  local dir=$1
  REDIS_PORT=$(free_port)
  "$REDIS_SERVER" --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --enable-debug-command yes --enable-protected-configs yes --enable-module-command yes \
    --daemonize no --loglevel verbose --dir "$dir" --logfile "$dir/redis.log" \
    >"$dir/redis.stdout" 2>&1 </dev/null &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  wait_ping "$REDIS_PORT" "$REDIS_PID" redis-server
}

start_respite() {  # dir upstream_port -> sets RESPITE_PORT RESPITE_PID
  local dir=$1 up=$2 admin
  RESPITE_PORT=$(free_port)
  admin=$(free_port)
  mkdir -p "$dir/data"
  # shellcheck disable=SC2086
  "$RESPITE_BIN" --listen "127.0.0.1:$RESPITE_PORT" --upstream "redis://127.0.0.1:$up" \
    --data-dir "$dir/data" --admin "127.0.0.1:$admin" ${RESPITE_ARGS:-} \
    >"$dir/respite.log" 2>&1 </dev/null &
  RESPITE_PID=$!
  PIDS+=("$RESPITE_PID")
  echo "$admin" >"$dir/admin.port"
  wait_ping "$RESPITE_PORT" "$RESPITE_PID" respite || return 1
  for _ in $(seq 100); do
    curl -fs "http://127.0.0.1:$admin/readyz" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  log "respite never became ready: $(curl -s "http://127.0.0.1:$admin/readyz")"
  return 1
}

# ---------------------------------------------------------------- one unit, one target
# Writes $dir/result: "ok err exc state secs skip" with state done|aborted|hung|nostart and skip
# the tests the skip list kept from running,
# and $dir/errs: one "NAME<TAB>MESSAGE" line per failed test.
run_unit() {  # unit target dir
  local unit=$1 target=$2 dir=$3 port rc start secs state with_redis=1
  mkdir -p "$dir"
  # LOCAL mode: respite alone, its upstream unreachable.
  [[ "$target" == respite && $LOCAL == 1 ]] && with_redis=0
  if ((with_redis)) && ! start_redis "$dir"; then
    echo "0 0 0 nostart 0 0" >"$dir/result"; : >"$dir/errs"; return
  fi
  port=${REDIS_PORT:-}
  if [[ "$target" == respite ]]; then
    local up=$LOCAL_UPSTREAM_PORT
    ((with_redis)) && up=$REDIS_PORT
    if ! start_respite "$dir" "$up"; then
      echo "0 0 0 nostart 0 0" >"$dir/result"; : >"$dir/errs"
      ((with_redis)) && stop_pid "$REDIS_PID"
      return
    fi
    port=$RESPITE_PORT
  fi
  local args=(--host 127.0.0.1 --port "$port" --single "$unit" --tags "$DENY_TAGS"
              --ignore-encoding --ignore-digest --timeout "$TEST_TIMEOUT"
              # The test server's own port (baseport - 32): spread, so two runs at once (CI and a
              # developer's) do not both pick the same free one.
              --baseport $((21111 + (RANDOM % 300) * 64)))
  [[ "${RESPITE_SUITE_DURABLE:-0}" == 1 ]] && args+=(--durable)
  [[ "$target" == respite && $SKIP_COUNT -gt 0 ]] && args+=(--skipfile "$OUT/skip-names")
  # shellcheck disable=SC2206
  [[ -n "${RESPITE_SUITE_EXTRA:-}" ]] && args+=(${RESPITE_SUITE_EXTRA})
  echo "./runtest ${args[*]}" >"$dir/command"
  start=$(date +%s)
  (cd "$SRC_DIR" && TERM=dumb timeout -k 10 "$UNIT_TIMEOUT" ./runtest "${args[@]}" </dev/null) >"$dir/runtest.log" 2>&1
  rc=$?
  secs=$(($(date +%s) - start))
  echo "$rc" >"$dir/rc"
  if [[ "$target" == respite ]]; then
    # What respite thought of itself when the unit ended.
    curl -s "http://127.0.0.1:$(cat "$dir/admin.port")/status" >"$dir/respite-status.json" 2>/dev/null
    stop_pid "$RESPITE_PID"
  fi
  ((with_redis)) && stop_pid "$REDIS_PID"

  local L=$dir/runtest.log ok err exc skip
  ok=$(grep -c '^\[ok\]: ' "$L")
  err=$(grep -c '^\[err\]: ' "$L")
  exc=$(grep -c '^\[exception\]: ' "$L")
  # Tests the skip list kept from running (runtest prints "[skip]: NAME").
  skip=0
  if [[ "$target" == respite && $SKIP_COUNT -gt 0 ]]; then
    skip=$(sed -n 's/^\[skip\]: //p' "$L" | grep -cxF -f "$OUT/skip-names")
  fi
  if [[ $rc -eq 124 || $rc -eq 137 ]] || grep -q '^\[TIMEOUT\]' "$L"; then
    state=hung
  elif grep -q 'All tests passed without errors' "$L" || grep -q '^ *The End$' "$L"; then
    state="done"
  else
    state=aborted
  fi
  echo "$ok $err $exc $state $secs $skip" >"$dir/result"
  awk '/^\[err\]: /{name=substr($0,8); sub(/ in tests\/unit\/[^ ]*\.tcl$/,"",name);
                     getline msg; print name "\t" msg}' "$L" >"$dir/errs"
  if [[ $state == hung ]]; then
    # runtest's own timeout names the test in progress.
    {
      grep -o '(IN PROGRESS) .*' "$L" | sed 's/^/HUNG in: /'
      # Otherwise: the suite logs each test's start on the (upstream) server via DEBUG LOG.
      grep -o '### Starting test .*' "$dir/redis.log" 2>/dev/null | tail -1 |
        sed 's/^### Starting test /HUNG, last test started on redis: /'
      grep '^\[ok\]: ' "$L" | tail -1 | sed 's/^\[ok\]: /HUNG, last test passed: /'
    } >>"$dir/errs"
  fi
  if [[ "$target" == respite && $LOCAL == 0 ]]; then
    # A healthy upstream never goes down during the suite: a failover here is respite's mistake.
    grep -h 'upstream down\|serving locally' "$dir/respite.log" | sed 's/^/FAILOVER: /' >>"$dir/errs"
  fi
  if ((exc)); then
    grep -A3 '^\[exception\]: ' "$L" | tr '\n' ' ' | sed 's/^/EXCEPTION: /; s/$/\n/' >>"$dir/errs"
  fi
}

# ---------------------------------------------------------------- main
declare -A RES
for unit in $UNITS; do
  safe=${unit//\//_}
  for target in $TARGETS; do
    dir="$OUT/$safe/$target"
    log "$unit against $target ..."
    run_unit "$unit" "$target" "$dir"
    RES[$unit,$target]=$(cat "$dir/result")
    read -r ok err exc state secs skip <<<"${RES[$unit,$target]}"
    skipped=""; ((${skip:-0})) && skipped=" $skip skipped,"
    log "$unit against $target: $ok ok, $err err, $exc exception,$skipped $state, ${secs}s"
  done
done

fmt() {  # "ok err exc state secs skip" -> "ok/err [skip N] [+exc] [STATE] secs"
  [[ -z "$1" ]] && { echo "-"; return; }
  local ok err exc state secs skip s
  read -r ok err exc state secs skip <<<"$1"
  s="$ok/$err"
  ((${skip:-0})) && s+=" skip $skip"
  ((exc)) && s+=" +exc"
  [[ $state != "done" ]] && s+=" ${state^^}"
  echo "$s ${secs}s"
}

passed=0 failed=0
report=""
printf '\n%-24s | %-22s | %-22s | %s\n' "unit" "redis passed/failed" "respite passed/failed" "status"
printf -- '-%.0s' {1..86}; echo
for unit in $UNITS; do
  safe=${unit//\//_}
  r=${RES[$unit,redis]:-} p=${RES[$unit,respite]:-}
  status=PASS why=()
  if [[ -n "$r" && -n "$p" ]]; then
    read -r rok _ rexc rstate _ _ <<<"$r"
    read -r pok _ pexc pstate _ pskip <<<"$p"
    if ((${pskip:-0})) || ((SKIP_COUNT > 0)); then
      # Compare only the tests respite ran: redis' passes of tests respite skipped do not count,
      # nor those of listed tests runtest never defines for respite (no [skip] line for them).
      rok=$(sed -n 's/^\[ok\]: \(.*\) ([0-9]* ms)$/\1/p' "$OUT/$safe/redis/runtest.log" |
            grep -cvxF -f <(sed -n 's/^\[skip\]: //p' "$OUT/$safe/respite/runtest.log"
                            grep -v '^/' "$OUT/skip-names" 2>/dev/null))
    fi
    [[ $pstate != "$rstate" ]] && why+=("respite $pstate, redis $rstate")
    ((pexc > rexc)) && why+=("exception")
    ((pok < rok)) && why+=("$((rok - pok)) fewer passed")
    new=$(grep -P '\t' "$OUT/$safe/respite/errs" | cut -f1 | sort -u |
          comm -23 - <(cut -f1 "$OUT/$safe/redis/errs" | sort -u))
    [[ -n "$new" ]] && why+=("$(grep -c . <<<"$new") new [err]")
    grep -q '^FAILOVER: ' "$OUT/$safe/respite/errs" && why+=("respite failed over")
    if ((${#why[@]})); then
      joined=$(IFS=';'; echo "${why[*]}")
      status="FAIL (${joined//;/; })"
      report+="== $unit (respite log: $OUT/$safe/respite/respite.log)"$'\n'
      while IFS= read -r line; do
        name=${line%%$'\t'*}
        grep -qxF "$name" <(cut -f1 "$OUT/$safe/redis/errs") || report+="  $line"$'\n'
      done <"$OUT/$safe/respite/errs"
    fi
  else
    one=${r:-$p}
    t=redis; [[ -z "$r" ]] && t=respite
    read -r _ oerr oexc ostate _ _ <<<"$one"
    if ((oerr || oexc)) || [[ $ostate != "done" ]] || grep -q '^FAILOVER: ' "$OUT/$safe/$t/errs"; then
      status="FAIL ($oerr failed, $oexc exceptions, $ostate)"
      report+="== $unit ($t)"$'\n'
      while IFS= read -r line; do report+="  $line"$'\n'; done <"$OUT/$safe/$t/errs"
    fi
  fi
  [[ $status == PASS ]] && passed=$((passed + 1)) || failed=$((failed + 1))
  printf '%-24s | %-22s | %-22s | %s\n' "$unit" "$(fmt "$r")" "$(fmt "$p")" "$status"
done
if [[ -n "$report" ]]; then
  echo
  if [[ " $TARGETS " == *" redis "* && " $TARGETS " == *" respite "* ]]; then
    echo "respite failures that redis does not have:"
  else
    echo "failures:"
  fi
  printf '%s' "$report" | sed 's/\t/: /'
fi
if ((SKIP_COUNT)); then
  echo
  echo "respite skipped $SKIP_COUNT tests listed in $SKIPFILE (redis ran them; not compared):"
  cut -f1 "$OUT/skip-reasons" | sort | uniq -c | sort -k1,1nr -k2 | sed 's/^ */  /'
fi
echo
echo "logs: $OUT"
echo "suite: $passed passed, $failed failed"
((failed == 0))
