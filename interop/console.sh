#!/usr/bin/env bash
# The admin calls a web console makes (rocketmq-console / rocketmq-dashboard, through the real
# 4.9.3 DefaultMQAdminExt: rocklet.interop.Console) against the Java name server + broker and
# against `rocklet serve`; both answers are normalised by console_compare.py and must agree, per
# check. Then request-reply (rocklet.interop.RequestReply) against each server set.
#
#   interop/console.sh [FILTER]     # FILTER: substring of cell names, e.g. console/view, reqreply
#
# Prints one line per cell, like run.sh / mqadmin.sh:
#   PASS console/<check> (Ns) - detail | FAIL console/<check>: reason (Ns) | SKIP console/<check>: reason
#   PASS reqreply/java-java (Ns) - ... | FAIL reqreply/java-rocklet: reason (Ns)
# and "console: N passed, N failed" at the end; exits non-zero if any failed.
# Outputs: work/console/{java,rocklet}.jsonl (Console's JSON lines), work/console/cmp/<check>.*.json
# (normalised) and <check>.diff (FAILs), work/console/reqreply-{java,rocklet}.out,
# work/console/servers-rocklet/rocklet.log (the rocklet serve log).
#
# Environment:
#   ROCKLET_BIN          rocklet binary (default: <repo>/target/release/rocklet)
#   INTEROP_PORT_BASE    default 19000; uses base+141..base+156:
#                        Java namesrv +141, Java broker +145 (and +143, +146),
#                        rocklet serve namesrv +151, broker +155 (and +153, +156 kept free)
#   CONSOLE_OTHER=java   self-test of the normaliser: the "rocklet" side is a second Java namesrv +
#                        broker on the same ports (every console check should PASS)
#   RUST_LOG             rocklet serve's log filter (default info; debug to see every request)
#   CONSOLE_RR_COUNT     requests per request-reply mode (default 5)
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/console"
CP="$HERE/target/classes:$HERE/target/lib/*"
OTHER="${CONSOLE_OTHER:-rocklet}"
RR_COUNT="${CONSOLE_RR_COUNT:-5}"
T_START=$SECONDS

# shellcheck source=servers.sh
source "$HERE/servers.sh"

SIDES=(java rocklet)
declare -A NS BADDR
NS[java]="127.0.0.1:$((PORT_BASE + 141))";    BADDR[java]="127.0.0.1:$((PORT_BASE + 145))"
NS[rocklet]="127.0.0.1:$((PORT_BASE + 151))"; BADDR[rocklet]="127.0.0.1:$((PORT_BASE + 155))"
CLIENT_JVM=(-Xms64m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData
  -Dfile.encoding=UTF-8 -Djava.net.preferIPv4Stack=true)

# Console's checks, in its order (console_compare.py is given the selected ones)
CHECKS=(
  examineBrokerClusterInfo getClusterList getTopicClusterList fetchBrokerRuntimeStats
  getBrokerConfig updateBrokerConfig fetchAllTopicList fetchTopicsByCluster examineTopicRouteInfo
  examineTopicStats examineTopicConfig createAndUpdateTopicConfig deleteTopicInBroker
  deleteTopicInNameServer examineConsumeStats examineConsumeStats.topic
  examineConsumerConnectionInfo examineConsumerConnectionInfo.offline examineProducerConnectionInfo
  examineProducerConnectionInfo.offline
  getConsumerRunningInfo queryTopicConsumeByWho fetchConsumeStatsInBroker getAllSubscriptionGroup
  createAndUpdateSubscriptionGroupConfig examineSubscriptionGroupConfig deleteSubscriptionGroup
  queryMessage.key viewMessage.uniqKey viewMessage.offsetMsgId messageTrackDetail
  consumeMessageDirectly consumeMessageDirectly.offsetMsgId
  viewBrokerStatsData.TOPIC_PUT_NUMS viewBrokerStatsData.GROUP_GET_NUMS searchOffset
  getNameServerConfig updateNameServerConfig putKVConfig createAndUpdateKvConfig getKVConfig
  getKVListByNamespace deleteKvConfig getKVConfig.missing
  resetOffsetByTimestamp.online resetOffsetByTimestamp.offline resetOffsetByTimestampOld.offline
  wipeWritePermOfBroker addWritePermOfBroker
)
RR_CELLS=(reqreply/java-java reqreply/java-rocklet reqreply/rust-java reqreply/rust-rocklet)
DRIVER="${INTEROP_DRIVER_BIN:-$REPO/target/release/examples/interop_driver}"

ROCKLET_PID=""
CLIENT_PIDS=()
cleanup() {
  local p
  for p in "${CLIENT_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  # both server sets stop in parallel (a Java broker takes a few seconds)
  rmq_stop "$WORK/servers-java" >/dev/null 2>&1 &
  local js=$!
  rmq_stop "$WORK/servers-rocklet" >/dev/null 2>&1
  if [[ -n "$ROCKLET_PID" ]] && kill -0 "$ROCKLET_PID" 2>/dev/null; then
    kill -TERM "$ROCKLET_PID" 2>/dev/null
    for _ in $(seq 1 25); do kill -0 "$ROCKLET_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$ROCKLET_PID" 2>/dev/null
  fi
  wait "$js" 2>/dev/null
  for p in "${CLIENT_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
}
trap cleanup EXIT
trap 'echo "console.sh: interrupted" >&2; exit 130' INT TERM

selected() { [[ -z "$FILTER" || "$1" == *"$FILTER"* ]]; }

NPASS=0; NFAIL=0; NSKIP=0
record() { # CELL RESULT DETAIL SECONDS
  local cell="$1" res="$2" det="$3" secs="$4"
  case "$res" in
    PASS) NPASS=$((NPASS + 1)); echo "PASS $cell (${secs}s)${det:+ - $det}" ;;
    SKIP) NSKIP=$((NSKIP + 1)); echo "SKIP $cell: $det" ;;
    *)    NFAIL=$((NFAIL + 1)); echo "FAIL $cell: $det (${secs}s)" ;;
  esac
}
finish() {
  echo "console: $NPASS passed, $NFAIL failed$( ((NSKIP)) && echo ", $NSKIP skipped") ($((SECONDS - T_START))s)"
  (( NFAIL == 0 ))
  exit $?
}

# what is selected
SEL_CHECKS=()
for c in "${CHECKS[@]}"; do selected "console/$c" && SEL_CHECKS+=("$c"); done
RR_JJ=0; RR_JR=0; RR_RJ=0; RR_RR=0
selected reqreply/java-java && RR_JJ=1
selected reqreply/java-rocklet && RR_JR=1
selected reqreply/rust-java && RR_RJ=1
selected reqreply/rust-rocklet && RR_RR=1
if (( ${#SEL_CHECKS[@]} == 0 && RR_JJ == 0 && RR_JR == 0 && RR_RJ == 0 && RR_RR == 0 )); then
  echo "console: 0 passed, 0 failed (nothing matches '$FILTER')"; exit 0
fi

echo "== console: setup"
if ! "$HERE/setup.sh" >/dev/null; then
  echo "FAIL console/setup: setup.sh failed"; echo "console: 0 passed, 1 failed"; exit 1
fi
rm -rf "$WORK"
mkdir -p "$WORK/java" "$WORK/rocklet" "$WORK/servers-java" "$WORK/servers-rocklet/store" "$WORK/cmp"

NEED_OTHER=1
if [[ "$OTHER" == rocklet && ! -x "$ROCKLET_BIN" ]]; then
  for c in "${SEL_CHECKS[@]}"; do record "console/$c" SKIP "rocklet binary missing ($ROCKLET_BIN)" 0; done
  (( RR_JR )) && record reqreply/java-rocklet SKIP "rocklet binary missing ($ROCKLET_BIN)" 0
  SEL_CHECKS=(); RR_JR=0; NEED_OTHER=0
  (( RR_JJ )) || finish
fi
(( ${#SEL_CHECKS[@]} == 0 && RR_JR == 0 )) && NEED_OTHER=0

if [[ "$OTHER" == java ]]; then
  echo "== console: SELF-TEST: Java namesrv ${NS[java]} + broker ${BADDR[java]} vs a second Java namesrv ${NS[rocklet]} + broker ${BADDR[rocklet]}"
elif (( NEED_OTHER )); then
  echo "== console: Java namesrv ${NS[java]} + broker ${BADDR[java]}; rocklet serve ${NS[rocklet]} / ${BADDR[rocklet]}"
else
  echo "== console: Java namesrv ${NS[java]} + broker ${BADDR[java]} only"
fi
t0=$SECONDS
up_java=1; up_other=1
start_java_pair() { # SIDE
  rmq_start_namesrv "${NS[$1]##*:}" "$WORK/servers-$1" &&
  rmq_start_broker "${NS[$1]}" "${BADDR[$1]##*:}" broker-a "$WORK/servers-$1"
}
start_java_pair java >"$WORK/servers-java/start.out" 2>&1 &
jstart=$!
if (( NEED_OTHER )); then
  if [[ "$OTHER" == java ]]; then
    start_java_pair rocklet >"$WORK/servers-rocklet/start.out" 2>&1 || up_other=0
  else
    # Installed like the Java servers: ROCKETMQ_HOME set (Java reports it as rocketmqHome).
    ROCKETMQ_HOME="$WORK/servers-rocklet" RUST_LOG="${RUST_LOG:-info}" nohup "$ROCKLET_BIN" serve --namesrv-port "${NS[rocklet]##*:}" \
      --broker-port "${BADDR[rocklet]##*:}" --store "$WORK/servers-rocklet/store" \
      >"$WORK/servers-rocklet/rocklet.log" 2>&1 </dev/null &
    ROCKLET_PID=$!
  fi
fi
wait "$jstart" || up_java=0
ACTIVE=(java)
(( NEED_OTHER )) && ACTIVE+=(rocklet)
for s in "${ACTIVE[@]}"; do
  if ! python3 "$HERE/probe.py" wait-broker "${NS[$s]}" --timeout-sec 30 >"$WORK/$s/wait-broker.out" 2>&1; then
    echo "console.sh: $s: no broker registered: $(tail -1 "$WORK/$s/wait-broker.out")" >&2
    if [[ $s == java ]]; then up_java=0; else up_other=0; fi
  fi
done
if (( ! up_java || ! up_other )); then
  why="servers did not start ($( ((up_java)) || echo "java: see work/console/servers-java/")$( ((up_other)) || echo " rocklet: see work/console/servers-rocklet/"))"
  for c in "${SEL_CHECKS[@]}"; do record "console/$c" FAIL "$why" $((SECONDS - t0)); done
  (( RR_JJ )) && record reqreply/java-java FAIL "$why" $((SECONDS - t0))
  (( RR_JR )) && record reqreply/java-rocklet FAIL "$why" $((SECONDS - t0))
  finish
fi
echo "== console: servers up ($((SECONDS - t0))s)"

# java_client SIDE NAME OUT TIMEOUT CLASS ARGS... : one client program against SIDE's name server
java_client() {
  local side="$1" name="$2" out="$3" to="$4"; shift 4
  local home="$WORK/$side/home-$name"
  mkdir -p "$home"
  timeout --kill-after=5 "$to" java "${CLIENT_JVM[@]}" -Duser.home="$home" \
    -Drocketmq.client.logRoot="$home/logs" -cp "$CP" "$@" >"$out" 2>"${out%.*}.err" </dev/null
}

########################## console checks ##########################
if (( ${#SEL_CHECKS[@]} > 0 )); then
  echo "== console: Console (live producer console_live_pg + push consumers console_live_cg, console_offline_cg on ConsoleLive) on both sides"
  t1=$SECONDS
  pids=()
  for s in "${SIDES[@]}"; do
    java_client "$s" console "$WORK/$s.jsonl" 150s rocklet.interop.Console -n "${NS[$s]}" --seconds 100 &
    pids+=("$!"); CLIENT_PIDS+=("$!")
  done
  wait "${pids[@]}"
  CLIENT_PIDS=()
  for s in "${SIDES[@]}"; do
    echo "    $s: $(python3 - "$WORK/$s.jsonl" <<'PY'
import json, sys
setup = done = None
for line in open(sys.argv[1], encoding="utf-8", errors="replace"):
    if line.startswith("{"):
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if d.get("check") == "_setup": setup = d
        if d.get("check") in ("_done", "_timeout"): done = d
if not setup:
    print("Console printed nothing (see its .err)")
elif not setup.get("ok"):
    print("setup FAILED: " + json.dumps(setup.get("error")))
else:
    print(f"setup {setup.get('ms')} ms, unsettled={setup.get('unsettled')}; "
          + (f"done: sent {done.get('sent')}, failed sends {done.get('sendFailed')}, consumed {done.get('consumed')}, {done.get('ms')} ms" if done and done.get('check') == '_done' else "no _done line (timed out?)"))
PY
)"
  done
  checks_csv="$(IFS=,; echo "${SEL_CHECKS[*]}")"
  while IFS=$'\t' read -r res name secs text; do
    [[ -z "$name" ]] && continue
    if [[ "$res" == PASS ]]; then
      record "console/$name" PASS "$text" "$secs"
    else
      record "console/$name" FAIL "$text; see work/console/cmp/$name.diff" "$secs"
    fi
  done < <(python3 "$HERE/console_compare.py" "$WORK/java.jsonl" "$WORK/rocklet.jsonl" \
             --checks "$checks_csv" --out-dir "$WORK/cmp")
  echo "== console: checks done ($((SECONDS - t1))s)"
fi

########################## request-reply ##########################
# rr_reason OUT [LOG] : the FAIL lines of a RequestReply run (+ what the rocklet log says about it)
rr_reason() {
  python3 - "$@" <<'PY'
import re, sys
out = open(sys.argv[1], encoding="utf-8", errors="replace").read() if sys.argv[1:] else ""
fails = [l[5:].strip() for l in out.splitlines() if l.startswith("FAIL ")]
why = "; ".join(fails) if fails else ("no output" if not out.strip() else "exit status non-zero")
if len(sys.argv) > 2:
    try:
        log = open(sys.argv[2], encoding="utf-8", errors="replace").read()
    except OSError:
        log = ""
    log = re.sub(r"\x1b\[[0-9;]*m", "", log)
    hits = [l for l in log.splitlines()
            if re.search(r"(?i)not supported|unsupported|request code|reply|REPLY|\b(WARN|ERROR)\b", l)]
    if hits:
        why += " | rocklet log: " + " || ".join(h.strip()[-240:] for h in hits[-3:])
print(why[:1500])
PY
}
rr_summary() { # OUT : "sync 5/5, async 5/5, ..."
  sed -n 's/^PASS reqreply\/\([a-z-]*\) - \([0-9]*\/[0-9]*\) replies.*/\1 \2/p' "$1" | paste -sd, - | sed 's/,/, /g'
}
if (( RR_JJ || RR_JR )); then
  echo "== reqreply: RequestReply (responder rr_responder_cg + requester rr_requester_pg, $RR_COUNT requests per mode)"
  t1=$SECONDS
  declare -A RRPID
  (( RR_JJ )) && { java_client java reqreply "$WORK/reqreply-java.out" 100s rocklet.interop.RequestReply \
                     -n "${NS[java]}" --count "$RR_COUNT" & RRPID[java]=$!; CLIENT_PIDS+=("$!"); }
  (( RR_JR )) && { java_client rocklet reqreply "$WORK/reqreply-rocklet.out" 100s rocklet.interop.RequestReply \
                     -n "${NS[rocklet]}" --count "$RR_COUNT" & RRPID[rocklet]=$!; CLIENT_PIDS+=("$!"); }
  for s in java rocklet; do
    [[ -n "${RRPID[$s]:-}" ]] || continue
    wait "${RRPID[$s]}"; rc=$?
    cell=reqreply/java-$s
    if (( rc == 0 )); then
      record "$cell" PASS "$(rr_summary "$WORK/reqreply-$s.out")" $((SECONDS - t1))
    else
      (( rc == 124 || rc == 137 )) && echo "FAIL reqreply/run: killed by timeout" >>"$WORK/reqreply-$s.out"
      if [[ $s == rocklet && "$OTHER" == rocklet ]]; then
        reason="$(rr_reason "$WORK/reqreply-$s.out" "$WORK/servers-rocklet/rocklet.log")"
      else
        reason="$(rr_reason "$WORK/reqreply-$s.out")"
      fi
      record "$cell" FAIL "$reason; see work/console/reqreply-$s.out" $((SECONDS - t1))
    fi
  done
  CLIENT_PIDS=()
fi

# The Rust requester (Rocklet's DefaultMQProducer::request family, examples/interop_driver.rs)
# against a Java responder (RequestReply --serve-seconds), on each side.
for s in java rocklet; do
  cell=reqreply/rust-$s
  if [[ $s == java ]]; then (( RR_RJ )) || continue; else (( RR_RR )) || continue; fi
  if [[ ! -x "$DRIVER" ]]; then
    record "$cell" SKIP "Rust driver missing ($DRIVER; cargo build --release --examples)" 0; continue
  fi
  t1=$SECONDS
  out="$WORK/reqreply-rust-$s"
  java_client "$s" rr-responder "$out.responder" 90s rocklet.interop.RequestReply \
    -n "${NS[$s]}" -t RustRequestTopic --serve-seconds 60 &
  rpid=$!; CLIENT_PIDS+=("$rpid")
  for _ in $(seq 1 300); do
    grep -q '^READY' "$out.responder" 2>/dev/null && break
    kill -0 "$rpid" 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q '^READY' "$out.responder" 2>/dev/null; then
    record "$cell" FAIL "the Java responder did not start; see ${out#"$HERE"/}.responder" $((SECONDS - t1))
  else
    RUST_LOG=warn timeout --kill-after=5 60s "$DRIVER" request -n "${NS[$s]}" -t RustRequestTopic \
      --count "$RR_COUNT" >"$out.out" 2>"$out.err"
    rc=$?
    if (( rc == 0 )); then
      record "$cell" PASS "$(rr_summary "$out.out") (Rust requester, Java responder)" $((SECONDS - t1))
    else
      record "$cell" FAIL "$(rr_reason "$out.out"); see ${out#"$HERE"/}.out" $((SECONDS - t1))
    fi
  fi
  kill -TERM "$rpid" 2>/dev/null; wait "$rpid" 2>/dev/null
  CLIENT_PIDS=()
done

if [[ -n "$ROCKLET_PID" ]] && ! kill -0 "$ROCKLET_PID" 2>/dev/null; then
  echo "console.sh: rocklet serve exited during the run (see work/console/servers-rocklet/rocklet.log)" >&2
fi
finish
