#!/usr/bin/env bash
# SQL92 selectors (issue 15), the real 4.9.3 consumers against the Java 4.9.3 broker and against
# Rocklet, both with enablePropertyFilter=true: SqlFilter.java sends 24 messages with user
# properties and runs one consumer group per selector (30 selectors: every operator, precedence,
# missing properties, type mismatches, unicode values, int overflow, case of names), once with
# push consumers and once with lite pull consumers, plus a bad selector. Each server's output is
# the list of messages each selector received; Rocklet's must equal Java's line by line.
#
#   interop/sql.sh [FILTER]
# Cells: sql/push-same-as-java, sql/litepull-same-as-java, sql/bad-selector-push,
# sql/bad-selector-litepull, sql/disabled-refused (Rocklet with the default
# enablePropertyFilter=false refuses the push consumer as Java does).
# Ports: INTEROP_PORT_BASE (19000) + 181 / +185 (Java namesrv / broker, +183 +186 too),
# +191 / +195 (Rocklet), +201 / +205 (Rocklet without property filtering).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/sql"
CP="$HERE/target/classes:$HERE/target/lib/*"
# shellcheck source=servers.sh
source "$HERE/servers.sh"
[[ -z "$FILTER" || "sql/" == *"$FILTER"* || "$FILTER" == sql* ]] || { echo "sql: filter '$FILTER' selects nothing"; exit 0; }

rm -rf "$WORK"; mkdir -p "$WORK/java" "$WORK/rocklet" "$WORK/off"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  rmq_stop "$WORK/java" >/dev/null 2>&1
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
run_client() { # OUT NS MODE
  timeout --kill-after=5 120s java -Xms128m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dfile.encoding=UTF-8 -Duser.home="$(dirname "$1")" -Drocketmq.client.logRoot="$(dirname "$1")/logs" \
    -cp "$CP" rocklet.interop.SqlFilter -n "$2" -t "SqlTopic_$3" --mode "$3" --seconds 45 >"$1" 2>"$1.err"
}

t0=$SECONDS
rmq_start_namesrv $((PORT_BASE + 181)) "$WORK/java" >/dev/null || { echo "FAIL sql/setup: Java name server"; exit 1; }
RMQ_BROKER_EXTRA_PROPS="enablePropertyFilter=true" rmq_start_broker "127.0.0.1:$((PORT_BASE + 181))" $((PORT_BASE + 185)) broker-a "$WORK/java" >/dev/null \
  || { echo "FAIL sql/setup: Java broker"; exit 1; }
start_rocklet "$WORK/rocklet" $((PORT_BASE + 191)) $((PORT_BASE + 195)) -p enablePropertyFilter=true \
  || { echo "FAIL sql/setup: rocklet"; exit 1; }
start_rocklet "$WORK/off" $((PORT_BASE + 201)) $((PORT_BASE + 205)) \
  || { echo "FAIL sql/setup: rocklet (filter off)"; exit 1; }

for mode in push litepull; do
  run_client "$WORK/java/$mode.out" "127.0.0.1:$((PORT_BASE + 181))" "$mode" &
  jp=$!
  run_client "$WORK/rocklet/$mode.out" "127.0.0.1:$((PORT_BASE + 191))" "$mode"
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

# property filtering off (the default): the push consumer's start is refused as by Java's default
run_client "$WORK/off/push.out" "127.0.0.1:$((PORT_BASE + 201))" push
if grep -q "start refused: code 1: The broker does not support consumer to filter message by SQL92" "$WORK/off/push.out"; then
  echo "PASS sql/disabled-refused ($((SECONDS - t0))s) - $(grep -m1 'start refused' "$WORK/off/push.out" | cut -d: -f2- | cut -c1-150)"
else
  failed=$((failed + 1))
  echo "FAIL sql/disabled-refused: $(head -n 2 "$WORK/off/push.out")"
fi
echo "sql: $failed failed"
(( failed == 0 ))
