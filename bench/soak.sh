#!/usr/bin/env bash
# Soak test, loopback only, bounded: the release showcase with the Redis store under mixed
# traffic for MINUTES (default 30), Redis restarted half-way without its data: stopped without
# saving, down 5 s, started again empty (as a failover to an empty replica or a Redis without
# persistence restarts). The server notices the lost data by its epoch marker and writes back
# every unexpired revocation it holds, so no revoked token is ever let through.
#
#   bash bench/soak.sh 30
#
# Traffic (bench/src/bin/soak.rs, 16 connections): valid tokens from a pool of 10,000, expired
# and forged tokens, API keys, logins with refresh rotation and reuse, logouts, replays of every
# token revoked so far. Records the server's RSS every 10 s, the requests by status, p50/p99.
# Fails if a forged, expired or revoked credential is ever let through, if a 5xx appears other
# than 503 while Redis is down (plus 15 s to reconnect), or if RSS grows by more than 64 MiB
# between the first minute and the end (the caches are bounded far below that).
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
secs=$((MINUTES * 60))
port=18200
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/auth-actix/target}"
redis_start() {
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/soak.log
}
(exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null || redis_start

cargo build --release -q -p examples --bin showcase
cargo build --release -q -p bench --bin soak
bin="$CARGO_TARGET_DIR/release"
out=$(mktemp -d)
secret="soak-test-secret-that-is-long-enough-0123"
key="sk-soak-client-0001"

AUTH_BIND="127.0.0.1:$port" AUTH_JWT_SECRET="$secret" AUTH_API_KEYS="$key=articles.read" \
  AUTH_REVOCATION="redis://127.0.0.1:6379" RUST_LOG=warn "$bin/showcase" >"$out/server.log" 2>&1 &
server=$!
pids=($server)
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$port/public" && break; sleep 0.1; done

rss() { awk '/VmRSS/ {print $2}' "/proc/$server/status"; }
( t=0; while kill -0 "$server" 2>/dev/null; do echo "$t $(rss)"; sleep 10; t=$((t + 10)); done ) >"$out/rss" &
pids+=($!)

# Redis down for 5 s, half-way.
outage_from=$((secs / 2))
outage_to=$((outage_from + 5 + 15))
rm -f /var/lib/redis/dump.rdb
( sleep "$outage_from"; redis-cli -p 6379 shutdown nosave >/dev/null 2>&1 || true
  echo "redis down at ${outage_from}s"; sleep 5; redis_start; echo "redis up at $((outage_from + 5))s" ) &
pids+=($!)

status=0
"$bin/soak" "http://127.0.0.1:$port" "$secs" "$secret" "$key" "$outage_from" "$outage_to" \
  | tee "$out/soak" || status=$?

start_rss=$(awk 'NR == 1 {print $2}' "$out/rss")
warm_rss=$(awk '$1 >= 60 {print $2; exit}' "$out/rss")
peak_rss=$(awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$out/rss")
end_rss=$(tail -1 "$out/rss" | awk '{print $2}')
echo "RSS (KiB): start $start_rss, after 1 min ${warm_rss:-?}, peak $peak_rss, end $end_rss (samples in $out/rss)"
if [ -n "${warm_rss:-}" ] && [ $((end_rss - warm_rss)) -gt $((64 * 1024)) ]; then
  echo "soak: RSS grew by $(( (end_rss - warm_rss) / 1024 )) MiB after the first minute"
  status=1
fi
if grep -q "panicked" "$out/server.log"; then echo "soak: the server panicked"; status=1; fi
[ "$status" = 0 ] && echo "soak passed" || echo "soak FAILED"
exit "$status"
