#!/usr/bin/env bash
# Disk full on a real small file system: `rocklet serve` with its store on a tmpfs (or, FS=ext4,
# an ext4 file system on a loop device: an image file, mkfs.ext4, mount -o loop), sends until
# the broker refuses them, checks the code (14) and Java's text, checks reads are still served,
# restarts on the full disk (starts, serves reads, refuses writes), frees space, checks sends
# resume without a restart, tears the mount down. Two scenarios: the Java warning level (0.90,
# the usage check refuses first) and the level at 1.0 (only a failed block allocation, a real
# ENOSPC, stops the writes).
#
# Needs root (mount). Usage: faults/disk_full.sh [path/to/rocklet]
#   ROCKLET        the binary (default: target/release/rocklet, else target/debug/rocklet)
#   FS             tmpfs (default) or ext4 (exits 3 with a SKIP line when the loop mount fails)
#   SIZE_MB        file system size (default 24 for tmpfs, 64 for the ext4 image: ext4 keeps 5 %
#                  reserved for root and ~6 MiB of metadata and journal, the ballast is 60 % of
#                  the size df reports)
#   LEVELS         warning levels to run (default "0.90 1.0")
#   KEEP_LOGS      a directory to keep each scenario's broker log in
set -euo pipefail

ROCKLET=${1:-${ROCKLET:-}}
if [[ -z "$ROCKLET" ]]; then
    for c in "${CARGO_TARGET_DIR:-target}/release/rocklet" "${CARGO_TARGET_DIR:-target}/debug/rocklet"; do
        [[ -x "$c" ]] && ROCKLET=$c && break
    done
fi
[[ -x "${ROCKLET:-}" ]] || { echo "no rocklet binary (build it or pass its path)"; exit 2; }
FS=${FS:-tmpfs}
case "$FS" in
    tmpfs) SIZE_MB=${SIZE_MB:-24} ;;
    ext4) SIZE_MB=${SIZE_MB:-64} ;;
    *) echo "FS must be tmpfs or ext4"; exit 2 ;;
esac
NS_PORT=${NS_PORT:-19876}
BR_PORT=${BR_PORT:-20911}
NS=127.0.0.1:$NS_PORT
WORK=
MNT=
LOG=
PID=
LEVEL=

fail() { echo "FAIL: $*"; echo "--- broker log tail"; tail -n 30 "$LOG" || true; exit 1; }

cleanup() {
    if [[ -n "$PID" ]] && kill -0 "$PID" 2>/dev/null; then
        kill "$PID" 2>/dev/null || true
        wait "$PID" 2>/dev/null || true
    fi
    if [[ -n "${KEEP_LOGS:-}" && -n "$LOG" && -f "$LOG" ]]; then
        cp "$LOG" "$KEEP_LOGS/disk_full.$FS.$LEVEL.log"
    fi
    [[ -n "$MNT" ]] && umount "$MNT" 2>/dev/null || true
    # mount -o loop sets autoclear; detach what is left attached to the image all the same.
    if [[ -n "$WORK" && -f "$WORK/img" ]]; then
        losetup -j "$WORK/img" 2>/dev/null | cut -d: -f1 | while read -r dev; do losetup -d "$dev" || true; done
    fi
    [[ -n "$WORK" ]] && rm -rf "$WORK"
    WORK= MNT=
}
trap cleanup EXIT

scenario() {
    LEVEL=$1
    WORK=$(mktemp -d /tmp/rocklet-disk-full.XXXXXX)
    MNT=$WORK/mnt
    LOG=$WORK/serve.log
    echo "=== scenario ($FS): diskSpaceWarningLevelRatio=$LEVEL"
    mkdir -p "$MNT"
    if [[ "$FS" == tmpfs ]]; then
        mount -t tmpfs -o size=${SIZE_MB}m tmpfs "$MNT"
        echo "tmpfs of ${SIZE_MB} MiB at $MNT"
        # Ballast taking 60 % of the file system: what the operator frees later (unlinking store
        # files the broker still maps would free nothing).
        head -c $((SIZE_MB * 6 / 10))M /dev/zero >"$MNT/ballast"
    else
        truncate -s ${SIZE_MB}M "$WORK/img"
        if ! err=$(mkfs.ext4 -q -F "$WORK/img" 2>&1 && mount -o loop "$WORK/img" "$MNT" 2>&1); then
            echo "SKIP: ext4 on a loop device impossible here: mkfs.ext4 -q -F IMG && mount -o loop IMG MNT: $err"
            exit 3
        fi
        echo "ext4 image of ${SIZE_MB} MiB at $MNT ($(losetup -j "$WORK/img" | cut -d: -f1))"
        df -k "$MNT" | tail -1 | awk '{print "empty ext4: size " $2 " KiB, used " $3 " KiB, available " $4 " KiB (5 % reserved for root)"}'
        # Ballast: 60 % of the size df reports, written out so that df counts it.
        dd if=/dev/zero of="$MNT/ballast" bs=1K count=$(( $(df -k --output=size "$MNT" | tail -1) * 6 / 10 )) status=none
        sync -f "$MNT/ballast"
    fi

    start_broker() {
        "$ROCKLET" serve --namesrv-port "$NS_PORT" --broker-port "$BR_PORT" \
            --store "$MNT/store" --bind 127.0.0.1 \
            -p mapedFileSizeCommitLog=1048576 -p maxMessageSize=65536 \
            -p mapedFileSizeConsumeQueue=60000 \
            -p maxHashSlotNum=5000 -p maxIndexNum=20000 \
            -p diskCheckInterval=500 \
            -p fileReservedTime=72 \
            -p rocketmq.broker.diskSpaceWarningLevelRatio="$LEVEL" >>"$LOG" 2>&1 &
        PID=$!
        for _ in $(seq 1 100); do
            if "$ROCKLET" admin -n "$NS" topic-route -t TBW102 >/dev/null 2>&1; then
                return 0
            fi
            kill -0 "$PID" 2>/dev/null || fail "broker exited at start"
            sleep 0.1
        done
        fail "broker did not come up"
    }

    stop_broker() {
        kill "$PID"
        wait "$PID" 2>/dev/null || true
        PID=
    }

    start_broker
    head -c 4000 /dev/zero | tr '\0' 'x' >"$WORK/body"

    # Send until refused.
    acked=0
    refusal=
    for round in $(seq 1 400); do
        out=$("$ROCKLET" send -n "$NS" -t DiskFull -q 0 -f "$WORK/body" -k "key$round" -c 20 2>&1 || true)
        ok=$(grep -c "SEND_OK" <<<"$out" || true)
        acked=$((acked + ok))
        # A send that failed prints "#N failed: ..."; the client's own WARN lines (a route
        # lookup retried after a closed connection, say) are not a refusal.
        if grep -qE "^#[0-9]+ failed" <<<"$out"; then
            refusal=$(grep -m1 -E "^#[0-9]+ failed" <<<"$out")
            break
        fi
    done
    [[ -n "$refusal" ]] || fail "the disk never filled"
    df -k "$MNT" | tail -1 | awk '{print "disk when refused: used " $3 " KiB of " $2 " KiB (" $5 ")"}'
    echo "acked before refusal: $acked"
    echo "refusal: $refusal"
    grep -q "14" <<<"$refusal" || fail "refusal is not code 14"
    grep -q "the broker's disk is full \[CL: " <<<"$refusal" || fail "refusal lacks Java's disk-full text"
    kill -0 "$PID" || fail "broker died"

    # Reads while full: the newest key, the queue's offsets.
    "$ROCKLET" admin -n "$NS" query-msg-by-key -t DiskFull -k "key1" >"$WORK/q" 2>&1 || true
    found=$(grep -cE "^[0-9A-F]{32} " "$WORK/q" || true)
    [[ "$found" -gt 0 ]] || { cat "$WORK/q"; fail "query by key failed while full"; }
    "$ROCKLET" admin -n "$NS" topic-status -t DiskFull >"$WORK/ts" 2>&1 || fail "topic status failed while full"
    echo "reads while full: query by key key1 found $found message(s); topic status:"; sed 's/^/    /' "$WORK/ts" | head -6
    grep -E "disk is full|not writable|mark disk full|no space|cannot allocate" "$LOG" | head -3 | sed 's/^/    log: /' || true

    # A restart on the full disk: starts, serves reads, refuses writes (reason in the log).
    stop_broker
    : >"$WORK/restart.log"
    echo "--- restart on the full disk" >>"$LOG"
    start_broker
    out=$("$ROCKLET" send -n "$NS" -t DiskFull -q 0 -f "$WORK/body" -c 1 2>&1 || true)
    grep -q "SEND_OK" <<<"$out" && echo "note: after restart a send fit in the space left" || {
        grep -q "the broker's disk is full" <<<"$out" || { echo "$out"; fail "restart: send not refused with the disk-full text"; }
        echo "restart on full disk: send refused with code 14 as expected"
    }
    "$ROCKLET" admin -n "$NS" query-msg-by-key -t DiskFull -k "key1" >"$WORK/q" 2>&1 || true
    grep -qE "^[0-9A-F]{32} " "$WORK/q" || { cat "$WORK/q"; fail "restart: reads not served"; }
    echo "restart on full disk: query by key served"
    sed -n '/--- restart on the full disk/,$p' "$LOG" | grep -E "read-only|disk full|not writable|cannot allocate|less free disk space" | head -2 | sed 's/^/    log: /' || true

    # Free space: the commit log's partition drops below the warning level; no restart.
    rm -f "$MNT/ballast"
    echo "freed: removed the ballast file"
    df -k "$MNT" | tail -1 | awk '{print "disk after freeing: used " $3 " KiB of " $2 " KiB (" $5 ")"}'
    resumed=
    for _ in $(seq 1 40); do
        out=$("$ROCKLET" send -n "$NS" -t DiskFull -q 0 -f "$WORK/body" -c 1 2>&1 || true)
        if grep -q "SEND_OK" <<<"$out"; then resumed=1; break; fi
        sleep 0.5
    done
    [[ -n "$resumed" ]] || { echo "$out"; fail "sends did not resume after space was freed"; }
    echo "sends resumed without a restart"
    kill -0 "$PID" || fail "broker died"
    echo "PASS (level $LEVEL)"
    stop_broker
    cleanup
}

for level in ${LEVELS:-0.90 1.0}; do
    scenario "$level"
done
