#!/usr/bin/env bash
# Instructions per request, counted by callgrind (deterministic: the same binary and inputs give
# the same count whatever else the machine does), for the protected routes against their public
# twins: HS256 with the same token on every request (the verified-token cache's path), and the
# API key. Loopback only, bounded: N requests a case on one keep-alive connection.
#
#   bash bench/instructions.sh          # N=2000 requests a case, after 500 uncounted
#
# Prints, per case, instructions a request on the protected route, on its twin, and the
# difference (what authentication and authorization cost). Needs valgrind (Debian's package).
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-2000}
WARM=${WARM:-500}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
command -v valgrind >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind; }
cargo build --release -q -p bench --bin ours --bin mint
bin="$CARGO_TARGET_DIR/release"
tok=$(mktemp -d)
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$tok" "$out"' EXIT
"$bin/mint" "$tok" 1 >/dev/null

# drive PORT PATH HEADER N: N requests on one keep-alive connection, each answered 200.
drive() {
  python3 - "$@" <<'PY'
import http.client, sys
port, path, header, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
name, _, value = header.partition(": ")
c = http.client.HTTPConnection("127.0.0.1", int(port))
for _ in range(n):
    c.request("GET", path, headers={name: value} if name else {})
    r = c.getresponse(); r.read()
    assert r.status == 200, (path, r.status)
PY
}

# count PORT MODE PATH HEADER -> instructions a request on PATH of `ours PORT MODE`
count() {
  local port=$1 mode=$2 path=$3 header=$4
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/cg.%p" \
    "$bin/ours" "$port" $mode >/dev/null 2>"$out/valgrind.log" &
  local pid=$!
  for _ in $(seq 1 300); do curl -s -o /dev/null "http://127.0.0.1:$port/public" && break; sleep 0.1; done
  drive "$port" "$path" "$header" "$WARM"
  callgrind_control -z "$pid" >/dev/null 2>&1
  callgrind_control -i on "$pid" >/dev/null 2>&1
  drive "$port" "$path" "$header" "$N"
  callgrind_control -i off "$pid" >/dev/null 2>&1
  callgrind_control -d "$pid" >/dev/null 2>&1
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local total
  total=$(cat "$out"/cg.* | awk '/^totals:/ {s += $2} END {print s + 0}')
  rm -f "$out"/cg.*
  echo $((total / N))
}

bearer="Authorization: Bearer $(cat "$tok/hs256.one")"
key="X-API-Key: sk-bench-reader-0001"
printf '%-8s %12s %12s %12s\n' case protected twin difference
for case in hs256 apikey; do
  header=$bearer; [ "$case" = apikey ] && header=$key
  # The twin on an instance whose pairs are swapped: found after the same route matches.
  protected=$(count 18121 "" "/$case" "$header")
  twin=$(count 18122 twins-swapped "/public/$case" "")
  printf '%-8s %12d %12d %12d\n' "$case" "$protected" "$twin" $((protected - twin))
done
