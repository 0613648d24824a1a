#!/usr/bin/env bash
# Consume side of the side-by-side benchmark (issue 16), on 127.0.0.1:
#   1. Consume TPS: a topic of 8 queues is filled with FILL messages (the same tool, `rocklet
#      bench produce`, into both brokers), then drained with a NEW group from the first offset:
#        (a) Java BenchConsumer      <- Java name server + broker 4.9.3
#        (b) rocklet bench consume   <- Java broker        (crossed: the Rust client alone)
#        (c) Java BenchConsumer      <- Rocklet broker     (crossed: the Rocklet broker alone)
#        (d) rocklet bench consume   <- Rocklet broker
#      Java's TPS is its steady state: the median of its per-second lines after the first
#      non-zero one plus WARM more seconds, without the last (partial) second. Rust's is its
#      whole-run average from the consumer's start (start-up and rebalance included).
#   2. End-to-end latency (born timestamp -> listener, the same machine's clock): each system's
#      consumer follows a topic (new group, from the last offset) while `rocklet bench produce
#      --rate RATE` sends for DURATION s into that broker; messages born in the first SKIP s of
#      sending are not counted, on both sides.
#   3. Memory: a topic of MEM_QUEUES queues on the Rocklet broker holds MEM_MSGS x MEM_SIZE B
#      (1 GiB by default); the Rust push consumer (and the Java one) drains it for MEM_SECS s
#      with a listener that sleeps MEM_DELAY_US per call, so the cache fills to the pull
#      thresholds; peak RSS is set against the bound the thresholds give.
# Rounds alternate Java and Rocklet; medians over rounds. Raw output: bench/out/consume/.
# Results: printed, and the "Consume (issue 16)" section of bench/RESULTS.md.
#
#   bench/consume.sh                       # ROUNDS=1 FILL=1000000 SIZES="1024 128" DURATION=20
#   QUICK=1 bench/consume.sh               # smoke run, about 3 minutes, writes nothing to RESULTS.md
#   ROUNDS=3 MEM=0 bench/consume.sh        # parts 1 and 2 only
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
if [[ "${QUICK:-0}" == 1 ]]; then
  : "${ROUNDS:=1}" "${FILL:=30000}" "${DURATION:=6}" "${SKIP:=2}" "${MEM_MSGS:=40000}" "${MEM_SECS:=8}"
fi
ROUNDS="${ROUNDS:-1}" SIZES="${SIZES:-1024 128}" FILL="${FILL:-1000000}" DURATION="${DURATION:-20}"
RATE="${RATE:-5000}" SKIP="${SKIP:-5}" LEAD="${LEAD:-5}" WARM="${WARM:-3}" MAXDRAIN="${MAXDRAIN:-240}"
MEM="${MEM:-1}" MEM_QUEUES="${MEM_QUEUES:-1000}" MEM_MSGS="${MEM_MSGS:-1048576}" MEM_SIZE="${MEM_SIZE:-1024}"
MEM_SECS="${MEM_SECS:-30}" MEM_DELAY_US="${MEM_DELAY_US:-20000}" MEM_TOPIC_THRESHOLD="${MEM_TOPIC_THRESHOLD:-100000}"
CROSS="${CROSS:-1}"
OUT="$ROOT/bench/out/consume"; WORK="$(mktemp -d /tmp/rocklet-consume.XXXXXX)"
# KEEP=1: add to the previous run's raw figures (e.g. ROUNDS=0 MEM=1 KEEP=1 for the memory part alone).
mkdir -p "$OUT"; [[ "${KEEP:-0}" == 1 ]] || { rm -f "$OUT"/*; : > "$OUT/raw.tsv"; }
# shellcheck source=common.sh
source "$ROOT/bench/common.sh"
# The Java broker gets a 512 MiB heap (G1); every client JVM 256 MiB.
RMQ_SERVER_JVM=(-Xms512m -Xmx512m -XX:MaxDirectMemorySize=512m "${RMQ_SERVER_JVM[@]:3}")
JAVA_CLIENT=(java -Xms256m -Xmx256m -XX:+UseG1GC -cp "$ROOT/interop/target/classes:$ROOT/interop/target/lib/*")

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rmq_stop "$WORK/java" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

record() { printf '%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" | tee -a "$OUT/raw.tsv"; }  # metric cell size value
log() { echo "== $*" >&2; }
jget() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(*(j[k] for k in sys.argv[2:]))' "$@"; }

# Fill TOPIC with COUNT messages of SIZE B (8 queues unless QUEUES); prints the messages stored.
fill() { # NS TOPIC SIZE COUNT [QUEUES]
  local ns="$1" t="$2" s="$3" n="$4" q="${5:-8}" f="$OUT/fill-$2.json"
  "$BIN" admin -n "$ns" update-topic -t "$t" -c DefaultCluster -r "$q" -w "$q" >/dev/null
  sleep 1  # the route reaches the name server with the next registration
  timeout 900 "$BIN" bench produce -n "$ns" -t "$t" -s "$s" -q "$n" -w 16 -b 32 -d 850 --json "$f" \
    > "$OUT/fill-$t.out" 2>&1 || true
  jget "$f" sent_ok failed tps | { read -r ok failed tps; log "filled $t: $ok x $s B ($failed failed, $tps msg/s)"; echo "$ok"; }
}

# Java's steady state from its per-second lines: after the first non-zero one and WARM more,
# without the last one (the partial second the drain ended in). Median.
java_steady() { # OUTFILE
  python3 - "$1" "$WARM" <<'PY'
import re, sys
t = open(sys.argv[1]).read(); warm = int(sys.argv[2])
secs = [int(x) for x in re.findall(r"Current Time: \d+ Consume TPS: (\d+)", t)]
while secs and secs[0] == 0: secs.pop(0)
steady = secs[1 + warm:-1] or secs[1:-1] or secs
m = re.search(r"Consume TPS: (\d+) MB/s", t)
print(sorted(steady)[len(steady) // 2] if steady else 0, m.group(1) if m else 0, len(steady))
PY
}

drain_java() { # CELL NS TOPIC SIZE COUNT
  local o="$OUT/$1-$4-r$ROUND.out" steady whole n
  timeout -k 10 $(( MAXDRAIN + 30 )) "${JAVA_CLIENT[@]}" rocklet.interop.BenchConsumer -n "$2" -t "$3" \
    -g "bench_java_$1_$RANDOM" -q "$5" -D "$MAXDRAIN" > "$o" 2>&1 || true
  read -r steady whole n < <(java_steady "$o")
  record tps "$1" "$4" "$steady"; record tps_whole "$1" "$4" "$whole"; record steady_secs "$1" "$4" "$n"
  record consumed "$1" "$4" "$(grep -oP 'Consume Total: \K\d+' "$o" || echo 0)"
}

drain_rust() { # CELL NS TOPIC SIZE COUNT
  local o="$OUT/$1-$4-r$ROUND.out" j="$WORK/d.json"
  rm -f "$j"
  timeout $(( MAXDRAIN + 30 )) "$BIN" bench consume -n "$2" -t "$3" --no-fill -d "$MAXDRAIN" \
    -g "bench_rust_$1_$RANDOM" --json "$j" > "$o" 2>&1 || true
  if [[ -f "$j" ]]; then
    read -r tps consumed < <(jget "$j" tps consumed)
  else tps=0 consumed=0; fi
  record tps "$1" "$4" "$tps"; record tps_whole "$1" "$4" "$tps"; record consumed "$1" "$4" "$consumed"
  # For reference only: the same steady-state rule as Java's, on the Rust per-second lines.
  record tps_steady_rule "$1" "$4" "$(python3 - "$o" "$WARM" <<'PY'
import re, sys
secs = [float(x) for x in re.findall(r"^Consume TPS:\s+([\d.]+)", open(sys.argv[1]).read(), re.M)]
while secs and secs[0] == 0: secs.pop(0)
s = secs[1 + int(sys.argv[2]):-1] or secs[1:-1] or secs
print(round(sorted(s)[len(s) // 2]) if s else 0)
PY
)"
}

# Latency: the consumer follows TOPIC, LEAD s later `bench produce --rate` sends for DURATION s.
latency() { # CELL NS SIZE java|rust
  local cell="$1" ns="$2" s="$3" t="Lat${3}_$1_r$ROUND" o="$OUT/$1-lat-$3-r$ROUND.out" j="$WORK/l.json" pid
  "$BIN" admin -n "$ns" update-topic -t "$t" -c DefaultCluster -r 8 -w 8 >/dev/null; sleep 1
  local secs=$(( LEAD + DURATION + 6 )) skip=$(( LEAD + SKIP ))
  rm -f "$j"
  if [[ "$4" == java ]]; then
    timeout -k 10 $(( secs + 30 )) "${JAVA_CLIENT[@]}" rocklet.interop.BenchConsumer -n "$ns" -t "$t" \
      -g "lat_java_$RANDOM" --from last --skip-sec "$skip" -D "$secs" > "$o" 2>&1 & pid=$!
  else
    timeout $(( secs + 30 )) "$BIN" bench consume -n "$ns" -t "$t" --no-fill --from last \
      --skip-sec "$skip" -d "$secs" -g "lat_rust_$RANDOM" --json "$j" > "$o" 2>&1 & pid=$!
  fi
  PIDS+=("$pid")
  sleep "$LEAD"
  "$BIN" bench produce -n "$ns" -t "$t" -s "$s" --rate "$RATE" -d "$DURATION" -w 32 \
    --json "$WORK/p.json" > "$OUT/$1-lat-$3-r$ROUND.produce.out" 2>&1 || true
  wait "$pid" || true
  local p50 p99 p999 n
  if [[ "$4" == java ]]; then
    read -r p50 p99 p999 < <(grep -oP 'p50\(ms\): \K[\d.]+ p90\(ms\): [\d.]+ p99\(ms\): [\d.]+ p999\(ms\): [\d.]+' "$o" \
      | sed -E 's/ p90\(ms\): [0-9.]+ p99\(ms\): / /; s/ p999\(ms\): / /' || echo "nan nan nan")
    n=$(grep -oP 'samples: \K\d+' "$o" || echo 0)
  elif [[ -f "$j" ]]; then
    read -r p50 p99 p999 n < <(jget "$j" e2e_p50_ms e2e_p99_ms e2e_p999_ms consumed)
  else p50=nan p99=nan p999=nan n=0; fi
  record lat_p50_ms "$cell" "$s" "$p50"; record lat_p99_ms "$cell" "$s" "$p99"; record lat_p999_ms "$cell" "$s" "$p999"
  record lat_counted "$cell" "$s" "$n"
  [[ -f "$WORK/p.json" ]] && record lat_sent "$cell" "$s" "$(jget "$WORK/p.json" sent_ok)"
}

start_rocklet() { # NS_PORT BROKER_PORT STORE -> sets NSP BRP
  "$BIN" namesrv --listen-port "$1" --bind 127.0.0.1 >"$WORK/ns.log" 2>&1 & PIDS+=($!); NSP=$!
  wait_port "$1"
  RUST_LOG=warn "$BIN" broker -n "127.0.0.1:$1" --listen-port "$2" --bind 127.0.0.1 --store "$3" \
    --flush-disk-type ASYNC_FLUSH -p mapedFileSizeCommitLog=268435456 >"$WORK/broker.log" 2>&1 & PIDS+=($!); BRP=$!
  wait_port "$2"
  until "$BIN" admin -n "127.0.0.1:$1" topic-route -t TBW102 >/dev/null 2>&1; do sleep 0.05; done
}

java_round() {
  local np=29876 bp=29911 ns=127.0.0.1:29876
  log "round $ROUND: Java name server + broker"
  rmq_start_namesrv "$np" "$WORK/java" >/dev/null
  rmq_start_broker "$ns" "$bp" bench-java "$WORK/java" >/dev/null
  for s in $SIZES; do
    local t="Drain${s}_r$ROUND" n
    n=$(fill "$ns" "$t" "$s" "$FILL")
    log "(a) Java consumer <- Java broker, $s B"; drain_java a "$ns" "$t" "$s" "$n"
    if [[ "$CROSS" == 1 ]]; then log "(b) Rust consumer <- Java broker, $s B"; drain_rust b "$ns" "$t" "$s" "$n"; fi
    log "latency, Java consumer <- Java broker, $s B"; latency a "$ns" "$s" java
  done
  rmq_stop "$WORK/java" >/dev/null
  rm -rf "$WORK/java"
}

rocklet_round() {
  local np=39876 bp=39911 ns=127.0.0.1:39876 store="$WORK/rocklet-store"
  log "round $ROUND: Rocklet name server + broker"
  start_rocklet "$np" "$bp" "$store"
  for s in $SIZES; do
    local t="Drain${s}_r$ROUND" n
    n=$(fill "$ns" "$t" "$s" "$FILL")
    log "(d) Rust consumer <- Rocklet broker, $s B"; drain_rust d "$ns" "$t" "$s" "$n"
    if [[ "$CROSS" == 1 ]]; then log "(c) Java consumer <- Rocklet broker, $s B"; drain_java c "$ns" "$t" "$s" "$n"; fi
    log "latency, Rust consumer <- Rocklet broker, $s B"; latency d "$ns" "$s" rust
  done
  kill "$BRP" "$NSP"; wait "$BRP" "$NSP" 2>/dev/null || true
  rm -rf "$store"
}

# Memory with a deep backlog: the consumer process's peak RSS against the thresholds' bound.
mem_run() { # CELL NS java|rust [threshold args...]
  local cell="$1" ns="$2" kind="$3" o="$OUT/mem-$1.out" j="$WORK/m.json"; shift 3
  rm -f "$j"
  if [[ "$kind" == java ]]; then
    # Peak RSS sampled from outside too: a JVM that runs out of heap prints no summary.
    timeout -k 10 $(( MEM_SECS + 40 )) "${JAVA_CLIENT[@]}" rocklet.interop.BenchConsumer -n "$ns" -t MemTopic \
      -g "mem_$cell" -D "$MEM_SECS" --listener-delay-us "$MEM_DELAY_US" "$@" > "$o" 2>&1 & local jp=$! hwm=0
    while kill -0 "$jp" 2>/dev/null; do
      local jv; jv=$(pgrep -P "$jp" java | head -1)
      [[ -n "$jv" ]] && hwm=$(awk '/^VmHWM/ {print $2}' "/proc/$jv/status" 2>/dev/null || echo "$hwm")
      sleep 1
    done
    grep -q OutOfMemoryError "$o" && record mem_oom "$cell" "$MEM_SIZE" 1
    record mem_hwm_sampled_mib "$cell" "$MEM_SIZE" "$(( ${hwm:-0} / 1024 ))"
    record mem_hwm_mib "$cell" "$MEM_SIZE" "$(grep -oP 'VmHWM\(MiB\): \K\d+' "$o" || echo nan)"
    record mem_cache_peak_mib "$cell" "$MEM_SIZE" "$(grep -oP 'cache peak: \d+ msgs \K[\d.]+' "$o" || echo nan)"
    record mem_cache_peak_msgs "$cell" "$MEM_SIZE" "$(grep -oP 'cache peak: \K\d+' "$o" || echo nan)"
    record mem_consumed "$cell" "$MEM_SIZE" "$(grep -oP 'Consume Total: \K\d+' "$o" || echo 0)"
  else
    timeout $(( MEM_SECS + 40 )) "$BIN" bench consume -n "$ns" -t MemTopic --no-fill -d "$MEM_SECS" \
      -g "mem_$cell" --listener-delay-us "$MEM_DELAY_US" --json "$j" "$@" > "$o" 2>&1 || true
    if [[ -f "$j" ]]; then
      read -r hwm cm cmsg n < <(jget "$j" vm_hwm_kib peak_cached_mib peak_cached_msgs consumed)
      record mem_hwm_mib "$cell" "$MEM_SIZE" "$(( hwm / 1024 ))"
      record mem_cache_peak_mib "$cell" "$MEM_SIZE" "$cm"; record mem_cache_peak_msgs "$cell" "$MEM_SIZE" "$cmsg"
      record mem_consumed "$cell" "$MEM_SIZE" "$n"
    fi
  fi
}

mem_phase() {
  local np=39876 bp=39911 ns=127.0.0.1:39876 store="$WORK/rocklet-mem-store"
  log "memory: $MEM_QUEUES queues, $MEM_MSGS x $MEM_SIZE B on a Rocklet broker ($(df -h --output=avail /tmp | tail -1) free)"
  start_rocklet "$np" "$bp" "$store"
  local n; n=$(fill "$ns" MemTopic "$MEM_SIZE" "$MEM_MSGS" "$MEM_QUEUES")
  record mem_backlog_msgs all "$MEM_SIZE" "$n"
  # Idle baseline: the consumer with no topic traffic (a topic that has no messages).
  "$BIN" admin -n "$ns" update-topic -t MemIdle -c DefaultCluster -r 8 -w 8 >/dev/null
  timeout 60 "$BIN" bench consume -n "$ns" -t MemIdle --no-fill --from last -d 5 --json "$WORK/i.json" \
    > "$OUT/mem-idle-rust.out" 2>&1 || true
  [[ -f "$WORK/i.json" ]] && record mem_idle_hwm_mib rust "$MEM_SIZE" "$(( $(jget "$WORK/i.json" vm_hwm_kib) / 1024 ))"
  log "memory: Rust consumer, pullThresholdForTopic=$MEM_TOPIC_THRESHOLD"
  mem_run rust-topic "$ns" rust --pull-threshold-topic "$MEM_TOPIC_THRESHOLD"
  log "memory: Rust consumer, pullThresholdSizeForQueue=1 MiB (and 65535 msgs)"
  mem_run rust-size "$ns" rust --pull-threshold-size-queue 1 --pull-threshold-queue 65535
  log "memory: Java consumer, pullThresholdForTopic=$MEM_TOPIC_THRESHOLD"
  mem_run java-topic "$ns" java --pull-threshold-topic "$MEM_TOPIC_THRESHOLD"
  kill "$BRP" "$NSP"; wait "$BRP" "$NSP" 2>/dev/null || true
  rm -rf "$store"
}

T0=$(date +%s)
log "df: $(df -h --output=avail /tmp | tail -1) free; FILL=$FILL SIZES=$SIZES ROUNDS=$ROUNDS"
for ROUND in $(seq 1 "$ROUNDS"); do
  if (( ROUND % 2 )); then java_round; rocklet_round; else rocklet_round; java_round; fi
done
[[ "$MEM" == 1 ]] && mem_phase
log "done in $(( $(date +%s) - T0 )) s"

python3 "$ROOT/bench/consume_report.py" "$OUT/raw.tsv" > "$OUT/section.md" \
  ROUNDS="${REPORT_ROUNDS:-$ROUNDS}" FILL="$FILL" SIZES="$SIZES" DURATION="$DURATION" RATE="$RATE" SKIP="$SKIP" WARM="$WARM" LEAD="$LEAD" \
  MEM_QUEUES="$MEM_QUEUES" MEM_MSGS="$MEM_MSGS" MEM_SIZE="$MEM_SIZE" MEM_SECS="$MEM_SECS" \
  MEM_DELAY_US="$MEM_DELAY_US" MEM_TOPIC_THRESHOLD="$MEM_TOPIC_THRESHOLD" CMD="${0##*/}"
cat "$OUT/section.md"
if [[ "${QUICK:-0}" != 1 ]]; then
  python3 - "$ROOT/bench/RESULTS.md" "$OUT/section.md" <<'PY'
import sys
path, sec = sys.argv[1], open(sys.argv[2]).read()
b, e = "<!-- consume.sh -->", "<!-- /consume.sh -->"
t = open(path).read() if __import__("os").path.exists(path) else ""
block = f"{b}\n{sec.rstrip()}\n{e}\n"
if b in t and e in t:
    t = t[:t.index(b)] + block + t[t.index(e) + len(e) + 1:]
else:
    t = t.rstrip() + "\n\n" + block
open(path, "w").write(t)
PY
  echo "written to bench/RESULTS.md" >&2
fi
