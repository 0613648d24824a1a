#!/usr/bin/env bash
# Broadcast consumer groups (issue 15 item 6): consume progress and connections of a BROADCASTING
# push consumer group (its offsets live on the client) as the Java 4.9.3 broker answers them.
# Broadcast.java (one JVM per side, both sides in parallel) creates a 4-queue topic, sends 8
# messages, runs two BROADCASTING push consumers of one group (CONSUME_FROM_FIRST_OFFSET) until
# each has all 8, then, with both online, runs the real 4.9.3 mqadmin subcommands
# consumerProgress -g / consumerProgress / consumerConnection -g / consumerStatus -g [-i] /
# brokerConsumeStats in-process, the DefaultMQAdminExt calls examineConsumeStats,
# examineConsumerConnectionInfo, getConsumerRunningInfo, queryTopicConsumeByWho,
# fetchConsumeStatsInBroker, and QUERY_CONSUMER_OFFSET for every queue; then shuts the consumers
# down (their local offset files, the offline answers). After the servers stop, the broker's
# consumerOffset.json must not hold the group on either side.
#
#   interop/broadcast.sh
# Cells: broadcast/consumed, broadcast/mqadmin-<sub>, broadcast/api-<check>,
# broadcast/query-consumer-offset, broadcast/local-offsets, broadcast/running-info-jstack,
# broadcast/consume-stats-topic-exact, broadcast/consume-tps, broadcast/broker-offsets-file.
# Ports: INTEROP_PORT_BASE (19000) + 221 / +225 (Java namesrv / broker, +223 +226 too),
# +231 / +235 (Rocklet namesrv / broker). Raw outputs: work/broadcast/{java,rocklet}/.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/broadcast"
CP="$HERE/target/classes:$HERE/target/lib/*"
TOPIC=BcastTopic
GROUP=bcast_cg
# shellcheck source=servers.sh
source "$HERE/servers.sh"

rm -rf "$WORK"; mkdir -p "$WORK/java" "$WORK/rocklet" "$WORK/servers-java" "$WORK/servers-rocklet" "$WORK/cmp"
PIDS=()
stop_rocklet() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 25); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null
  done
  PIDS=()
}
cleanup() {
  stop_rocklet
  rmq_stop "$WORK/servers-java" >/dev/null 2>&1
}
trap cleanup EXIT
trap 'echo "broadcast.sh: interrupted" >&2; exit 130' INT TERM
failed=0; t0=$SECONDS
pass() { echo "PASS broadcast/$1 ($((SECONDS - t0))s) - $2"; }
fail() { failed=$((failed + 1)); echo "FAIL broadcast/$1: $2"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 300); do port_open "$1" && return 0; sleep 0.1; done; return 1; }

JNSP=$((PORT_BASE + 221)); JBRP=$((PORT_BASE + 225)); RNSP=$((PORT_BASE + 231)); RBRP=$((PORT_BASE + 235))
rmq_start_namesrv "$JNSP" "$WORK/servers-java" >/dev/null || { echo "FAIL broadcast/setup: Java name server"; exit 1; }
rmq_start_broker "127.0.0.1:$JNSP" "$JBRP" broker-a "$WORK/servers-java" >/dev/null \
  || { echo "FAIL broadcast/setup: Java broker"; exit 1; }
RUST_LOG=warn "$ROCKLET_BIN" namesrv --listen-port "$RNSP" --bind 127.0.0.1 >"$WORK/servers-rocklet/namesrv.log" 2>&1 &
PIDS+=($!); wait_port "$RNSP" || { echo "FAIL broadcast/setup: rocklet namesrv"; exit 1; }
RUST_LOG=info "$ROCKLET_BIN" broker -n "127.0.0.1:$RNSP" --listen-port "$RBRP" --bind 127.0.0.1 \
  --broker-ip1 127.0.0.1 --broker-name broker-a --store-path-root-dir "$WORK/servers-rocklet/store" \
  >"$WORK/servers-rocklet/broker.log" 2>&1 &
PIDS+=($!); wait_port "$RBRP" || { echo "FAIL broadcast/setup: rocklet broker"; exit 1; }
sleep 1

run_side() { # SIDE NS_PORT
  local d="$WORK/$1"
  mkdir -p "$d/home/conf" "$d/home/logs"
  cd "$d" || return 1   # consumerStatus -g writes <now>/<clientId> files into the working directory
  cp -f "$HERE/conf/logback_tools.xml" "$d/home/conf/"
  ROCKETMQ_HOME="$d/home" timeout --kill-after=5 100s java -Xms128m -Xmx256m -XX:+UseSerialGC \
    -XX:TieredStopAtLevel=1 -Dfile.encoding=UTF-8 -Djava.net.preferIPv4Stack=true \
    -Duser.home="$d/home" -Drocketmq.home.dir="$d/home" -Drocketmq.client.logRoot="$d/home/logs/rocketmqlogs" \
    -cp "$CP" rocklet.interop.Broadcast -n "127.0.0.1:$2" -t "$TOPIC" -g "$GROUP" -o "$d/out" \
    --timeout-sec 40 >"$d/run.out" 2>"$d/run.err"
}
(run_side java "$JNSP") &
jp=$!
(run_side rocklet "$RNSP")
wait "$jp"

J="$WORK/java/out"; R="$WORK/rocklet/out"
# consumed: both consumers got all 8 on each side
jc=$(grep -m1 '^CONSUMED' "$J/exact.txt" 2>/dev/null); rc=$(grep -m1 '^CONSUMED' "$R/exact.txt" 2>/dev/null)
if [[ "$jc" != "CONSUMED sent=8 c1=8 c2=8" ]]; then
  fail consumed "the Java side: '${jc:-nothing}' (see work/broadcast/java/run.{out,err})"
elif [[ "$rc" != "$jc" ]]; then
  fail consumed "Java '$jc', Rocklet '${rc:-nothing}' (see work/broadcast/rocklet/run.{out,err})"
else
  pass consumed "both: 8 sent, each of the two BROADCASTING consumers received all 8"
fi

# the mqadmin subcommands, normalised by mqadmin_compare.py
vars() { # SIDE BROKER_PORT NS_PORT
  printf '%s\n' --var "NAMESRV=127.0.0.1:$3" --var "BROKER_ADDR=127.0.0.1:$2" --var "BROKER_NAME=broker-a" \
    --var "WORK=$WORK/$1" --var "HOME=$WORK/$1/home" --var "NAMESRV_PORT=$3" --var "BROKER_PORT=$2"
}
mapfile -t jv < <(vars java "$JBRP" "$JNSP"); mapfile -t rv < <(vars rocklet "$RBRP" "$RNSP")
# consumerStatus -g and consumerConnection -g list the clients in the order of a HashSet<Connection>
# (whose hash includes the client's port): sort each run of numbered "001 ..." lines by what follows
# the number (renumbered), and each run of "clientId clientAddr ..." lines
sort_numbered() { # IN OUT
  python3 - "$1" "$2" <<'PY'
import re, sys
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().split("\n")
out, run, crun = [], [], []
num = re.compile(r"^(\d{3})(\s.*)$")
client = re.compile(r"^\S+@\S+\s+\S+:\d+\s")   # consumerConnection: clientId  clientAddr ...
def flush():
    for i, rest in enumerate(sorted(run)):
        out.append("%03d%s" % (i + 1, rest))
    run.clear()
for l in lines:
    m = num.match(l)
    if m:
        run.append(m.group(2)); continue
    if client.match(l):
        crun.append(l); continue
    for c in sorted(crun):
        out.append(c)
    crun.clear()
    flush(); out.append(l)
out.extend(sorted(crun))
flush()
open(sys.argv[2], "w", encoding="utf-8").write("\n".join(out))
PY
}
for f in "$J"/mqadmin-*.out "$R"/mqadmin-*.out; do
  [[ -f "$f" ]] && sort_numbered "$f" "${f%.out}.sorted"
done
for f in "$J"/mqadmin-*.out; do
  [[ -f "$f" ]] || { fail mqadmin "the Java side wrote no mqadmin output"; break; }
  sub="$(basename "$f" .out)"; sub="${sub#mqadmin-}"
  reason="$(python3 "$HERE/mqadmin_compare.py" "$sub" "${f%.out}.sorted" "$R/mqadmin-$sub.sorted" --diff "$WORK/cmp/mqadmin-$sub.diff" \
    --java "${jv[@]}" --rocklet "${rv[@]}" 2>&1)"
  if [[ $? == 0 ]]; then pass "mqadmin-$sub" "$reason"; else fail "mqadmin-$sub" "$reason; see work/broadcast/cmp/mqadmin-$sub.diff"; fi
done

# the DefaultMQAdminExt calls, normalised by console_compare.py
while IFS=$'\t' read -r res name secs text; do
  [[ -z "$name" ]] && continue
  if [[ "$res" == PASS ]]; then pass "api-$name" "$text"; else fail "api-$name" "$text; see work/broadcast/cmp/$name.diff"; fi
done < <(python3 "$HERE/console_compare.py" "$J/api.jsonl" "$R/api.jsonl" --out-dir "$WORK/cmp")

# exact values: QUERY_CONSUMER_OFFSET answers and the consumers' local offset files
exact_cell() { # CELL PREFIX [SED]
  local j r
  j="$(grep "^$2" "$J/exact.txt" 2>/dev/null | sed -e "${3:-}")"; r="$(grep "^$2" "$R/exact.txt" 2>/dev/null | sed -e "${3:-}")"
  if [[ -z "$j" ]]; then fail "$1" "the Java side printed no '$2' line"
  elif [[ "$j" == "$r" ]]; then pass "$1" "$(echo "$j" | tr '\n' ';' | cut -c1-300)"
  else fail "$1" "Java '$(echo "$j" | tr '\n' ';' | cut -c1-300)', Rocklet '$(echo "$r" | tr '\n' ';' | cut -c1-300)'"; fi
}
exact_cell query-consumer-offset 'QUERY_CONSUMER_OFFSET'
exact_cell local-offsets 'LOCAL_OFFSETS'
exact_cell running-info-jstack 'JSTACK'
# console_compare.py normalises offsets away; for a broadcast group they are the point: exact values
# (consumeTps: its own cell, consume-tps, since the value depends on when the 10 s sampling ran)
exact_cell consume-stats-topic-exact 'API examineConsumeStats.topic ' 's/"consumeTps":[-0-9.E]*,//'
exact_cell consume-tps 'CONSUME_TPS'

# the brokers' consumerOffset.json after a clean stop: the group must not be there (both sides)
stop_rocklet
rmq_stop "$WORK/servers-java" >/dev/null 2>&1
group_offsets() { # FILE -> the TOPIC@GROUP entry, or "none"
  python3 - "$1" "$TOPIC@$GROUP" <<'PY'
import json, sys
try:
    t = json.load(open(sys.argv[1])).get("offsetTable", {})
except (OSError, ValueError) as e:
    print(f"unreadable ({type(e).__name__})"); sys.exit()
e = t.get(sys.argv[2])
print("none" if e is None else json.dumps(e, sort_keys=True))
PY
}
jf="$(find "$WORK/servers-java" -name consumerOffset.json -path '*config*' | head -n1)"
rf="$(find "$WORK/servers-rocklet" -name consumerOffset.json | head -n1)"
jo="$(group_offsets "${jf:-/nonexistent}")"; ro="$(group_offsets "${rf:-/nonexistent}")"
if [[ "$jo" == "$ro" ]]; then pass broker-offsets-file "$TOPIC@$GROUP in consumerOffset.json: $jo on both"
else fail broker-offsets-file "$TOPIC@$GROUP in consumerOffset.json: Java $jo (${jf:-no file}), Rocklet $ro (${rf:-no file})"; fi

echo "broadcast: $failed failed"
(( failed == 0 ))
