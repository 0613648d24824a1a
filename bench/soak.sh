#!/usr/bin/env bash
# Soak (issue 14): `rocklet namesrv` + `rocklet broker` under sustained load for SOAK_MINUTES
# (default 60) with retention set to minutes, sampling the broker every 10 s. Shows that the
# broker's memory stays flat (RSS peak over the whole run within 10 % of the first ten minutes'
# peak) and that disk use is bounded by the retention settings (files older than the retention
# deleted, every hour being a delete hour).
#
# Load: `rocklet bench produce` paced at SOAK_RATE msg/s (default 5000) of SOAK_SIZE bytes (1024)
# with a key on every message (so the key index grows and is deleted too), plus the real 4.9.3
# Java client (interop Live: a producer at 200 msg/s and a push consumer, clustering, long
# polling) on a second topic, so pulls, holds, offsets and heartbeats run the whole time.
#
# Broker settings: commit-log files of 64 MiB, consume-queue files of 60000 entries, index files
# of 500000 slots / 2000000 entries, fileReservedTimeMs = SOAK_RETENTION_MIN minutes (default 5;
# Rocklet's millisecond form of Java's fileReservedTime hours), deleteWhen = every hour,
# cleanResourceInterval 10 s (Java's default).
#
#   bench/soak.sh                       # 60 minutes; writes bench/SOAK.md and bench/out/soak.tsv
#   SOAK_MINUTES=3 bench/soak.sh        # a short look (the 10-minute window shrinks with it)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MINUTES="${SOAK_MINUTES:-60}"
RATE="${SOAK_RATE:-5000}"
SIZE="${SOAK_SIZE:-1024}"
RETENTION_MIN="${SOAK_RETENTION_MIN:-5}"
NS_PORT="${SOAK_NS_PORT:-33876}"; BR_PORT="${SOAK_BR_PORT:-33911}"
SRC_BIN="${ROCKLET_BIN:-$ROOT/target/release/rocklet}"
OUT="$ROOT/bench/out"; mkdir -p "$OUT"
REPORT="${SOAK_REPORT:-$ROOT/bench/SOAK.md}"
WORK="$(mktemp -d /tmp/rocklet-soak.XXXXXX)"
CP="$ROOT/interop/target/classes:$ROOT/interop/target/lib/*"
PIDS=()
cleanup() {
  touch "$WORK/stop"
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
[[ -x "$SRC_BIN" ]] || { echo "soak: no rocklet binary at $SRC_BIN (cargo build --release)"; exit 2; }
# Our own copy: a rebuild during the hour must not change what runs.
BIN="$WORK/rocklet"; cp "$SRC_BIN" "$BIN"
START_REV="$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
"$ROOT/interop/setup.sh" >/dev/null || { echo "soak: interop/setup.sh failed"; exit 2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 300); do port_open "$1" && return 0; sleep 0.1; done; return 1; }
rss_mib() { awk '/VmRSS/ {print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }
anon_mib() { awk '/RssAnon/ {print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_mib() { awk '/VmHWM/ {print int($2/1024)}' "/proc/$1/status" 2>/dev/null || echo 0; }
du_mib() { du -sm "$1" 2>/dev/null | cut -f1; }

RUST_LOG=warn "$BIN" namesrv --listen-port "$NS_PORT" --bind 127.0.0.1 >"$WORK/namesrv.log" 2>&1 &
PIDS+=($!); wait_port "$NS_PORT"
HOURS="$(seq -s ';' -f '%02g' 0 23)"
RUST_LOG=warn "$BIN" broker -n "127.0.0.1:$NS_PORT" --listen-port "$BR_PORT" --bind 127.0.0.1 \
  --broker-ip1 127.0.0.1 --store-path-root-dir "$WORK/store" \
  -p mapedFileSizeCommitLog=67108864 -p mapedFileSizeConsumeQueue=1200000 \
  -p maxHashSlotNum=500000 -p maxIndexNum=2000000 \
  -p "fileReservedTimeMs=$((RETENTION_MIN * 60000))" -p "deleteWhen=$HOURS" \
  >"$WORK/broker.log" 2>&1 &
BROKER=$!; PIDS+=("$BROKER"); wait_port "$BR_PORT"
sleep 1

SECS=$((MINUTES * 60))
"$BIN" bench produce -n "127.0.0.1:$NS_PORT" -t SoakTopic -w 32 -s "$SIZE" -k --rate "$RATE" \
  -d "$SECS" --json "$WORK/produce.json" >"$WORK/produce.out" 2>"$WORK/produce.err" &
PIDS+=($!); PRODUCE=$!
java -Xms64m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Duser.home="$WORK" \
  -Drocketmq.client.logRoot="$WORK/logs" -cp "$CP" rocklet.interop.Live -n "127.0.0.1:$NS_PORT" \
  -t SoakLive -p soak_live_pg -g soak_live_cg -o "$WORK/live.state" --seconds "$SECS" --rate 200 \
  --stop-file "$WORK/stop" >"$WORK/live.out" 2>&1 &
PIDS+=($!)

TSV="$OUT/soak.tsv"   # copied next to the report at the end
printf 'elapsed_s\trss_mib\tanon_mib\tstore_mib\tcommitlog_files\tindex_files\tcq_files\n' >"$TSV"
t0=$SECONDS
window=$(( SECS < 600 ? SECS / 6 : 600 ))   # "the first ten minutes" (a sixth of a short run)
peak_first=0; peak_all=0; anon_first=0; anon_all=0; store_max=0; store_max_after=0
while kill -0 "$PRODUCE" 2>/dev/null; do
  sleep 10
  kill -0 "$BROKER" 2>/dev/null || { echo "soak: the broker died"; tail -n 30 "$WORK/broker.log"; exit 1; }
  el=$((SECONDS - t0)); rss=$(rss_mib "$BROKER"); anon=$(anon_mib "$BROKER"); st=$(du_mib "$WORK/store")
  cl=$(ls "$WORK/store/commitlog" | wc -l); ix=$(ls "$WORK/store/index" 2>/dev/null | wc -l)
  cq=$(find "$WORK/store/consumequeue" -type f | wc -l)
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$el" "$rss" "$anon" "$st" "$cl" "$ix" "$cq" >>"$TSV"
  (( el <= window && anon > anon_first )) && anon_first=$anon
  (( anon > anon_all )) && anon_all=$anon
  (( el <= window && rss > peak_first )) && peak_first=$rss
  (( rss > peak_all )) && peak_all=$rss
  (( st > store_max )) && store_max=$st
  (( el > RETENTION_MIN * 60 + 120 && st > store_max_after )) && store_max_after=$st
  (( el % 60 < 10 )) && echo "soak: ${el}s rss ${rss} MiB store ${st} MiB (commitlog ${cl} files, index ${ix}, cq ${cq})"
done
hwm=$(hwm_mib "$BROKER")
wait "$PRODUCE" || true
touch "$WORK/stop"
sent=$(python3 -c "import json;d=json.load(open('$WORK/produce.json'));print(d.get('sent_ok',0), d.get('failed',0), round(d.get('tps',0)))")
read -r ok failed tps <<<"$sent"
# Disk bound: what the retention keeps (RETENTION_MIN minutes of writes, each record ~SIZE+200 B
# in the commit log, 2 x 20 B index entries, 20 B of consume queue), plus one cleaning round
# (10 s) and the file granularity (a 64 MiB commit-log file, a 84 MiB index file, the live files
# of every consume queue and of the second topic).
bound=$(( (RETENTION_MIN * 60 + 70) * RATE * (SIZE + 200 + 60) / 1048576 + 64 * 2 + 84 * 2 + 64 ))
ratio=$(python3 -c "print(f'{$peak_all / max($peak_first, 1):.3f}')")
rss_ok=$(python3 -c "print('yes' if $peak_all <= 1.10 * max($peak_first, 1) else 'NO')")
disk_ok=$([[ $store_max_after -le $bound ]] && echo yes || echo NO)
written=$(( ok * (SIZE + 200) / 1048576 ))
{
  echo "# Soak: ${MINUTES} minutes of sustained load, retention ${RETENTION_MIN} minutes"
  echo
  echo "Generated by \`bench/soak.sh\` (SOAK_MINUTES=$MINUTES SOAK_RATE=$RATE SOAK_SIZE=$SIZE"
  echo "SOAK_RETENTION_MIN=$RETENTION_MIN) on $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores;"
  echo "rocklet at $START_REV (the binary copied at the start). Samples every 10 s: [soak.tsv](soak.tsv)."
  echo "RSS counts the mapped store files the broker touched (RssAnon is its heap)."
  echo
  echo "| figure | value |"
  echo "| --- | --- |"
  echo "| messages sent (rocklet bench produce, keys on, ${SIZE} B, paced ${RATE}/s) | $ok acked, $failed failed, $tps msg/s |"
  echo "| commit log written | ~$written MiB |"
  echo "| broker RSS peak, first $((window / 60)) minutes | $peak_first MiB |"
  echo "| broker RSS peak, whole run (sampled) / VmHWM | $peak_all MiB / $hwm MiB |"
  echo "| peak ratio (must be <= 1.10) | $ratio: **$rss_ok** |"
  echo "| of which anonymous memory (RssAnon; the rest is mapped store files): peak first $((window / 60)) minutes / whole run | $anon_first MiB / $anon_all MiB |"
  echo "| store size peak, whole run | $store_max MiB |"
  echo "| store size peak once retention applies (after $((RETENTION_MIN + 2)) min) | $store_max_after MiB |"
  echo "| bound from the retention settings | $bound MiB: **$disk_ok** |"
  echo "| Java Live consumer (4.9.3 push consumer, 200 msg/s) | $(grep -c . "$WORK/live.out" 2>/dev/null || echo 0) lines of output; last: \`$(tail -n 1 "$WORK/live.out" 2>/dev/null | cut -c1-120)\` |"
  echo
  echo "RSS and store size per minute:"
  echo
  echo "| minute | RSS MiB | RssAnon MiB | store MiB | commit-log files | index files | consume-queue files |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  awk -F'\t' 'NR > 1 && ($1 % 60) < 10 { printf "| %d | %s | %s | %s | %s | %s | %s |\n", $1 / 60, $2, $3, $4, $5, $6, $7 }' "$TSV"
  echo
  echo "Broker warnings and errors during the run: $(grep -c -E 'WARN|ERROR' "$WORK/broker.log" || true)"
  grep -E 'ERROR' "$WORK/broker.log" | head -n 5 | sed 's/^/    /'  || true
} >"$REPORT"
cp "$TSV" "$(dirname "$REPORT")/soak.tsv"
cat "$REPORT"
[[ "$rss_ok" == yes && "$disk_ok" == yes ]]
