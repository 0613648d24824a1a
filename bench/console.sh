#!/usr/bin/env bash
# The web console's footprint (issue 18): `rocklet console` against a `rocklet serve` on this
# machine, measured from outside, every figure printed as it is taken:
#   - start time: from the exec of `rocklet console` to the first 200 on `/` (curl polling every
#     ~5 ms, so the figure includes up to one poll interval);
#   - memory: VmRSS and VmHWM of the console process (/proc/PID/status) after start, then after
#     serving each page N times (one keep-alive connection, requests one after another);
#   - the time per request of each page (curl's total over N, the admin round trips included:
#     the console asks the cluster on every request, it keeps no cache);
#   - the binary: its size, and the console's share by symbol sizes (`nm -C -S`), with the limits
#     of that measure;
#   - what it needs at run time: `ldd` of the binary, and the console run from an empty directory.
#
#   bench/console.sh                 # N=200; prints the report and writes the "Console footprint
#                                    # (issue 18)" section of bench/RESULTS.md
#   N=20 NO_RESULTS=1 bench/console.sh   # quick run, RESULTS.md untouched
# Ports: 39880 (name server), 39925 (broker), 39990 (console). Raw output: bench/out/console/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
N="${N:-200}"
BIN="${ROCKLET_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/rocklet}"
if [[ -z "${ROCKLET_BIN:-}" ]]; then (cd "$ROOT" && cargo build --release --bin rocklet -q); fi
OUT="$ROOT/bench/out/console"
rm -rf "$OUT"; mkdir -p "$OUT/empty"
NSP=39880; BP=39925; CP=39990
NS="127.0.0.1:$NSP"
URL="http://127.0.0.1:$CP"
SERVER=""; CONSOLE=""
LOAD0=$(cut -d" " -f1-3 /proc/loadavg)
cleanup() {
  local p
  for p in $CONSOLE $SERVER; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
  rm -rf "$OUT/store"
}
trap cleanup EXIT
now_ms() { date +%s%3N; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
mib() { awk -v x="$1" 'BEGIN {printf "%.1f", x / 1024}'; }

RUST_LOG=warn "$BIN" serve --namesrv-port $NSP --broker-port $BP --store "$OUT/store" >"$OUT/serve.log" 2>&1 &
SERVER=$!
python3 "$ROOT/interop/probe.py" wait-broker "$NS" --timeout-sec 30 >/dev/null
# something for each page to show: a topic with messages and a group that consumed them
TOPIC=ConsoleBenchTopic; GROUP=console_bench_cg
RUST_LOG=warn "$BIN" admin -n "$NS" update-topic -t "$TOPIC" -c DefaultCluster -r 4 -w 4 >"$OUT/setup.log" 2>&1
RUST_LOG=warn "$BIN" send -n "$NS" -t "$TOPIC" -k bench-key -b "console bench" -c 100 >>"$OUT/setup.log" 2>&1
RUST_LOG=warn timeout 60 "$BIN" consume -n "$NS" -t "$TOPIC" -g "$GROUP" --from first -c 100 >>"$OUT/setup.log" 2>&1

# start: from the exec to the first 200 on /, from an empty working directory (no files beside
# the binary: pages, styles and the API are compiled in); STARTS times, the last one kept running
STARTS="${STARTS:-5}"
START_LIST=()
for i in $(seq 1 "$STARTS"); do
  t0=$(now_ms)
  (cd "$OUT/empty" && RUST_LOG=warn exec "$BIN" console -n "$NS" --port $CP >"$OUT/console.log" 2>&1) &
  CONSOLE=$!
  code=000
  until [[ "$code" == 200 ]]; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$URL/" 2>/dev/null || true)
    [[ "$code" == 200 ]] && break
    (( $(now_ms) - t0 < 20000 )) || { echo "console.sh: no 200 on / within 20 s" >&2; exit 1; }
    sleep 0.005
  done
  START_LIST+=($(( $(now_ms) - t0 )))
  if (( i < STARTS )); then
    kill "$CONSOLE"; wait "$CONSOLE" 2>/dev/null || true
    for _ in $(seq 1 100); do port_free=1; (exec 3<>"/dev/tcp/127.0.0.1/$CP") 2>/dev/null && port_free=0; (( port_free )) && break; sleep 0.05; done
  fi
done
START_MS=$(printf '%s\n' "${START_LIST[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
START_RANGE=$(printf '%s\n' "${START_LIST[@]}" | sort -n | paste -sd' ' -)
RSS0=$(kib $CONSOLE VmRSS); HWM0=$(kib $CONSOLE VmHWM)

PAGES=(/ /topics "/topic/$TOPIC" /groups "/group/$GROUP" /api/cluster /api/topics "/api/group/$GROUP")
# the console2 pages, when this binary has them (404 otherwise: left out and said so)
for p in "/messages?topic=$TOPIC&key=bench-key" "/send?topic=$TOPIC"; do
  c=$(curl -s -o /dev/null -w '%{http_code}' "$URL$p")
  if [[ "$c" == 200 ]]; then PAGES+=("$p"); else echo "note: $p answers $c, not measured" >>"$OUT/notes"; fi
done
ROWS=()
for p in "${PAGES[@]}"; do
  args=()
  for _ in $(seq 1 "$N"); do args+=(-o /dev/null "$URL$p"); done
  s=$(now_ms)
  codes=$(curl -s -o /dev/null -w '%{http_code}\n' "${args[@]}" | sort | uniq -c | awk '{printf "%s%s x%s", (NR>1?", ":""), $2, $1}')
  e=$(now_ms)
  bytes=$(curl -s "$URL$p" | wc -c)
  ROWS+=("$p|$codes|$bytes|$(awk -v t=$((e - s)) -v n="$N" 'BEGIN {printf "%.2f", t / n}')|$(mib "$(kib $CONSOLE VmRSS)")|$(mib "$(kib $CONSOLE VmHWM)")")
done
THREADS=$(awk '/^Threads/ {print $2}' "/proc/$CONSOLE/status")

# the binary and the console's share of it
SIZE=$(stat -c %s "$BIN")
# the release profile keeps line-table debug info (debug = 1); the stripped size is what ships
strip -o "$OUT/rocklet.stripped" "$BIN"
STRIPPED=$(stat -c %s "$OUT/rocklet.stripped"); rm -f "$OUT/rocklet.stripped"
nm -C -S --size-sort "$BIN" 2>/dev/null >"$OUT/nm.txt" || true
SYMS=$(wc -l <"$OUT/nm.txt")
sum_syms() { python3 -c '
import re, sys
rx = re.compile(sys.argv[2]); total = 0
for line in open(sys.argv[1], errors="replace"):
    parts = line.rstrip("\n").split(" ", 3)
    if len(parts) == 4 and rx.match(parts[3]):
        total += int(parts[1], 16)
print(total)' "$OUT/nm.txt" "$1"; }
CONSOLE_SYMS=$(sum_syms '^(<)?rocklet::console::')
CONSOLE_NSYMS=$(grep -cE '^[0-9a-f]+ [0-9a-f]+ [A-Za-z] <?rocklet::console::' "$OUT/nm.txt" || true)
HYPER_SYMS=$(sum_syms '^(<)?(hyper|hyper_util|http_body|http_body_util|http)::')
TEXT=$(size -A "$BIN" | awk '$1 == ".text" {print $2}')
LDD=$(ldd "$BIN" | awk '{print $1}' | paste -sd' ' -)

{
  echo "Generated by \`bench/console.sh\` (N=$N) on $(date -u +%Y-%m-%d), \`nproc\`=$(nproc): \`rocklet console\` against \`rocklet serve\` on 127.0.0.1 (one topic, 100 messages, one consumer group); the same binary for both; load average at the start $LOAD0 (the machine is shared)."
  echo
  echo "| figure | value |"
  echo "| --- | ---: |"
  echo "| start to the first 200 on \`/\` (exec to answer, the first admin round trips included), median of $STARTS | $START_MS ms (each: $START_RANGE) |"
  echo "| RSS / peak RSS after start | $(mib "$RSS0") / $(mib "$HWM0") MiB |"
  echo "| threads after the run | $THREADS |"
  echo "| rocklet binary (the whole CLI: servers, clients, console), as built (release, \`debug = 1\`) | $(mib $((SIZE / 1024))) MiB |"
  echo "| the same, stripped (\`strip\`) | $(mib $((STRIPPED / 1024))) MiB ($STRIPPED bytes) |"
  echo "| its \`.text\` | $(mib $((TEXT / 1024))) MiB |"
  echo "| symbols under \`rocklet::console\` (\`nm -C -S\`) | $(mib $((CONSOLE_SYMS / 1024))) MiB ($CONSOLE_SYMS bytes, $(awk -v a="$CONSOLE_SYMS" -v b="$STRIPPED" 'BEGIN {printf "%.1f", 100 * a / b}') % of the stripped binary) |"
  echo "| symbols under \`hyper\`, \`hyper_util\`, \`http\`, \`http_body(_util)\` | $(mib $((HYPER_SYMS / 1024))) MiB ($HYPER_SYMS bytes) |"
  echo
  echo "Each page served $N times, one after another on one keep-alive connection (curl), memory read after each page's run:"
  echo
  echo "| page | answers | bytes | ms per request | RSS after, MiB | peak RSS, MiB |"
  echo "| --- | --- | ---: | ---: | ---: | ---: |"
  for r in "${ROWS[@]}"; do
    IFS='|' read -r p codes bytes ms rss hwm <<<"$r"
    echo "| \`$p\` | $codes | $bytes | $ms | $rss | $hwm |"
  done
  echo
  [[ -f "$OUT/notes" ]] && { sed 's/^/- /' "$OUT/notes"; echo; }
  echo "What the figures are and are not:"
  echo
  echo "- The symbol share counts the functions and statics whose demangled names start with \`rocklet::console\` ($CONSOLE_NSYMS of the binary's $SYMS sized symbols). It misses generic code the console instantiates under other crates' names (hyper's connection state machine, serde's serialisers for the console's views, tokio tasks) and counts nothing for the admin client the console shares with \`rocklet admin\`; the hyper/http line is the HTTP server's own code, which only the console and the metrics endpoint use. Both are a guide to size, not an exact share."
  echo "- Run-time needs: the console is the \`rocklet\` binary; pages, styles and the API are compiled in, it was started from an empty directory here, and \`ldd\` lists only the C library's parts: $LDD. No JVM, no Node, no files beside it."
  echo "- ms per request includes the console's admin round trips to the name server and broker on the same machine (every page asks the cluster afresh) and curl's own time."
  echo "- rocketmq-dashboard (the Java console) is not measured: it is not published on Maven Central (\`mvn dependency:get\` of org.apache.rocketmq:rocketmq-dashboard:2.0.0 failed when this script was written), and building it from source (Spring Boot and a React front end) is out of this script's reach, so no figure of it is given."
} >"$OUT/report.md"
cat "$OUT/report.md"

if [[ "${NO_RESULTS:-0}" != 1 ]]; then
  python3 - "$ROOT/bench/RESULTS.md" "$OUT/report.md" <<'PY'
import sys
path, report = sys.argv[1], open(sys.argv[2]).read()
text = open(path).read()
begin, end = "<!-- console.sh -->", "<!-- /console.sh -->"
section = f"{begin}\n## Console footprint (issue 18)\n\n{report}{end}\n"
if begin in text and end in text:
    a = text.index(begin); b = text.index(end) + len(end)
    text = text[:a] + section.rstrip("\n") + text[b:]
else:
    text = text.rstrip("\n") + "\n\n" + section
open(path, "w").write(text)
print(f"console.sh: wrote the 'Console footprint (issue 18)' section of {path}")
PY
fi
