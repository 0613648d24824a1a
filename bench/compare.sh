#!/usr/bin/env bash
# Side-by-side benchmark of Rocklet and Apache RocketMQ 4.9.3 on this machine, on 127.0.0.1:
#   (a) Java benchmark producer -> Java name server + broker
#   (b) rocklet bench           -> Java name server + broker      (the client alone)
#   (c) Java benchmark producer -> Rocklet name server + broker   (the broker alone)
#   (d) rocklet bench           -> Rocklet name server + broker
#   (e) rocklet bench           -> null server (canned SEND_OK; the ceiling)
#   (e-java) Java benchmark producer -> null server (the Java client's own ceiling here)
#   (d-sync) as (d) with flushDiskType=SYNC_FLUSH
# plus broker RSS idle and under load, broker CPU seconds per million messages, and start-up
# time. Rounds alternate between the systems; medians are reported. Results: bench/RESULTS.md.
#
#   bench/compare.sh                      # ROUNDS=3 DURATION=10 SIZES="128 1024" W=64
#   ROUNDS=1 DURATION=3 bench/compare.sh  # a quick look
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ROUNDS="${ROUNDS:-3}" DURATION="${DURATION:-10}" SIZES="${SIZES:-128 1024}" W="${W:-64}"
OUT="$ROOT/bench/out"; WORK="$(mktemp -d /tmp/rocklet-bench.XXXXXX)"
mkdir -p "$OUT"; : > "$OUT/raw.tsv"
TOPIC=BenchTopic
# shellcheck source=common.sh
source "$ROOT/bench/common.sh"
JAVA_CLIENT=(java -Xms512m -Xmx512m -XX:+UseG1GC -cp "$ROOT/interop/target/classes:$ROOT/interop/target/lib/*")

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rmq_stop "$WORK/java" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

hwm_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
anon_kib() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" | tee -a "$OUT/raw.tsv"; }  # metric cell size value

# rocklet bench -> prints "tps p99"
rocklet_load() { # NS SIZE
  "$BIN" bench produce -n "$1" -t "$TOPIC" -w "$W" -s "$2" -d "$DURATION" --json "$WORK/r.json" >/dev/null 2>"$WORK/r.err" || { tail -5 "$WORK/r.err" >&2; echo "0 0 1"; return; }
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["tps"], j["rt_p99_ms"], j["failed"])' "$WORK/r.json"
}
# The Java benchmark producer -> prints "tps p99 failed"
java_load() { # NS SIZE
  "${JAVA_CLIENT[@]}" rocklet.interop.BenchProducer -n "$1" -t "$TOPIC" -w "$W" -s "$2" -D "$DURATION" >"$WORK/j.out" 2>&1 || true
  python3 - "$WORK/j.out" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
m = re.search(r"\[Complete\].*?Send TPS: (\d+).*?Send Failed: (\d+) Response Failed: (\d+)", t)
p = re.search(r"p99\(ms\): ([\d.]+)", t)  # steady state, see BenchProducer
# Steady state: the JVM warms up for a few seconds, so Java's TPS is the median of its
# per-second lines after the first three (generous to Java; Rocklet's is its whole-run average).
secs = [int(x) for x in re.findall(r"Current Time: .*?Send TPS: (\d+)", t)]
steady = secs[3:] or secs
if not m:
    print("0 nan 1")
else:
    tps = sorted(steady)[len(steady) // 2] if steady else int(m.group(1))
    print(tps, p.group(1) if p else "nan", int(m.group(2)) + int(m.group(3)))
PY
}

run_cell() { # CELL NS SIZE LOADFN BROKER_PID
  local cell="$1" ns="$2" size="$3" fn="$4" pid="${5:-}" c0 c1
  [[ -n "$pid" ]] && c0=$(cpu_ticks "$pid")
  read -r tps p99 failed < <("$fn" "$ns" "$size")
  record tps "$cell" "$size" "$tps"; record p99_ms "$cell" "$size" "$p99"; record failed "$cell" "$size" "$failed"
  if [[ -n "$pid" ]]; then
    c1=$(cpu_ticks "$pid")
    python3 -c "import sys; t,n=float(sys.argv[1]),float(sys.argv[2]); print(f'{t/100/max(n,1)*1e6:.2f}')" \
      "$(( c1 - c0 ))" "$(python3 -c "print(float('$tps')*$DURATION)")" | { read -r v; record cpu_s_per_m "$cell" "$size" "$v"; }
    record rss_load_mib "$cell" "$size" "$(( $(hwm_kib "$pid") / 1024 ))"
    record rss_anon_mib "$cell" "$size" "$(( $(anon_kib "$pid") / 1024 ))"
  fi
}

create_topic() { "$BIN" admin -n "$1" update-topic -t "$TOPIC" -c DefaultCluster -r 8 -w 8 >/dev/null; }
# Warm the broker (JIT, page cache, queue files) with a short unrecorded load before measuring.
warm_up() { DURATION=5 java_load "$1" 128 >/dev/null; }

java_round() {
  local np=29876 bp=29911 t0
  t0=$(now_ms)
  rmq_start_namesrv "$np" "$WORK/java" >/dev/null
  rmq_start_broker "127.0.0.1:$np" "$bp" bench-java "$WORK/java" >/dev/null
  record startup_ms java all "$(( $(now_ms) - t0 ))"
  local pid; pid=$(cat "$WORK/java/run/broker-bench-java.pid")
  sleep 2; record rss_idle_mib java all "$(( $(rss_kib "$pid") / 1024 ))"
  create_topic "127.0.0.1:$np"
  warm_up "127.0.0.1:$np"
  for s in $SIZES; do
    run_cell a "127.0.0.1:$np" "$s" java_load "$pid"
    run_cell b "127.0.0.1:$np" "$s" rocklet_load "$pid"
  done
  rmq_stop "$WORK/java" >/dev/null
}

rocklet_round() { # FLUSH LABEL
  local flush="$1" np=39876 bp=39911 store="$WORK/rocklet-store-$RANDOM" t0
  "$BIN" namesrv --listen-port "$np" --bind 127.0.0.1 >/dev/null 2>&1 & PIDS+=($!); local nsp=$!
  wait_port "$np"
  t0=$(now_ms)
  RUST_LOG=warn "$BIN" broker -n "127.0.0.1:$np" --listen-port "$bp" --bind 127.0.0.1 --store "$store" \
    --flush-disk-type "$flush" -p mapedFileSizeCommitLog=268435456 >/dev/null 2>&1 & PIDS+=($!); local pid=$!
  wait_port "$bp"
  until "$BIN" admin -n "127.0.0.1:$np" topic-route -t TBW102 >/dev/null 2>&1; do sleep 0.005; done
  [[ "$flush" == ASYNC_FLUSH ]] && record startup_ms rocklet all "$(( $(now_ms) - t0 ))"
  sleep 1; [[ "$flush" == ASYNC_FLUSH ]] && record rss_idle_mib rocklet all "$(( $(rss_kib "$pid") / 1024 ))"
  create_topic "127.0.0.1:$np"
  warm_up "127.0.0.1:$np"
  for s in $SIZES; do
    if [[ "$flush" == ASYNC_FLUSH ]]; then
      run_cell c "127.0.0.1:$np" "$s" java_load "$pid"
      run_cell d "127.0.0.1:$np" "$s" rocklet_load "$pid"
    else
      run_cell d-sync "127.0.0.1:$np" "$s" rocklet_load "$pid"
    fi
  done
  kill "$pid" "$nsp"; wait "$pid" "$nsp" 2>/dev/null || true
  rm -rf "$store"
}

null_round() {
  local p=49876
  "$BIN" bench null-server --port "$p" >/dev/null 2>&1 & PIDS+=($!); local pid=$!
  wait_port "$p"
  for s in $SIZES; do
    run_cell e "127.0.0.1:$p" "$s" rocklet_load
    run_cell e-java "127.0.0.1:$p" "$s" java_load
  done
  kill "$pid"; wait "$pid" 2>/dev/null || true
}

for r in $(seq 1 "$ROUNDS"); do
  echo "== round $r of $ROUNDS" >&2
  java_round
  rocklet_round ASYNC_FLUSH
  rocklet_round SYNC_FLUSH
  null_round
done

# Keep bench/consume.sh's section (between its markers) when regenerating the file.
keep="$(sed -n '/^<!-- consume.sh -->$/,/^<!-- \/consume.sh -->$/p' "$ROOT/bench/RESULTS.md" 2>/dev/null || true)"
python3 "$ROOT/bench/report.py" "$OUT/raw.tsv" "$ROUNDS" "$DURATION" "$W" > "$ROOT/bench/RESULTS.md"
[[ -n "$keep" ]] && printf '\n%s\n' "$keep" >> "$ROOT/bench/RESULTS.md"
cat "$ROOT/bench/RESULTS.md"
