#!/usr/bin/env bash
# The Rust DefaultMQPushConsumer (interop_driver push-member) in groups with the real 4.9.3
# clients, against the Java 4.9.3 broker (cells push/<what>-java) and against Rocklet
# (push/<what>-rocklet); both sides run in parallel, each on its own servers.
#  - mixed:     a Java PushMember.java and a Rust member in one CLUSTERING group on an 8-queue
#               topic: their assigned queues are disjoint, cover all 8 and equal
#               AllocateMessageQueueAveragely over the two client ids mqadmin consumerConnection
#               lists; then the Java member stops (SIGTERM) and the Rust one takes all 8; messages
#               are sent throughout (PushSend.java): none lost, duplicates counted.
#  - orderly:   PushSend.java --orders (a MessageQueueSelector by order id) while a Rust orderly
#               member runs, a Java orderly member joins, then leaves: each member's queue offsets
#               strictly increase per queue, each order's steps arrive in order, all delivered.
#  - retry:     a Rust member answers RECONSUME_LATER (delay level 1, max_reconsume_times 2) to tag
#               Fail: reconsumeTimes 0, 1, 2 about >= 1 s apart, then %DLQ%group holds them (read
#               back: same msgId, body); a Java member in a second group on the same topic shows
#               the same counts.
#  - broadcast: two Rust BROADCASTING members each get every message; one stops, more are sent,
#               it restarts with the same instance name and offset dir: it gets only the new ones
#               (its offsets file <dir>/<clientId>/<group>/offsets.json).
#  - reset:     a Rust member consumes N, its offsets are committed, the 4.9.3 mqadmin
#               resetOffsetByTime to before the sends: it consumes all N again.
#
#   interop/push.sh [FILTER]
# ROCKLET_BIN (default <repo>/target/release/rocklet); the driver is INTEROP_DRIVER_BIN, else
# examples/interop_driver next to ROCKLET_BIN (cargo build --release --bin rocklet --example
# interop_driver). PUSH_BROKER_LOG: RUST_LOG of the Rocklet broker (default info).
# Ports: INTEROP_PORT_BASE (19000) + 241 / +245 (Java namesrv / broker, +243 +246 too),
# +251 / +255 (Rocklet namesrv / broker). Raw outputs: work/push/{java,rocklet}/<cell>/.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
DRIVER="${INTEROP_DRIVER_BIN:-$(dirname "$ROCKLET_BIN")/examples/interop_driver}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/push"
CP="$HERE/target/classes:$HERE/target/lib/*"
CELLS=(mixed orderly retry broadcast reset)
# shellcheck source=servers.sh
source "$HERE/servers.sh"
selected() { [[ -z "$FILTER" || "$1" == *"$FILTER"* || "$FILTER" == "$1"* ]]; }
any=0
for c in "${CELLS[@]}"; do selected "push/$c-java" && any=1; selected "push/$c-rocklet" && any=1; done
(( any )) || { echo "push: filter '$FILTER' selects nothing"; exit 0; }
[[ -x "$DRIVER" ]] || { echo "FAIL push/setup: no driver at $DRIVER (cargo build --release --example interop_driver)"; exit 1; }

rm -rf "$WORK"; mkdir -p "$WORK/java" "$WORK/rocklet" "$WORK/servers-java" "$WORK/servers-rocklet"
PIDS=()      # rocklet servers
SIDE_PIDS=() # the two side subshells
cleanup() {
  local p
  for p in "${SIDE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  # every client this script started runs in a process group of its side (setsid below)
  for p in $(cat "$WORK"/*/pids 2>/dev/null); do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 25); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null
  done
  rmq_stop "$WORK/servers-java" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'echo "push.sh: interrupted" >&2; exit 130' INT TERM
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 300); do port_open "$1" && return 0; sleep 0.1; done; return 1; }
T0=$SECONDS

JNSP=$((PORT_BASE + 241)); JBRP=$((PORT_BASE + 245)); RNSP=$((PORT_BASE + 251)); RBRP=$((PORT_BASE + 255))
rmq_start_namesrv "$JNSP" "$WORK/servers-java" >/dev/null || { echo "FAIL push/setup: Java name server"; exit 1; }
rmq_start_broker "127.0.0.1:$JNSP" "$JBRP" broker-a "$WORK/servers-java" >/dev/null \
  || { echo "FAIL push/setup: Java broker"; exit 1; }
RUST_LOG=warn "$ROCKLET_BIN" namesrv --listen-port "$RNSP" --bind 127.0.0.1 >"$WORK/servers-rocklet/namesrv.log" 2>&1 &
PIDS+=($!); wait_port "$RNSP" || { echo "FAIL push/setup: rocklet namesrv"; exit 1; }
RUST_LOG="${PUSH_BROKER_LOG:-info}" "$ROCKLET_BIN" broker -n "127.0.0.1:$RNSP" --listen-port "$RBRP" --bind 127.0.0.1 \
  --broker-ip1 127.0.0.1 --broker-name broker-a --store-path-root-dir "$WORK/servers-rocklet/store" \
  >"$WORK/servers-rocklet/broker.log" 2>&1 &
PIDS+=($!); wait_port "$RBRP" || { echo "FAIL push/setup: rocklet broker"; exit 1; }
sleep 1

# ---------------------------------------------------------------- per-side helpers
# Every helper below uses SIDE, NS (name server) and D (the cell's directory), set by run_cell.
JVM=(-Xms256m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Dfile.encoding=UTF-8 -Djava.net.preferIPv4Stack=true)
bg() { # LOG CMD...: start CMD in the background (output to LOG), remember its pid in WORK/SIDE/pids; echo the pid
  local log="$1"; shift
  "$@" >>"$log" 2>&1 </dev/null &
  local p=$!
  echo "$p" >>"$WORK/$SIDE/pids"
  echo "$p"
}
rust_member() { # INSTANCE OUTNAME ARGS... (background; D/OUTNAME.jsonl, D/OUTNAME.jsonl.queues.jsonl)
  local name="$1" out="$2"; shift 2
  bg "$D/$out.log" timeout --kill-after=5 150s "$DRIVER" push-member -n "$NS" --instance "$name" -o "$D/$out.jsonl" "$@"
}
java_member() { # INSTANCE OUTNAME ARGS... (background)
  local name="$1" out="$2"; shift 2
  bg "$D/$out.log" timeout --kill-after=5 150s java "${JVM[@]}" -Duser.home="$D/home" -Drocketmq.client.logRoot="$D/home/logs" \
    -cp "$CP" rocklet.interop.PushMember -n "$NS" --instance "$name" -o "$D/$out.jsonl" "$@"
}
java_send() { # OUT ARGS... (foreground)
  local out="$1"; shift
  timeout --kill-after=5 120s java "${JVM[@]}" -Duser.home="$D/home" -Drocketmq.client.logRoot="$D/home/logs" \
    -cp "$CP" rocklet.interop.PushSend -n "$NS" -o "$out" "$@" >>"$out.log" 2>&1
}
mqadmin() { # OUT SUBCOMMAND ARGS...
  local out="$1"; shift
  mkdir -p "$D/mqa/conf"; cp -f "$HERE/conf/logback_tools.xml" "$D/mqa/conf/"
  ROCKETMQ_HOME="$D/mqa" timeout --kill-after=5 60s java -Xms256m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Duser.home="$D/mqa" -Drocketmq.home.dir="$D/mqa" -Drocketmq.client.logRoot="$D/mqa/logs" \
    -cp "$CP" rocklet.interop.MqadminRun "$@" -n "$NS" >"$out" 2>&1
}
create_topic() { # TOPIC QUEUES
  timeout 60s "$DRIVER" create-topic -n "$NS" -t "$1" --queues "$2" >>"$D/create-topic.log" 2>&1
}
stop_pid() { # PID: SIGTERM, wait up to 15 s, then SIGKILL
  local p="$1" i
  kill -TERM "$p" 2>/dev/null
  for i in $(seq 1 75); do kill -0 "$p" 2>/dev/null || return 0; sleep 0.2; done
  kill -KILL "$p" 2>/dev/null; return 1
}
# wait_for SECONDS COMMAND...: poll COMMAND every 0.5 s until it succeeds (1 on timeout)
wait_for() {
  local until=$((SECONDS + $1)); shift
  while (( SECONDS < until )); do "$@" && return 0; sleep 0.5; done
  "$@"
}
lines() { [[ -f "$1" ]] && grep -c . "$1" || echo 0; }
py() { python3 "$HERE/push_check.py" "$@"; }
result() { # CELL_WHAT RC TEXT: PASS / FAIL line into WORK/SIDE/results
  local what="$1" rc="$2" text="$3" cell="push/$1-$SIDE"
  if [[ "$rc" == 0 ]]; then echo "PASS $cell ($((SECONDS - CT0))s) - $text"
  else echo "FAIL $cell: $text ($((SECONDS - CT0))s)"; fi >>"$WORK/$SIDE/results"
}

# ---------------------------------------------------------------- cells
cell_mixed() {
  local topic=PushMixTopic group=push_mix_cg sp jp rp why
  create_topic "$topic" 8 || { result mixed 1 "create-topic failed: $(tail -n1 "$D/create-topic.log")"; return; }
  rp=$(rust_member rust1 rust1 -t "$topic" -g "$group")
  jp=$(java_member java1 java1 -t "$topic" -g "$group")
  java_send "$D/sent.jsonl" -t "$topic" --count 300 --interval-ms 80 --tags TagM &
  sp=$!
  # both members hold a share: disjoint, all 8
  if ! wait_for 45 py split-ok "$D/rust1.jsonl.queues.jsonl" "$D/java1.jsonl.queues.jsonl" 8 >"$D/split.txt"; then
    result mixed 1 "the two members never split the 8 queues: $(cat "$D/split.txt")"
    stop_pid "$jp"; stop_pid "$rp"; wait "$sp"; return
  fi
  mqadmin "$D/connection.txt" consumerConnection -g "$group"
  if ! why=$(py avg-check "$D/connection.txt" "$D/rust1.jsonl.queues.jsonl" "$D/java1.jsonl.queues.jsonl" 8 2>&1); then
    result mixed 1 "$why"
    stop_pid "$jp"; stop_pid "$rp"; wait "$sp"; return
  fi
  sleep 2
  stop_pid "$jp"
  local took=ok
  wait_for 45 py has-queues "$D/rust1.jsonl.queues.jsonl" 8 || took="the Rust member holds $(py last-queues "$D/rust1.jsonl.queues.jsonl") after the Java one left"
  wait "$sp"
  wait_for 40 py all-delivered "$D/sent.jsonl" "$D/rust1.jsonl" "$D/java1.jsonl" >/dev/null
  stop_pid "$rp"
  local d; d=$(py all-delivered "$D/sent.jsonl" "$D/rust1.jsonl" "$D/java1.jsonl"); local rc=$?
  if [[ "$took" != ok ]]; then result mixed 1 "$why; $took"
  else result mixed "$rc" "$why; Java member stopped, Rust took all 8; $d"; fi
}

cell_orderly() {
  local topic=PushOrderTopic group=push_ord_cg sp jp rp
  create_topic "$topic" 8 || { result orderly 1 "create-topic failed: $(tail -n1 "$D/create-topic.log")"; return; }
  rp=$(rust_member rust1 rust1 -t "$topic" -g "$group" --orderly)
  java_send "$D/sent.jsonl" -t "$topic" --count 320 --interval-ms 40 --orders 16 &
  sp=$!
  sleep 5
  jp=$(java_member java1 java1 -t "$topic" -g "$group" --orderly)
  wait_for 30 py min-queues "$D/java1.jsonl.queues.jsonl" 1 >/dev/null
  sleep 4
  stop_pid "$jp"
  wait "$sp"
  wait_for 40 py all-delivered "$D/sent.jsonl" "$D/rust1.jsonl" "$D/java1.jsonl" >/dev/null
  stop_pid "$rp"
  local d; d=$(py orderly-check "$D/sent.jsonl" "$D/rust1.jsonl" "$D/java1.jsonl"); result orderly $? "$d"
}

cell_retry() {
  local topic=PushRetryTopic group=push_retry_cg jgroup=push_retry_jcg rp jp
  create_topic "$topic" 4 || { result retry 1 "create-topic failed: $(tail -n1 "$D/create-topic.log")"; return; }
  rp=$(rust_member rust1 rust1 -t "$topic" -g "$group" --fail-tags Fail --max-reconsume 2 --delay-level 1)
  jp=$(java_member java1 java1 -t "$topic" -g "$jgroup" --fail-tags Fail --max-reconsume 2 --delay-level 1)
  sleep 3
  java_send "$D/sent.jsonl" -t "$topic" --count 6 --tags TagOk,Fail
  wait_for 50 py retry-done "$D/sent.jsonl" "$D/rust1.jsonl" "$D/java1.jsonl" >/dev/null
  sleep 3   # a fourth delivery would show now
  stop_pid "$rp"; stop_pid "$jp"
  timeout 60s "$DRIVER" consume -n "$NS" -t "%DLQ%$group" -g push_dlq_reader -o "$D/dlq-rust.jsonl" --expect 3 --timeout-sec 20 >"$D/dlq-rust.log" 2>&1
  timeout 60s "$DRIVER" consume -n "$NS" -t "%DLQ%$jgroup" -g push_dlq_reader -o "$D/dlq-java.jsonl" --expect 3 --timeout-sec 20 >"$D/dlq-java.log" 2>&1
  local d; d=$(py retry-check "$D/sent.jsonl" "$D/rust1.jsonl" "$D/java1.jsonl" "$D/dlq-rust.jsonl" "$D/dlq-java.jsonl")
  result retry $? "$d"
}

cell_broadcast() {
  local topic=PushBcTopic group=push_bc_cg p1 p2 off="$D/offsets"
  create_topic "$topic" 4 || { result broadcast 1 "create-topic failed: $(tail -n1 "$D/create-topic.log")"; return; }
  p1=$(rust_member bc1 bc1 -t "$topic" -g "$group" --broadcast --offset-dir "$off")
  p2=$(rust_member bc2 bc2 -t "$topic" -g "$group" --broadcast --offset-dir "$off")
  sleep 2
  java_send "$D/sentA.jsonl" -t "$topic" --count 20 --prefix a
  wait_for 30 py all-delivered "$D/sentA.jsonl" "$D/bc1.jsonl" >/dev/null
  wait_for 30 py all-delivered "$D/sentA.jsonl" "$D/bc2.jsonl" >/dev/null
  stop_pid "$p2"
  java_send "$D/sentB.jsonl" -t "$topic" --count 20 --prefix b
  wait_for 30 py all-delivered "$D/sentB.jsonl" "$D/bc1.jsonl" >/dev/null
  p2=$(rust_member bc2 bc2-again -t "$topic" -g "$group" --broadcast --offset-dir "$off")
  wait_for 30 py all-delivered "$D/sentB.jsonl" "$D/bc2-again.jsonl" >/dev/null
  sleep 3   # old ones would show now
  stop_pid "$p1"; stop_pid "$p2"
  local d; d=$(py broadcast-check "$D/sentA.jsonl" "$D/sentB.jsonl" "$D/bc1.jsonl" "$D/bc2.jsonl" "$D/bc2-again.jsonl" "$off" "$group")
  result broadcast $? "$d"
}

cell_reset() {
  local topic=PushResetTopic group=push_reset_cg rp ts
  create_topic "$topic" 4 || { result reset 1 "create-topic failed: $(tail -n1 "$D/create-topic.log")"; return; }
  rp=$(rust_member rust1 rust1 -t "$topic" -g "$group")
  sleep 2
  ts=$(( $(date +%s%3N) - 1000 ))
  java_send "$D/sent.jsonl" -t "$topic" --count 20 --prefix r
  wait_for 30 py all-delivered "$D/sent.jsonl" "$D/rust1.jsonl" >/dev/null
  sleep 7   # the offsets are committed (every 5 s)
  cp "$D/rust1.jsonl" "$D/before-reset.jsonl"
  mqadmin "$D/reset.txt" resetOffsetByTime -g "$group" -t "$topic" -s "$ts"
  wait_for 30 py delivered-times "$D/sent.jsonl" "$D/rust1.jsonl" 2 >/dev/null
  sleep 2
  stop_pid "$rp"
  local d; d=$(py reset-check "$D/sent.jsonl" "$D/before-reset.jsonl" "$D/rust1.jsonl" "$D/reset.txt"); result reset $? "$d"
}

run_side() { # SIDE NS
  SIDE="$1"; NS="$2"
  local c
  for c in "${CELLS[@]}"; do
    selected "push/$c-$SIDE" || continue
    D="$WORK/$SIDE/$c"; mkdir -p "$D/home"
    CT0=$SECONDS
    "cell_$c"
  done
}
(run_side java "127.0.0.1:$JNSP") &
jside=$!
(run_side rocklet "127.0.0.1:$RNSP") &
rside=$!
SIDE_PIDS=("$jside" "$rside")
# bounded: both sides must finish in 4 minutes
for _ in $(seq 1 480); do
  kill -0 "$jside" 2>/dev/null || kill -0 "$rside" 2>/dev/null || break
  sleep 0.5
done
for p in "$jside" "$rside"; do
  if kill -0 "$p" 2>/dev/null; then echo "push.sh: a side ran over 4 minutes, stopped" >&2; kill -TERM "$p" 2>/dev/null; fi
done
wait "$jside" "$rside"
failed=0
for side in java rocklet; do
  for c in "${CELLS[@]}"; do
    selected "push/$c-$side" || continue
    line=$(grep -m1 " push/$c-$side[ :]" "$WORK/$side/results" 2>/dev/null)
    [[ -n "$line" ]] || line="FAIL push/$c-$side: no result (the side was stopped or crashed; see work/push/$side/$c/)"
    echo "$line"
    [[ "$line" == PASS* ]] || failed=$((failed + 1))
  done
done
echo "push: $failed failed ($((SECONDS - T0))s)"
(( failed == 0 ))
