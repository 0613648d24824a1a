#!/usr/bin/env bash
# Rocklet <-> Apache RocketMQ 4.9.3 interop matrix.
#
#   interop/run.sh [FILTER]     # FILTER: substring of cell names, e.g. java-java, push, rocklet
#
# Runs setup.sh, then every selected cell; each prints "PASS <cell>", "FAIL <cell>: reason"
# or "SKIP <cell>: reason". Writes interop/work/results.md and exits non-zero if any cell failed.
#
# Environment:
#   ROCKLET_BIN         rocklet binary (default: <repo>/target/release/rocklet)
#   INTEROP_DRIVER_BIN  Rust client driver (default: <repo>/target/release/examples/interop_driver,
#                       built by `cargo build --release --examples`)
#   INTEROP_PORT_BASE   first port of the block used (default 19000; uses base..base+120)
#   INTEROP_KEEP_WORK=1 keep interop/work/ from earlier runs
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
DRIVER="${INTEROP_DRIVER_BIN:-$REPO/target/release/examples/interop_driver}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work"
CP="$HERE/target/classes:$HERE/target/lib/*"
RUN_T0=$SECONDS

# shellcheck source=servers.sh
source "$HERE/servers.sh"

[[ "${INTEROP_KEEP_WORK:-0}" == 1 ]] || rm -rf "$WORK"
mkdir -p "$WORK"

CELLS=()     # cell names in order
declare -A RESULT DETAIL SECS
ROCKLET_PIDS=()
SERVER_DIRS=()
BG_PIDS=()   # background client programs (mixed cells)

cleanup() {
  local d p
  for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for d in "${SERVER_DIRS[@]}"; do rmq_stop "$d" >/dev/null 2>&1; done
  for p in "${ROCKLET_PIDS[@]}"; do
    if kill -0 "$p" 2>/dev/null; then
      kill -TERM "$p" 2>/dev/null
      for _ in $(seq 1 25); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
      kill -KILL "$p" 2>/dev/null
    fi
  done
}
trap cleanup EXIT
trap 'echo "run.sh: interrupted" >&2; exit 130' INT TERM

selected() { [[ -z "$FILTER" || "$1" == *"$FILTER"* ]]; }
group_selected() { # any of the given cells selected?
  local c; for c in "$@"; do selected "$c" && return 0; done; return 1
}

record() { # CELL RESULT DETAIL SECONDS
  local cell="$1" res="$2" det="$3" secs="$4"
  CELLS+=("$cell"); RESULT[$cell]="$res"; DETAIL[$cell]="$det"; SECS[$cell]="$secs"
  case "$res" in
    PASS) echo "PASS $cell (${secs}s)${det:+ - $det}" ;;
    SKIP) echo "SKIP $cell: $det" ;;
    *)    echo "FAIL $cell: $det (${secs}s)" ;;
  esac
}

# java_prog LOGPREFIX TIMEOUT CLASS ARGS... : runs a client program, stdout -> LOGPREFIX.out (and
# indented to the console), stderr -> LOGPREFIX.err. Returns the program's exit code.
java_prog() {
  local log="$1" to="$2" cls="$3"; shift 3
  local wd; wd="$(dirname "$log")"
  timeout --kill-after=5 "$to" java -Xms64m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dfile.encoding=UTF-8 -Duser.home="$wd" -Drocketmq.client.logRoot="$wd/logs/client" \
    -cp "$CP" "rocklet.interop.$cls" "$@" >"$log.out" 2>"$log.err"
  local rc=$?
  sed 's/^/    /' "$log.out"
  (( rc == 124 || rc == 137 )) && echo "    (killed by timeout after $to)"
  return $rc
}

last_fail_line() { # LOGPREFIX
  local l; l="$(grep -m1 '^FAIL' "$1.out" 2>/dev/null)"
  [[ -n "$l" ]] && echo "${l#FAIL }" || echo "exit $2, see ${1#"$HERE"/}.err"
}

# The matrix body shared by all server flavours.
# run_client_cells PREFIX NAMESRV_ADDR WORKDIR
run_client_cells() {
  local pfx="$1" ns="$2" wd="$3" topic t0 rc
  topic="RockletInterop_$(echo "$pfx" | tr -c 'A-Za-z0-9\n' '_')_$(date +%s)"
  local sent="$wd/sent.jsonl"

  # produce (always run when the group runs: the other cells need sent.jsonl)
  t0=$SECONDS
  java_prog "$wd/produce" 120s Produce -n "$ns" -t "$topic" -o "$sent"; rc=$?
  local produce_ok=0
  (( rc == 0 )) && produce_ok=1
  if selected "$pfx/produce"; then
    if (( produce_ok )); then
      record "$pfx/produce" PASS "$(grep -c . "$sent") msgs in 7 modes" $((SECONDS - t0))
    else
      record "$pfx/produce" FAIL "$(last_fail_line "$wd/produce" $rc)" $((SECONDS - t0))
    fi
  fi
  local expect=0; [[ -f "$sent" ]] && expect=$(grep -c . "$sent")

  local mode
  for mode in litepull push; do
    local cell="$pfx/consume-$mode"
    selected "$cell" || continue
    t0=$SECONDS
    if (( expect == 0 )); then
      record "$cell" FAIL "produce wrote nothing" 0; continue
    fi
    java_prog "$wd/consume-$mode" 90s Consume -n "$ns" -t "$topic" -o "$wd/got-$mode.jsonl" \
      --expect "$expect" --mode "$mode" --timeout-sec 45; rc=$?
    if (( rc != 0 )); then
      record "$cell" FAIL "$(last_fail_line "$wd/consume-$mode" $rc)" $((SECONDS - t0)); continue
    fi
    python3 "$HERE/compare.py" "$sent" "$wd/got-$mode.jsonl" >"$wd/compare-$mode.out" 2>&1; rc=$?
    sed 's/^/    /' "$wd/compare-$mode.out"
    if (( rc == 0 && produce_ok )); then
      record "$cell" PASS "$expect/$expect msgs identical" $((SECONDS - t0))
    elif (( rc == 0 )); then
      record "$cell" FAIL "compare ok but produce failed" $((SECONDS - t0))
    else
      record "$cell" FAIL "$(grep -m1 '^FAIL' "$wd/compare-$mode.out" | sed 's/^FAIL //'); see ${wd#"$HERE"/}/compare-$mode.out" $((SECONDS - t0))
    fi
  done

  # The Rust DefaultLitePullConsumer (assign + seek + poll) reads what the Java producer sent.
  local cell="$pfx/consume-rustlitepull"
  if selected "$cell" && [[ -x "$DRIVER" ]] && (( expect > 0 )); then
    t0=$SECONDS
    rust_prog "$wd/consume-rustlitepull" 90s consume --lite -n "$ns" -t "$topic" -o "$wd/got-rustlitepull.jsonl" \
      --expect "$expect" --timeout-sec 45; rc=$?
    if (( rc != 0 )); then
      record "$cell" FAIL "$(last_fail_line "$wd/consume-rustlitepull" $rc)" $((SECONDS - t0))
    else
      compare_cell "$cell" "$sent" "$wd/got-rustlitepull.jsonl" "$wd" rustlitepull "$t0"
    fi
  fi

  # The Rust DefaultLitePullConsumer in subscribe mode (queues by rebalance) reads the same.
  cell="$pfx/consume-rustlitesub"
  if selected "$cell" && [[ -x "$DRIVER" ]] && (( expect > 0 )); then
    t0=$SECONDS
    rust_prog "$wd/consume-rustlitesub" 90s consume --lite --subscribe -n "$ns" -t "$topic" -o "$wd/got-rustlitesub.jsonl" \
      --expect "$expect" --timeout-sec 45; rc=$?
    if (( rc != 0 )); then
      record "$cell" FAIL "$(last_fail_line "$wd/consume-rustlitesub" $rc)" $((SECONDS - t0))
    else
      compare_cell "$cell" "$sent" "$wd/got-rustlitesub.jsonl" "$wd" rustlitesub "$t0"
    fi
  fi

  # The Rust DefaultMQPushConsumer (a new group from the first offset) reads the same.
  cell="$pfx/consume-rustpush"
  if selected "$cell" && [[ -x "$DRIVER" ]] && (( expect > 0 )); then
    t0=$SECONDS
    rust_prog "$wd/consume-rustpush" 90s consume --push -n "$ns" -t "$topic" -o "$wd/got-rustpush.jsonl" \
      --expect "$expect" --timeout-sec 45; rc=$?
    if (( rc != 0 )); then
      record "$cell" FAIL "$(last_fail_line "$wd/consume-rustpush" $rc)" $((SECONDS - t0))
    else
      compare_cell "$cell" "$sent" "$wd/got-rustpush.jsonl" "$wd" rustpush "$t0"
    fi
  fi

  cell="$pfx/namesrv-wire"
  if selected "$cell"; then
    t0=$SECONDS
    timeout 60s python3 "$HERE/probe.py" namesrv-wire "$ns" "$topic" "$wd/namesrv-wire" >"$wd/namesrv-wire.out" 2>&1; rc=$?
    sed 's/^/    /' "$wd/namesrv-wire.out"
    if (( rc == 0 )); then
      record "$cell" PASS "route/cluster answers recorded in ${wd#"$HERE"/}/namesrv-wire" $((SECONDS - t0))
    else
      record "$cell" FAIL "$(grep -m1 '^FAIL' "$wd/namesrv-wire.out" | sed 's/^FAIL //' | cut -c1-200)" $((SECONDS - t0))
    fi
  fi

  cell="$pfx/admin"
  if selected "$cell"; then
    t0=$SECONDS
    java_prog "$wd/admin" 90s Admin -n "$ns" -t "$topic" -o "$wd/admin.json" --sent "$sent"; rc=$?
    if (( rc == 0 )); then
      record "$cell" PASS "$(grep -c '^PASS admin/' "$wd/admin.out") admin checks" $((SECONDS - t0))
    else
      record "$cell" FAIL "$(grep '^FAIL admin/' "$wd/admin.out" | sed 's/^FAIL admin\///' | cut -c1-160 | paste -sd';' -)" $((SECONDS - t0))
    fi
  fi
}

CLIENT_CELLS=(produce consume-litepull consume-push consume-rustlitepull consume-rustlitesub consume-rustpush namesrv-wire admin)
cells_of() { local c; for c in "${CLIENT_CELLS[@]}"; do echo "$1/$c"; done; }

fail_group() { # PREFIX REASON SECS
  local c; for c in $(cells_of "$1"); do selected "$c" && record "$c" FAIL "$2" "$3"; done
}
skip_group() { # PREFIX REASON
  local c; for c in $(cells_of "$1"); do selected "$c" && record "$c" SKIP "$2" 0; done
}

########################## Rust client (examples/interop_driver.rs) ##########################

# rust_prog LOGPREFIX TIMEOUT SUBCOMMAND ARGS... : like java_prog, for the Rust driver.
rust_prog() {
  local log="$1" to="$2"; shift 2
  RUST_LOG="${RUST_LOG_CLIENT:-warn}" timeout --kill-after=5 "$to" "$DRIVER" "$@" >"$log.out" 2>"$log.err"
  local rc=$?
  sed 's/^/    /' "$log.out"
  (( rc == 124 || rc == 137 )) && echo "    (killed by timeout after $to)"
  return $rc
}

RUST_CELLS=(produce consume-rustpull consume-litepull consume-push consume-fields admin admin-agree)
rust_cells_of() { local c; for c in "${RUST_CELLS[@]}"; do echo "$1/$c"; done; }
rust_fail_group() { # PREFIX REASON SECS
  local c; for c in $(rust_cells_of "$1"); do selected "$c" && record "$c" FAIL "$2" "$3"; done
}
rust_skip_group() { # PREFIX REASON
  local c; for c in $(rust_cells_of "$1"); do selected "$c" && record "$c" SKIP "$2" 0; done
}

# compare_cell CELL SENT GOT WD NAME T0 : compare.py and record.
compare_cell() {
  local cell="$1" sent="$2" got="$3" wd="$4" name="$5" t0="$6" rc n
  python3 "$HERE/compare.py" "$sent" "$got" >"$wd/compare-$name.out" 2>&1; rc=$?
  sed 's/^/    /' "$wd/compare-$name.out"
  n=$(grep -c . "$sent")
  if (( rc == 0 )); then
    record "$cell" PASS "$n/$n msgs identical" $((SECONDS - t0))
  else
    record "$cell" FAIL "$(grep -m1 '^FAIL' "$wd/compare-$name.out" | sed 's/^FAIL //'); see ${wd#"$HERE"/}/compare-$name.out" $((SECONDS - t0))
  fi
}

# The Rust client against a cluster: Rust produce, Rust pull + Java litepull/push read it back,
# the two clients' decodings and admin answers must agree.
# run_rust_client_cells PREFIX NAMESRV_ADDR WORKDIR
run_rust_client_cells() {
  local pfx="$1" ns="$2" wd="$3" topic t0 rc cell mode
  group_selected $(rust_cells_of "$pfx") || return 0
  mkdir -p "$wd"
  if [[ ! -x "$DRIVER" ]]; then
    rust_skip_group "$pfx" "Rust driver missing ($DRIVER; cargo build --release --examples)"; return 0
  fi
  topic="RockletInterop_$(echo "$pfx" | tr -c 'A-Za-z0-9\n' '_')_$(date +%s)"
  local sent="$wd/sent.jsonl"

  t0=$SECONDS
  rust_prog "$wd/produce" 90s produce -n "$ns" -t "$topic" -o "$sent"; rc=$?
  local produce_ok=0 expect=0
  (( rc == 0 )) && produce_ok=1
  [[ -f "$sent" ]] && expect=$(grep -c . "$sent")
  if selected "$pfx/produce"; then
    if (( produce_ok )); then
      record "$pfx/produce" PASS "$expect msgs in 7 modes (Rust client)" $((SECONDS - t0))
    else
      record "$pfx/produce" FAIL "$(last_fail_line "$wd/produce" $rc)" $((SECONDS - t0))
    fi
  fi
  if (( expect == 0 )); then
    local c
    for c in consume-rustpull consume-litepull consume-push consume-fields admin admin-agree; do
      selected "$pfx/$c" && record "$pfx/$c" FAIL "Rust produce wrote nothing" 0
    done
    return 0
  fi

  # Rust pull, then the Java consumers (always run: consume-fields needs them)
  t0=$SECONDS
  rust_prog "$wd/consume-rustpull" 60s consume -n "$ns" -t "$topic" -o "$wd/got-rustpull.jsonl" \
    --expect "$expect" --timeout-sec 30; rc=$?
  if selected "$pfx/consume-rustpull"; then
    if (( rc != 0 )); then
      record "$pfx/consume-rustpull" FAIL "$(last_fail_line "$wd/consume-rustpull" $rc)" $((SECONDS - t0))
    else
      compare_cell "$pfx/consume-rustpull" "$sent" "$wd/got-rustpull.jsonl" "$wd" rustpull "$t0"
    fi
  fi
  for mode in litepull push; do
    cell="$pfx/consume-$mode"
    [[ "$mode" == push ]] && ! selected "$cell" && continue
    t0=$SECONDS
    java_prog "$wd/consume-$mode" 90s Consume -n "$ns" -t "$topic" -o "$wd/got-$mode.jsonl" \
      --expect "$expect" --mode "$mode" --timeout-sec 45; rc=$?
    selected "$cell" || continue
    if (( rc != 0 )); then
      record "$cell" FAIL "$(last_fail_line "$wd/consume-$mode" $rc)" $((SECONDS - t0)); continue
    fi
    compare_cell "$cell" "$sent" "$wd/got-$mode.jsonl" "$wd" "$mode" "$t0"
  done
  cell="$pfx/consume-fields"
  if selected "$cell"; then
    t0=$SECONDS
    python3 "$HERE/crosscheck.py" records "$wd/got-litepull.jsonl" "$wd/got-rustpull.jsonl" >"$wd/crosscheck-records.out" 2>&1; rc=$?
    sed 's/^/    /' "$wd/crosscheck-records.out"
    if (( rc == 0 )); then
      record "$cell" PASS "Rust pull and Java litepull decode all $expect msgs identically (15 fields)" $((SECONDS - t0))
    else
      record "$cell" FAIL "Rust vs Java decoding: $(grep -m1 '^FAIL' "$wd/crosscheck-records.out" | sed 's/^FAIL crosscheck records: //' | cut -c1-220)" $((SECONDS - t0))
    fi
  fi

  # admin: Rust MQAdmin, then Java's DefaultMQAdminExt on the same topic; answers must agree
  t0=$SECONDS
  rust_prog "$wd/admin" 60s admin -n "$ns" -t "$topic" --sent "$sent" -o "$wd/admin-rust.json"; rc=$?
  if selected "$pfx/admin"; then
    if (( rc == 0 )); then
      record "$pfx/admin" PASS "$(grep -c '^PASS admin/' "$wd/admin.out") admin checks (Rust MQAdmin)" $((SECONDS - t0))
    else
      record "$pfx/admin" FAIL "$(grep '^FAIL admin/' "$wd/admin.out" | sed 's/^FAIL admin\///' | cut -c1-160 | paste -sd';' -)" $((SECONDS - t0))
    fi
  fi
  cell="$pfx/admin-agree"
  if selected "$cell"; then
    t0=$SECONDS
    java_prog "$wd/admin-java" 90s Admin -n "$ns" -t "$topic" -o "$wd/admin-java.json" --sent "$sent"; rc=$?
    if [[ ! -s "$wd/admin-java.json" || ! -s "$wd/admin-rust.json" ]]; then
      record "$cell" FAIL "admin output missing (java rc $rc)" $((SECONDS - t0))
    else
      python3 "$HERE/crosscheck.py" admin "$wd/admin-java.json" "$wd/admin-rust.json" >"$wd/crosscheck-admin.out" 2>&1; local rc2=$?
      sed 's/^/    /' "$wd/crosscheck-admin.out"
      if (( rc == 0 && rc2 == 0 )); then
        record "$cell" PASS "Java DefaultMQAdminExt and Rust MQAdmin agree (route, cluster, offsets, query, view)" $((SECONDS - t0))
      elif (( rc2 != 0 )); then
        record "$cell" FAIL "$(grep -m1 '^FAIL' "$wd/crosscheck-admin.out" | sed 's/^FAIL crosscheck admin: //' | cut -c1-220)" $((SECONDS - t0))
      else
        record "$cell" FAIL "Java Admin on the Rust topic: $(grep '^FAIL admin/' "$wd/admin-java.out" | sed 's/^FAIL admin\///' | cut -c1-160 | paste -sd';' -)" $((SECONDS - t0))
      fi
    fi
  fi
}

wait_port() { # PORT TIMEOUT_S PID
  local deadline=$(( SECONDS + $2 ))
  while (( SECONDS < deadline )); do
    kill -0 "$3" 2>/dev/null || return 2
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# start_rocklet WORKDIR NAME PORT... -- ARGS : starts "$ROCKLET_BIN ARGS", waits for every PORT.
start_rocklet() {
  local wd="$1" name="$2"; shift 2
  local ports=()
  while [[ $# -gt 0 && "$1" != "--" ]]; do ports+=("$1"); shift; done
  shift
  RUST_LOG="${RUST_LOG:-info}" nohup "$ROCKLET_BIN" "$@" >"$wd/$name.log" 2>&1 </dev/null &
  local pid=$!
  ROCKLET_PIDS+=("$pid")
  echo "$pid" > "$wd/$name.pid"
  local p
  for p in "${ports[@]}"; do
    wait_port "$p" 30 "$pid"
    case $? in
      0) ;;
      2) echo "run.sh: rocklet $name exited during startup:" >&2; tail -n 30 "$wd/$name.log" >&2; return 1 ;;
      *) echo "run.sh: rocklet $name: port $p not open after 30s:" >&2; tail -n 30 "$wd/$name.log" >&2; return 1 ;;
    esac
  done
  echo "run.sh: rocklet $name up (pid $pid, ports ${ports[*]})"
}

################################ groups ################################

group_java_java() {
  local pfx=java-java
  group_selected $(cells_of $pfx) $(rust_cells_of rust-java) bench/java-producer-java-broker || return 0
  local wd="$WORK/$pfx" ns_port=$((PORT_BASE + 76)) br_port=$((PORT_BASE + 11)) t0=$SECONDS
  mkdir -p "$wd"; SERVER_DIRS+=("$wd")
  echo "== $pfx + rust-java: Java namesrv :$ns_port + Java broker :$br_port (4.9.3)"
  if ! rmq_start_namesrv "$ns_port" "$wd" || ! rmq_start_broker "127.0.0.1:$ns_port" "$br_port" broker-a "$wd"; then
    fail_group $pfx "Java servers did not start (see ${wd#"$HERE"/}/logs)" $((SECONDS - t0))
    rust_fail_group rust-java "Java servers did not start (see ${wd#"$HERE"/}/logs)" $((SECONDS - t0))
    selected bench/java-producer-java-broker && record bench/java-producer-java-broker FAIL "Java servers did not start" $((SECONDS - t0))
    rmq_stop "$wd"; return 0
  fi
  group_selected $(cells_of $pfx) && run_client_cells $pfx "127.0.0.1:$ns_port" "$wd"
  echo "== rust-java: Rocklet's Rust client against the same Java servers"
  run_rust_client_cells rust-java "127.0.0.1:$ns_port" "$WORK/rust-java"
  if selected bench/java-producer-java-broker; then
    echo "== bench/java-producer-java-broker: the same benchmark against the Java broker (reference)"
    mkdir -p "$WORK/bench-java"
    bench_run bench/java-producer-java-broker "127.0.0.1:$ns_port" "$WORK/bench-java" $SECONDS
  fi
  rmq_stop "$wd" >/dev/null
}

group_java_rocklet() {
  local pfx=java-rocklet
  group_selected $(cells_of $pfx) $(rust_cells_of rust-rocklet) || return 0
  if [[ ! -x "$ROCKLET_BIN" ]]; then
    skip_group $pfx "rocklet binary missing ($ROCKLET_BIN)"
    rust_skip_group rust-rocklet "rocklet binary missing ($ROCKLET_BIN)"; return 0
  fi
  local wd="$WORK/$pfx" ns_port=$((PORT_BASE + 56)) br_port=$((PORT_BASE + 41)) t0=$SECONDS
  mkdir -p "$wd/store"
  echo "== $pfx: rocklet serve (namesrv :$ns_port, broker :$br_port)"
  if ! start_rocklet "$wd" rocklet "$ns_port" "$br_port" -- \
      serve --namesrv-port "$ns_port" --broker-port "$br_port" --store "$wd/store"; then
    fail_group $pfx "rocklet serve did not start (see ${wd#"$HERE"/}/rocklet.log)" $((SECONDS - t0))
    rust_fail_group rust-rocklet "rocklet serve did not start (see ${wd#"$HERE"/}/rocklet.log)" $((SECONDS - t0)); return 0
  fi
  if ! python3 "$HERE/probe.py" wait-broker "127.0.0.1:$ns_port" --timeout-sec 30; then
    fail_group $pfx "no broker registered with the name server (see ${wd#"$HERE"/}/rocklet.log)" $((SECONDS - t0))
    rust_fail_group rust-rocklet "no broker registered with the name server" $((SECONDS - t0)); return 0
  fi
  group_selected $(cells_of $pfx) && run_client_cells $pfx "127.0.0.1:$ns_port" "$wd"
  echo "== rust-rocklet: Rocklet's Rust client against the same rocklet serve"
  run_rust_client_cells rust-rocklet "127.0.0.1:$ns_port" "$WORK/rust-rocklet"
}

group_java_rocklet_split() {
  local pfx=java-rocklet-split
  group_selected $(cells_of $pfx) || return 0
  if [[ ! -x "$ROCKLET_BIN" ]]; then
    skip_group $pfx "rocklet binary missing ($ROCKLET_BIN)"; return 0
  fi
  local wd="$WORK/$pfx" ns_port=$((PORT_BASE + 96)) br_port=$((PORT_BASE + 81)) t0=$SECONDS
  mkdir -p "$wd/store"
  echo "== $pfx: rocklet namesrv :$ns_port + rocklet broker :$br_port (separate processes)"
  if ! start_rocklet "$wd" rocklet-namesrv "$ns_port" -- namesrv --listen-port "$ns_port" || \
     ! start_rocklet "$wd" rocklet-broker "$br_port" -- broker -n "127.0.0.1:$ns_port" \
         --listen-port "$br_port" --store-path-root-dir "$wd/store" --broker-name broker-r; then
    fail_group $pfx "rocklet namesrv/broker did not start (see ${wd#"$HERE"/}/*.log)" $((SECONDS - t0)); return 0
  fi
  if ! python3 "$HERE/probe.py" wait-broker "127.0.0.1:$ns_port" --timeout-sec 30; then
    fail_group $pfx "broker never registered with the name server" $((SECONDS - t0)); return 0
  fi
  run_client_cells $pfx "127.0.0.1:$ns_port" "$wd"
}

group_golden() {
  local cell=golden/reproducible
  selected "$cell" || return 0
  local wd="$WORK/golden" t0=$SECONDS rc
  mkdir -p "$wd"
  java_prog "$wd/golden" 60s Golden -o "$wd/out"; rc=$?
  if (( rc != 0 )); then
    record $cell FAIL "$(last_fail_line "$wd/golden" $rc)" $((SECONDS - t0)); return 0
  fi
  # The ACL signature vectors come from their own program (AclSignVector prints them).
  java_prog "$wd/aclsign" 60s AclSignVector >/dev/null; rc=$?
  if (( rc != 0 )); then
    record $cell FAIL "AclSignVector: $(last_fail_line "$wd/aclsign" $rc)" $((SECONDS - t0)); return 0
  fi
  cp "$wd/aclsign.out" "$wd/out/acl_signature.txt"
  if diff -r -x README.md "$HERE/golden" "$wd/out" >"$wd/diff.txt" 2>&1; then
    record $cell PASS "$(ls "$wd/out" | wc -l) files identical to interop/golden" $((SECONDS - t0))
  else
    record $cell FAIL "regenerated golden files differ from interop/golden (see ${wd#"$HERE"/}/diff.txt)" $((SECONDS - t0))
  fi
}

# stop_rocklet WORKDIR NAME : SIGTERM a rocklet started by start_rocklet, wait (bounded) for exit.
stop_rocklet() {
  local pid; pid="$(cat "$1/$2.pid" 2>/dev/null)" || return 0
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  local i
  for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.2; done
  echo "run.sh: rocklet $2 (pid $pid) ignored TERM for 10s, killing" >&2
  kill -KILL "$pid" 2>/dev/null
  return 1
}

# wait_gone PID TIMEOUT_S : 0 once PID has exited.
wait_gone() {
  local deadline=$(( SECONDS + $2 ))
  while (( SECONDS < deadline )); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.05; done
  return 1
}

MIXED_SECONDS="${INTEROP_MIXED_SECONDS:-40}"        # upper bound of the loops
MIXED_STOP_AFTER="${INTEROP_MIXED_STOP_AFTER:-4}"    # SIGTERM this long after the loops start
MIXED_RUN_AFTER="${INTEROP_MIXED_RUN_AFTER:-3}"      # loops go on this long after the broker exited

# Matrix cell 3: one name server (Java's or Rocklet's), a Java broker (broker-j) and a Rocklet broker
# (broker-r) in one cluster, a topic on both; the Java and the Rust producer send in a paced loop
# while one broker gets SIGTERM (with a Java name server the Rocklet broker is stopped, with
# Rocklet's the Java broker), and both producers must carry on through the other broker.
group_mixed() { # java|rocklet
  local kind="$1" pfx="mixed/$1-namesrv"
  local cj="$pfx/java-client" cr="$pfx/rust-client"
  group_selected "$cj" "$cr" || return 0
  local c
  if [[ ! -x "$ROCKLET_BIN" || ! -x "$DRIVER" ]]; then
    for c in "$cj" "$cr"; do selected "$c" && record "$c" SKIP "rocklet binary or Rust driver missing" 0; done
    return 0
  fi
  local off=101; [[ "$kind" == rocklet ]] && off=111
  local ns_port=$((PORT_BASE + off)) jb_port=$((PORT_BASE + off + 3)) rb_port=$((PORT_BASE + off + 6))
  local ns="127.0.0.1:$ns_port" wd="$WORK/mixed-$kind" t0=$SECONDS rc
  local stopped=broker-r survivor=broker-j
  [[ "$kind" == rocklet ]] && { stopped=broker-j; survivor=broker-r; }
  mkdir -p "$wd/store-r"; SERVER_DIRS+=("$wd")
  echo "== $pfx: $kind namesrv :$ns_port, Java broker broker-j :$jb_port, Rocklet broker broker-r :$rb_port; $stopped gets SIGTERM"
  local up=1
  if [[ "$kind" == java ]]; then
    rmq_start_namesrv "$ns_port" "$wd" || up=0
  else
    start_rocklet "$wd" rocklet-namesrv "$ns_port" -- namesrv --listen-port "$ns_port" || up=0
  fi
  (( up )) && { rmq_start_broker "$ns" "$jb_port" broker-j "$wd" || up=0; }
  (( up )) && { start_rocklet "$wd" rocklet-broker "$rb_port" -- broker -n "$ns" --listen-port "$rb_port" \
      --store-path-root-dir "$wd/store-r" --broker-name broker-r || up=0; }
  if (( ! up )); then
    for c in "$cj" "$cr"; do selected "$c" && record "$c" FAIL "servers did not start (see ${wd#"$HERE"/})" $((SECONDS - t0)); done
    rmq_stop "$wd" >/dev/null; stop_rocklet "$wd" rocklet-broker; stop_rocklet "$wd" rocklet-namesrv
    return 0
  fi
  local topic="RockletMixed_${kind}_$(date +%s)"
  rust_prog "$wd/create-topic" 60s create-topic -n "$ns" -t "$topic" --queues 4 --brokers 2 --timeout-sec 40; rc=$?
  if (( rc != 0 )); then
    for c in "$cj" "$cr"; do selected "$c" && record "$c" FAIL "topic not on both brokers: $(last_fail_line "$wd/create-topic" $rc)" $((SECONDS - t0)); done
    rmq_stop "$wd" >/dev/null; stop_rocklet "$wd" rocklet-broker; stop_rocklet "$wd" rocklet-namesrv
    return 0
  fi

  local stopfile="$wd/loops.stop"; rm -f "$stopfile"
  rust_prog "$wd/loop-rust" 90s loop -n "$ns" -t "$topic" --seconds "$MIXED_SECONDS" --rate 20 \
    --stop-file "$stopfile" -o "$wd/loop-rust.json" &
  local rpid=$!
  BG_PIDS+=("$rpid")
  java_prog "$wd/loop-java" 90s Loop -n "$ns" -t "$topic" --seconds "$MIXED_SECONDS" --rate 20 \
    --stop-file "$stopfile" -o "$wd/loop-java.json" &
  local jpid=$!
  BG_PIDS+=("$jpid")
  sleep "$MIXED_STOP_AFTER"
  local bpid
  if [[ "$stopped" == broker-j ]]; then bpid="$(cat "$wd/run/broker-broker-j.pid")"; else bpid="$(cat "$wd/rocklet-broker.pid")"; fi
  local term_ms; term_ms=$(date +%s%3N)
  kill -TERM "$bpid" 2>/dev/null
  if ! wait_gone "$bpid" 20; then
    echo "run.sh: $stopped (pid $bpid) still running 20s after SIGTERM, killing" >&2
    kill -KILL "$bpid" 2>/dev/null; wait_gone "$bpid" 5
  fi
  local stop_ms; stop_ms=$(date +%s%3N)
  echo "    $stopped (pid $bpid) got SIGTERM at $term_ms, exited after $((stop_ms - term_ms)) ms"
  sleep "$MIXED_RUN_AFTER"; touch "$stopfile"
  wait "$rpid"; local rrc=$?
  wait "$jpid"; local jrc=$?

  local who file lrc cell
  for who in java rust; do
    cell="$pfx/$who-client"; selected "$cell" || continue
    file="$wd/loop-$who.json"; lrc=$jrc; [[ "$who" == rust ]] && lrc=$rrc
    if [[ ! -s "$file" ]]; then
      record "$cell" FAIL "$who loop wrote nothing (exit $lrc, see ${wd#"$HERE"/}/loop-$who.*)" $((SECONDS - t0)); continue
    fi
    python3 "$HERE/crosscheck.py" mixed --stop-ms "$stop_ms" --stopped "$stopped" --survivor "$survivor" \
      --max-fail 3 --min-after 10 "$file" >"$wd/crosscheck-$who.out" 2>&1; rc=$?
    sed 's/^/    /' "$wd/crosscheck-$who.out"
    if (( rc == 0 && lrc == 0 )); then
      record "$cell" PASS "$(grep -m1 '^SUMMARY' "$wd/crosscheck-$who.out" | sed 's/^SUMMARY //'); $stopped SIGTERM at ${MIXED_STOP_AFTER}s" $((SECONDS - t0))
    else
      record "$cell" FAIL "$(grep -m1 '^FAIL' "$wd/crosscheck-$who.out" | sed 's/^FAIL crosscheck mixed: //' | cut -c1-220) (loop exit $lrc)" $((SECONDS - t0))
    fi
  done
  rmq_stop "$wd" >/dev/null; stop_rocklet "$wd" rocklet-broker; stop_rocklet "$wd" rocklet-namesrv
}

BENCH_SECONDS="${INTEROP_BENCH_SECONDS:-5}"
BENCH_MIN_RATIO="${INTEROP_BENCH_MIN_RATIO:-0.25}"

# bench_run CELL NAMESRV WORKDIR T0 : BenchProducer for BENCH_SECONDS on BenchmarkTest (1024 queues on
# both brokers), keys and 4 tags, default 64 threads / 128 B; PASS needs zero failures.
bench_run() {
  local cell="$1" ns="$2" wd="$3" t0="$4" rc
  java_prog "$wd/bench" $((BENCH_SECONDS + 40))s BenchProducer -n "$ns" -t BenchmarkTest \
    -D "$BENCH_SECONDS" -k true -l 4; rc=$?
  selected "$cell" || return 0
  local line; line="$(grep -m1 '^\[Complete\]' "$wd/bench.out")"
  if (( rc == 0 )) && [[ "$line" =~ Send\ Total:\ ([0-9]+)\ Send\ TPS:\ ([0-9]+).*Average\ RT\(ms\):\ *([0-9.]+)\ Send\ Failed:\ 0\ Response\ Failed:\ 0 ]]; then
    record "$cell" PASS "${BASH_REMATCH[1]} msgs, ${BASH_REMATCH[2]} msg/s, avg RT ${BASH_REMATCH[3]} ms, 0 send/response failures" $((SECONDS - t0))
  else
    record "$cell" FAIL "${line:-no [Complete] line} (exit $rc; $(grep -m1 '^first error' "$wd/bench.out"))" $((SECONDS - t0))
  fi
}

# Matrix cell 5: the 4.9.3 benchmark producer's workload (BenchProducer, see its javadoc: the
# rocketmq-example 4.9.3 jar is not on Maven Central) against rocklet serve, zero failures.
group_bench() {
  local cell=bench/java-producer
  group_selected "$cell" bench/throughput-vs-java || return 0
  if [[ ! -x "$ROCKLET_BIN" ]]; then record "$cell" SKIP "rocklet binary missing ($ROCKLET_BIN)" 0; return 0; fi
  local wd="$WORK/bench" ns_port=$((PORT_BASE + 26)) br_port=$((PORT_BASE + 31)) t0=$SECONDS rc
  mkdir -p "$wd/store"
  echo "== $cell: BenchProducer (64 threads, 128 B, keys, 4 tags) for ${BENCH_SECONDS}s against rocklet serve :$ns_port/:$br_port"
  if ! start_rocklet "$wd" rocklet "$ns_port" "$br_port" -- \
      serve --namesrv-port "$ns_port" --broker-port "$br_port" --store "$wd/store" || \
     ! python3 "$HERE/probe.py" wait-broker "127.0.0.1:$ns_port" --timeout-sec 30; then
    record "$cell" FAIL "rocklet serve did not start (see ${wd#"$HERE"/}/rocklet.log)" $((SECONDS - t0)); return 0
  fi
  bench_run "$cell" "127.0.0.1:$ns_port" "$wd" "$t0"
  stop_rocklet "$wd" rocklet
  # Throughput of the same workload, Rocklet vs the Java broker run earlier in this matrix run:
  # Rocklet must reach at least BENCH_MIN_RATIO of Java's msg/s (generous: machines are noisy).
  local tcell=bench/throughput-vs-java
  if selected "$tcell"; then
    local jt rt
    jt="$(grep -m1 '^\[Complete\]' "$WORK/bench-java/bench.out" 2>/dev/null | sed -n 's/.*Send TPS: \([0-9]*\).*/\1/p')"
    rt="$(grep -m1 '^\[Complete\]' "$wd/bench.out" 2>/dev/null | sed -n 's/.*Send TPS: \([0-9]*\).*/\1/p')"
    if [[ -z "$jt" || -z "$rt" ]]; then
      record "$tcell" SKIP "needs bench/java-producer-java-broker and bench/java-producer in the same run" 0
    elif python3 -c "import sys; sys.exit(0 if $rt >= $BENCH_MIN_RATIO * $jt else 1)"; then
      record "$tcell" PASS "Rocklet $rt msg/s vs Java broker $jt msg/s (BenchmarkTest, fresh stores; need >= ${BENCH_MIN_RATIO}x)" 0
    else
      record "$tcell" FAIL "Rocklet $rt msg/s vs Java broker $jt msg/s on a fresh BenchmarkTest (1024 queues), need >= ${BENCH_MIN_RATIO}x" 0
    fi
  fi
}


# The same client and corpus read back from the Java broker and from Rocklet must carry the same
# stored fields (crosscheck.py servers). Needs the Java-server group in the same run.
# parity_cell CELL JAVA_GOT ROCKLET_GOT
parity_cell() {
  local cell="$1" jg="$2" rg="$3" rc
  selected "$cell" || return 0
  if [[ ! -s "$jg" || ! -s "$rg" ]]; then
    record "$cell" SKIP "needs ${jg#"$HERE"/} and ${rg#"$HERE"/} from this run" 0; return 0
  fi
  local out="${rg%.jsonl}-vs-java-broker.out"
  python3 "$HERE/crosscheck.py" servers "$jg" "$rg" >"$out" 2>&1; rc=$?
  sed 's/^/    /' "$out"
  if (( rc == 0 )); then
    record "$cell" PASS "$(grep -c . "$rg") msgs: same tags/keys/props/body/sysFlag/reconsumeTimes, every stored property and the stored size as from the Java broker" 0
  else
    record "$cell" FAIL "$(grep -m1 '^FAIL' "$out" | sed 's/^FAIL crosscheck servers: //' | cut -c1-220)" 0
  fi
}
group_parity() {
  parity_cell java-rocklet/same-as-java-broker "$WORK/java-java/got-litepull.jsonl" "$WORK/java-rocklet/got-litepull.jsonl"
  parity_cell java-rocklet-split/same-as-java-broker "$WORK/java-java/got-push.jsonl" "$WORK/java-rocklet-split/got-push.jsonl"
  parity_cell rust-rocklet/same-as-java-broker "$WORK/rust-java/got-rustpull.jsonl" "$WORK/rust-rocklet/got-rustpull.jsonl"
}

########################## transactions (Transactions.java / interop_driver tx) ##########################

TX_CELLS=(transactions/java-client-java-broker transactions/rust-client-java-broker
          transactions/java-client-rocklet transactions/rust-client-rocklet)
DELAY_CELLS=(delay/java-client-java-broker delay/java-client-rocklet
             orderly/java-client-java-broker orderly/java-client-rocklet)
# Brokers check unresolved half messages every second, once they are a second old; delay level 1
# is 1 s and level 3 (a consumer's first retry) 2 s.
TX_PROPS=(transactionCheckInterval=1000 transactionTimeOut=1000
          "messageDelayLevel=1s 1s 2s 2s 2s 2s 2s 2s 2s 2s 2s 2s 2s 2s 2s 2s 2s 2s")
TX_WAIT_MS="${INTEROP_TX_WAIT_MS:-20000}"

# tx_cell CELL java|rust NAMESRV_ADDR WORKDIR : Transactions.java or `interop_driver tx` on a fresh
# topic; PASS needs exit 0, no FAIL line and at least one PASS line.
tx_cell() {
  local cell="$1" kind="$2" ns="$3" wd="$4" t0=$SECONDS rc name topic
  selected "$cell" || return 0
  name="${cell#transactions/}"
  topic="RockletTx_$(echo "$name" | tr -c 'A-Za-z0-9\n' '_')_$(date +%s)"
  if [[ "$kind" == rust && ! -x "$DRIVER" ]]; then
    record "$cell" SKIP "Rust driver missing ($DRIVER; cargo build --release --examples)" 0; return 0
  fi
  if [[ "$kind" == java ]]; then
    java_prog "$wd/$name" 60s Transactions -n "$ns" -t "$topic" --wait-ms "$TX_WAIT_MS"; rc=$?
  else
    rust_prog "$wd/$name" 60s tx -n "$ns" -t "$topic" --wait-ms "$TX_WAIT_MS"; rc=$?
  fi
  record_checks "$cell" tx "$wd/$name" "$rc" "$t0" \
    "commit visible once, rollback never, UNKNOW checked back to commit and to rollback"
}

# record_checks CELL PREFIX LOGPREFIX EXIT T0 WHAT : a program printing "PASS PREFIX/<case>" and
# "FAIL PREFIX/<case>: why" lines passes with exit 0, no FAIL line and at least one PASS line.
record_checks() {
  local cell="$1" pfx="$2" log="$3" rc="$4" t0="$5" what="$6" npass nfail why
  npass=$(grep -c "^PASS $pfx/" "$log.out" 2>/dev/null)
  nfail=$(grep -c '^FAIL' "$log.out" 2>/dev/null)
  if (( rc == 0 && nfail == 0 && npass > 0 )); then
    record "$cell" PASS "$npass $pfx checks: $what" $((SECONDS - t0))
  else
    why="$(grep '^FAIL' "$log.out" 2>/dev/null | sed "s|^FAIL $pfx/||" | cut -c1-160 | paste -sd';' -)"
    record "$cell" FAIL "${why:-no FAIL line} (exit $rc, see ${log#"$HERE"/}.*)" $((SECONDS - t0))
  fi
}

# java_checks_cell CELL NAMESRV_ADDR WORKDIR CLASS TIMEOUT WAIT_MS WHAT : a Java program printing
# "PASS <prefix>/<case>" lines (prefix = the cell's group), on a fresh topic.
java_checks_cell() {
  local cell="$1" ns="$2" wd="$3" cls="$4" to="$5" wait_ms="$6" what="$7" t0=$SECONDS rc
  selected "$cell" || return 0
  local pfx="${cell%%/*}" name="${cell#*/}" topic
  topic="Rocklet${cls}_$(echo "$name" | tr -c 'A-Za-z0-9\n' '_')_$(date +%s)"
  java_prog "$wd/$pfx-$name" "$to" "$cls" -n "$ns" -t "$topic" --wait-ms "$wait_ms"; rc=$?
  record_checks "$cell" "$pfx" "$wd/$pfx-$name" "$rc" "$t0" "$what"
}
# Delay.java: delay level 1 and a consumer retry (broker run with TX_PROPS' messageDelayLevel).
delay_cell() {
  java_checks_cell "$1" "$2" "$3" Delay 60s 20000 \
    "level 1 after 1 s with DELAY/REAL_TOPIC/REAL_QID, consumer retry after level 3"
}
# Orderly.java: two MessageListenerOrderly consumers (queue locks).
orderly_cell() {
  java_checks_cell "$1" "$2" "$3" Orderly 90s 40000 \
    "orderly push consumers (queue locks): every step consumed, in order per consumer, both consumed"
}

# Matrix cell 6: transactional messages, the 4.9.3 TransactionMQProducer (Transactions.java) and
# Rocklet's (interop_driver tx) against the Java broker and against `rocklet serve`, both run with
# TX_PROPS so that the check-back of UNKNOW transactions happens within seconds.
group_transactions() {
  group_selected "${TX_CELLS[@]}" "${DELAY_CELLS[@]}" || return 0
  local c cj=transactions/java-client-java-broker cr=transactions/rust-client-java-broker
  local dj=delay/java-client-java-broker dr=delay/java-client-rocklet
  local oj=orderly/java-client-java-broker or=orderly/java-client-rocklet
  local rj=transactions/java-client-rocklet rr=transactions/rust-client-rocklet
  local wd ns_port br_port t0 ok
  if group_selected "$cj" "$cr" "$dj" "$oj"; then
    wd="$WORK/transactions-java"; ns_port=$((PORT_BASE + 61)); br_port=$((PORT_BASE + 66)); t0=$SECONDS
    mkdir -p "$wd"; SERVER_DIRS+=("$wd")
    echo "== transactions/*-java-broker: Java namesrv :$ns_port + Java broker :$br_port (${TX_PROPS[*]})"
    ok=1
    rmq_start_namesrv "$ns_port" "$wd" || ok=0
    (( ok )) && { RMQ_BROKER_EXTRA_PROPS="$(printf '%s\n' "${TX_PROPS[@]}")" \
        rmq_start_broker "127.0.0.1:$ns_port" "$br_port" broker-tx "$wd" || ok=0; }
    (( ok )) && { python3 "$HERE/probe.py" wait-broker "127.0.0.1:$ns_port" --timeout-sec 30 || ok=0; }
    if (( ok )); then
      tx_cell "$cj" java "127.0.0.1:$ns_port" "$wd"
      tx_cell "$cr" rust "127.0.0.1:$ns_port" "$wd"
      delay_cell "$dj" "127.0.0.1:$ns_port" "$wd"
      orderly_cell "$oj" "127.0.0.1:$ns_port" "$wd"
    else
      for c in "$cj" "$cr" "$dj" "$oj"; do selected "$c" && record "$c" FAIL "Java servers did not start (see ${wd#"$HERE"/}/logs)" $((SECONDS - t0)); done
    fi
    rmq_stop "$wd" >/dev/null
  fi
  if group_selected "$rj" "$rr" "$dr" "$or"; then
    if [[ ! -x "$ROCKLET_BIN" ]]; then
      for c in "$rj" "$rr" "$dr" "$or"; do selected "$c" && record "$c" SKIP "rocklet binary missing ($ROCKLET_BIN)" 0; done
      return 0
    fi
    wd="$WORK/transactions-rocklet"; ns_port=$((PORT_BASE + 86)); br_port=$((PORT_BASE + 91)); t0=$SECONDS
    mkdir -p "$wd/store"
    local props=() p
    for p in "${TX_PROPS[@]}"; do props+=(-p "$p"); done
    echo "== transactions/*-rocklet: rocklet serve (namesrv :$ns_port, broker :$br_port, ${props[*]})"
    if start_rocklet "$wd" rocklet "$ns_port" "$br_port" -- \
        serve --namesrv-port "$ns_port" --broker-port "$br_port" --store "$wd/store" "${props[@]}" && \
       python3 "$HERE/probe.py" wait-broker "127.0.0.1:$ns_port" --timeout-sec 30; then
      tx_cell "$rj" java "127.0.0.1:$ns_port" "$wd"
      tx_cell "$rr" rust "127.0.0.1:$ns_port" "$wd"
      delay_cell "$dr" "127.0.0.1:$ns_port" "$wd"
      orderly_cell "$or" "127.0.0.1:$ns_port" "$wd"
    else
      for c in "$rj" "$rr" "$dr" "$or"; do selected "$c" && record "$c" FAIL "rocklet serve did not start (see ${wd#"$HERE"/}/rocklet.log)" $((SECONDS - t0)); done
    fi
    stop_rocklet "$wd" rocklet
  fi
}

# Matrix cell 7: a Rocklet broker SIGKILLed and restarted under the real 4.9.3 client. Small
# commit-log files (16 KiB) put the Java producer's messages in several files, so the restart
# takes the bounded recovery path (scan from the checkpoint's file, keys of older files kept in
# Java's index files in store/index, not rebuilt); then every message is consumed byte for byte
# and the admin checks (query by key, view by unique key / offset id) pass against the restarted
# broker.
group_restart() {
  local cell=restart/java-client-rocklet
  selected "$cell" || return 0
  if [[ ! -x "$ROCKLET_BIN" ]]; then record "$cell" SKIP "rocklet binary missing ($ROCKLET_BIN)" 0; return 0; fi
  local wd="$WORK/restart" ns_port=$((PORT_BASE + 46)) br_port=$((PORT_BASE + 51)) t0=$SECONDS rc
  local ns="127.0.0.1:$ns_port" topic="RockletRestart_$(date +%s)" sent="$WORK/restart/sent.jsonl"
  local broker_args=(broker -n "$ns" --listen-port "$br_port" --store-path-root-dir "$wd/store"
    -p mapedFileSizeCommitLog=16384 -p maxMessageSize=12000)
  mkdir -p "$wd/store"
  echo "== $cell: rocklet namesrv :$ns_port, broker :$br_port (16 KiB commit-log files), SIGKILL + restart"
  if ! start_rocklet "$wd" namesrv "$ns_port" -- namesrv --listen-port "$ns_port" --bind 127.0.0.1 || \
     ! start_rocklet "$wd" broker "$br_port" -- "${broker_args[@]}" || \
     ! python3 "$HERE/probe.py" wait-broker "$ns" --timeout-sec 30; then
    record "$cell" FAIL "rocklet did not start (see ${wd#"$HERE"/})" $((SECONDS - t0))
    stop_rocklet "$wd" broker; stop_rocklet "$wd" namesrv; return 0
  fi
  java_prog "$wd/produce" 120s Produce -n "$ns" -t "$topic" -o "$sent"; rc=$?
  local fail=""
  (( rc == 0 )) || fail="produce: $(last_fail_line "$wd/produce" $rc)"
  local files; files=$(find "$wd/store/commitlog" -type f | wc -l)
  (( files >= 2 )) || fail="${fail:-only $files commit-log file(s): the restart would not skip any}"
  sleep 2 # a periodic checkpoint (every second) covers what was sent
  local pid; pid="$(cat "$wd/broker.pid")"
  kill -KILL "$pid" 2>/dev/null; wait_gone "$pid" 10
  mv "$wd/broker.log" "$wd/broker-before-kill.log"
  if [[ -z "$fail" ]]; then
    if ! start_rocklet "$wd" broker "$br_port" -- "${broker_args[@]}" || \
       ! python3 "$HERE/probe.py" wait-broker "$ns" --timeout-sec 30; then
      fail="the broker did not restart (see ${wd#"$HERE"/}/broker.log)"
    fi
  fi
  if [[ -z "$fail" ]]; then
    # the bounded path was taken: dispatching resumed after the first file, older keys indexed
    local from; from="$(grep -o 'dispatched_from[^ ]*' "$wd/broker.log" | grep -o '[0-9]*$' | head -1)"
    if [[ -z "$from" || "$from" -lt 16384 ]]; then
      fail="recovery dispatched from ${from:-?} (expected a later file; see ${wd#"$HERE"/}/broker.log)"
    elif [[ -z "$(ls "$wd/store/index" 2>/dev/null)" ]]; then
      fail="no index files in store/index (the persisted key index)"
    fi
  fi
  local expect=0; [[ -f "$sent" ]] && expect=$(grep -c . "$sent")
  if [[ -z "$fail" ]]; then
    java_prog "$wd/consume" 90s Consume -n "$ns" -t "$topic" -o "$wd/got.jsonl" \
      --expect "$expect" --mode litepull --timeout-sec 45; rc=$?
    if (( rc != 0 )); then
      fail="consume: $(last_fail_line "$wd/consume" $rc)"
    elif ! python3 "$HERE/compare.py" "$sent" "$wd/got.jsonl" >"$wd/compare.out" 2>&1; then
      fail="$(grep -m1 '^FAIL' "$wd/compare.out" | sed 's/^FAIL //')"
    fi
  fi
  if [[ -z "$fail" ]]; then
    java_prog "$wd/admin" 90s Admin -n "$ns" -t "$topic" -o "$wd/admin.json" --sent "$sent"; rc=$?
    (( rc == 0 )) || fail="admin: $(grep '^FAIL admin/' "$wd/admin.out" | sed 's/^FAIL admin\///' | cut -c1-160 | paste -sd';' -)"
  fi
  if [[ -z "$fail" ]]; then
    record "$cell" PASS "$files files, dispatch resumed at $from, $expect/$expect msgs identical, $(grep -c '^PASS admin/' "$wd/admin.out") admin checks" $((SECONDS - t0))
  else
    record "$cell" FAIL "$fail" $((SECONDS - t0))
  fi
  stop_rocklet "$wd" broker; stop_rocklet "$wd" namesrv
}

# codes/coverage: the request-code table (interop/REQUEST_CODES.md) and its coverage rule.
group_codes() {
  local cell=codes/coverage
  selected "$cell" || return 0
  if [[ ! -x "$ROCKLET_BIN" ]]; then record "$cell" SKIP "rocklet binary missing ($ROCKLET_BIN)" 0; return 0; fi
  local line t0=$SECONDS
  line="$(python3 "$HERE/codes.py" "$ROCKLET_BIN" 2>&1 | tail -1)"
  case "$line" in
    "PASS $cell - "*) record "$cell" PASS "${line#"PASS $cell - "}" $((SECONDS - t0)) ;;
    *) record "$cell" FAIL "${line#"FAIL $cell: "}" $((SECONDS - t0)) ;;
  esac
}

# External groups with their own servers and ports (mqadmin.sh, console.sh): run the script
# and take every PASS / FAIL / SKIP / XFAIL line it prints as a cell of this run.
# group_external SCRIPT CELL_PREFIX...
group_external() {
  local script="$1"; shift
  local p any=0
  for p in "$@"; do
    [[ -z "$FILTER" || "$p" == *"$FILTER"* || "$FILTER" == "$p"* ]] && any=1
  done
  (( any )) || return 0
  local name; name="$(basename "$script" .sh)"
  local out="$WORK/$name.out" t0=$SECONDS
  echo "== $name: $script${FILTER:+ $FILTER}"
  ROCKLET_BIN="$ROCKLET_BIN" bash "$HERE/$script" ${FILTER:+"$FILTER"} >"$out" 2>&1
  local rc=$? line cell det secs n=0
  local re='^(PASS|FAIL|SKIP|XFAIL) ([^ :]+)(:? ?)(.*)$'
  while IFS= read -r line; do
    [[ "$line" =~ $re ]] || continue
    local res="${BASH_REMATCH[1]}" rest="${BASH_REMATCH[4]}"
    cell="${BASH_REMATCH[2]}"
    secs=0
    [[ "$rest" =~ \(([0-9]+)s\) ]] && secs="${BASH_REMATCH[1]}"
    det="$(sed -E 's/^\([0-9]+s\)( - )?//; s/ \([0-9]+s\)$//' <<<"$rest")"
    # A known gap (XFAIL) is reported but counts as neither pass nor failure.
    [[ "$res" == XFAIL ]] && res=SKIP && det="known gap: $det"
    CELLS+=("$cell"); RESULT[$cell]="$res"; DETAIL[$cell]="$det"; SECS[$cell]="$secs"
    n=$((n + 1))
  done <"$out"
  grep -E '^(PASS|FAIL|SKIP|XFAIL) ' "$out" | sed 's/^/    /'
  # These groups compare two live clusters under traffic; a comparison that failed is run once
  # more on its own (fresh servers) and the cell says so. More than 3 failures are not retried.
  local failed=() c
  for c in "${CELLS[@]}"; do
    [[ "${RESULT[$c]}" == FAIL && ( " $* " == *" ${c%%/*}/ "* ) ]] && failed+=("$c")
  done
  if (( ${#failed[@]} > 0 && ${#failed[@]} <= 3 )); then
    for c in "${failed[@]}"; do
      local again="$WORK/$name-retry-${c//\//_}.out"
      echo "== $name: $c failed; once more on its own"
      ROCKLET_BIN="$ROCKLET_BIN" INTEROP_KEEP_WORK=1 bash "$HERE/$script" "$c" >"$again" 2>&1
      if grep -q "^PASS $c " "$again"; then
        DETAIL[$c]="passed when run again on its own; first run: ${DETAIL[$c]}"
        RESULT[$c]=PASS
        echo "    PASS $c (second run)"
      else
        echo "    FAIL $c again: $(grep -m1 "^FAIL $c" "$again" | cut -c1-200)"
      fi
    done
  fi
  if (( n == 0 )); then
    record "$name/run" FAIL "$script printed no cell (exit $rc); see ${out#"$HERE"/}" $((SECONDS - t0))
  elif (( rc != 0 )) && ! grep -q '^FAIL ' "$out"; then
    record "$name/run" FAIL "$script exited $rc without a failing cell; see ${out#"$HERE"/}" $((SECONDS - t0))
  fi
}

# Each group's servers are stopped when it ends; their stores (a 1 GiB commit-log file per
# Rocklet broker, Java's consume queues and index files) are removed then, logs and outputs kept.
# Left in place they added up to 30 GB over a run, on CI disks that were already above 85 %
# (the brokers refuse writes at 90 %, Java's and Rocklet's alike).
prune_stores() {
  find "$WORK" -depth -type d \( -name commitlog -o -name consumequeue -o -name index \) \
    -exec rm -rf {} + 2>/dev/null || true
}

################################ main ################################

echo "== setup"
if ! "$HERE/setup.sh"; then
  echo "FAIL setup: setup.sh failed" >&2
  mkdir -p "$WORK"; printf '# Interop results\n\nsetup.sh failed\n' > "$WORK/results.md"
  exit 1
fi

group_golden; prune_stores
group_java_java; prune_stores
group_java_rocklet; prune_stores
group_java_rocklet_split; prune_stores
group_parity; prune_stores
group_mixed java; prune_stores
group_mixed rocklet; prune_stores
group_bench; prune_stores
group_transactions; prune_stores
group_restart; prune_stores
group_external mqadmin.sh mqadmin/; prune_stores
group_codes; prune_stores
group_external console.sh console/ reqreply/; prune_stores
group_external browser.sh browser/; prune_stores
group_external store_compat.sh storecompat/; prune_stores
group_external consume.sh sql/ tags/ retry/ from/ trace/; prune_stores
group_external broadcast.sh broadcast/; prune_stores
group_external allocate.sh allocate/; prune_stores
group_external push.sh push/; prune_stores
group_external acl.sh acl/; prune_stores
group_external tls.sh tls/; prune_stores
group_external metrics.sh metrics/; prune_stores

# results.md
{
  echo "# Rocklet interop results"
  echo
  echo "Generated by \`interop/run.sh${FILTER:+ $FILTER}\` on $(date -u '+%Y-%m-%d %H:%M:%S UTC');"
  echo "Java side: Apache RocketMQ 4.9.3 from Maven Central, $(java -version 2>&1 | head -1)."
  echo "Rocklet binary: \`${ROCKLET_BIN#"$REPO"/}\` ($([[ -x "$ROCKLET_BIN" ]] && echo present || echo missing))."
  echo
  echo "| cell | result | time (s) | detail |"
  echo "| --- | --- | --- | --- |"
  for c in "${CELLS[@]}"; do
    d="${DETAIL[$c]//|/\\|}"
    echo "| \`$c\` | ${RESULT[$c]} | ${SECS[$c]} | $d |"
  done
} > "$WORK/results.md"
# machine-readable copy for update-readme.sh (COMPATIBILITY.md)
{
  printf 'cell\tresult\tseconds\tdetail\n'
  for c in "${CELLS[@]}"; do
    printf '%s\t%s\t%s\t%s\n' "$c" "${RESULT[$c]}" "${SECS[$c]}" "${DETAIL[$c]//$'\t'/ }"
  done
} > "$WORK/results.tsv"
"$HERE/update-readme.sh" --results "$WORK/results.tsv" --out "$WORK/COMPATIBILITY.md" --total-secs $((SECONDS - RUN_T0)) \
  ${FILTER:+--filter "$FILTER"} >/dev/null || echo "run.sh: update-readme.sh failed" >&2
# A full run also refreshes the table in the repository README from this run's results.
if [[ -z "$FILTER" ]]; then
  python3 "$HERE/sync-readme.py" "$WORK/COMPATIBILITY.md" "$REPO/README.md" || echo "run.sh: sync-readme.py failed" >&2
fi

npass=0; nfail=0; nskip=0
for c in "${CELLS[@]}"; do
  case "${RESULT[$c]}" in PASS) npass=$((npass+1));; SKIP) nskip=$((nskip+1));; *) nfail=$((nfail+1));; esac
done
echo
echo "results: interop/work/results.md, interop/work/COMPATIBILITY.md ($((SECONDS - RUN_T0))s total)"
if (( ${#CELLS[@]} == 0 )); then
  echo "run.sh: no cell matches filter '$FILTER'" >&2
  exit 2
fi
echo "interop: $npass passed, $nfail failed, $nskip skipped"
(( nfail == 0 ))
