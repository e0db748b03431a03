#!/usr/bin/env bash
# Mutation testing of the security core (issue #19) with cargo-mutants: each mutant of the
# listed files (an operator swapped, a branch deleted, a function returning a default) is built
# and the workspace's tests are run against it; a mutant the tests do not catch is a behaviour
# nothing checks.
#
#   bash fuzz/mutants.sh                               # the five files below (hours)
#   bash fuzz/mutants.sh auth-core/src/policy.rs       # one file
#
# Tests: auth-core's own and the integration tests of tests/ (real Redis and PostgreSQL, as for
# the README's test command), with every feature, but not the trybuild UI tests (`--skip ui`)
# and not the doc tests, which rebuild the workspace for each mutant. The run mutates the
# working tree in place (each file is restored after its mutant) to reuse the project's build:
# do not edit the tree while it runs. Results: $MUTANTS_OUT (default target/mutants), with
# caught.txt, missed.txt, unviable.txt and timeout.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/auth-actix/target}"
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(auth-core/src/policy.rs auth-core/src/permissions.rs auth-core/src/api_key.rs
    auth-core/src/jwt/verify.rs auth-core/src/revocation/memory.rs)
fi
args=()
for f in "${files[@]}"; do args+=(--file "$f"); done
# One comma-separated --test-package (cargo-mutants 27 keeps one of several flags); a fixed
# timeout, since the automatic one would be set from a baseline of auth-core's tests alone.
# MUTANTS_TEST_PACKAGES=auth-core: auth-core's own tests only, about 7 s a mutant instead of 55.
cargo mutants --in-place "${args[@]}" --test-package "${MUTANTS_TEST_PACKAGES:-auth-core,tests}" --timeout 150 \
  --all-features -o "${MUTANTS_OUT:-target/mutants}" -- --lib --tests -- --exact --skip ui
