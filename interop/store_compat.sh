#!/usr/bin/env bash
# Store compatibility both ways (issue 14): ONE store directory opened in turn by the real Java
# 4.9.3 broker and by `rocklet broker`, with the real 4.9.3 client and admin writing, consuming and
# checking through whichever broker has it (StoreCompat.java):
#
#   1. Java broker: topic (4 queues, perm 6), group (retryMaxTimes 7), 300 messages with keys and
#      2 delayed ones (one per delivery round), 120 consumed and committed; stopped with SIGTERM.
#   2. Rocklet opens it                    -> storecompat/java-to-rocklet-after-sigterm
#      300 more (+2 delayed) and 120 more consumed through Rocklet; SIGKILL.
#   3. Java opens it                       -> storecompat/rocklet-to-java-after-sigkill
#      a Rocklet broker on the same store is refused       -> storecompat/lock-refuses-rocklet
#      300 more, 120 more consumed; SIGKILL.
#   4. Rocklet opens it                    -> storecompat/java-to-rocklet-after-sigkill
#      300 more, 120 more consumed; SIGTERM.
#   5. Java opens it                       -> storecompat/rocklet-to-java-after-sigterm
#   6. Rocklet opens it again; a Java broker on the same store is refused
#                                          -> storecompat/lock-refuses-java
#
# Each check: every message sent so far stored exactly once with its body (delayed ones delivered
# once: the delay offsets carried over), queries by key through the broker's index files, by
# unique key and by offset msgId, the topic's queues and perm, the group's config and the consumer
# offsets exactly as committed. Both brokers use the same file sizes (commit log 64 MiB, consume
# queue 600000 B, index 50000 slots / 200000 entries).
#
#   interop/store_compat.sh [FILTER]
# Prints PASS / FAIL lines like run.sh; exits 1 if any failed.
# Ports: INTEROP_PORT_BASE (default 19000) + 161 (name server), +165 (the broker, either one;
# Java also +163, +166), +169 (the refused second broker; Java also +167, +170).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/storecompat"
CP="$HERE/target/classes:$HERE/target/lib/*"
# shellcheck source=servers.sh
source "$HERE/servers.sh"

case "storecompat/" in *"$FILTER"*) ;; *) [[ "$FILTER" == storecompat* ]] || { echo "store_compat: filter '$FILTER' selects nothing"; exit 0; } ;; esac

NS_PORT=$((PORT_BASE + 161)); BR_PORT=$((PORT_BASE + 165)); SECOND_PORT=$((PORT_BASE + 169))
NS="127.0.0.1:$NS_PORT"; BR="127.0.0.1:$BR_PORT"
TOPIC=StoreCompat; GROUP=store_compat_cg
INDEX_PROPS=$'maxHashSlotNum=50000\nmaxIndexNum=200000'
rm -rf "$WORK"; mkdir -p "$WORK/ns" "$WORK/java" "$WORK/rocklet" "$WORK/second"
STORE="$WORK/java/store-broker-a"     # where servers.sh puts broker-a's store
ROCKLET_PID=""
failed=0

cleanup() {
  [[ -n "$ROCKLET_PID" ]] && kill -KILL "$ROCKLET_PID" 2>/dev/null
  rmq_stop "$WORK/second" >/dev/null 2>&1
  rmq_stop "$WORK/java" >/dev/null 2>&1
  rmq_stop "$WORK/ns" >/dev/null 2>&1
}
trap cleanup EXIT

cat > "$WORK/rocklet/broker.properties" <<P
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerIP1=127.0.0.1
namesrvAddr=$NS
listenPort=$BR_PORT
storePathRootDir=$STORE
mappedFileSizeCommitLog=67108864
mappedFileSizeConsumeQueue=600000
$INDEX_PROPS
P

java_step() { # NAME SUBCOMMAND ARGS...
  local name="$1"; shift
  timeout --kill-after=5 120s java -Xms64m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dfile.encoding=UTF-8 -Duser.home="$WORK" -Drocketmq.client.logRoot="$WORK/logs" \
    -cp "$CP" rocklet.interop.StoreCompat "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  local rc=$?
  sed 's/^/    /' "$WORK/$name.out"
  return $rc
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_closed() { local i; for i in $(seq 1 100); do port_open "$1" || return 0; sleep 0.1; done; return 1; }

start_java() { RMQ_BROKER_EXTRA_PROPS="$INDEX_PROPS" rmq_start_broker "$NS" "$BR_PORT" broker-a "$WORK/java"; }
kill_java() { # SIGNAL
  local f="$WORK/java/run/broker-broker-a.pid" pid
  pid="$(cat "$f")"
  if [[ "$1" == KILL ]]; then kill -KILL "$pid"; else kill -TERM "$pid"; fi
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  rm -f "$f"; wait_closed "$BR_PORT"
}
start_rocklet() {
  RUST_LOG=info "$ROCKLET_BIN" broker -c "$WORK/rocklet/broker.properties" >>"$WORK/rocklet/broker.log" 2>&1 </dev/null &
  ROCKLET_PID=$!
  local i
  for i in $(seq 1 300); do
    kill -0 "$ROCKLET_PID" 2>/dev/null || { echo "store_compat: rocklet broker exited:"; tail -n 20 "$WORK/rocklet/broker.log"; ROCKLET_PID=""; return 1; }
    port_open "$BR_PORT" && { sleep 1.5; return 0; }   # and registered (it registers at once)
    sleep 0.1
  done
  return 1
}
kill_rocklet() { # SIGNAL
  kill "-$1" "$ROCKLET_PID"
  for _ in $(seq 1 100); do kill -0 "$ROCKLET_PID" 2>/dev/null || break; sleep 0.1; done
  ROCKLET_PID=""; wait_closed "$BR_PORT"
}

SENT=()
phase_write() { # PHASE : 300 messages + 2 delayed, then 120 consumed; offsets -> $WORK/offsets.txt
  local f="$WORK/sent-$1.txt"
  java_step "write-$1" write -n "$NS" -t "$TOPIC" -p "$1" -c 300 -o "$f" || return 1
  SENT+=("$f")
  sleep 3 # the delayed ones (level 1 = 1 s) delivered
  java_step "consume-$1" consume -n "$NS" -t "$TOPIC" -g "$GROUP" -c 120 -o "$WORK/offsets.txt" || return 1
  # before a SIGKILL: consumer offsets persisted (flushConsumerOffsetInterval 5 s) and delay
  # offsets (flushDelayOffsetInterval 10 s), as a Java broker needs too
  [[ "${2:-}" == before-kill ]] && sleep 11
  return 0
}

check_cell() { # CELL T0
  local cell="$1" t0="$2" sent
  sent="$(IFS=,; echo "${SENT[*]}")"
  if java_step "check-${cell##*/}" check -n "$NS" -b "$BR" -t "$TOPIC" -g "$GROUP" --sent "$sent" --offsets "$WORK/offsets.txt"; then
    echo "PASS $cell ($((SECONDS - t0))s) - $(grep -c '^CHECK ok' "$WORK/check-${cell##*/}.out") checks: $(grep '^CHECK ok messages' "$WORK/check-${cell##*/}.out" | cut -d: -f2-)"
  else
    failed=$((failed + 1))
    echo "FAIL $cell: $(grep -m1 '^CHECK bad' "$WORK/check-${cell##*/}.out" | cut -c11-220 || echo 'check did not run, see work/storecompat')"
  fi
}

# The other broker on the same store while one runs: must refuse with Java's text.
lock_java_cell() {
  local t0=$SECONDS out="$WORK/second/logs/broker-broker-b.out"
  RMQ_BROKER_EXTRA_PROPS="$INDEX_PROPS"$'\n'"storePathRootDir=$STORE"$'\n'"storePathCommitLog=$STORE/commitlog" \
    rmq_start_broker "$NS" "$SECOND_PORT" broker-b "$WORK/second" >/dev/null 2>&1
  local started=$?
  rmq_stop "$WORK/second" >/dev/null 2>&1
  if (( started != 0 )) && grep -q "Lock failed,MQ already started" "$out"; then
    echo "PASS storecompat/lock-refuses-java ($((SECONDS - t0))s) - the Java broker exits: Lock failed,MQ already started"
  else
    failed=$((failed + 1))
    echo "FAIL storecompat/lock-refuses-java: the second (Java) broker $( ((started == 0)) && echo started || echo 'exited without the lock text')"
  fi
}
lock_rocklet_cell() {
  local t0=$SECONDS log="$WORK/second/rocklet.log" rc
  timeout 30 "$ROCKLET_BIN" broker -c "$WORK/rocklet/broker.properties" --listen-port "$SECOND_PORT" --broker-name broker-b >"$log" 2>&1 </dev/null
  rc=$?
  if (( rc != 0 && rc != 124 )) && grep -q "Lock failed,MQ already started" "$log"; then
    echo "PASS storecompat/lock-refuses-rocklet ($((SECONDS - t0))s) - rocklet broker exits $rc: $(grep -m1 -o 'Lock failed.*' "$log" | cut -c1-120)"
  else
    failed=$((failed + 1))
    echo "FAIL storecompat/lock-refuses-rocklet: exit $rc, $(tail -n 1 "$log" | cut -c1-160)"
  fi
}

abort() { echo "FAIL storecompat/$1: $2"; failed=$((failed + 1)); echo "store_compat: $failed failed"; exit 1; }

[[ -x "$ROCKLET_BIN" ]] || abort setup "rocklet binary missing: $ROCKLET_BIN"
rmq_start_namesrv "$NS_PORT" "$WORK/ns" >/dev/null || abort setup "Java name server did not start"

# 1. Java writes
start_java >/dev/null || abort setup "Java broker did not start"
java_step setup setup -n "$NS" -b "$BR" -t "$TOPIC" -g "$GROUP" || abort setup "topic / group not created"
phase_write java1 || abort java-to-rocklet-after-sigterm "writing through the Java broker failed"
kill_java TERM

# 2. Rocklet reads and writes
T0=$SECONDS
start_rocklet || abort java-to-rocklet-after-sigterm "rocklet broker did not open the Java store"
check_cell storecompat/java-to-rocklet-after-sigterm "$T0"
phase_write rocklet1 before-kill || abort rocklet-to-java-after-sigkill "writing through Rocklet failed"
kill_rocklet KILL
[[ -n "${STORECOMPAT_SNAPSHOTS:-}" ]] && cp -a "$STORE" "$WORK/snap-after-rocklet-kill"

# 3. Java again, after Rocklet's SIGKILL
T0=$SECONDS
start_java >/dev/null || abort rocklet-to-java-after-sigkill "Java broker did not open Rocklet's store"
sleep 2
check_cell storecompat/rocklet-to-java-after-sigkill "$T0"
lock_rocklet_cell
phase_write java2 before-kill || abort java-to-rocklet-after-sigkill "writing through the Java broker failed"
kill_java KILL

# 4. Rocklet after Java's SIGKILL
T0=$SECONDS
start_rocklet || abort java-to-rocklet-after-sigkill "rocklet broker did not open the store Java left"
check_cell storecompat/java-to-rocklet-after-sigkill "$T0"
phase_write rocklet2 || abort rocklet-to-java-after-sigterm "writing through Rocklet failed"
kill_rocklet TERM

# 5. Java after Rocklet's SIGTERM
T0=$SECONDS
start_java >/dev/null || abort rocklet-to-java-after-sigterm "Java broker did not open Rocklet's store"
sleep 2
check_cell storecompat/rocklet-to-java-after-sigterm "$T0"

# 6. A Java broker started on the store Rocklet has open is refused. Last, because Java 4.9.3
# recovers the store (re-dispatching its last records into the consume queues and the key index
# of the running broker) before it tries the lock: its refusal is not harmless to the running
# broker's files. (Rocklet takes the lock before it reads anything.)
kill_java TERM
start_rocklet || abort lock-refuses-java "rocklet broker did not open the store"
lock_java_cell

echo "store_compat: $failed failed"
(( failed == 0 ))
