#!/usr/bin/env bash
# The whole test suite: format and lint checks, every Rust test, the quickstart, and the Java
# interop matrix against the real Apache RocketMQ 4.9.3 (installed from Maven Central by
# interop/setup.sh). Usage: ./test.sh [--no-interop]
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n==> %s\n' "$*"; }
start=$(date +%s)

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

mkdir -p target
step "cargo test (release profile, shared with the binaries below)"
cargo test --workspace --release 2>&1 | tee target/test-output.txt
grep -E "^test result:" target/test-output.txt | awk '{p+=$4; f+=$6} END {print "rust tests: " p " passed, " f " failed"}'

step "build the rocklet binary and the interop driver"
cargo build --release --bins --examples

step "rocklet quickstart"
RUST_LOG=warn ./target/release/rocklet quickstart

if [[ "${1:-}" != "--no-interop" ]]; then
  step "Java interop matrix (interop/run.sh)"
  ROCKLET_BIN="$PWD/target/release/rocklet" interop/run.sh
fi

printf '\nall tests passed in %ss\n' "$(( $(date +%s) - start ))"
