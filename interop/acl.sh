#!/usr/bin/env bash
# Plain ACL (issue 17, part 1): a Java 4.9.3 name server + broker and a Rocklet pair, both with
# aclEnable=true and the same interop/conf/acl/plain_acl.yml (copied to <home>/conf/). AclProbe.java
# (the real 4.9.3 producer, push consumer, admin and remoting client with AclClientRPCHook) runs
# the same scenarios against both; each cell compares the response code and the remark, the
# AclException's stack frame normalised away (acl/frames says whether the frames agree too).
#  - acl/allowed-send-consume: the account's producer sends to AclTopic, a push consumer in
#    AclGroup gets every message; a raw signed send is accepted.
#  - acl/refusals-same-as-java: wrong secret, unknown accessKey, no accessKey, topic without PUB
#    (listed SUB, unlisted with DENY default, DENY), group without SUB (pull, heartbeat), pull of
#    a PUB-only topic, heartbeat subscribing it, UPDATE_CONSUMER_OFFSET missing a field, a
#    non-admin account's UPDATE_AND_CREATE_TOPIC (raw and through DefaultMQAdminExt), an
#    account white-listed for 10.9.8.* from 127.0.0.1 (still signature-checked), an account
#    white-listed for 127.0.0.1 (every check skipped); the client API's send to NoPub.
#  - acl/edit-takes-effect: the file is rewritten (NoPub gains PUB, AclTopic loses it); both
#    Rocklet picks it up (checks every 1 s); the real 4.9.3 broker's reload loses the accounts
#    (NullPointerException for each of their requests), which the cell recognises and reports.
#  - acl/second-file: <home>/conf/acl/second.yml next to the default file (same on both): its
#    account's allowed and refused sends, an accessKey in both files (second.yml's definition
#    wins: conf/acl is read first), and GET_BROKER_CLUSTER_ACL_INFO's files and counters.
#  - acl/rust-send-sync, acl/rust-send-async, acl/rust-send-oneway, acl/rust-consume: the Rust
#    client (interop_driver with ROCKETMQ_ACCESS_KEY/SECRET_KEY) against the JAVA broker.
#
#   interop/acl.sh [FILTER]
# Ports: INTEROP_PORT_BASE (19000) + 241 / +245 (Java namesrv / broker, +243 +246 too),
# +251 / +255 (Rocklet namesrv / broker, +253 too). Raw outputs: work/acl/.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
DRIVER="${INTEROP_DRIVER_BIN:-$(dirname "$ROCKLET_BIN")/examples/interop_driver}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/acl"
CP="$HERE/target/classes:$HERE/target/lib/*"
YML="$HERE/conf/acl/plain_acl.yml"
# shellcheck source=servers.sh
source "$HERE/servers.sh"
[[ -z "$FILTER" || "acl/" == *"$FILTER"* || "$FILTER" == "acl/"* ]] || { echo "acl: filter '$FILTER' selects nothing"; exit 0; }
selected() { [[ -z "$FILTER" || "$1" == *"$FILTER"* || "$FILTER" == "acl/" ]]; }

rm -rf "$WORK"; mkdir -p "$WORK/java/conf" "$WORK/rocklet/conf"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  rmq_stop "$WORK/java" >/dev/null 2>&1
}
trap cleanup EXIT
failed=0
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 300); do port_open "$1" && return 0; sleep 0.1; done; return 1; }
probe() { # OUT NS BROKER PHASE
  timeout --kill-after=5 120s java -Xms256m -Xmx256m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dfile.encoding=UTF-8 -Duser.home="$(dirname "$1")" -Drocketmq.client.logRoot="$(dirname "$1")/logs" \
    -cp "$CP" rocklet.interop.AclProbe -n "$2" -b "$3" --phase "$4" >"$1" 2>"$1.err"
}
# The remark without the AclException's stack frame (", pkg.Class.method(File.java:N)").
normalise() { sed -E 's/, [A-Za-z0-9_.$]+\([A-Za-z0-9_]+\.java:[0-9]+\)$//'; }
# compare CELL PATTERN NAME: Java's and Rocklet's lines matching PATTERN in NAME.out agree
compare() {
  local cell="$1" pat="$2" name="$3" n
  n=$(grep -c "$pat" "$WORK/java/$name.out")
  if (( n == 0 )); then
    failed=$((failed + 1)); echo "FAIL $cell: the Java side printed nothing (see work/acl/java/$name.out{,.err})"
  elif diff <(grep "$pat" "$WORK/java/$name.out" | normalise) <(grep "$pat" "$WORK/rocklet/$name.out" | normalise) >"$WORK/$name-$(tr / _ <<<"$cell").diff"; then
    echo "PASS $cell ($((SECONDS - t0))s) - $n lines the same on both: $(grep "$pat" "$WORK/java/$name.out" | normalise | sed -E 's/org.apache.rocketmq.acl.common.AclException: //' | head -n 5 | tr '\n' ';' | cut -c1-400)"
  else
    failed=$((failed + 1)); echo "FAIL $cell: Java vs Rocklet differ: $(grep '^[<>]' "$WORK/$name-$(tr / _ <<<"$cell").diff" | head -n 6 | tr '\n' ';' | cut -c1-600)"
  fi
}

t0=$SECONDS
for side in java rocklet; do
  # The default file plus one account that conf/acl/second.yml defines too (its definition wins).
  { cat "$YML"; printf '\n  - accessKey: dupAcct1\n    secretKey: fromDefault1\n    defaultTopicPerm: PUB\n'; } \
    >"$WORK/$side/conf/plain_acl.yml"
  mkdir -p "$WORK/$side/conf/acl"
  cat >"$WORK/$side/conf/acl/second.yml" <<'YML'
globalWhiteRemoteAddresses:
  - 10.20.30.*
accounts:
  - accessKey: secondAcc
    secretKey: secondSecret
    defaultTopicPerm: DENY
    topicPerms:
      - AclTopic=PUB
  - accessKey: dupAcct1
    secretKey: fromSecond1
    defaultTopicPerm: PUB
YML
done
JNSP=$((PORT_BASE + 241)); JBP=$((PORT_BASE + 245)); RNSP=$((PORT_BASE + 251)); RBP=$((PORT_BASE + 255))
rmq_start_namesrv "$JNSP" "$WORK/java" >/dev/null || { echo "FAIL acl/setup: Java name server"; exit 1; }
RMQ_BROKER_EXTRA_PROPS="aclEnable=true" rmq_start_broker "127.0.0.1:$JNSP" "$JBP" broker-a "$WORK/java" >/dev/null \
  || { echo "FAIL acl/setup: Java broker"; exit 1; }
RUST_LOG=warn "$ROCKLET_BIN" namesrv --listen-port "$RNSP" --bind 127.0.0.1 >"$WORK/rocklet/namesrv.log" 2>&1 &
PIDS+=($!); wait_port "$RNSP" || { echo "FAIL acl/setup: rocklet name server"; exit 1; }
RUST_LOG=info "$ROCKLET_BIN" broker -n "127.0.0.1:$RNSP" --listen-port "$RBP" --bind 127.0.0.1 \
  --broker-ip1 127.0.0.1 --store-path-root-dir "$WORK/rocklet/store" -p aclEnable=true \
  -p "rocketmqHome=$WORK/rocklet" >"$WORK/rocklet/broker.log" 2>&1 &
PIDS+=($!); wait_port "$RBP" || { echo "FAIL acl/setup: rocklet broker"; exit 1; }
sleep 1
JNS="127.0.0.1:$JNSP"; JB="127.0.0.1:$JBP"; RNS="127.0.0.1:$RNSP"; RB="127.0.0.1:$RBP"

# Setup (the admin account creates the topics) and the main scenarios, both sides at once.
( probe "$WORK/java/setup.out" "$JNS" "$JB" setup && probe "$WORK/java/main.out" "$JNS" "$JB" main ) &
jp=$!
( probe "$WORK/rocklet/setup.out" "$RNS" "$RB" setup && probe "$WORK/rocklet/main.out" "$RNS" "$RB" main ) &
rp=$!
wait "$jp" "$rp"
for side in java rocklet; do
  if ! grep -q "^setup/create-NoPub ok" "$WORK/$side/setup.out"; then
    echo "FAIL acl/setup: $side: the admin account could not create the topics: $(head -c 300 "$WORK/$side/setup.out" "$WORK/$side/setup.out.err" | tr '\n' ';')"
    exit 1
  fi
done

if selected acl/allowed-send-consume; then
  if grep -q "^api/send ok 5" "$WORK/rocklet/main.out" && grep -q "^api/consume ok 5" "$WORK/rocklet/main.out"; then
    compare acl/allowed-send-consume '^api/send \|^api/consume \|^raw/send-ok ' main
  else
    failed=$((failed + 1)); echo "FAIL acl/allowed-send-consume: rocklet: $(grep '^api/send \|^api/consume ' "$WORK/rocklet/main.out" | tr '\n' ';') $(tail -n 3 "$WORK/rocklet/main.out.err" | tr '\n' ';' | cut -c1-300)"
  fi
fi
if selected acl/refusals-same-as-java; then
  compare acl/refusals-same-as-java '^raw/[a-z-]* code=\|^api/send-no-pub \|^api/non-admin' main
fi
if selected acl/frames; then
  # Not only the text: the stack frame Rocklet names is the one the 4.9.3 jar reports.
  if diff <(grep 'AclException' "$WORK/java/main.out") <(grep 'AclException' "$WORK/rocklet/main.out") >"$WORK/frames.diff"; then
    echo "PASS acl/frames ($((SECONDS - t0))s) - $(grep -c AclException "$WORK/java/main.out") remarks identical, stack frame included"
  else
    failed=$((failed + 1)); echo "FAIL acl/frames: $(grep '^[<>]' "$WORK/frames.diff" | head -n 4 | tr '\n' ';' | cut -c1-500)"
  fi
fi

if selected acl/second-file; then
  probe "$WORK/java/second.out" "$JNS" "$JB" second &
  jp=$!
  probe "$WORK/rocklet/second.out" "$RNS" "$RB" second &
  rp=$!
  wait "$jp" "$rp"
  compare acl/second-file '^second/' second
fi

# The Rust client with credentials against the Java broker.
if selected acl/rust-; then
  if [[ ! -x "$DRIVER" ]]; then
    for c in send-sync send-async send-oneway consume; do echo "SKIP acl/rust-$c: no $DRIVER (cargo build --release --examples)"; done
  else
    out="$WORK/rust-produce.jsonl"
    ROCKETMQ_ACCESS_KEY=RocketMQ ROCKETMQ_SECRET_KEY=12345678 timeout 120 "$DRIVER" produce -n "$JNS" -t RustAclTopic \
      -o "$out" >"$WORK/rust-produce.txt" 2>"$WORK/rust-produce.err"
    for m in sync async oneway; do
      selected "acl/rust-send-$m" || continue
      l=$(grep -m1 -E "^(PASS|FAIL) $m " "$WORK/rust-produce.txt")
      if [[ "$l" == PASS* ]]; then
        echo "PASS acl/rust-send-$m ($((SECONDS - t0))s) - Java broker with ACL, Rust client signing: ${l#PASS }"
      else
        failed=$((failed + 1)); echo "FAIL acl/rust-send-$m: ${l:-no line} $(tail -n 2 "$WORK/rust-produce.err" | tr '\n' ';' | cut -c1-300)"
      fi
    done
    if selected acl/rust-consume; then
      want=$(grep -c '"msgId"' "$out" 2>/dev/null || echo 0)
      ROCKETMQ_ACCESS_KEY=RocketMQ ROCKETMQ_SECRET_KEY=12345678 timeout 120 "$DRIVER" consume -n "$JNS" -t RustAclTopic \
        --push -o "$WORK/rust-consume.jsonl" --expect "$want" --timeout-sec 60 >"$WORK/rust-consume.txt" 2>"$WORK/rust-consume.err"
      got=$(grep -c . "$WORK/rust-consume.jsonl" 2>/dev/null || echo 0)
      if (( want > 0 && got >= want )); then
        echo "PASS acl/rust-consume ($((SECONDS - t0))s) - Rust push consumer with credentials read $got/$want from the Java broker with ACL"
      else
        failed=$((failed + 1)); echo "FAIL acl/rust-consume: read $got of $want $(tail -n 2 "$WORK/rust-consume.txt" "$WORK/rust-consume.err" | tr '\n' ';' | cut -c1-300)"
      fi
    fi
  fi
fi
if selected acl/edit-takes-effect; then
  for side in java rocklet; do
    sed -e 's/- NoPub=SUB/- NoPub=PUB/' -e 's/- AclTopic=PUB|SUB/- AclTopic=SUB/' "$YML" >"$WORK/$side/conf/plain_acl.yml.new"
    mv "$WORK/$side/conf/plain_acl.yml.new" "$WORK/$side/conf/plain_acl.yml"
  done
  probe "$WORK/java/edited.out" "$JNS" "$JB" edited &
  jp=$!
  probe "$WORK/rocklet/edited.out" "$RNS" "$RB" edited &
  rp=$!
  wait "$jp" "$rp"
  want_r='edited/raw-acl-topic-revoked code=1 remark=org.apache.rocketmq.acl.common.AclException: No default permission for topic:AclTopic'
  if ! grep -q "^edited/send-no-pub ok" "$WORK/rocklet/edited.out" || ! grep -q "^$want_r" "$WORK/rocklet/edited.out"; then
    failed=$((failed + 1)); echo "FAIL acl/edit-takes-effect: Rocklet did not take the edit: $(head -n 2 "$WORK/rocklet/edited.out" | tr '\n' ';' | cut -c1-400)"
  elif grep -q "^edited/send-no-pub ok" "$WORK/java/edited.out"; then
    compare acl/edit-takes-effect '^edited/' edited
  elif grep -q 'NullPointerException.*ownedAccess' "$WORK/java/edited.out"; then
    # Java 4.9.3's PlainPermissionManager.load(file) skips every accessKey already in its
    # accessKeyTable, so after any edit the file's accounts are gone and validate() throws a
    # NullPointerException for each of them (docs/differences.md).
    echo "PASS acl/edit-takes-effect ($((SECONDS - t0))s) - Rocklet took the edit (NoPub now PUB, AclTopic refused); the Java 4.9.3 broker answers every request of the account with: $(grep -m1 -o 'remark=java.lang.NullPointerException[^,]*' "$WORK/java/edited.out" | cut -c1-200) (its reload drops the accounts; a deliberate difference)"
  else
    failed=$((failed + 1)); echo "FAIL acl/edit-takes-effect: the Java broker neither took the edit nor failed as known: $(head -n 2 "$WORK/java/edited.out" | tr '\n' ';' | cut -c1-400)"
  fi
fi
exit $(( failed > 0 ))
