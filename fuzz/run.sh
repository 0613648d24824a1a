#!/usr/bin/env bash
# Build the fuzz targets and run each for a while: fuzz/run.sh [SECONDS_PER_TARGET] [MAX_RUNS]
#   SECONDS_PER_TARGET  libFuzzer -max_total_time per target (default 10)
#   MAX_RUNS            also stop a target after this many executions (default: no limit)
#   FUZZ_TARGETS        space-separated subset of targets (default: all of fuzz/Cargo.toml)
# Prints `fuzz <target>: <execs> execs, <crashes> crashes` per target (and, after it, libFuzzer's
# final coverage line), keeps each target's log in fuzz/logs/, and exits non-zero if any target
# crashed (panic, failed assertion, overflow, allocation over 80 MiB, RSS over 2 GiB, or one input
# running over 10 s); the reproducers are in fuzz/artifacts/<target>/. Needs a nightly toolchain
# (`cargo +nightly`); without one it prints SKIP and exits 0. Installs cargo-fuzz if missing.
set -uo pipefail
secs=${1:-10}
max_runs=${2:-0}
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

if ! cargo +nightly --version >/dev/null 2>&1; then
    echo "fuzz: SKIP (no nightly toolchain; \`cargo +nightly\` is unavailable)"
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz: installing cargo-fuzz"
    cargo +nightly install cargo-fuzz --locked >/dev/null 2>&1 || {
        echo "fuzz: FAILED to install cargo-fuzz"
        exit 1
    }
fi

# -s none: no sanitizer (the decoders are safe Rust; much faster); -a: debug assertions and
# overflow checks on. Allocation limits come from fuzz/src/lib.rs (libFuzzer's
# -malloc_limit_mb needs a sanitizer) and -rss_limit_mb.
if ! nice -n 19 cargo +nightly fuzz build -s none -a >logs.build 2>&1; then
    cat logs.build
    echo "fuzz: FAILED to build the targets"
    exit 1
fi
rm -f logs.build
"$here/seed.sh" >/dev/null

triple=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin="$here/target/$triple/release"
targets=${FUZZ_TARGETS:-$(cd fuzz_targets && ls *.rs | sed "s/\.rs$//")}
mkdir -p logs
failed=0
for t in $targets; do
    mkdir -p "artifacts/$t" "corpus/$t"
    before=$(ls "artifacts/$t" | wc -l)
    start=$(date +%s)
    nice -n 19 "$bin/$t" "corpus/$t" \
        -max_total_time="$secs" -runs="$( [ "$max_runs" -gt 0 ] && echo "$max_runs" || echo -1)" \
        -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1
    rc=$?
    elapsed=$(( $(date +%s) - start ))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "logs/$t.log" | tail -1)
    crashes=$(( $(ls "artifacts/$t" | wc -l) - before ))
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then crashes=1; fi
    echo "fuzz $t: ${execs:-0} execs, $crashes crashes"
    final=$(grep -E '^#[0-9]+[[:space:]]+(DONE|pulse|NEW|REDUCE|INITED)' "logs/$t.log" | tail -1)
    echo "    ${elapsed}s; ${final:-no libFuzzer status line}"
    if [ "$crashes" -ne 0 ]; then
        failed=1
        grep -m1 -A3 -E 'panicked|ERROR: libFuzzer|==ERROR|rocklet-fuzz:' "logs/$t.log" | sed 's/^/    /'
        ls "artifacts/$t" | sed "s|^|    artifact: fuzz/artifacts/$t/|"
    fi
done
exit $failed
