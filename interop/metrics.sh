#!/usr/bin/env bash
# Prometheus /metrics against the real Java 4.9.3 mqadmin: `rocklet serve` with its metrics
# ports, `rocklet bench produce` sending at a paced rate, /metrics scraped during the run.
#  - metrics/put-tps: the topic's rocketmq_producer_tps (the minute window, as statsAll reads
#    it) agrees within 10 % with `mqadmin statsAll -t TOPIC`'s InTPS, read between two scrapes
#    (the window moves every 10 s: the JVM call may land after a move, so either scrape counts).
#  - metrics/group-lag: a group that consumed part of the topic (`rocklet consume -c`, then
#    stopped) falls behind while the bench goes on; `mqadmin consumerProgress -g GROUP`'s Diff
#    Total agrees within 10 % with the group's lag summed from rocklet_consumer_lag, read
#    between two scrapes (the lag only grows: it must lie between them, give or take 10 %).
#  - metrics/scrape: every scrape under load answered 200 with the series above, within 2 s.
#  - metrics/namesrv: the name server's /metrics counts the broker and the topic.
#
#   interop/metrics.sh [FILTER]
# Ports: INTEROP_PORT_BASE (19000) + 301 (name server), +305 (broker, +303 its fast port),
# +307 (broker /metrics), +308 (name server /metrics). Raw outputs: work/metrics/.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/metrics"
CP="$HERE/target/classes:$HERE/target/lib/*"
RATE="${METRICS_BENCH_RATE:-2000}"
[[ -z "$FILTER" || "metrics/" == *"$FILTER"* || "$FILTER" == "metrics/"* ]] || { echo "metrics: filter '$FILTER' selects nothing"; exit 0; }
selected() { [[ -z "$FILTER" || "$1" == *"$FILTER"* || "$FILTER" == "metrics/" ]]; }

NSP=$((PORT_BASE + 301)); BP=$((PORT_BASE + 305)); MP=$((PORT_BASE + 307)); NMP=$((PORT_BASE + 308))
NS="127.0.0.1:$NSP"
TOPIC="MetricsInterop_$(date +%s)"
GROUP="metrics_interop_group"

rm -rf "$WORK"; mkdir -p "$WORK/home/conf" "$WORK/scrapes"
cp -f "$HERE/conf/logback_tools.xml" "$WORK/home/conf/"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do
    for _ in $(seq 1 25); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$p" 2>/dev/null
  done
}
trap cleanup EXIT
failed=0
pass() { echo "PASS $1 ($2s) - $3"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 300); do port_open "$1" && return 0; sleep 0.1; done; return 1; }
T0=$SECONDS

[[ -x "$ROCKLET_BIN" ]] || { echo "FAIL metrics/setup: rocklet binary missing ($ROCKLET_BIN)"; exit 1; }
[[ -d "$HERE/target/lib" ]] || { echo "FAIL metrics/setup: Java side missing (bash interop/setup.sh)"; exit 1; }

RUST_LOG=info "$ROCKLET_BIN" serve --namesrv-port "$NSP" --broker-port "$BP" --bind 127.0.0.1 \
  --broker-ip1 127.0.0.1 --store-path-root-dir "$WORK/store" \
  --metrics-port "$MP" --namesrv-metrics-port "$NMP" >"$WORK/serve.log" 2>&1 &
PIDS+=($!)
if ! wait_port "$BP" || ! wait_port "$MP" || ! wait_port "$NMP"; then
  echo "FAIL metrics/setup: rocklet serve did not open $BP, $MP and $NMP (see work/metrics/serve.log)"; exit 1
fi

# scrape NAME PORT: the text into scrapes/NAME.txt; prints the seconds it took; fails on non-200.
scrape() {
  local code t
  t=$(date +%s.%N)
  code=$(curl -s -o "$WORK/scrapes/$1.txt" -w '%{http_code}' --max-time 10 "http://127.0.0.1:$2/metrics")
  echo "$1 $code $(python3 -c "import sys;print(round($(date +%s.%N)-$t,3))")" >>"$WORK/scrapes/times"
  [[ "$code" == 200 ]]
}

# value FILE NAME LABEL=VALUE... : the sum of the samples of NAME whose labels include them.
value() {
  python3 - "$@" <<'EOF'
import re, sys
path, name, want = sys.argv[1], sys.argv[2], dict(a.split("=", 1) for a in sys.argv[3:])
total, found = 0.0, False
for line in open(path, encoding="utf-8"):
    if line.startswith("#") or not line.strip():
        continue
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)', line)
    if not m or m.group(1) != name:
        continue
    labels = dict(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
    if all(labels.get(k) == v for k, v in want.items()):
        total += float(m.group(4)); found = True
print(total if found else "missing")
EOF
}

# mqa OUT ARGS... : one Java mqadmin call (its own JVM) against the name server.
mqa() {
  local out="$1"; shift
  ROCKETMQ_HOME="$WORK/home" NAMESRV_ADDR="$NS" timeout --kill-after=5 60s \
    java -Xms64m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -XX:-UsePerfData \
    -Dfile.encoding=UTF-8 -Djava.net.preferIPv4Stack=true -Duser.home="$WORK/home" \
    -Drocketmq.home.dir="$WORK/home" -Drocketmq.client.logRoot="$WORK/home/logs/rocketmqlogs" \
    -Drocketmq.namesrv.addr="$NS" -cp "$CP" rocklet.interop.MqadminRun "$@" -n "$NS" \
    >"$out" 2>"$out.err" </dev/null
}

# within A B: |A - B| <= 10 % of B (B > 0).
within() { python3 -c "import sys; a,b=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if b>0 and abs(a-b)<=0.1*b else 1)" "$1" "$2"; }
# between X LO HI: LO - 10 % <= X <= HI + 10 % (LO <= HI).
between() { python3 -c "import sys; x,lo,hi=map(float,sys.argv[1:]); sys.exit(0 if hi>0 and lo*0.9<=x<=hi*1.1 else 1)" "$1" "$2" "$3"; }

DURATION=60
RUST_LOG=warn "$ROCKLET_BIN" bench produce -n "$NS" -t "$TOPIC" --rate "$RATE" -w 16 -s 256 \
  -d "$DURATION" --json "$WORK/bench.json" >"$WORK/bench.out" 2>&1 &
BENCH=$!
PIDS+=("$BENCH")
sleep 5
# A group consumes part of the topic and stops: its lag then grows with the bench.
RUST_LOG=warn timeout 60s "$ROCKLET_BIN" consume -n "$NS" -t "$TOPIC" -g "$GROUP" --from first -c 2000 \
  >"$WORK/consume.out" 2>"$WORK/consume.err"
consume_rc=$?
# Let the minute windows fill (samples every 10 s) before comparing.
while (( SECONDS - T0 < 35 )); do sleep 1; done

scrapes_ok=1
t0=$SECONDS
if selected metrics/put-tps || selected metrics/scrape; then
  scrape tps-before "$MP" || scrapes_ok=0
  mqa "$WORK/statsAll.out" statsAll -t "$TOPIC"; rc=$?
  scrape tps-after "$MP" || scrapes_ok=0
  # "#Topic #Consumer Group #Accumulation #InTPS ..." (NO_CONSUMER rows have no group column)
  in_tps=$(awk -v t="$TOPIC" '$1 == t { if ($NF == "NO_CONSUMER") print $3; else print $4; exit }' "$WORK/statsAll.out")
  m1=$(value "$WORK/scrapes/tps-before.txt" rocketmq_producer_tps topic="$TOPIC")
  m2=$(value "$WORK/scrapes/tps-after.txt" rocketmq_producer_tps topic="$TOPIC")
  if selected metrics/put-tps; then
    if [[ -z "$in_tps" ]]; then
      fail metrics/put-tps "statsAll printed no row for $TOPIC (exit $rc; see work/metrics/statsAll.out)"
    elif [[ "$m1" == missing || "$m2" == missing ]]; then
      fail metrics/put-tps "rocketmq_producer_tps{topic=\"$TOPIC\"} missing from /metrics"
    elif within "$in_tps" "$m1" || within "$in_tps" "$m2"; then
      pass metrics/put-tps $((SECONDS - t0)) "statsAll InTPS $in_tps, /metrics rocketmq_producer_tps $m1 before / $m2 after (bench --rate $RATE)"
    else
      fail metrics/put-tps "statsAll InTPS $in_tps vs /metrics rocketmq_producer_tps $m1 before / $m2 after: over 10 % apart"
    fi
  fi
fi

t0=$SECONDS
if selected metrics/group-lag || selected metrics/scrape; then
  scrape lag-before "$MP" || scrapes_ok=0
  mqa "$WORK/consumerProgress.out" consumerProgress -g "$GROUP"; rc=$?
  scrape lag-after "$MP" || scrapes_ok=0
  diff_total=$(sed -n 's/^Diff Total: *\([0-9-]*\).*/\1/p' "$WORK/consumerProgress.out" | head -1)
  l1=$(value "$WORK/scrapes/lag-before.txt" rocklet_consumer_lag group="$GROUP")
  l2=$(value "$WORK/scrapes/lag-after.txt" rocklet_consumer_lag group="$GROUP")
  d1=$(value "$WORK/scrapes/lag-before.txt" rocketmq_group_diff group="$GROUP" topic="$TOPIC")
  if selected metrics/group-lag; then
    if (( consume_rc != 0 )); then
      fail metrics/group-lag "rocklet consume -c 2000 exited $consume_rc (see work/metrics/consume.err)"
    elif [[ -z "$diff_total" ]]; then
      fail metrics/group-lag "consumerProgress printed no Diff Total (exit $rc; see work/metrics/consumerProgress.out)"
    elif [[ "$l1" == missing || "$l2" == missing ]]; then
      fail metrics/group-lag "rocklet_consumer_lag{group=\"$GROUP\"} missing from /metrics"
    elif between "$diff_total" "$l1" "$l2"; then
      pass metrics/group-lag $((SECONDS - t0)) "consumerProgress Diff Total $diff_total, /metrics lag $l1 before / $l2 after (rocketmq_group_diff $d1)"
    else
      fail metrics/group-lag "consumerProgress Diff Total $diff_total vs /metrics lag $l1 before / $l2 after: not within 10 %"
    fi
  fi
fi

if selected metrics/namesrv; then
  t0=$SECONDS
  if scrape namesrv "$NMP"; then
    lb=$(value "$WORK/scrapes/namesrv.txt" rocklet_namesrv_live_brokers)
    tp=$(value "$WORK/scrapes/namesrv.txt" rocklet_namesrv_topics)
    rss=$(value "$WORK/scrapes/namesrv.txt" process_resident_memory_bytes)
    if [[ "$lb" == 1.0 && "$tp" != missing && "$rss" != missing ]] && python3 -c "import sys; sys.exit(0 if float('$tp') >= 1 and float('$rss') > 0 else 1)"; then
      pass metrics/namesrv $((SECONDS - t0)) "1 live broker, $tp topics, RSS $rss bytes"
    else
      fail metrics/namesrv "live brokers $lb, topics $tp, RSS $rss"
    fi
  else
    fail metrics/namesrv "name server /metrics did not answer 200"
  fi
fi

if selected metrics/scrape; then
  slow=$(awk '$2 != 200 || $3 > 2 { print }' "$WORK/scrapes/times" | head -3 | paste -sd';' -)
  n=$(grep -c . "$WORK/scrapes/times")
  if (( scrapes_ok )) && [[ -z "$slow" ]]; then
    pass metrics/scrape 0 "$n scrapes during the bench answered 200 within 2 s (max $(awk '{ if ($3 > m) m = $3 } END { print m }' "$WORK/scrapes/times") s)"
  else
    fail metrics/scrape "scrapes not all 200 within 2 s: ${slow:-a scrape failed}"
  fi
fi

wait "$BENCH" 2>/dev/null
echo "metrics: $failed failed ($(( SECONDS - T0 ))s); bench: $(tail -n 1 "$WORK/bench.out" | cut -c1-200)"
(( failed == 0 ))
