#!/usr/bin/env bash
# The broker's consumption semantics (issue 15), the real 4.9.3 consumers against the Java 4.9.3
# broker and against Rocklet; each program prints what the consumers received (normalised) and
# Rocklet's output must equal Java's line by line.
#  - sql/*: both brokers with enablePropertyFilter=true. SqlFilter.java sends 24 messages with user
#    properties and runs one consumer group per selector (30 selectors: every operator,
#    precedence, missing properties, type mismatches, unicode values, int overflow, case of
#    names), once with push consumers and once with lite pull consumers, plus a bad selector;
#    sql/disabled-refused: Rocklet with the default enablePropertyFilter=false refuses the push
#    consumer as Java does.
#  - tags/push-same-as-java: SqlFilter --kind tag, 11 tag subscriptions (lists, '*', empty, two
#    tags with one hash code, a tag with a space, spaces around, no match).
#  - retry/dlq-same-as-java: RetryDlq.java, RECONSUME_LATER with maxReconsumeTimes 2 until the DLQ.
#  - trace/rust-producer-read-by-mqadmin: `rocklet send --trace` to each broker, then the 4.9.3
#    mqadmin QueryMsgTraceById finds the Pub record on both (same output once normalised).
#  - from/in-memory-same-as-java, from/in-disk-same-as-java: FromWhere.java, new groups with
#    CONSUME_FROM_FIRST / LAST / TIMESTAMP on a topic with history; the second pair of servers
#    runs with accessMessageInMemoryMaxRatio=0 so a new group's offset query is QUERY_NOT_FOUND
#    and the client's consumeFromWhere decides.
#
#   interop/consume.sh [FILTER]
# Ports: INTEROP_PORT_BASE (19000) + 181 / +185 (Java namesrv / broker, +183 +186 too),
# +191 / +195 (Rocklet), +201 / +205 (Rocklet, property filtering off, ratio 0),
# +211 / +215 (Java, ratio 0; +213 +216 too).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/consume"
CP="$HERE/target/classes:$HERE/target/lib/*"
# shellcheck source=servers.sh
source "$HERE/servers.sh"
selected() { [[ -z "$FILTER" || "$1" == *"$FILTER"* || "$FILTER" == "$1"* ]]; }
sel=0
for p in sql/ tags/ retry/ from/ trace/; do
  [[ -z "$FILTER" || "$p" == *"$FILTER"* || "$FILTER" == "$p"* ]] && sel=1
done
(( sel )) || { echo "consume: filter '$FILTER' selects nothing"; exit 0; }

rm -rf "$WORK"; mkdir -p "$WORK/java" "$WORK/rocklet" "$WORK/off" "$WORK/java0"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  rmq_stop "$WORK/java" >/dev/null 2>&1
  rmq_stop "$WORK/java0" >/dev/null 2>&1
}
trap cleanup EXIT
failed=0
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 300); do port_open "$1" && return 0; sleep 0.1; done; return 1; }
start_rocklet() { # DIR NS_PORT BR_PORT PROPS...
  local d="$1" nsp="$2" brp="$3"; shift 3
  RUST_LOG=warn "$ROCKLET_BIN" namesrv --listen-port "$nsp" --bind 127.0.0.1 >"$d/namesrv.log" 2>&1 &
  PIDS+=($!); wait_port "$nsp" || return 1
  RUST_LOG=info "$ROCKLET_BIN" broker -n "127.0.0.1:$nsp" --listen-port "$brp" --bind 127.0.0.1 \
    --broker-ip1 127.0.0.1 --store-path-root-dir "$d/store" "$@" >"$d/broker.log" 2>&1 &
  PIDS+=($!); wait_port "$brp" || return 1
  sleep 1
}
java_client() { # OUT CLASS ARGS...
  local out="$1" cls="$2"; shift 2
  timeout --kill-after=5 150s java -Xms128m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dfile.encoding=UTF-8 -Duser.home="$(dirname "$out")" -Drocketmq.client.logRoot="$(dirname "$out")/logs" \
    -cp "$CP" "rocklet.interop.$cls" "$@" >"$out" 2>"$out.err"
}
run_client() { # OUT NS MODE [KIND]
  java_client "$1" SqlFilter -n "$2" -t "SqlTopic_$3_${4:-sql}" --mode "$3" --kind "${4:-sql}" --seconds 45
}
# same_cell CELL PATTERN NAME : Java's and Rocklet's lines matching PATTERN in NAME.out agree
same_cell() {
  local cell="$1" pat="$2" name="$3" n
  n=$(grep -c "$pat" "$WORK/java/$name.out")
  if (( n == 0 )); then
    failed=$((failed + 1)); echo "FAIL $cell: the Java side printed nothing (see work/consume/java/$name.out{,.err})"
  elif diff <(grep "$pat" "$WORK/java/$name.out") <(grep "$pat" "$WORK/rocklet/$name.out") >"$WORK/$name.diff"; then
    echo "PASS $cell ($((SECONDS - t0))s) - $n lines the same on both: $(grep "$pat" "$WORK/java/$name.out" | head -n 4 | tr '\n' ';' | cut -c1-300)"
  else
    failed=$((failed + 1)); echo "FAIL $cell: Java vs Rocklet differ: $(grep '^[<>]' "$WORK/$name.diff" | head -n 4 | tr '\n' ';' | cut -c1-400)"
  fi
}

t0=$SECONDS
rmq_start_namesrv $((PORT_BASE + 181)) "$WORK/java" >/dev/null || { echo "FAIL sql/setup: Java name server"; exit 1; }
rmq_start_namesrv $((PORT_BASE + 211)) "$WORK/java0" >/dev/null || { echo "FAIL from/setup: Java name server"; exit 1; }
RMQ_BROKER_EXTRA_PROPS="accessMessageInMemoryMaxRatio=0" rmq_start_broker "127.0.0.1:$((PORT_BASE + 211))" $((PORT_BASE + 215)) broker-a "$WORK/java0" >/dev/null \
  || { echo "FAIL from/setup: Java broker (ratio 0)"; exit 1; }
RMQ_BROKER_EXTRA_PROPS="enablePropertyFilter=true" rmq_start_broker "127.0.0.1:$((PORT_BASE + 181))" $((PORT_BASE + 185)) broker-a "$WORK/java" >/dev/null \
  || { echo "FAIL sql/setup: Java broker"; exit 1; }
start_rocklet "$WORK/rocklet" $((PORT_BASE + 191)) $((PORT_BASE + 195)) -p enablePropertyFilter=true \
  || { echo "FAIL sql/setup: rocklet"; exit 1; }
start_rocklet "$WORK/off" $((PORT_BASE + 201)) $((PORT_BASE + 205)) -p accessMessageInMemoryMaxRatio=0 \
  || { echo "FAIL sql/setup: rocklet (filter off)"; exit 1; }

JNS="127.0.0.1:$((PORT_BASE + 181))"; RNS="127.0.0.1:$((PORT_BASE + 191))"
for mode in push litepull; do
  selected "sql/$mode" || continue
  run_client "$WORK/java/$mode.out" "$JNS" "$mode" &
  jp=$!
  run_client "$WORK/rocklet/$mode.out" "$RNS" "$mode"
  wait "$jp"
  cases=$(grep -c '^CASE' "$WORK/java/$mode.out")
  nonempty=$(grep '^CASE' "$WORK/java/$mode.out" | grep -c -- '-> m')
  if (( cases < 20 || nonempty < 10 )); then
    failed=$((failed + 1))
    echo "FAIL sql/$mode-same-as-java: the Java side printed $cases cases, $nonempty with messages (see work/sql/java/$mode.out)"
  elif diff <(grep '^CASE' "$WORK/java/$mode.out") <(grep '^CASE' "$WORK/rocklet/$mode.out") >"$WORK/$mode.diff"; then
    echo "PASS sql/$mode-same-as-java ($((SECONDS - t0))s) - $cases selectors, $nonempty receiving messages, the same messages each on both"
  else
    failed=$((failed + 1))
    echo "FAIL sql/$mode-same-as-java: $(grep -c '^>' "$WORK/$mode.diff") of $cases selectors differ; first: $(grep -m1 '^>' "$WORK/$mode.diff" | cut -c1-160)"
  fi
  jb=$(grep '^BAD ' "$WORK/java/$mode.out"); rb=$(grep '^BAD ' "$WORK/rocklet/$mode.out")
  if [[ -n "$jb" && "$jb" == "$rb" ]]; then
    echo "PASS sql/bad-selector-$mode ($((SECONDS - t0))s) - both: ${jb#BAD }"
    echo "    Java:    $(grep -m1 '^BADTEXT' "$WORK/java/$mode.out" | cut -c9-200)"
    echo "    Rocklet: $(grep -m1 '^BADTEXT' "$WORK/rocklet/$mode.out" | cut -c9-200)"
  else
    failed=$((failed + 1))
    echo "FAIL sql/bad-selector-$mode: Java '${jb#BAD }', Rocklet '${rb#BAD }'"
  fi
done

if selected tags/push; then
  t0=$SECONDS
  run_client "$WORK/java/tag.out" "$JNS" push tag &
  jp=$!
  run_client "$WORK/rocklet/tag.out" "$RNS" push tag
  wait "$jp"
  same_cell tags/push-same-as-java '^CASE' tag
fi

if selected retry/dlq; then
  t0=$SECONDS
  java_client "$WORK/java/retry.out" RetryDlq -n "$JNS" -t RetryTopic -g retry_cg --timeout-sec 60 &
  jp=$!
  java_client "$WORK/rocklet/retry.out" RetryDlq -n "$RNS" -t RetryTopic -g retry_cg --timeout-sec 60
  wait "$jp"
  same_cell retry/dlq-same-as-java '^SEEN\|^DLQ\|^ROUTE' retry
fi

if selected from/; then
  t0=$SECONDS
  java_client "$WORK/java/from.out" FromWhere -n "$JNS" -t FromTopic &
  jp=$!
  java_client "$WORK/rocklet/from.out" FromWhere -n "$RNS" -t FromTopic
  wait "$jp"
  same_cell from/in-memory-same-as-java '^FROM' from
  t0=$SECONDS
  java_client "$WORK/java/from0.out" FromWhere -n "127.0.0.1:$((PORT_BASE + 211))" -t FromTopic &
  jp=$!
  java_client "$WORK/rocklet/from0.out" FromWhere -n "127.0.0.1:$((PORT_BASE + 201))" -t FromTopic
  wait "$jp"
  same_cell from/in-disk-same-as-java '^FROM' from0
fi

# Message trace from the Rust producer (`rocklet send --trace`), read back with the 4.9.3
# mqadmin QueryMsgTraceById from the Java broker and from Rocklet: one Pub record, same fields.
if selected trace/; then
  t0=$SECONDS
  for side in java rocklet; do
    ns=$JNS; [[ $side == rocklet ]] && ns=$RNS
    "$ROCKLET_BIN" send -n "$ns" -t RustTraceTopic -b traced --tags TagT -k "tk1 tk2" -g rust_trace_pg --trace \
      >"$WORK/$side/trace-send.out" 2>&1
    id=$(grep -o 'msgId=[0-9A-F]*' "$WORK/$side/trace-send.out" | head -n 1 | cut -d= -f2)
    sleep 2
    mkdir -p "$WORK/$side/mqa/conf"; cp "$HERE/conf/logback_tools.xml" "$WORK/$side/mqa/conf/"
    ROCKETMQ_HOME="$WORK/$side/mqa" timeout 60s java -Xms64m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
      -Duser.home="$WORK/$side/mqa" -Drocketmq.home.dir="$WORK/$side/mqa" \
      -Drocketmq.client.logRoot="$WORK/$side/mqa/logs" -cp "$CP" rocklet.interop.MqadminRun \
      QueryMsgTraceById -i "${id:-none}" -n "$ns" >"$WORK/$side/trace.raw" 2>&1
    # times, costs and addresses vary between runs
    sed -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:,.]+/TIME/g; s/[0-9]+ms/Nms/g; s/[0-9]+(\.[0-9]+){3}(:[0-9]+)?/ADDR/g; s/ +/ /g' \
      "$WORK/$side/trace.raw" | grep -v '^$' | grep -v 'RocketMQLog' >"$WORK/$side/trace.out"
  done
  if ! grep -q "Pub.*rust_trace_pg" "$WORK/java/trace.out"; then
    failed=$((failed + 1)); echo "FAIL trace/rust-producer-read-by-mqadmin: the Java broker's answer has no Pub record of rust_trace_pg: $(head -c 300 "$WORK/java/trace.raw" | tr '\n' ';')"
  elif diff "$WORK/java/trace.out" "$WORK/rocklet/trace.out" >"$WORK/trace.diff"; then
    echo "PASS trace/rust-producer-read-by-mqadmin ($((SECONDS - t0))s) - QueryMsgTraceById shows the Rust producer's Pub record the same from both brokers: $(grep -m1 'Pub' "$WORK/java/trace.out" | cut -c1-120)"
  else
    failed=$((failed + 1)); echo "FAIL trace/rust-producer-read-by-mqadmin: Java vs Rocklet differ: $(head -n 6 "$WORK/trace.diff" | tr '\n' ';' | cut -c1-300)"
  fi
fi

# property filtering off (the default): the push consumer's start is refused as by Java's default
selected sql/disabled || { echo "consume: $failed failed"; (( failed == 0 )); exit; }
run_client "$WORK/off/push.out" "127.0.0.1:$((PORT_BASE + 201))" push
if grep -q "start refused: code 1: The broker does not support consumer to filter message by SQL92" "$WORK/off/push.out"; then
  echo "PASS sql/disabled-refused ($((SECONDS - t0))s) - $(grep -m1 'start refused' "$WORK/off/push.out" | cut -d: -f2- | cut -c1-150)"
else
  failed=$((failed + 1))
  echo "FAIL sql/disabled-refused: $(head -n 2 "$WORK/off/push.out")"
fi
echo "consume: $failed failed"
(( failed == 0 ))
