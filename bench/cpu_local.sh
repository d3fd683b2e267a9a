#!/usr/bin/env bash
# CPU a fixed local-store workload costs, per binary: on a shared, noisy machine the throughput
# of one run moves by 2x, while the CPU seconds a given amount of work takes move by a few
# percent. Each binary in turn (order rotated per round) serves from its local store (`--mode
# local`, a fresh data dir every run) while redis-benchmark sends the same runs (-c 50 -P 16,
# N requests each, -r KEYSPACE); then respite's CPU time (user + system, from /proc) and that of
# its RocksDB compaction threads is read. Lower is better.
#
# Usage: bench/cpu_local.sh NAME=BINARY [NAME=BINARY ...]
#   e.g. bench/cpu_local.sh before=/tmp/respite-old after=build/respite
#   TESTS="lpush hset incr set lpush lpush hset hset sadd zadd" (run in this order, each N)
#   N=300000 ROUNDS=2 KEYSPACE=100000 FSYNC=everysec
set -euo pipefail

TESTS=${TESTS:-"lpush hset incr set lpush lpush hset hset sadd zadd"}
N=${N:-300000}
ROUNDS=${ROUNDS:-2}
KEYSPACE=${KEYSPACE:-100000}
FSYNC=${FSYNC:-everysec}
[ $# -ge 1 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

WORK=$(mktemp -d /tmp/respite-bench-cpu.XXXXXX)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
# utime + stime of a /proc stat file, in clock ticks.
ticks() { awk '{print $14 + $15}' "$1"; }

specs=("$@")
hz=$(getconf CLK_TCK)
printf '| round | name | respite CPU s | of it compaction s |\n| --- | --- | ---: | ---: |\n'
for round in $(seq 1 "$ROUNDS"); do
  for k in "${!specs[@]}"; do
    spec=${specs[$(((k + round) % ${#specs[@]}))]}
    name=${spec%%=*}
    binary=${spec#*=}
    port=$(free_port)
    rm -rf "$WORK/data"
    RESPITE_STORAGE_FSYNC="$FSYNC" "$binary" --mode local --listen "127.0.0.1:$port" \
      --upstream "redis://127.0.0.1:$(free_port)" --data-dir "$WORK/data" --log-level warn \
      >"$WORK/log" 2>&1 &
    PID=$!
    for _ in $(seq 1 100); do
      redis-cli -p "$port" ping >/dev/null 2>&1 && break
      sleep 0.1
    done
    for test in $TESTS; do
      redis-benchmark -p "$port" -c 50 -P 16 -n "$N" -r "$KEYSPACE" -t "$test" -q \
        </dev/null >/dev/null 2>&1
    done
    sleep 3  # flushes and compactions the runs started
    total=$(ticks "/proc/$PID/stat")
    compaction=0
    for task in /proc/"$PID"/task/*; do
      if [[ $(cat "$task/comm") == rocksdb:low* ]]; then
        compaction=$((compaction + $(ticks "$task/stat")))
      fi
    done
    kill "$PID"
    wait "$PID" 2>/dev/null || true
    PID=
    awk -v r="$round" -v n="$name" -v t="$total" -v c="$compaction" -v hz="$hz" \
      'BEGIN { printf "| %d | %s | %.1f | %.1f |\n", r, n, t / hz, c / hz }'
  done
done
