#!/usr/bin/env bash
# Runs every fuzz target for SECONDS each (default 60) from its committed seed corpus, and fails
# on a crash or a property violation (a target's assertion). Coverage-guided: cargo-fuzz with
# libFuzzer and AddressSanitizer. cargo-fuzz needs nightly flags (-Zsanitizer); the repository's
# stable toolchain accepts them with RUSTC_BOOTSTRAP=1, which is what this script sets, so no
# second toolchain is needed.
#
#   bash fuzz/run.sh 30        # 30 s a target
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
  echo "==> fuzz $target for ${SECONDS_EACH}s"
  log="$scratch/$target.log"
  if ! cargo fuzz run --target-dir "$TARGET_DIR" "$target" "$scratch/$target" -- \
    -max_total_time="$SECONDS_EACH" -max_len=4096 -print_final_stats=1 >"$log" 2>&1; then
    grep -v '^ *[0-9]*: \|^ *at ' "$log" | tail -40
    echo "fuzz target $target failed: the input is under fuzz/artifacts/$target/"
    exit 1
  fi
  tail -4 "$log"
done
echo "fuzzing passed"
