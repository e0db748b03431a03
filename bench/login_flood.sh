#!/usr/bin/env bash
# `GET /public` latency while failed logins flood the server (issue #14, defect 3): loopback
# only, bounded in time. Starts the release showcase (or the binary given), runs LOOPS
# concurrent loops of failed logins for DURATION seconds, and meanwhile times /public every 50 ms.
#
#   bash bench/login_flood.sh                 # LOOPS=8 DURATION=10 (seconds), this checkout's showcase
#   bash bench/login_flood.sh path/to/showcase
#
# The showcase throttles failed logins (5 per username and address, 20 per address, then 429
# without hashing), so after the first failures of each loop this measures the 429 path.
set -euo pipefail
cd "$(dirname "$0")/.."
LOOPS=${LOOPS:-8}
DURATION=${DURATION:-10}
PORT=${PORT:-18190}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --release -q -p examples --bin showcase
  bin="$CARGO_TARGET_DIR/release/showcase"
fi
base="http://127.0.0.1:$PORT"
RUST_LOG=off AUTH_BIND="127.0.0.1:$PORT" "$bin" >/dev/null 2>&1 &
server=$!
pids=()
trap 'kill $server "${pids[@]}" 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null "$base/public" && break; sleep 0.1; done
end=$((SECONDS + DURATION))
for _ in $(seq 1 "$LOOPS"); do
  ( while [ $SECONDS -lt $end ]; do
      curl -s -o /dev/null -X POST "$base/auth/token" -H 'Content-Type: application/json' \
        -d '{"username":"alice","password":"wrong"}'
    done ) &
  pids+=($!)
done
sleep 1
times=$(mktemp)
while [ $SECONDS -lt $((end - 1)) ]; do
  curl -s -o /dev/null -w '%{time_total}\n' "$base/public" >>"$times"
  sleep 0.05
done
wait "${pids[@]}" 2>/dev/null || true
sort -n "$times" | awk -v loops="$LOOPS" '{ v[NR] = $1 * 1000 } END {
  printf "GET /public with %d failed-login loops: %d requests, median %.2f ms, max %.2f ms\n",
    loops, NR, v[int((NR + 1) / 2)], v[NR] }'
