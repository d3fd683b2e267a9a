#!/usr/bin/env bash
# Side by side: several respite binaries (or one with different environments) serving from the
# local store (`--mode local`), one redis-benchmark run each per round, the order rotated every
# round; prints req/s medians and the median of the per-round ratios to the first binary.
# For what a build or a setting changes (the RocksDB build, a store option), not for the targets
# (bench/local.sh compares with Redis).
#
# Usage: bench/ab_local.sh NAME=BINARY[,ENV=VALUE...] NAME=BINARY[,...] ...
#   e.g. bench/ab_local.sh packaged=build/respite ndebug=/tmp/respite-ndebug
#   TESTS="set get" ROUNDS=6 PIPELINE=16 CLIENTS=50 N=400000 KEYSPACE=100000 DATA_SIZE=64
#   FSYNC=everysec IO_THREADS=0
set -euo pipefail

TESTS=${TESTS:-"set get"}
ROUNDS=${ROUNDS:-6}
PIPELINE=${PIPELINE:-16}
CLIENTS=${CLIENTS:-50}
N=${N:-400000}
KEYSPACE=${KEYSPACE:-100000}
DATA_SIZE=${DATA_SIZE:-64}
FSYNC=${FSYNC:-everysec}
IO_THREADS=${IO_THREADS:-0}
[ $# -ge 2 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

WORK=$(mktemp -d /tmp/respite-ab.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

NAMES=()
PORTS=()
dead=$(free_port)
for spec in "$@"; do
  name=${spec%%=*}
  rest=${spec#*=}
  IFS=, read -r -a parts <<<"$rest"
  binary=${parts[0]}
  envs=("${parts[@]:1}")
  port=$(free_port)
  admin=$(free_port)
  env ${envs[@]+"${envs[@]}"} RESPITE_STORAGE_FSYNC="$FSYNC" "$binary" --mode local \
    --upstream "redis://127.0.0.1:$dead" --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" \
    --data-dir "$WORK/data-$name" --io-threads "$IO_THREADS" --log-level warn \
    >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  NAMES+=("$name")
  PORTS+=("$port")
done
for port in "${PORTS[@]}"; do
  for _ in $(seq 1 100); do
    redis-cli -p "$port" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
done

count=${#NAMES[@]}
echo "test round name req/s" >"$WORK/rows"
for round in $(seq 1 "$ROUNDS"); do
  for test in $TESTS; do
    for k in $(seq 0 $((count - 1))); do
      i=$(((k + round) % count))
      rps=$(redis-benchmark -p "${PORTS[$i]}" -c "$CLIENTS" -P "$PIPELINE" -n "$N" \
        -r "$KEYSPACE" -d "$DATA_SIZE" -t "$test" -q 2>/dev/null | tr '\r' '\n' |
        grep -o '[0-9.]* requests per second' | tail -1 | cut -d' ' -f1)
      echo "$test $round ${NAMES[$i]} ${rps:-0}" >>"$WORK/rows"
    done
  done
done

for i in "${!NAMES[@]}"; do
  echo "${NAMES[$i]} peak RSS: $(grep VmHWM "/proc/${PIDS[$i]}/status" | awk '{print $2/1024 " MiB"}')"
done
python3 - "$WORK/rows" "${NAMES[@]}" <<'PY'
import collections, statistics, sys
rows = [l.split() for l in open(sys.argv[1]).read().splitlines()[1:]]
names = sys.argv[2:]
by = collections.defaultdict(dict)
for test, rnd, name, rps in rows:
    by[(test, rnd)][name] = float(rps)
tests = sorted({t for t, _ in by}, key=lambda t: [r[0] for r in rows].index(t))
print("| test | " + " | ".join(names) + " | " +
      " | ".join(f"{n} / {names[0]}" for n in names[1:]) + " |")
print("| --- |" + " ---: |" * (2 * len(names) - 1))
for t in tests:
    rounds = [v for (tt, _), v in by.items() if tt == t]
    med = [statistics.median(r[n] for r in rounds) for n in names]
    ratios = [statistics.median(r[n] / r[names[0]] for r in rounds if r[names[0]] > 0)
              for n in names[1:]]
    print(f"| {t.upper()} | " + " | ".join(f"{m:,.0f}" for m in med) + " | " +
          " | ".join(f"{x:.2f}" for x in ratios) + " |")
PY
