#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) from its committed seed corpus, and fails
# on a crash or a property violation (a target's assertion). Coverage-guided: cargo-fuzz with
# libFuzzer and AddressSanitizer. cargo-fuzz needs nightly flags (-Zsanitizer); the repository's
# stable toolchain accepts them with RUSTC_BOOTSTRAP=1, which is what this script sets, so no
# second toolchain is needed.
#
#   bash fuzz/run.sh 30        # 30 s a target
#   FUZZ_RUNS=20000 bash fuzz/run.sh   # a fixed number of inputs from a fixed seed (what CI
#                                      # runs: the same outcome on every run of the same code)
#
# New inputs the fuzzer finds go to a scratch copy of the corpus, not into the repository;
# a crash leaves its input under fuzz/artifacts/<target>/ to reproduce with
# `RUSTC_BOOTSTRAP=1 cargo fuzz run <target> fuzz/artifacts/<target>/<file>`.
set -euo pipefail
cd "$(dirname "$0")"
SECONDS_EACH=${1:-60}
export RUSTC_BOOTSTRAP=1
TARGET_DIR="${FUZZ_TARGET_DIR:-$HOME/.cache/auth-actix/fuzz-target}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for target in $(cargo fuzz list); do
  mkdir -p "$scratch/$target"
  cp corpus/"$target"/* "$scratch/$target/"
  if [ -n "${FUZZ_RUNS:-}" ]; then
    echo "==> fuzz $target: $FUZZ_RUNS inputs from seed 1"
  else
    echo "==> fuzz $target for ${SECONDS_EACH}s"
  fi
  log="$scratch/$target.log"
  if [ -n "${FUZZ_RUNS:-}" ]; then
    bound=(-runs="$FUZZ_RUNS" -seed=1)
  else
    bound=(-max_total_time="$SECONDS_EACH")
  fi
  # The endpoint targets serve an actix app whose pools and caches outlive an input: libFuzzer
  # would take them for leaks and scan the heap after every input (ten times slower).
  case "$target" in
    login_body | refresh_request) leaks=(-detect_leaks=0) ;;
    *) leaks=() ;;
  esac
  if ! cargo fuzz run --target-dir "$TARGET_DIR" "$target" "$scratch/$target" -- \
    "${bound[@]}" "${leaks[@]}" -max_len=4096 -print_final_stats=1 >"$log" 2>&1; then
    grep -v '^ *[0-9]*: \|^ *at ' "$log" | tail -40
    echo "fuzz target $target failed: the input is under fuzz/artifacts/$target/"
    exit 1
  fi
  tail -4 "$log"
done
echo "fuzzing passed"
