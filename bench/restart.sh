#!/usr/bin/env bash
# Restart with data, side by side: the Java 4.9.3 broker and the Rocklet broker are each filled with
# the same messages (rocklet bench, MSGS x SIZE bytes with keys, default commit-log file size of
# 1 GiB on both), then restarted twice on their store: after SIGTERM (clean shutdown) and after
# SIGKILL (crash recovery). Reported per restart: milliseconds from launching the broker to the
# topic's route being served by a fresh name server (the broker recovered, registered and takes
# sends), and the broker's RSS 3 s later. Results: bench/RESTART.md.
#
#   bench/restart.sh                   # MSGS=600000 SIZE=1024 (about 0.75 GB of commit log)
#   MSGS=100000 bench/restart.sh       # a quick look
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MSGS="${MSGS:-600000}" SIZE="${SIZE:-1024}"
OUT="$ROOT/bench/out"; WORK="$(mktemp -d /tmp/rocklet-restart.XXXXXX)"
mkdir -p "$OUT"; : > "$OUT/restart.tsv"
TOPIC=RestartTopic
# shellcheck source=common.sh
source "$ROOT/bench/common.sh"
# servers.sh writes 64 MiB commit-log files for quick tests; use the default on both sides.
export RMQ_BROKER_EXTRA_PROPS="mappedFileSizeCommitLog=1073741824"

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rmq_stop "$WORK/java" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

rss_mib() { echo $(( $(rss_kib "$1") / 1024 )); }
record() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" | tee -a "$OUT/restart.tsv"; }  # system metric value
# Polls until the name server at $1 serves the topic's route; prints the time it did.
wait_route() {
  local d=$(( $(now_ms) + 120000 ))
  until "$BIN" admin -n "$1" topic-route -t "$TOPIC" >/dev/null 2>&1; do
    (( $(now_ms) < d )) || { echo "restart.sh: no route after 120 s" >&2; return 1; }
    sleep 0.005
  done
  now_ms
}
fill() { # NS
  "$BIN" admin -n "$1" update-topic -t "$TOPIC" -c DefaultCluster -r 8 -w 8 >/dev/null
  "$BIN" bench produce -n "$1" -t "$TOPIC" -w 64 -s "$SIZE" -q "$MSGS" -d 900 -k --json "$WORK/fill.json" \
    >/dev/null 2>"$WORK/fill.err" || { tail -5 "$WORK/fill.err" >&2; return 1; }
  python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); sys.exit(0 if j["failed"] == 0 and j["sent_ok"] == int(sys.argv[2]) else 1)' \
    "$WORK/fill.json" "$MSGS" || { echo "restart.sh: the fill did not store $MSGS messages" >&2; return 1; }
}

java_system() {
  local np=29876 bp=29911 ns="127.0.0.1:29876" w="$WORK/java" pid t0 t1 mode
  rmq_start_namesrv "$np" "$w" >/dev/null
  rmq_start_broker "$ns" "$bp" restart-java "$w" >/dev/null
  fill "$ns"
  for mode in TERM KILL; do
    pid=$(cat "$w/run/broker-restart-java.pid")
    kill -"$mode" "$pid"; while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    # after the clean stop everything is flushed: blocks on disk = the data
    [[ $mode == TERM ]] && record java commit_log_mib "$(( $(du -sk "$w/store-restart-java/commitlog" | cut -f1) / 1024 ))"
    rmq_stop "$w" >/dev/null   # the name server: a fresh one has no stale route
    rmq_start_namesrv "$np" "$w" >/dev/null
    t0=$(now_ms)
    rmq_start_broker "$ns" "$bp" restart-java "$w" >/dev/null
    t1=$(wait_route "$ns")
    record java "restart_ms_after_$mode" "$(( t1 - t0 ))"
    pid=$(cat "$w/run/broker-restart-java.pid")
    sleep 3; record java "rss_mib_after_$mode" "$(rss_mib "$pid")"
  done
  rmq_stop "$w" >/dev/null
}

rocklet_system() {
  local np=39876 bp=39911 ns="127.0.0.1:39876" store="$WORK/rocklet-store" nsp bpid t0 t1 mode
  start_ns() { "$BIN" namesrv --listen-port "$np" --bind 127.0.0.1 >/dev/null 2>&1 & nsp=$!; PIDS+=("$nsp"); wait_port "$np"; }
  start_broker() {
    RUST_LOG=warn "$BIN" broker -n "$ns" --listen-port "$bp" --bind 127.0.0.1 --store "$store" \
      >>"$WORK/rocklet-broker.log" 2>&1 & bpid=$!; PIDS+=("$bpid")
  }
  start_ns; start_broker
  wait_port "$bp"; sleep 0.5
  fill "$ns"
  for mode in TERM KILL; do
    kill -"$mode" "$bpid"; while kill -0 "$bpid" 2>/dev/null; do sleep 0.05; done
    [[ $mode == TERM ]] && record rocklet commit_log_mib "$(( $(du -sk "$store/commitlog" | cut -f1) / 1024 ))"
    kill "$nsp"; while kill -0 "$nsp" 2>/dev/null; do sleep 0.05; done
    start_ns
    t0=$(now_ms)
    start_broker
    t1=$(wait_route "$ns")
    record rocklet "restart_ms_after_$mode" "$(( t1 - t0 ))"
    sleep 3; record rocklet "rss_mib_after_$mode" "$(rss_mib "$bpid")"
  done
  kill "$bpid" "$nsp" 2>/dev/null || true
}

echo "== Java 4.9.3 broker: fill $MSGS x $SIZE B, restart after SIGTERM and after SIGKILL"
java_system
echo "== Rocklet broker: the same"
rocklet_system

python3 - "$OUT/restart.tsv" "$ROOT/bench/RESTART.md" "$MSGS" "$SIZE" <<'PY'
import sys, datetime
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
v = {(s, m): float(x) for s, m, x in rows}
msgs, size = sys.argv[3], sys.argv[4]
def g(s, m):
    x = v.get((s, m))
    return "—" if x is None else f"{x:,.0f}"
def ratio(m):
    j, r = v.get(("java", m)), v.get(("rocklet", m))
    return "—" if not j or not r else f"{j / r:.1f}x"
L = ["# Restart with data: Java RocketMQ 4.9.3 broker vs Rocklet", "",
     f"Generated by `bench/restart.sh` on {datetime.date.today()} (MSGS={msgs}, SIZE={size} B with keys,"
     " 1 GiB commit-log files on both, 127.0.0.1, this machine). Restart time: from launching the broker to"
     " a fresh name server serving the topic's route (recovered, registered, taking sends).", "",
     "| | Java 4.9.3 | Rocklet | Java / Rocklet |", "| --- | ---: | ---: | ---: |"]
for m, label in [("commit_log_mib", "commit log on disk after the clean stop (MiB)"),
                 ("restart_ms_after_TERM", "restart after SIGTERM (ms)"),
                 ("rss_mib_after_TERM", "RSS 3 s after that restart (MiB)"),
                 ("restart_ms_after_KILL", "restart after SIGKILL (ms)"),
                 ("rss_mib_after_KILL", "RSS 3 s after that restart (MiB)")]:
    L.append(f"| {label} | {g('java', m)} | {g('rocklet', m)} | {ratio(m) if m != 'commit_log_mib' else ''} |")
L.append("")
open(sys.argv[2], "w").write("\n".join(L))
print("\n".join(L))
PY
