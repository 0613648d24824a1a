#!/usr/bin/env bash
# The consumer queue-allocation strategies (crates/client/src/consumer/allocate.rs) against the
# real 4.9.3 client: runs AllocateGolden.java (the five Java strategies on fixed cases) into
# work/allocate_golden.tsv and diffs it with the committed golden file that
# crates/client/tests/allocate_golden.rs checks the Rust strategies against. A difference means
# the committed file no longer is what the Java client computes.
#
#   interop/allocate.sh [FILTER]     check (cell allocate/java-golden)
#   interop/allocate.sh --regen      rewrite crates/client/tests/data/allocate_golden.tsv
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
GOLDEN="$REPO/crates/client/tests/data/allocate_golden.tsv"
WORK="$HERE/work/allocate"
CP="$HERE/target/classes:$HERE/target/lib/*"
REGEN=0
case "${1:-}" in
  --regen) REGEN=1 ;;
  ""|allocate*) ;;
  *) echo "allocate: filter '$1' selects nothing"; exit 0 ;;
esac
t0=$SECONDS
"$HERE/setup.sh" >/dev/null || { echo "FAIL allocate/java-golden: setup.sh failed"; exit 1; }
rm -rf "$WORK"; mkdir -p "$WORK/home"
out="$HERE/work/allocate_golden.tsv"
# Java's MD5 hash uses String.getBytes() (platform charset): pin UTF-8, as the Rust side uses.
if ! java -Xms256m -Xmx256m -XX:TieredStopAtLevel=1 -Dfile.encoding=UTF-8 -Duser.home="$WORK/home" \
    -Drocketmq.client.logRoot="$WORK/home/logs" -cp "$CP" rocklet.interop.AllocateGolden \
    >"$out" 2>"$WORK/java.err"; then
  echo "FAIL allocate/java-golden: AllocateGolden failed: $(tail -1 "$WORK/java.err")"
  exit 1
fi
if (( REGEN )); then
  mkdir -p "$(dirname "$GOLDEN")"
  cp "$out" "$GOLDEN"
  echo "allocate: wrote ${GOLDEN#"$REPO"/} ($(wc -l <"$GOLDEN") lines)"
  exit 0
fi
if diff -u "$GOLDEN" "$out" >"$WORK/golden.diff"; then
  echo "PASS allocate/java-golden ($((SECONDS - t0))s) - $(wc -l <"$out") lines identical"
else
  echo "FAIL allocate/java-golden: the 4.9.3 client's output differs from ${GOLDEN#"$REPO"/} in $(grep -c '^[-+][^-+]' "$WORK/golden.diff") lines; see interop/work/allocate/golden.diff"
  exit 1
fi
