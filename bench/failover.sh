#!/usr/bin/env bash
# Failover benchmark: how fast respite starts serving locally when upstream dies, how fast it
# replays a big journal, and how long the cutover pause is.
#
# Usage: bench/failover.sh   (from anywhere; ~5 minutes with defaults)
#   TRIALS=20            trials of each failover kind
#   REPLAY_N=1000000     journal entries for the replay measurement (redis-benchmark SETs, -P 16)
#   HEALTH_INTERVAL_MS=100 HEALTH_TIMEOUT_MS=100 UNHEALTHY_AFTER=2 HEALTHY_AFTER=2
#   RESPITE_BIN=path     respite binary (default: build/respite)   RESPITE_IO_THREADS=0 (respite's default)
# Measures:
#   kill    upstream SIGKILLed: from the kill to the first SET answered +OK (a client loops SET
#           with a 20 ms socket timeout, reconnecting on errors). Passive detection: milliseconds.
#   stop    upstream SIGSTOPped: the same, from the stop. Active detection: about health timeout
#           x unhealthy_after (+ the interval phase); target timeout x threshold + 50 ms.
#   replay  REPLAY_N SETs written while upstream is down, then upstream started: from its start
#           to respite's "replay done" log line (entries/s), and respite's own figure.
#   cutover every "cutover pause Y ms" in respite's log over all trials.
# Prints median and p99 (nearest rank) of each. Upstream is redis-server without persistence on
# a free 127.0.0.1 port, restarted on the same port after each trial; everything is stopped on
# exit. Nothing is pinned to a core.
set -euo pipefail

TRIALS=${TRIALS:-20}
REPLAY_N=${REPLAY_N:-1000000}
HEALTH_INTERVAL_MS=${HEALTH_INTERVAL_MS:-100}
HEALTH_TIMEOUT_MS=${HEALTH_TIMEOUT_MS:-100}
UNHEALTHY_AFTER=${UNHEALTHY_AFTER:-2}
HEALTHY_AFTER=${HEALTHY_AFTER:-2}
RESPITE_IO_THREADS=${RESPITE_IO_THREADS:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESPITE_BIN=${RESPITE_BIN:-$ROOT/build/respite}

for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "failover.sh: $tool not found" >&2; exit 1; }
done
[[ -x $RESPITE_BIN ]] || { echo "failover.sh: no respite binary at $RESPITE_BIN" >&2; exit 1; }

WORK=$(mktemp -d /tmp/respite-bench-failover.XXXXXX)
REDIS_PID=""
RESPITE_PID=""
cleanup() {
  local pid
  for pid in $REDIS_PID $RESPITE_PID; do
    kill -CONT "$pid" 2>/dev/null || true
    kill -KILL "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
REDIS_PORT=$(free_port)
RESPITE_PORT=$(free_port)
LOG=$WORK/respite.log

# Started from a subshell: not a job of this shell, so its SIGKILL prints nothing.
start_redis() {
  (redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no \
    --daemonize no --dir "$WORK" --logfile "$WORK/redis.log" &
    echo $! >"$WORK/redis.pid")
  REDIS_PID=$(cat "$WORK/redis.pid")
  for _ in $(seq 1 200); do
    redis-cli -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && return 0
    sleep 0.02
  done
  echo "failover.sh: redis did not start" >&2
  exit 1
}
wait_gone() {
  for _ in $(seq 1 500); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.01; done
}
kill_redis() {
  kill -KILL "$REDIS_PID" 2>/dev/null || true
  wait_gone "$REDIS_PID"
  REDIS_PID=""
}

# Until a SET through respite is visible on redis at once (forwarding again).
wait_forwarding() {
  local i
  for i in $(seq 1 1500); do
    redis-cli -p "$RESPITE_PORT" set bench:probe "$i" >/dev/null 2>&1 || true
    [[ $(redis-cli -p "$REDIS_PORT" get bench:probe 2>/dev/null) == "$i" ]] && return 0
    sleep 0.02
  done
  echo "failover.sh: respite did not forward again within 30 s" >&2
  tail -20 "$LOG" >&2
  exit 1
}

start_redis
RESPITE_HEALTH_INTERVAL_MS=$HEALTH_INTERVAL_MS RESPITE_HEALTH_TIMEOUT_MS=$HEALTH_TIMEOUT_MS \
  RESPITE_HEALTH_UNHEALTHY_AFTER=$UNHEALTHY_AFTER RESPITE_HEALTH_HEALTHY_AFTER=$HEALTHY_AFTER \
  "$RESPITE_BIN" --listen "127.0.0.1:$RESPITE_PORT" --upstream "redis://127.0.0.1:$REDIS_PORT" \
  --data-dir "$WORK/data" --io-threads "$RESPITE_IO_THREADS" --log-level info >"$LOG" 2>&1 &
RESPITE_PID=$!
for _ in $(seq 1 500); do
  redis-cli -p "$RESPITE_PORT" ping 2>/dev/null | grep -q PONG && break
  sleep 0.02
done

# Sends `signal` to pid, then loops SET on respite until the first +OK; prints the ms between.
PROBE=$WORK/probe.py
cat >"$PROBE" <<'EOF'
import os, signal, socket, sys, time
port, pid, signo = int(sys.argv[1]), int(sys.argv[2]), getattr(signal, sys.argv[3])
req = b"*3\r\n$3\r\nSET\r\n$10\r\nbench:fail\r\n$1\r\nv\r\n"
def connect(timeout=0.02):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
s = connect(2)
s.sendall(req); s.recv(64)  # warm: forwarded before the failure
s.settimeout(0.02)
t0 = time.monotonic()
os.kill(pid, signo)
deadline = t0 + 20
while time.monotonic() < deadline:
    try:
        if s is None:
            s = connect()
        s.sendall(req)
        if s.recv(64).startswith(b"+OK"):
            print("%.3f" % ((time.monotonic() - t0) * 1000)); sys.exit(0)
    except OSError:
        pass
    # An error reply or a timeout: drop the connection (a late reply must not be misread).
    if s is not None:
        s.close(); s = None
sys.exit("no OK within 20 s")
EOF

KILL_MS=$WORK/kill.txt
STOP_MS=$WORK/stop.txt
echo "failover.sh: $TRIALS trials each of upstream SIGKILL and SIGSTOP" >&2
for t in $(seq 1 "$TRIALS"); do
  wait_forwarding
  python3 "$PROBE" "$RESPITE_PORT" "$REDIS_PID" SIGKILL >>"$KILL_MS"
  wait_gone "$REDIS_PID"
  start_redis
  wait_forwarding
  python3 "$PROBE" "$RESPITE_PORT" "$REDIS_PID" SIGSTOP >>"$STOP_MS"
  sleep 0.1
  kill -CONT "$REDIS_PID"
done
wait_forwarding

echo "failover.sh: replay of a $REPLAY_N-entry journal" >&2
kill_redis
redis-cli -p "$RESPITE_PORT" set bench:local 1 >/dev/null 2>&1 || true  # passive switch
redis-benchmark -p "$RESPITE_PORT" -t set -n "$REPLAY_N" -P 16 -r 1000000 -q >"$WORK/fill.txt" 2>&1
BEFORE=$(grep -c "replay done" "$LOG" || true)
T0=$(date +%s%N)
start_redis
T1=""
for _ in $(seq 1 60000); do
  if [[ $(grep -c "replay done" "$LOG" || true) -gt $BEFORE ]]; then
    T1=$(date +%s%N)
    break
  fi
  sleep 0.01
done
[[ -n $T1 ]] || { echo "failover.sh: no replay done within 600 s" >&2; tail "$LOG" >&2; exit 1; }
DONE_LINE=$(grep "replay done" "$LOG" | tail -1)
wait_forwarding

python3 - "$KILL_MS" "$STOP_MS" "$LOG" "$T0" "$T1" "$DONE_LINE" "$WORK/fill.txt" <<'EOF'
import math, re, sys
kill_f, stop_f, log_f, t0, t1, done_line, fill_f = sys.argv[1:8]
def stats(xs):
    xs = sorted(xs)
    if not xs:
        return "n/a"
    med = xs[len(xs) // 2] if len(xs) % 2 else (xs[len(xs) // 2 - 1] + xs[len(xs) // 2]) / 2
    p99 = xs[max(0, math.ceil(0.99 * len(xs)) - 1)]
    return "median %8.1f  p99 %8.1f  (n=%d, min %.1f, max %.1f)" % (med, p99, len(xs), xs[0], xs[-1])
read = lambda f: [float(l) for l in open(f) if l.strip()]
log = open(log_f).read()
pauses = [float(m) for m in re.findall(r"cutover pause (\d+(?:\.\d+)?) ms", log)]
m = re.search(r"replay done: (\d+) entries in (\d+(?:\.\d+)?) ms", done_line)
entries, own_ms = (int(m.group(1)), float(m.group(2))) if m else (0, 0.0)
wall_ms = (int(t1) - int(t0)) / 1e6
print("upstream SIGKILL -> first local OK (ms):  " + stats(read(kill_f)))
print("upstream SIGSTOP -> first local OK (ms):  " + stats(read(stop_f)))
print("cutover pause (ms):                       " + stats(pauses))
print("replay: %d entries; redis start -> 'replay done' %.0f ms = %.0f entries/s; "
      "respite's own figure %.0f ms = %.0f entries/s"
      % (entries, wall_ms, entries / wall_ms * 1000 if wall_ms else 0, own_ms,
         entries / own_ms * 1000 if own_ms else 0))
print("fill (redis-benchmark through respite, local): " + open(fill_f).read().strip().splitlines()[-1])
EOF
