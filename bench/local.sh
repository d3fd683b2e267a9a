#!/usr/bin/env bash
# Local-store benchmark: redis-benchmark against direct Redis (in memory, no persistence) and
# against respite serving every command from its local store (`--mode local`, upstream a port
# where nothing listens), once with storage.fsync everysec and once with fsync always.
#
# Usage: bench/local.sh [-n REQUESTS] [-r ROUNDS]   (from anywhere; ~5 minutes with defaults)
#   -n / N=              requests per redis-benchmark run, every row (default: N_P1 / N_P16)
#   N_P1=20000 N_P16=50000   requests per run for -P 1 and -P 16
#   -r / ROUNDS=5        rounds; each round runs every target once, target order rotated per round
#   TESTS="set get incr lpush lpop sadd hset zadd lrange_100 evalsha"   one redis-benchmark run per
#                        test; evalsha: EVALSHA of a token bucket (INCRBY + PEXPIRE) loaded with
#                        SCRIPT LOAD on each target first
#   TARGETS="redis everysec always"   CLIENTS=50  PIPELINES="1 16"  DATA_SIZE=64
#   KEYSPACE=100000      -r for redis-benchmark (random keys/members); 0 = one fixed key per test
#   RESPITE_BIN=path     respite binary (default: build/respite)
#   RESPITE_IO_THREADS=0 (respite's default) OUT_DIR=bench/out
# Prints a markdown table of medians over the rounds: req/s per target and the ratio of each
# respite target to direct Redis; then each server's peak RSS (VmHWM from /proc/PID/status, read
# at the end: the peak over the whole run) and the store's size on disk. A test that fails
# against a target (e.g. a command the store lacks) shows as "error" with redis-benchmark's
# message below the table. Raw rows go to $OUT_DIR/local-<time>.csv. Every process runs on a free
# 127.0.0.1 port and is stopped on exit. Nothing is pinned to a core.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
N=${N:-}
while getopts "n:r:h" opt; do
  case $opt in
    n) N=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
  esac
done
N_P1=${N:-${N_P1:-20000}}
N_P16=${N:-${N_P16:-50000}}
TESTS=${TESTS:-"set get incr lpush lpop sadd hset zadd lrange_100 evalsha"}
# The evalsha test's script: a token bucket, as rate limiters run it (one EVALSHA per request).
TOKEN_BUCKET="local n = redis.call('incrby', KEYS[1], ARGV[1])
if n == tonumber(ARGV[1]) then redis.call('pexpire', KEYS[1], ARGV[2]) end
return n"
TARGETS=${TARGETS:-"redis everysec always"}
CLIENTS=${CLIENTS:-50}
PIPELINES=${PIPELINES:-"1 16"}
DATA_SIZE=${DATA_SIZE:-64}
KEYSPACE=${KEYSPACE:-100000}
RESPITE_IO_THREADS=${RESPITE_IO_THREADS:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESPITE_BIN=${RESPITE_BIN:-$ROOT/build/respite}
OUT_DIR=${OUT_DIR:-$ROOT/bench/out}

for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "local.sh: $tool not found" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/respite-bench-local.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_ping PORT PID NAME: until PING answers PONG (10 s), or fail with the log.
wait_ping() {
  local port=$1 pid=$2 name=$3 i
  for i in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "local.sh: $name exited; log:" >&2; cat "$WORK/$name.log" >&2; return 1
    fi
    if [ "$(redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null)" = PONG ]; then return 0; fi
    sleep 0.05
  done
  echo "local.sh: $name on port $port does not answer PING; log:" >&2
  cat "$WORK/$name.log" >&2
  return 1
}

# CPU seconds (utime+stime) of a process so far.
cpu_seconds() {
  local stat
  stat=$(cat "/proc/$1/stat") || { echo 0; return; }
  echo "${stat##*) }" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($12 + $13) / hz }'
}

# A field of /proc/PID/status in kB ("VmHWM", "VmRSS").
status_kb() {
  awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

declare -A PORT PID
ACTIVE=()
DEAD_PORT=$(free_port)  # respite's upstream: nothing listens here
for target in $TARGETS; do
  PORT[$target]=$(free_port)
  case $target in
    redis)
      redis-server --port "${PORT[redis]}" --bind 127.0.0.1 --save '' --appendonly no \
        --daemonize no --dir "$WORK" --logfile "" >"$WORK/redis.log" 2>&1 &
      ;;
    everysec | always | no)
      if [ ! -x "$RESPITE_BIN" ]; then
        echo "local.sh: no respite binary at $RESPITE_BIN (build it or set RESPITE_BIN)" >&2
        exit 1
      fi
      RESPITE_STORAGE_FSYNC=$target "$RESPITE_BIN" --mode local \
        --listen "127.0.0.1:${PORT[$target]}" --upstream "redis://127.0.0.1:$DEAD_PORT" \
        --data-dir "$WORK/data-$target" --io-threads "$RESPITE_IO_THREADS" --log-level info \
        >"$WORK/$target.log" 2>&1 &
      ;;
    *)
      echo "local.sh: unknown target $target (redis, everysec, always, no)" >&2; exit 2
      ;;
  esac
  PID[$target]=$!
  PIDS+=("${PID[$target]}")
  wait_ping "${PORT[$target]}" "${PID[$target]}" "$target"
  if [ "$target" != redis ] && ! grep -q "(fsync $target)" "$WORK/$target.log"; then
    echo "local.sh: respite did not report fsync $target; log:" >&2; cat "$WORK/$target.log" >&2
    exit 1
  fi
  ACTIVE+=("$target")
  SHA=$(redis-cli -h 127.0.0.1 -p "${PORT[$target]}" SCRIPT LOAD "$TOKEN_BUCKET")
done

RANDOM_KEYS=()
if [ "$KEYSPACE" -gt 0 ]; then RANDOM_KEYS=(-r "$KEYSPACE"); fi

mkdir -p "$OUT_DIR"
STAMP=$(date +%Y%m%d-%H%M%S)
CSV="$OUT_DIR/local-$STAMP.csv"
ERRORS="$WORK/errors.txt"
: >"$ERRORS"
echo "round,target,test,clients,pipeline,requests,rps,p50_ms,p99_ms,server_cpu_s" >"$CSV"
echo "local.sh: $ROUNDS rounds of ${ACTIVE[*]}; -c $CLIENTS; -n $N_P1 (-P 1), $N_P16 (-P 16)" >&2

ntargets=${#ACTIVE[@]}
start=$(date +%s)
for round in $(seq 1 "$ROUNDS"); do
  order=()
  for i in $(seq 0 $((ntargets - 1))); do order+=("${ACTIVE[$(((i + round - 1) % ntargets))]}"); done
  echo "local.sh: round $round/$ROUNDS: ${order[*]} ($(($(date +%s) - start)) s so far)" >&2
  for target in "${order[@]}"; do
    for p in $PIPELINES; do
      n=$N_P1
      if [ "$p" != 1 ]; then n=$N_P16; fi
      for test in $TESTS; do
        what=(-t "$test")
        if [ "$test" = evalsha ]; then what=(EVALSHA "$SHA" 1 "bucket:__rand_int__" 1 60000); fi
        cpu_before=$(cpu_seconds "${PID[$target]}")
        if ! out=$(redis-benchmark -h 127.0.0.1 -p "${PORT[$target]}" -c "$CLIENTS" -P "$p" \
          -n "$n" -d "$DATA_SIZE" "${RANDOM_KEYS[@]}" --csv "${what[@]}" 2>"$WORK/bench.err"); then
          echo "$target $test -P $p: $(tr '\n' ' ' <"$WORK/bench.err")" >>"$ERRORS"
          echo "$round,$target,${test^^},$CLIENTS,$p,$n,error,,," >>"$CSV"
          continue
        fi
        cpu_after=$(cpu_seconds "${PID[$target]}")
        # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",...
        # lrange_100 also prints its LPUSH prefill row; keep the row named after the test.
        line=$(echo "$out" | awk -F'","' -v t="${test^^}" \
          '$1 == "\"" t || index($1, "\"" t " ") == 1 { gsub(/"/, ""); print; exit }')
        if [ -z "$line" ]; then
          echo "$target $test -P $p: no result in: $out" >>"$ERRORS"
          echo "$round,$target,${test^^},$CLIENTS,$p,$n,error,,," >>"$CSV"
          continue
        fi
        IFS=, read -r _ rps _ _ p50 _ p99 _ <<<"$line"
        echo "$round,$target,${test^^},$CLIENTS,$p,$n,$rps,$p50,$p99,$(awk -v a="$cpu_before" \
          -v b="$cpu_after" 'BEGIN { printf "%.3f", b - a }')" >>"$CSV"
      done
    done
  done
done

MEM="$WORK/memory.txt"
: >"$MEM"
for target in "${ACTIVE[@]}"; do
  if ! kill -0 "${PID[$target]}" 2>/dev/null; then
    echo "local.sh: $target died during the run; log:" >&2
    cat "$WORK/$target.log" >&2
    echo "$target,0,0,0" >>"$MEM"
    continue
  fi
  disk=0
  if [ -d "$WORK/data-$target" ]; then disk=$(du -sk "$WORK/data-$target" | cut -f1); fi
  echo "$target,$(status_kb "${PID[$target]}" VmHWM),$(status_kb "${PID[$target]}" VmRSS),$disk" \
    >>"$MEM"
done

echo "local.sh: raw results in $CSV ($(($(date +%s) - start)) s)" >&2
python3 - "$CSV" "$MEM" "$ERRORS" "$KEYSPACE" "$DATA_SIZE" <<'EOF'
import csv, statistics, sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1])))
keyspace, data_size = sys.argv[4], sys.argv[5]
groups = defaultdict(list)
for r in rows:
    groups[(r["target"], r["test"], r["clients"], r["pipeline"])].append(r)
targets = [t for t in ["redis", "everysec", "always", "no"] if any(k[0] == t for k in groups)]
label = {"redis": "Redis", "everysec": "respite fsync everysec", "always": "respite fsync always",
         "no": "respite fsync no"}

def rps(target, test, c, p):
    rs = groups.get((target, test, c, p), [])
    ok = [float(r["rps"]) for r in rs if r["rps"] != "error"]
    return statistics.median(ok) if ok and len(ok) == len(rs) else None

rounds = max(int(r["round"]) for r in rows)
print(f"redis-benchmark -d {data_size} -r {keyspace}, req/s, medians of {rounds} interleaved "
      "rounds; Redis in memory without persistence; respite --mode local\n")
head = "| test | row |"
rule = "| --- | --- |"
for t in targets:
    head += f" {label[t]} |"
    rule += " ---: |"
    if t != "redis" and "redis" in targets:
        head += " vs Redis |"
        rule += " ---: |"
print(head)
print(rule)
order = []
for r in rows:
    key = (r["test"], r["clients"], r["pipeline"])
    if key not in order:
        order.append(key)
order.sort(key=lambda k: int(k[2]))
for test, c, p in order:
    line = f"| {test} | -c {c} -P {p} |"
    base = rps("redis", test, c, p)
    for t in targets:
        v = rps(t, test, c, p)
        line += f" {v:,.0f} |" if v is not None else " error |"
        if t != "redis" and "redis" in targets:
            line += f" {v / base:.2f} |" if v is not None and base else " - |"
    print(line)

print("\n| server | peak RSS (VmHWM) | RSS at end | data dir |")
print("| --- | ---: | ---: | ---: |")
for line in open(sys.argv[2]):
    t, hwm, rss, disk = line.strip().split(",")
    disk_text = f"{int(disk) / 1024:.1f} MiB" if t != "redis" else "-"
    print(f"| {label.get(t, t)} | {int(hwm) / 1024:.1f} MiB | {int(rss) / 1024:.1f} MiB "
          f"| {disk_text} |")

errors = [l.strip() for l in open(sys.argv[3]) if l.strip()]
if errors:
    print("\nErrors (first of each):")
    seen = set()
    for e in errors:
        key = e.split(":")[0]
        if key not in seen:
            seen.add(key)
            print(f"- {e}")
EOF
