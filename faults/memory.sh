#!/usr/bin/env bash
# Memory whatever clients do (issue 14 item 4): a standalone `rocklet broker`, then misbehaving
# clients from `rocklet bench abuse`, each scenario on a fresh broker:
#   pipeline  eight connections pipelining pulls of 512 KiB answers, never reading
#   park      8,000 parked (long-polling) pulls on one connection
#   flood     2,000 simultaneous connects
# Prints the broker's RSS before, at its peak (sampled every 100 ms) and 3 s after, the probe
# client's p99 (GET_MAX_OFFSET every 10 ms on its own connection) and the connect p99.
#
# Usage: faults/memory.sh [path/to/rocklet]
#   ROCKLET   the binary (default: $CARGO_TARGET_DIR or target, release then debug)
#   SECONDS_EACH  how long each abuse lasts (default 10)
#   SCENARIOS     which to run (default "pipeline park flood")
#   EXTRA_PROPS   extra broker properties, e.g. "-p writeBufferHighWaterMark=67108864"
#   BROKER_BIN    another binary to run the broker with (e.g. an older build, to compare);
#                 the load always comes from $ROCKLET
set -euo pipefail

ROCKLET=${1:-${ROCKLET:-}}
if [[ -z "$ROCKLET" ]]; then
    for c in "${CARGO_TARGET_DIR:-target}/release/rocklet" "${CARGO_TARGET_DIR:-target}/debug/rocklet"; do
        [[ -x "$c" ]] && ROCKLET=$c && break
    done
fi
[[ -x "${ROCKLET:-}" ]] || { echo "no rocklet binary (build it or pass its path)"; exit 2; }
BR_PORT=${BR_PORT:-21911}
SECONDS_EACH=${SECONDS_EACH:-10}
SCENARIOS=${SCENARIOS:-"pipeline park flood"}
WORK=
PID=

cleanup() {
    if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    [[ -n "$WORK" ]] && rm -rf "$WORK"
    PID= WORK=
}
trap cleanup EXIT

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }

scenario() {
    local name=$1
    shift
    WORK=$(mktemp -d /tmp/rocklet-memory.XXXXXX)
    # shellcheck disable=SC2086
    "${BROKER_BIN:-$ROCKLET}" broker --listen-port "$BR_PORT" --store "$WORK/store" \
        --broker-ip1 127.0.0.1 ${EXTRA_PROPS:-} >"$WORK/broker.log" 2>&1 &
    PID=$!
    for _ in $(seq 100); do
        (exec 3<>"/dev/tcp/127.0.0.1/$BR_PORT") 2>/dev/null && break
        sleep 0.1
    done
    sleep 1
    local before peak now
    before=$(rss_kb "$PID")
    peak=$before
    "$ROCKLET" bench abuse -b "127.0.0.1:$BR_PORT" -s "$name" --seconds "$SECONDS_EACH" "$@" \
        >"$WORK/abuse.out" 2>&1 &
    local apid=$!
    while kill -0 "$apid" 2>/dev/null; do
        now=$(rss_kb "$PID")
        ((now > peak)) && peak=$now
        sleep 0.1
    done
    wait "$apid" || { cat "$WORK/abuse.out"; echo "FAIL: abuse $name"; exit 1; }
    for _ in $(seq 30); do
        now=$(rss_kb "$PID")
        ((now > peak)) && peak=$now
        sleep 0.1
    done
    local after json
    after=$(rss_kb "$PID")
    json=$(grep '^JSON ' "$WORK/abuse.out" | sed 's/^JSON //')
    kill -0 "$PID" 2>/dev/null || { tail -n 20 "$WORK/broker.log"; echo "FAIL: broker died"; exit 1; }
    printf '%-9s rss_before_mb=%d rss_peak_mb=%d (+%d) rss_after_mb=%d\n' "$name" \
        $((before / 1024)) $((peak / 1024)) $(((peak - before) / 1024)) $((after / 1024))
    echo "$name $json"
    cleanup
}

echo "rocklet: $ROCKLET, broker: ${BROKER_BIN:-$ROCKLET} ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores)"
for s in $SCENARIOS; do
    case $s in
    pipeline) scenario pipeline --conns 8 ;;
    park) scenario park --pulls 8000 ;;
    flood) scenario flood --conns 2000 ;;
    *) echo "unknown scenario $s"; exit 2 ;;
    esac
done
