#!/usr/bin/env bash
# Forwarding benchmark: redis-benchmark against direct Redis, respite, twemproxy (nutcracker) and
# HAProxy (mode tcp), all in front of one redis-server, side by side in one run.
#
# Usage: bench/forward.sh            (from the repository root; takes ~5 minutes)
#   RESPITE_BIN=path     respite binary (default: build/respite; skipped with a message if absent)
#   ROUNDS=5             rounds; in each, the targets take turns on every row (order rotated)
#   SECONDS_PER_RUN=2    -n per row is calibrated on direct Redis to take about this long
#   N_C50_P1= N_C50_P16= N_C1_P1=   fixed -n per row instead of calibrating
#   TARGETS="direct respite twemproxy haproxy"; add direct-tls, respite-tls and respite-client-tls
#                        for the TLS rows: Redis also serves TLS (certificates made with openssl
#                        in the work dir); direct-tls is redis-benchmark --tls to it, respite-tls a
#                        plain client to respite whose upstream is rediss:// to it,
#                        respite-client-tls redis-benchmark --tls to respite's TLS listener
#                        (tls.listen) in front of Redis' plain port; ratios of *-tls to direct-tls
#                        Add direct-cluster and respite-cluster for the cluster rows: a 3-master
#                        Redis Cluster (redis-cli --cluster create); direct-cluster is
#                        redis-benchmark --cluster (a cluster-aware client) to its nodes,
#                        respite-cluster a plain client to respite with a redis+cluster:// upstream;
#                        both with -r 100000 (keys over every slot); redis CPU is the three nodes'
#                        sum; ratios of respite-cluster to direct-cluster
#   RESPITE_IO_THREADS=0 (respite's default) OUT_DIR=bench/out
# Rows: -c 50 -P 1, -c 50 -P 16, -c 1 -P 1; tests SET and GET with -d 64. Prints a markdown table
# of medians over the rounds: req/s, p50/p99 latency (ms), ratio of req/s to direct Redis, and CPU
# microseconds per request of the proxy process and of redis-server (utime+stime from
# /proc/PID/stat around each run). A second table (bench/forward_pooled.py) pairs respite with each
# peer within a round, where a row's targets run seconds apart: in how many rounds respite was
# ahead, and the median per-round ratios. Raw rows go to $OUT_DIR/forward-<time>.csv. Every process
# runs on a free 127.0.0.1 port and is stopped on exit. Nothing is pinned to a core.
set -euo pipefail

ROUNDS=${ROUNDS:-5}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-2}
TARGETS=${TARGETS:-"direct respite twemproxy haproxy"}
RESPITE_IO_THREADS=${RESPITE_IO_THREADS:-0}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RESPITE_BIN=${RESPITE_BIN:-$ROOT/build/respite}
OUT_DIR=${OUT_DIR:-$ROOT/bench/out}
ROWS=("50 1" "50 16" "1 1")  # "clients pipeline"
TESTS=(set get)

for tool in redis-server redis-benchmark redis-cli python3; do
  command -v "$tool" >/dev/null || { echo "forward.sh: $tool not found" >&2; exit 1; }
done

WORK=$(mktemp -d /tmp/respite-bench.XXXXXX)
PIDS=()
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  sleep 0.2
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_ping PORT PID NAME [redis-cli args]: until PING answers PONG (10 s), or fail with the log.
wait_ping() {
  local port=$1 pid=$2 name=$3 i
  shift 3
  for i in $(seq 1 200); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "forward.sh: $name exited; log:" >&2; cat "$WORK/$name.log" >&2; return 1
    fi
    if [ "$(redis-cli -h 127.0.0.1 -p "$port" "$@" ping 2>/dev/null)" = PONG ]; then return 0; fi
    sleep 0.05
  done
  echo "forward.sh: $name on port $port does not answer PING; log:" >&2
  cat "$WORK/$name.log" >&2
  return 1
}

# CPU seconds (utime+stime) of a process so far.
cpu_seconds() {
  local stat
  stat=$(cat "/proc/$1/stat") || { echo 0; return; }
  # Fields after the ")" that ends the command name: state is 3, utime 14, stime 15.
  echo "${stat##*) }" | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($12 + $13) / hz }'
}

declare -A PORT PID BENCH_ARGS
REDIS_PORT=$(free_port)
REDIS_TLS=()
if [[ " $TARGETS " == *-tls* ]]; then
  command -v openssl >/dev/null || { echo "forward.sh: openssl not found" >&2; exit 1; }
  TLS_PORT=$(free_port)
  key=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  (cd "$WORK" && openssl req -x509 "${key[@]}" -keyout ca.key -out ca.crt -days 2 \
    -subj "/CN=bench CA" && openssl req "${key[@]}" -keyout server.key -out server.csr \
    -subj /CN=localhost && printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext \
    && openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
    -out server.crt -days 2 -extfile server.ext) >"$WORK/openssl.log" 2>&1 \
    || { echo "forward.sh: openssl failed:" >&2; cat "$WORK/openssl.log" >&2; exit 1; }
  REDIS_TLS=(--tls-port "$TLS_PORT" --tls-cert-file "$WORK/server.crt" --tls-key-file
    "$WORK/server.key" --tls-ca-cert-file "$WORK/ca.crt" --tls-auth-clients no)
fi
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --daemonize no \
  --dir "$WORK" --logfile "" "${REDIS_TLS[@]}" >"$WORK/redis.log" 2>&1 &
REDIS_PID=$!
PIDS+=("$REDIS_PID")
wait_ping "$REDIS_PORT" "$REDIS_PID" redis

# The cluster rows' three masters, each with its own bus port (port + 10000 may not exist).
CLUSTER_PORTS=() CLUSTER_PIDS=()
if [[ " $TARGETS " == *-cluster* ]]; then
  for i in 0 1 2; do
    port=$(free_port)
    mkdir -p "$WORK/cluster-$i"
    redis-server --port "$port" --cluster-port "$(free_port)" --bind 127.0.0.1 --save '' \
      --appendonly no --cluster-enabled yes --cluster-config-file "$WORK/cluster-$i/nodes.conf" \
      --dir "$WORK/cluster-$i" --logfile "" >"$WORK/cluster-$i.log" 2>&1 &
    CLUSTER_PIDS+=($!) CLUSTER_PORTS+=("$port")
    PIDS+=($!)
    wait_ping "$port" "${CLUSTER_PIDS[$i]}" "cluster-$i"
  done
  redis-cli --cluster create "${CLUSTER_PORTS[@]/#/127.0.0.1:}" --cluster-yes \
    >"$WORK/cluster-create.log" 2>&1 \
    || { echo "forward.sh: redis-cli --cluster create failed:" >&2; cat "$WORK/cluster-create.log" >&2; exit 1; }
  for i in $(seq 1 100); do
    [ "$(redis-cli -p "${CLUSTER_PORTS[0]}" cluster info | tr -d '\r' | grep cluster_state)" = \
      cluster_state:ok ] && break
    sleep 0.1
  done
fi

ACTIVE=()
for target in $TARGETS; do
  case $target in
    direct)
      PORT[direct]=$REDIS_PORT PID[direct]=$REDIS_PID
      ;;
    direct-tls)
      PORT[direct-tls]=$TLS_PORT PID[direct-tls]=$REDIS_PID
      BENCH_ARGS[direct-tls]="--tls --cacert $WORK/ca.crt"
      ;;
    respite-tls)
      if [ ! -x "$RESPITE_BIN" ]; then echo "forward.sh: skipping respite-tls" >&2; continue; fi
      PORT[respite-tls]=$(free_port)
      RESPITE_TLS_CA_FILE="$WORK/ca.crt" "$RESPITE_BIN" --listen "127.0.0.1:${PORT[respite-tls]}" \
        --upstream "rediss://localhost:$TLS_PORT" --data-dir "$WORK/respite-tls-data" \
        --io-threads "$RESPITE_IO_THREADS" --log-level warn >"$WORK/respite-tls.log" 2>&1 &
      PID[respite-tls]=$!
      ;;
    respite-client-tls)
      if [ ! -x "$RESPITE_BIN" ]; then echo "forward.sh: skipping respite-client-tls" >&2; continue; fi
      PORT[respite-client-tls]=$(free_port)
      "$RESPITE_BIN" --listen off --tls-listen "127.0.0.1:${PORT[respite-client-tls]}" \
        --tls-cert-file "$WORK/server.crt" --tls-key-file "$WORK/server.key" --admin off \
        --upstream "redis://127.0.0.1:$REDIS_PORT" --data-dir "$WORK/respite-client-tls-data" \
        --io-threads "$RESPITE_IO_THREADS" --log-level warn >"$WORK/respite-client-tls.log" 2>&1 &
      PID[respite-client-tls]=$!
      BENCH_ARGS[respite-client-tls]="--tls --cacert $WORK/ca.crt"
      ;;
    direct-cluster)
      PORT[direct-cluster]=${CLUSTER_PORTS[0]} PID[direct-cluster]=${CLUSTER_PIDS[0]}
      BENCH_ARGS[direct-cluster]="--cluster -r 100000"
      ;;
    respite-cluster)
      if [ ! -x "$RESPITE_BIN" ]; then echo "forward.sh: skipping respite-cluster" >&2; continue; fi
      PORT[respite-cluster]=$(free_port)
      "$RESPITE_BIN" --listen "127.0.0.1:${PORT[respite-cluster]}" --admin off --mode forward \
        --upstream "redis+cluster://127.0.0.1:${CLUSTER_PORTS[0]},127.0.0.1:${CLUSTER_PORTS[1]}" \
        --data-dir "$WORK/respite-cluster-data" --io-threads "$RESPITE_IO_THREADS" \
        --log-level warn >"$WORK/respite-cluster.log" 2>&1 &
      PID[respite-cluster]=$!
      BENCH_ARGS[respite-cluster]="-r 100000"
      ;;
    respite)
      if [ ! -x "$RESPITE_BIN" ]; then
        echo "forward.sh: skipping respite: no binary at $RESPITE_BIN (build it or set RESPITE_BIN)" >&2
        continue
      fi
      PORT[respite]=$(free_port)
      "$RESPITE_BIN" --listen "127.0.0.1:${PORT[respite]}" \
        --upstream "redis://127.0.0.1:$REDIS_PORT" --data-dir "$WORK/respite-data" \
        --io-threads "$RESPITE_IO_THREADS" --log-level warn >"$WORK/respite.log" 2>&1 &
      PID[respite]=$!
      ;;
    twemproxy)
      if [ ! -x /usr/sbin/nutcracker ]; then echo "forward.sh: skipping twemproxy" >&2; continue; fi
      PORT[twemproxy]=$(free_port)
      cat >"$WORK/nutcracker.yml" <<EOF
bench:
  listen: 127.0.0.1:${PORT[twemproxy]}
  hash: fnv1a_64
  distribution: ketama
  redis: true
  timeout: 5000
  auto_eject_hosts: false
  servers:
    - 127.0.0.1:$REDIS_PORT:1
EOF
      /usr/sbin/nutcracker -c "$WORK/nutcracker.yml" -s "$(free_port)" -a 127.0.0.1 \
        -p "$WORK/nutcracker.pid" -o "$WORK/twemproxy.log" >"$WORK/twemproxy.out" 2>&1 &
      PID[twemproxy]=$!
      ;;
    haproxy)
      if ! command -v haproxy >/dev/null; then echo "forward.sh: skipping haproxy" >&2; continue; fi
      PORT[haproxy]=$(free_port)
      cat >"$WORK/haproxy.cfg" <<EOF
global
  maxconn 4096
defaults
  mode tcp
  timeout connect 5s
  timeout client 120s
  timeout server 120s
frontend bench
  bind 127.0.0.1:${PORT[haproxy]}
  default_backend redis
backend redis
  server r1 127.0.0.1:$REDIS_PORT
EOF
      haproxy -db -f "$WORK/haproxy.cfg" >"$WORK/haproxy.log" 2>&1 &
      PID[haproxy]=$!
      ;;
    *)
      echo "forward.sh: unknown target $target" >&2; exit 2
      ;;
  esac
  if [[ $target != direct* ]]; then PIDS+=("${PID[$target]}"); fi
  # The TLS arguments are redis-cli's too; the cluster ones are redis-benchmark's only.
  ping_args=${BENCH_ARGS[$target]:-}
  ping_args=${ping_args//--cluster/}
  # shellcheck disable=SC2086  # separate words
  wait_ping "${PORT[$target]}" "${PID[$target]}" "$target" ${ping_args//-r 100000/}
  ACTIVE+=("$target")
done

# -n per row: fixed by env, or calibrated on direct Redis to take ~SECONDS_PER_RUN.
declare -A NREQ
for row in "${ROWS[@]}"; do
  read -r c p <<<"$row"
  var="N_C${c}_P${p}"
  if [ -n "${!var:-}" ]; then
    NREQ[$row]=${!var}
  else
    probe=$((c * p * 400))
    rps=$(redis-benchmark -h 127.0.0.1 -p "$REDIS_PORT" -c "$c" -P "$p" -n "$probe" -d 64 -t set \
      --csv 2>/dev/null | awk -F'"' '$2 == "SET" { print $4 }')
    NREQ[$row]=$(awk -v r="$rps" -v s="$SECONDS_PER_RUN" 'BEGIN { n = int(r * s / 1000) * 1000;
      if (n < 10000) n = 10000; print n }')
  fi
  echo "forward.sh: -c $c -P $p: -n ${NREQ[$row]}" >&2
done

mkdir -p "$OUT_DIR"
CSV="$OUT_DIR/forward-$(date +%Y%m%d-%H%M%S).csv"
echo "round,target,test,clients,pipeline,requests,rps,p50_ms,p99_ms,proxy_cpu_s,redis_cpu_s" >"$CSV"

# CPU seconds of the Redis behind TARGET: the three cluster nodes' sum for the cluster rows.
redis_cpu_seconds() {
  if [[ $1 != *-cluster ]]; then cpu_seconds "$REDIS_PID"; return; fi
  local pid total=0
  for pid in "${CLUSTER_PIDS[@]}"; do
    total=$(awk -v a="$total" -v b="$(cpu_seconds "$pid")" 'BEGIN { printf "%.3f", a + b }')
  done
  echo "$total"
}

# One measurement: redis-benchmark against TARGET for ROW and TEST, appended to the CSV.
measure() {
  local round=$1 target=$2 c=$3 p=$4 test=$5 n out line rps p50 p99
  local proxy_before=0 proxy_after=0 redis_before redis_after
  n=${NREQ["$c $p"]}
  if [[ $target != direct* ]]; then proxy_before=$(cpu_seconds "${PID[$target]}"); fi
  redis_before=$(redis_cpu_seconds "$target")
  # shellcheck disable=SC2086  # BENCH_ARGS holds separate words
  out=$(redis-benchmark -h 127.0.0.1 -p "${PORT[$target]}" ${BENCH_ARGS[$target]:-} \
    -c "$c" -P "$p" -n "$n" -d 64 \
    -t "$test" --csv 2>>"$WORK/redis-benchmark.log") || {
    echo "forward.sh: redis-benchmark failed against $target (-c $c -P $p -t $test)" >&2
    return 0
  }
  redis_after=$(redis_cpu_seconds "$target")
  if [[ $target != direct* ]]; then proxy_after=$(cpu_seconds "${PID[$target]}"); fi
  # "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms",...
  line=$(echo "$out" | awk -F'","' -v t="${test^^}" '$1 == "\"" t { gsub(/"/, ""); print }')
  if [ -z "$line" ]; then
    echo "forward.sh: no $test result from $target: $out" >&2
    return 0
  fi
  IFS=, read -r _ rps _ _ p50 _ p99 _ <<<"$line"
  echo "$round,$target,${test^^},$c,$p,$n,$rps,$p50,$p99,$(awk -v a="$proxy_before" \
    -v b="$proxy_after" 'BEGIN { printf "%.3f", b - a }'),$(awk -v a="$redis_before" \
    -v b="$redis_after" 'BEGIN { printf "%.3f", b - a }')" >>"$CSV"
}

# The targets take turns row by row (a few seconds apart), not round by round, so a noisy
# stretch on the shared machine hits all of them in a row alike; who goes first rotates.
ntargets=${#ACTIVE[@]}
turn=0
for round in $(seq 1 "$ROUNDS"); do
  echo "forward.sh: round $round/$ROUNDS" >&2
  for row in "${ROWS[@]}"; do
    read -r c p <<<"$row"
    for test in "${TESTS[@]}"; do
      for i in $(seq 0 $((ntargets - 1))); do
        measure "$round" "${ACTIVE[$(((i + turn) % ntargets))]}" "$c" "$p" "$test"
      done
      turn=$((turn + 1))
    done
  done
done

for target in "${ACTIVE[@]}"; do
  if [[ $target != direct* ]] && ! kill -0 "${PID[$target]}" 2>/dev/null; then
    echo "forward.sh: $target died during the run; log:" >&2
    cat "$WORK/$target.log" >&2
  fi
done

echo "forward.sh: raw results in $CSV" >&2
python3 - "$CSV" <<'EOF'
import csv, statistics, sys
from collections import defaultdict

rows = list(csv.DictReader(open(sys.argv[1])))
groups = defaultdict(list)
for r in rows:
    groups[(r["target"], r["test"], r["clients"], r["pipeline"])].append(r)
order = {"direct": 0, "respite": 1, "twemproxy": 2, "haproxy": 3, "direct-tls": 4,
         "respite-tls": 5, "respite-client-tls": 6, "direct-cluster": 7, "respite-cluster": 8}
base = lambda target: ("direct-tls" if target.endswith("-tls") else
                       "direct-cluster" if target.endswith("-cluster") else "direct")
med = lambda rs, k: statistics.median(float(r[k]) for r in rs)
def per_req_us(rs, k):
    return statistics.median(float(r[k]) * 1e6 / float(r["requests"]) for r in rs)

print(f"redis-benchmark -d 64, medians of {max(int(r['round']) for r in rows)} interleaved rounds "
      "(CPU: utime+stime per request)\n")
print("| target | test | row | req/s | p50 ms | p99 ms | vs direct (-tls, -cluster: theirs) "
      "| proxy CPU µs/req "
      "| redis CPU µs/req |")
print("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
keys = sorted(groups, key=lambda k: (-int(k[2]), int(k[3]), k[1], order.get(k[0], 9)))
for key in keys:
    target, test, c, p = key
    rs = groups[key]
    rps = med(rs, "rps")
    direct = groups.get((base(target), test, c, p))
    ratio = f"{rps / med(direct, 'rps'):.2f}" if direct else "-"
    proxy = "-" if target.startswith("direct") else f"{per_req_us(rs, 'proxy_cpu_s'):.2f}"
    print(f"| {target} | {test} | -c {c} -P {p} | {rps:,.0f} | {med(rs, 'p50_ms'):.3f} "
          f"| {med(rs, 'p99_ms'):.3f} | {ratio} | {proxy} | {per_req_us(rs, 'redis_cpu_s'):.2f} |")

# respite's TLS targets against direct-tls, paired within each round (a row's runs seconds apart).
by_round = {(r["round"], r["target"], r["test"], r["clients"], r["pipeline"]): r for r in rows}
described = {"respite-tls": "plain client, respite speaks TLS to Redis",
             "respite-client-tls": "TLS client to respite's TLS listener, plain to Redis",
             "respite-cluster": "plain client, respite routes to the 3 masters"}
for mine_target, what in described.items():
    paired = defaultdict(list)
    for (rnd, target, test, c, p), mine in by_round.items():
        theirs = by_round.get((rnd, base(mine_target), test, c, p))
        if target == mine_target and theirs:
            paired[(test, c, p)].append(float(mine["rps"]) / float(theirs["rps"]))
    if not paired:
        continue
    theirs = ("direct-cluster (redis-benchmark --cluster to the nodes)"
              if mine_target.endswith("-cluster") else "direct-tls (TLS client to Redis)")
    print(f"\n{mine_target} ({what}) / {theirs}, median of per-round req/s ratios\n")
    print("| row | test | rounds | ratio |\n| --- | --- | ---: | ---: |")
    for (test, c, p), ratios in sorted(paired.items(), key=lambda kv: (-int(kv[0][1]),
                                                                        int(kv[0][2]), kv[0][0])):
        print(f"| -c {c} -P {p} | {test} | {len(ratios)} | {statistics.median(ratios):.2f} |")
EOF
echo
"$ROOT/bench/forward_pooled.py" "$CSV"
