#!/usr/bin/env bash
# TLS (issue 17): the real Java 4.9.3 servers and clients against Rocklet, both ways.
# Certificates are made by `rocklet tls gen-certs` (a CA, a server and a client certificate).
#  - tls/java-java-enforcing: control. The 4.9.3 name server + broker with
#    -Dtls.server.mode=enforcing and the generated server certificate; the 4.9.3 producer (7 send
#    modes) and push consumer with -Dtls.enable=true; every message back intact.
#  - tls/java-rocklet-enforcing: the same Java clients against `rocklet -Dtls.server.mode=enforcing`
#    in test mode (a self-signed certificate, as Java's default).
#  - tls/java-rocklet-permissive: Rocklet's default mode: the Java producer over TLS and the Java
#    consumer in plain, on the same ports.
#  - tls/plain-refused: `mqadmin clusterList` in plain against both enforcing clusters fails the
#    same way (the server closes the connection); with -Dtls.enable=true it lists the broker.
#  - tls/rust-java-send, tls/rust-java-consume: the Rust client (interop_driver, INTEROP_TLS) over
#    TLS against the JAVA enforcing broker: every send mode, then the push consumer reads all.
#  - tls/java-rocklet-mutual: Rocklet requiring client certificates signed by the CA
#    (tls.server.need.client.auth=require, authClient=true): `mqadmin clusterList` with the
#    client certificate (tls.client.certPath/keyPath, the server checked against the CA) lists the
#    broker; without a certificate it fails.
#  - tls/rust-java-authserver: the Rust client checking the Java server's chain against the CA
#    (tls.client.authServer=true) connects; against another CA it is refused.
#
#   interop/tls.sh [FILTER]
# Ports: INTEROP_PORT_BASE (19000) + 311 / +315 (Java namesrv / broker, +313 +316 too), +321 / +325
# (Rocklet enforcing, +323), +331 / +335 (Rocklet permissive, +333), +341 / +345 (Rocklet mutual, +343). Raw outputs: work/tls/.
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
DRIVER="${INTEROP_DRIVER_BIN:-$(dirname "$ROCKLET_BIN")/examples/interop_driver}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/tls"
CP="$HERE/target/classes:$HERE/target/lib/*"
# shellcheck source=servers.sh
source "$HERE/servers.sh"
[[ -z "$FILTER" || "tls/" == *"$FILTER"* || "$FILTER" == "tls/"* ]] || { echo "tls: filter '$FILTER' selects nothing"; exit 0; }
selected() { [[ -z "$FILTER" || "$1" == *"$FILTER"* || "$FILTER" == "tls/" ]]; }

rm -rf "$WORK"; mkdir -p "$WORK/java" "$WORK/rocklet" "$WORK/permissive" "$WORK/mutual" "$WORK/home/conf"
cp -f "$HERE/conf/logback_tools.xml" "$WORK/home/conf/"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  rmq_stop "$WORK/java" >/dev/null 2>&1
}
trap cleanup EXIT
failed=0
pass() { echo "PASS $1 ($((SECONDS - t0))s) - $2"; }
fail() { failed=$((failed + 1)); echo "FAIL $1: $2"; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 300); do port_open "$1" && return 0; sleep 0.1; done; return 1; }
t0=$SECONDS

"$ROCKLET_BIN" tls gen-certs --out "$WORK/certs" >/dev/null || { echo "FAIL tls/setup: rocklet tls gen-certs"; exit 1; }
"$ROCKLET_BIN" tls gen-certs --out "$WORK/other-ca" >/dev/null || { echo "FAIL tls/setup: rocklet tls gen-certs"; exit 1; }
C="$WORK/certs"
# No /etc/rocketmq/tls.properties may change what the JVMs do.
NOFILE="-Dtls.config.file=$WORK/none.properties"
JAVA_SERVER_TLS="-Dtls.server.mode=enforcing -Dtls.enable=true -Dtls.test.mode.enable=false $NOFILE \
-Dtls.server.certPath=$C/server.pem -Dtls.server.keyPath=$C/server.key"

JNSP=$((PORT_BASE + 311)); JBP=$((PORT_BASE + 315))
RNSP=$((PORT_BASE + 321)); RBP=$((PORT_BASE + 325))
PNSP=$((PORT_BASE + 331)); PBP=$((PORT_BASE + 335))
MNSP=$((PORT_BASE + 341)); MBP=$((PORT_BASE + 345))
JNS="127.0.0.1:$JNSP"; RNS="127.0.0.1:$RNSP"; PNS="127.0.0.1:$PNSP"; MNS="127.0.0.1:$MNSP"

RMQ_JVM_EXTRA="$JAVA_SERVER_TLS" rmq_start_namesrv "$JNSP" "$WORK/java" >/dev/null \
  || { echo "FAIL tls/setup: Java name server with TLS"; exit 1; }
RMQ_JVM_EXTRA="$JAVA_SERVER_TLS" rmq_start_broker "$JNS" "$JBP" broker-a "$WORK/java" >/dev/null \
  || { echo "FAIL tls/setup: Java broker with TLS (see work/tls/java/logs)"; exit 1; }
start_rocklet() { # DIR NSPORT BROKERPORT -D...
  local d="$1" nsp="$2" bp="$3"; shift 3
  RUST_LOG=warn "$ROCKLET_BIN" "$@" namesrv --listen-port "$nsp" --bind 127.0.0.1 >"$d/namesrv.log" 2>&1 &
  PIDS+=($!); wait_port "$nsp" || return 1
  RUST_LOG=info "$ROCKLET_BIN" "$@" broker -n "127.0.0.1:$nsp" --listen-port "$bp" --bind 127.0.0.1 \
    --broker-ip1 127.0.0.1 --store-path-root-dir "$d/store" >"$d/broker.log" 2>&1 &
  PIDS+=($!); wait_port "$bp"
}
start_rocklet "$WORK/rocklet" "$RNSP" "$RBP" -Dtls.server.mode=enforcing -Dtls.enable=true "$NOFILE" \
  || { echo "FAIL tls/setup: rocklet enforcing"; exit 1; }
start_rocklet "$WORK/permissive" "$PNSP" "$PBP" "$NOFILE" || { echo "FAIL tls/setup: rocklet permissive"; exit 1; }
# Mutual: the servers require a client certificate from the CA; the broker presents one too.
MUTUAL=(-Dtls.server.mode=enforcing -Dtls.enable=true -Dtls.test.mode.enable=false "$NOFILE"
  "-Dtls.server.certPath=$C/server.pem" "-Dtls.server.keyPath=$C/server.key"
  -Dtls.server.need.client.auth=require -Dtls.server.authClient=true "-Dtls.server.trustCertPath=$C/ca.pem"
  "-Dtls.client.certPath=$C/client.pem" "-Dtls.client.keyPath=$C/client.key"
  -Dtls.client.authServer=true "-Dtls.client.trustCertPath=$C/ca.pem")
if selected tls/java-rocklet-mutual; then
  start_rocklet "$WORK/mutual" "$MNSP" "$MBP" "${MUTUAL[@]}" || { echo "FAIL tls/setup: rocklet mutual"; exit 1; }
fi
sleep 2 # brokers registered

jprog() { # LOGPREFIX TIMEOUT TLS(0|1) CLASS ARGS...
  local log="$1" to="$2" tls="$3" cls="$4"; shift 4
  local wd; wd="$(dirname "$log")"
  local opts=("$NOFILE"); (( tls )) && opts+=(-Dtls.enable=true)
  timeout --kill-after=5 "$to" java -Xms64m -Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -Dfile.encoding=UTF-8 -Duser.home="$wd" -Drocketmq.client.logRoot="$wd/logs/client" "${opts[@]}" \
    -cp "$CP" "rocklet.interop.$cls" "$@" >"$log.out" 2>"$log.err"
}

# produce_consume CELL NS DIR PRODUCE_TLS CONSUME_TLS
produce_consume() {
  local cell="$1" ns="$2" d="$3" ptls="$4" ctls="$5" topic rc
  selected "$cell" || return 0
  t0=$SECONDS
  topic="TlsInterop_$(tr -c 'A-Za-z0-9\n' '_' <<<"${cell#tls/}")"
  jprog "$d/produce" 120s "$ptls" Produce -n "$ns" -t "$topic" -o "$d/sent.jsonl"; rc=$?
  local want; want=$(grep -c . "$d/sent.jsonl" 2>/dev/null || echo 0)
  if (( rc != 0 || want == 0 )); then
    fail "$cell" "Java producer (tls=$ptls): exit $rc, $(grep -m1 '^FAIL' "$d/produce.out" | cut -c1-200) $(grep -m1 -i 'exception' "$d/produce.err" | cut -c1-200)"
    return
  fi
  jprog "$d/consume" 90s "$ctls" Consume -n "$ns" -t "$topic" -o "$d/got.jsonl" --expect "$want" \
    --mode push --timeout-sec 45; rc=$?
  if (( rc == 0 )) && python3 "$HERE/compare.py" "$d/sent.jsonl" "$d/got.jsonl" >"$d/compare.out" 2>&1; then
    pass "$cell" "$want/$want msgs identical (Java producer tls=$ptls, Java push consumer tls=$ctls)"
  else
    fail "$cell" "consume exit $rc: $(grep -m1 '^FAIL' "$d/consume.out" "$d/compare.out" 2>/dev/null | cut -c1-300)"
  fi
}
produce_consume tls/java-java-enforcing "$JNS" "$WORK/java" 1 1
produce_consume tls/java-rocklet-enforcing "$RNS" "$WORK/rocklet" 1 1
produce_consume tls/java-rocklet-permissive "$PNS" "$WORK/permissive" 1 0

# mqadmin clusterList, plain then TLS, against both enforcing clusters.
mqa() { # OUT NS TLS [JVM OPTIONS...]
  local opts=("$NOFILE"); (( $3 )) && opts+=(-Dtls.enable=true)
  opts+=("${@:4}")
  ROCKETMQ_HOME="$WORK/home" timeout --kill-after=5 60s java -Xms64m -Xmx128m -XX:+UseSerialGC \
    -XX:TieredStopAtLevel=1 -Duser.home="$WORK/home" -Drocketmq.client.logRoot="$WORK/home/logs" "${opts[@]}" \
    -cp "$CP" rocklet.interop.MqadminRun clusterList -n "$2" >"$1" 2>&1 </dev/null
}
if selected tls/plain-refused; then
  t0=$SECONDS
  res=()
  for side in java rocklet; do
    ns=$JNS; [[ $side == rocklet ]] && ns=$RNS
    mqa "$WORK/$side/clusterList-plain.out" "$ns" 0; prc=$?
    mqa "$WORK/$side/clusterList-tls.out" "$ns" 1; trc=$?
    plain_err=$(grep -m1 -oE 'RemotingConnectException|RemotingSendRequestException|RemotingTimeoutException|connect to [^ ]+ failed|closed' "$WORK/$side/clusterList-plain.out")
    listed=$(grep -c 'broker-a' "$WORK/$side/clusterList-tls.out")
    res+=("$side: plain rc=$prc ${plain_err:-no error}, tls rc=$trc broker-a listed $listed")
  done
  if [[ "${res[0]#java: }" == "${res[1]#rocklet: }" && "${res[0]}" == *"tls rc=0 broker-a listed 1"* && "${res[0]}" != *"no error"* ]]; then
    pass tls/plain-refused "same on both: ${res[0]#java: }"
  else
    fail tls/plain-refused "${res[*]}"
  fi
fi

if selected tls/java-rocklet-mutual; then
  t0=$SECONDS
  client_cert=(-Dtls.test.mode.enable=false "-Dtls.client.certPath=$C/client.pem" "-Dtls.client.keyPath=$C/client.key"
    -Dtls.client.authServer=true "-Dtls.client.trustCertPath=$C/ca.pem")
  mqa "$WORK/mutual/clusterList-cert.out" "$MNS" 1 "${client_cert[@]}"; crc=$?
  mqa "$WORK/mutual/clusterList-nocert.out" "$MNS" 1; nrc=$?
  if grep -q broker-a "$WORK/mutual/clusterList-cert.out" && ! grep -q broker-a "$WORK/mutual/clusterList-nocert.out"; then
    pass tls/java-rocklet-mutual "Java mqadmin with a CA-signed client certificate listed broker-a (rc=$crc); without one: $(grep -m1 -oE 'Remoting[A-Za-z]*Exception' "$WORK/mutual/clusterList-nocert.out") (rc=$nrc)"
  else
    fail tls/java-rocklet-mutual "with cert: $(head -c 300 "$WORK/mutual/clusterList-cert.out" | tr '\n' ';') / without: $(head -c 200 "$WORK/mutual/clusterList-nocert.out" | tr '\n' ';')"
  fi
fi

if selected tls/rust-java; then
  if [[ ! -x "$DRIVER" ]]; then
    for c in send consume authserver; do echo "SKIP tls/rust-java-$c: no $DRIVER (cargo build --release --examples)"; done
  else
    t0=$SECONDS
    INTEROP_TLS="tls.enable=true" timeout 120 "$DRIVER" produce -n "$JNS" -t RustTlsTopic \
      -o "$WORK/rust-produce.jsonl" >"$WORK/rust-produce.txt" 2>"$WORK/rust-produce.err"
    if selected tls/rust-java-send; then
      n=$(grep -c '^PASS' "$WORK/rust-produce.txt"); nf=$(grep -c '^FAIL' "$WORK/rust-produce.txt")
      if (( n > 0 && nf == 0 )); then
        pass tls/rust-java-send "Rust client over TLS to the Java enforcing broker: $(grep '^PASS' "$WORK/rust-produce.txt" | cut -d' ' -f2 | tr '\n' ' ')($(grep -c . "$WORK/rust-produce.jsonl") msgs)"
      else
        fail tls/rust-java-send "$(grep -m2 '^FAIL' "$WORK/rust-produce.txt" | tr '\n' ';') $(tail -n 2 "$WORK/rust-produce.err" | tr '\n' ';' | cut -c1-300)"
      fi
    fi
    if selected tls/rust-java-consume; then
      t0=$SECONDS
      want=$(grep -c '"msgId"' "$WORK/rust-produce.jsonl" 2>/dev/null || echo 0)
      INTEROP_TLS="tls.enable=true" timeout 120 "$DRIVER" consume -n "$JNS" -t RustTlsTopic --push \
        -o "$WORK/rust-consume.jsonl" --expect "$want" --timeout-sec 60 >"$WORK/rust-consume.txt" 2>"$WORK/rust-consume.err"
      got=$(grep -c . "$WORK/rust-consume.jsonl" 2>/dev/null || echo 0)
      if (( want > 0 && got >= want )); then
        pass tls/rust-java-consume "Rust push consumer over TLS read $got/$want from the Java enforcing broker"
      else
        fail tls/rust-java-consume "read $got of $want $(tail -n 2 "$WORK/rust-consume.txt" "$WORK/rust-consume.err" | tr '\n' ';' | cut -c1-300)"
      fi
    fi
    if selected tls/rust-java-authserver; then
      t0=$SECONDS
      strict="tls.enable=true tls.test.mode.enable=false tls.client.authServer=true"
      "$ROCKLET_BIN" -Dtls.enable=true -Dtls.test.mode.enable=false -Dtls.client.authServer=true \
        "-Dtls.client.trustCertPath=$C/ca.pem" "$NOFILE" admin -n "$JNS" cluster-list >"$WORK/rust-auth-ok.out" 2>&1; ok=$?
      "$ROCKLET_BIN" -Dtls.enable=true -Dtls.test.mode.enable=false -Dtls.client.authServer=true \
        "-Dtls.client.trustCertPath=$WORK/other-ca/ca.pem" "$NOFILE" admin -n "$JNS" cluster-list >"$WORK/rust-auth-bad.out" 2>&1; bad=$?
      if (( ok == 0 && bad != 0 )) && grep -q broker-a "$WORK/rust-auth-ok.out"; then
        pass tls/rust-java-authserver "chain checked against the CA ($strict): listed broker-a; against another CA refused: $(grep -m1 -oE 'TLS handshake failed[^;]*' "$WORK/rust-auth-bad.out" | cut -c1-160)"
      else
        fail tls/rust-java-authserver "trusted CA rc=$ok, other CA rc=$bad: $(head -c 300 "$WORK/rust-auth-ok.out" "$WORK/rust-auth-bad.out" | tr '\n' ';')"
      fi
    fi
  fi
fi
exit $(( failed > 0 ))
