#!/usr/bin/env bash
# Load benchmark, loopback only, bounded in time: builds the release servers, then measures,
# interleaved in one run, requests/s and p99 latency for the public route, our protected route
# (#[auth(jwt)] + has_permission) for HS256/RS256/ES256/EdDSA, the same route in the peer
# stack (actix-web-httpauth + jsonwebtoken + actix-web-grants), and our API-key route; with the
# same token on every request and with a different token from a pool of 10,000; and a gRPC
# method behind auth-tonic's layer against the same method without it (grpc-hs256).
#
#   bash bench/load.sh            # DUR=4 seconds a case, RUNS=5 interleaved rounds (medians);
#                                 # side by side: AB_RUNS=9 windows of AB_DUR=3 seconds (medians)
#   RUNS=0 AB_CASES="hs256 apikey" bash bench/load.sh   # only those side-by-side cases (an A/B
#                                 # of a change in a few minutes)
#
# Each server runs one worker pinned to core 0; wrk (-t1 -c32) is pinned to core 1.
#
# Two measures of protected/public:
# - in turn: each case alone for DUR seconds, RUNS rounds, ratios of req/s from the same round;
# - side by side (A/B): the protected route on one server and its public twin on an identical
#   server (the same binary, the twin at the protected route's place in the route table), both on
#   core 0, loaded at once by two wrk on core 1 for AB_DUR seconds, AB_RUNS
#   times. The two servers share the core's time, so their req/s ratio is the ratio of their
#   costs per request, and whatever slows the machine during the window slows both alike.
#   The servers' CPU time (from /proc) is reported beside it as a check, and their user-space
#   CPU per request (utime): what the protected route's own code adds, without the kernel's
#   loopback TCP and the wake-ups of the client, which grow as a server slows (bench/RESULTS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${DUR:-4}
RUNS=${RUNS:-5}
AB_DUR=${AB_DUR:-3}
AB_RUNS=${AB_RUNS:-9}
AB_CASES=${AB_CASES:-}
POOL_SIZE=${POOL_SIZE:-10000}
OURS_PORT=18101
PEER_PORT=18102
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"

command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; }
cargo build --release -q -p bench --bins
bin="$CARGO_TARGET_DIR/release"
tok="$CARGO_TARGET_DIR/bench-tokens"
"$bin/mint" "$tok" "$POOL_SIZE"

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
start() { # start NAME PORT [MODE] -> pid
  taskset -c 0 "$bin/$1" "$2" ${3:-} >/dev/null 2>&1 &
  pids+=($!)
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$2/public" && return 0; sleep 0.05; done
  echo "$1 did not start"; exit 1
}
start ours $OURS_PORT; ours_pid=${pids[-1]}
start peer $PEER_PORT; peer_pid=${pids[-1]}
# A third instance that only ever serves public routes: the RSS baseline, and the twins' server
# in the side-by-side measure. Its pairs are swapped, so that each twin is found after the same
# failed route matches as its protected route on the first instance.
start ours 18103 twins-swapped; base_pid=${pids[-1]}
# A fourth with its revocations in Redis.
start_redis() {
  taskset -c 0 "$bin/ours" 18104 redis >/dev/null 2>&1 &
  pids+=($!)
  redis_pid=$!
  for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:18104/public" && return 0; sleep 0.05; done
  echo "ours with Redis did not start (is Redis running on 127.0.0.1:6379?)"; exit 1
}
start_redis
# A fifth whose `jwt` backend also takes an identity provider's tokens (issuer bench-idp), its
# keys fetched from a JWKS this process serves over loopback HTTP.
start ours 18105 jwks; jwks_pid=${pids[-1]}

# case name | port | path | mode (none, one:<alg>, pool:<alg>, key)
# The "public-..." cases are the baselines: a public route under exactly the load of the
# protected cases (the same header, or the same pool script, whose request formatting costs wrk
# time), so that the ratio against them is the cost of authentication alone. For the same
# token it is the protected route's public twin (`/public/<alg>`, registered just before it, so
# that finding it in the route table costs nearly the same: one failed match less).
cases=(
  "public|$OURS_PORT|/public|none"
  "public-peer|$PEER_PORT|/public|none"
  "public-pool|$OURS_PORT|/public|pool:hs256"
  "public-key|$OURS_PORT|/public/apikey|key"
  "apikey|$OURS_PORT|/apikey|key"
  "public-only-instance|18103|/public|none"
  "ours-hs256-redis-same|18104|/hs256|one:hs256"
)
for alg in hs256 rs256 es256 eddsa; do
  cases+=("public-$alg|$OURS_PORT|/public/$alg|one:$alg")
  cases+=("ours-$alg-same|$OURS_PORT|/$alg|one:$alg" "peer-$alg-same|$PEER_PORT|/$alg|one:$alg")
  cases+=("ours-$alg-pool|$OURS_PORT|/$alg|pool:$alg" "peer-$alg-pool|$PEER_PORT|/$alg|pool:$alg")
done

load() { # load DURATION URL MODE -> wrk's output
  local dur=$1 url=$2 mode=$3
  case $mode in
    none) taskset -c 1 wrk -t1 -c32 -d"${dur}s" --latency "$url" ;;
    key) taskset -c 1 wrk -t1 -c32 -d"${dur}s" --latency -H "X-API-Key: sk-bench-reader-0001" "$url" ;;
    one:*) taskset -c 1 wrk -t1 -c32 -d"${dur}s" --latency -H "Authorization: Bearer $(cat "$tok/${mode#one:}.one")" "$url" ;;
    pool:*) POOL="$tok/${mode#pool:}.pool" taskset -c 1 wrk -t1 -c32 -d"${dur}s" --latency -s bench/pool.lua "$url" ;;
  esac
}

run_case() { # -> "rps p99_ms"
  local port=$1 path=$2 mode=$3 out
  local url="http://127.0.0.1:$port$path"
  out=$(load "$DUR" "$url" "$mode")
  if echo "$out" | grep -q "Non-2xx"; then echo "non-2xx answers for $url ($mode)" >&2; echo "$out" >&2; exit 1; fi
  local rps p99
  rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(echo "$out" | awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}')
  echo "$rps $p99"
}

results=$(mktemp)
for run in $(seq 1 "$RUNS"); do
  for c in "${cases[@]}"; do
    IFS='|' read -r name port path mode <<<"$c"
    echo "$name $(run_case "$port" "$path" "$mode")" >>"$results"
    printf '.' >&2
  done
done
echo >&2

# Side by side: name | A port | A path | B port | B path | mode; the ratio is B/A. For the
# protected/public cases A is the protected route's twin, served by the public-only instance
# (the same binary, with each twin at its protected route's place); the last two put our
# protected route against the peer stack's.
ab_cases=(
  "hs256|18103|/public/hs256|$OURS_PORT|/hs256|one:hs256"
  "rs256|18103|/public/rs256|$OURS_PORT|/rs256|one:rs256"
  "es256|18103|/public/es256|$OURS_PORT|/es256|one:es256"
  "eddsa|18103|/public/eddsa|$OURS_PORT|/eddsa|one:eddsa"
  "apikey|18103|/public/apikey|$OURS_PORT|/apikey|key"
  "hs256-redis|18103|/public/hs256|18104|/hs256|one:hs256"
  "hs256-pool|18103|/public/hs256|$OURS_PORT|/hs256|pool:hs256"
  "rs256-jwks|18103|/public/rs256|18105|/rs256|one:rs256-idp"
  "jwks/static-rs256|$OURS_PORT|/rs256|18105|/rs256|one:rs256-idp"
  "ours/peer-hs256|$PEER_PORT|/hs256|$OURS_PORT|/hs256|one:hs256"
  "ours/peer-rs256|$PEER_PORT|/rs256|$OURS_PORT|/rs256|one:rs256"
)
cpu_ns() { # CPU time of every thread of process $1, in ns
  cat /proc/"$1"/task/*/schedstat | awk '{s += $1} END {printf "%d", s}'
}
user_ticks() { # user-space CPU time of every thread of process $1, in clock ticks (utime)
  cat /proc/"$1"/task/*/stat | sed 's/^.*) //' | awk '{s += $12} END {printf "%d", s}'
}
pid_of_port() {
  case $1 in
    "$OURS_PORT") echo "$ours_pid" ;; "$PEER_PORT") echo "$peer_pid" ;;
    18103) echo "$base_pid" ;; 18104) echo "$redis_pid" ;; 18105) echo "$jwks_pid" ;;
  esac
}
ab_results=$(mktemp)
for run in $(seq 1 "$AB_RUNS"); do
  for c in "${ab_cases[@]}"; do
    IFS='|' read -r name port_a path_a port_b path_b mode <<<"$c"
    if [ -n "$AB_CASES" ] && [[ " $AB_CASES " != *" $name "* ]]; then continue; fi
    pid_a=$(pid_of_port "$port_a"); pid_b=$(pid_of_port "$port_b")
    a0=$(cpu_ns "$pid_a"); b0=$(cpu_ns "$pid_b")
    ua0=$(user_ticks "$pid_a"); ub0=$(user_ticks "$pid_b")
    fa=$(mktemp); fb=$(mktemp)
    # The two loads start in turn, first A then B in odd windows and the other way in even
    # ones, so that neither side always starts first.
    if ((run % 2)); then
      load "$AB_DUR" "http://127.0.0.1:$port_a$path_a" "$mode" >"$fa" & wa=$!
      load "$AB_DUR" "http://127.0.0.1:$port_b$path_b" "$mode" >"$fb" & wb=$!
    else
      load "$AB_DUR" "http://127.0.0.1:$port_b$path_b" "$mode" >"$fb" & wb=$!
      load "$AB_DUR" "http://127.0.0.1:$port_a$path_a" "$mode" >"$fa" & wa=$!
    fi
    wait "$wa" "$wb"
    a1=$(cpu_ns "$pid_a"); b1=$(cpu_ns "$pid_b")
    ua1=$(user_ticks "$pid_a"); ub1=$(user_ticks "$pid_b")
    for f in "$fa" "$fb"; do
      if grep -q "Non-2xx" "$f"; then echo "non-2xx answers in A/B case $name" >&2; cat "$f" >&2; exit 1; fi
    done
    ra=$(awk '/Requests\/sec/ {print $2}' "$fa"); rb=$(awk '/Requests\/sec/ {print $2}' "$fb")
    echo "$name $ra $rb $((a1 - a0)) $((b1 - b0)) $((ua1 - ua0)) $((ub1 - ub0))" >>"$ab_results"
    rm -f "$fa" "$fb"
    printf '.' >&2
  done
done
echo >&2

# gRPC, side by side: the showcase's ListArticles behind AuthLayer (B) against the same method on
# a server without the layer (A), each a one-thread tonic server on core 0, driven at once by two
# tonic load clients (grpc_load drive: 32 calls in flight over 4 connections) on core 1, with the
# same cached HS256 token. The clients cost about what the servers do, so the decisive figure is
# "per CPU-s": calls served per CPU-second of each server.
if [ -z "$AB_CASES" ] || [[ " $AB_CASES " == *" grpc-hs256 "* ]]; then
  start_grpc() { # start_grpc PORT MODE -> pid in $!
    taskset -c 0 "$bin/grpc_load" serve "$1" "$2" >/dev/null 2>&1 &
    pids+=($!)
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done
    echo "grpc_load serve $1 $2 did not start"; exit 1
  }
  start_grpc 18106 open; grpc_open_pid=${pids[-1]}
  start_grpc 18107 protected; grpc_auth_pid=${pids[-1]}
  for run in $(seq 1 "$AB_RUNS"); do
    a0=$(cpu_ns "$grpc_open_pid"); b0=$(cpu_ns "$grpc_auth_pid")
    ua0=$(user_ticks "$grpc_open_pid"); ub0=$(user_ticks "$grpc_auth_pid")
    fa=$(mktemp); fb=$(mktemp)
    taskset -c 1 "$bin/grpc_load" drive 127.0.0.1:18106 "$AB_DUR" "$tok/hs256.one" >"$fa" & wa=$!
    taskset -c 1 "$bin/grpc_load" drive 127.0.0.1:18107 "$AB_DUR" "$tok/hs256.one" >"$fb" & wb=$!
    wait "$wa" "$wb"
    a1=$(cpu_ns "$grpc_open_pid"); b1=$(cpu_ns "$grpc_auth_pid")
    ua1=$(user_ticks "$grpc_open_pid"); ub1=$(user_ticks "$grpc_auth_pid")
    read -r ca ea <"$fa"; read -r cb eb <"$fb"
    if [ "$ea" != 0 ] || [ "$eb" != 0 ]; then echo "gRPC calls failed: open $ea, protected $eb" >&2; exit 1; fi
    echo "grpc-hs256 $(awk -v c="$ca" -v d="$AB_DUR" 'BEGIN {print c / d}') $(awk -v c="$cb" -v d="$AB_DUR" 'BEGIN {print c / d}') $((a1 - a0)) $((b1 - b0)) $((ua1 - ua0)) $((ub1 - ub0))" >>"$ab_results"
    rm -f "$fa" "$fb"
    printf '.' >&2
  done
  echo >&2
fi
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
ours_rss=$(rss "$ours_pid")
base_rss=$(rss "$base_pid")

python3 - "$results" "$ours_rss" "$base_rss" "$DUR" "$RUNS" "$ab_results" "$AB_DUR" "$AB_RUNS" "$(getconf CLK_TCK)" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    name, rps, p99 = line.split()
    rows.setdefault(name, []).append((float(rps), float(p99)))
med = {k: (statistics.median(r for r, _ in v), statistics.median(p for _, p in v)) for k, v in rows.items()}

def ratio(a, b):
    """Median over the rounds of a's req/s over b's in the same round: each round's pair ran
    minutes apart at most, so slow drifts of the machine cancel out of each ratio."""
    return statistics.median(x[0] / y[0] for x, y in zip(rows[a], rows[b]))

def baseline(name):
    """The public route under the same load as `name` (same header or same pool script)."""
    if name == "apikey":
        return "public-key"
    if name.endswith("-pool"):
        return "public-pool"
    for alg in ("hs256", "rs256", "es256", "eddsa"):
        if name.startswith(("ours-" + alg, "peer-" + alg)):
            return "public-" + alg
    return None

print(f"\nload benchmark: wrk -t1 -c32 -d{sys.argv[4]}s, {sys.argv[5]} interleaved rounds; servers: 1 worker on core 0, wrk on core 1")
print("req/s and p99: medians over the rounds; ratios: medians over the rounds of each round's ratio")
print("/public: against the bare public route; /same-load: against the public route under the same load")
print("(the same Authorization or X-API-Key header, or the same pool script)")
print(f"{'case':<22}{'req/s':>11}{'p99 ms':>9}{'/public':>9}{'/same-load':>12}{'ours/peer':>11}")
for name in rows:
    rps, p99 = med[name]
    peer = name.replace("ours-", "peer-") if name.startswith("ours-") and "redis" not in name else None
    vs_peer = f"{ratio(name, peer):.2f}" if peer in med else ""
    base = baseline(name)
    same = f"{ratio(name, base):.2f}" if base in med else ""
    print(f"{name:<22}{rps:>11.0f}{p99:>9.2f}{ratio(name, 'public'):>9.2f}{same:>12}{vs_peer:>11}")
ab = {}
for line in open(sys.argv[6]):
    name, ra, rb, ca, cb, ua, ub = line.split()
    ab.setdefault(name, []).append((float(ra), float(rb), int(ca), int(cb), int(ua), int(ub)))
tick_us = 1e6 / int(sys.argv[9])
dur = float(sys.argv[7])
print(f"\nside by side (A/B): two servers sharing core 0, loaded at once by two wrk (-t1 -c32) on core 1,")
print(f"{sys.argv[7]}s, {sys.argv[8]} times; medians. A: the protected route's public twin (at the same place in the")
print("route table, on a server of the same binary), or for ours/peer the peer's route; B: our protected route")
print("req/s ratio: B/A in the same window; per CPU-second: (requests/CPU s of B)/(same of A); CPU share: B's;")
print("user us/req: user-space CPU per request of A and of B (utime, clock ticks: about +-0.1 us), and B - A:")
print("what the protected route costs in user space, without the kernel's loopback TCP and wake-ups")
print(f"{'case':<17}{'A req/s':>10}{'B req/s':>10}{'req/s ratio':>13}{'per CPU-s':>11}{'CPU share':>11}{'user us/req A':>15}{'B':>7}{'B - A':>8}")
for name, v in ab.items():
    rs = statistics.median(r[1] / r[0] for r in v)
    per_cpu = statistics.median((b / cb) / (a / ca) for a, b, ca, cb, _, _ in v if ca and cb)
    share = statistics.median(cb / (ca + cb) for _, _, ca, cb, _, _ in v if ca + cb)
    user = [(ua * tick_us / (a * dur), ub * tick_us / (b * dur)) for a, b, _, _, ua, ub in v if ua and ub]
    cols = ""
    if user:
        ua_med = statistics.median(x for x, _ in user)
        ub_med = statistics.median(y for _, y in user)
        diff = statistics.median(y - x for x, y in user)
        cols = f"{ua_med:>15.2f}{ub_med:>7.2f}{diff:>+8.2f}"
    print(f"{name:<17}{statistics.median(r[0] for r in v):>10.0f}{statistics.median(r[1] for r in v):>10.0f}{rs:>13.3f}{per_cpu:>11.3f}{share:>11.2f}{cols}")
ours, base = int(sys.argv[2]), int(sys.argv[3])
print(f"\nRSS after the run: ours {ours / 1024:.1f} MiB, public-only {base / 1024:.1f} MiB, ratio {ours / base:.2f}")
PY
