#!/usr/bin/env bash
# Start/stop the REAL Apache RocketMQ 4.9.3 Java name server and broker (from target/lib).
#
#   servers.sh start-namesrv PORT WORKDIR
#   servers.sh start-broker NAMESRV_ADDR PORT BROKER_NAME WORKDIR
#   servers.sh stop WORKDIR            # stops every server started with this WORKDIR
#
# Each server runs with ROCKETMQ_HOME=WORKDIR (conf/ holds the logback files) and
# -Duser.home=WORKDIR, so logs/, store/ and config files all stay in WORKDIR.
# The broker also opens PORT-2 (fast/VIP channel) and PORT+1 (HA). Note: Java 4.9.3 binds
# the wildcard address (no bind-address option exists); clients only ever use 127.0.0.1.
# RMQ_BROKER_EXTRA_PROPS (optional): newline-separated key=value lines appended to the generated
# broker properties file (a key given twice: the later line wins), e.g.
#   RMQ_BROKER_EXTRA_PROPS=$'transactionCheckInterval=1000\ntransactionTimeOut=1000' servers.sh start-broker ...
# RMQ_JVM_EXTRA (optional): extra JVM options for both servers, space-separated (TLS: -Dtls.*).
# Can also be sourced: functions rmq_start_namesrv / rmq_start_broker / rmq_stop.
set -uo pipefail
RMQ_INTEROP_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RMQ_CP="$RMQ_INTEROP_DIR/target/classes:$RMQ_INTEROP_DIR/target/lib/*"
RMQ_SERVER_JVM=(-Xms256m -Xmx256m -XX:MaxDirectMemorySize=256m -XX:+UseSerialGC
  -XX:TieredStopAtLevel=1 -Dfile.encoding=UTF-8 -Djava.net.preferIPv4Stack=true
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED
  --add-exports java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED
  --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED
  --add-opens java.base/java.util=ALL-UNNAMED)

_rmq_die() { echo "servers.sh: $*" >&2; return 1; }

_rmq_prepare_home() { # WORKDIR
  local w="$1"
  mkdir -p "$w/conf" "$w/logs" "$w/run" || return 1
  cp -f "$RMQ_INTEROP_DIR/conf/logback_namesrv.xml" "$RMQ_INTEROP_DIR/conf/logback_broker.xml" "$w/conf/"
}

_rmq_port_open() { # PORT
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Wait (bounded) until PORT accepts connections and OUT contains PATTERN; fail loudly otherwise.
_rmq_wait_ready() { # NAME PID PORT OUTFILE PATTERN TIMEOUT_S LOGFILE
  local name="$1" pid="$2" port="$3" out="$4" pat="$5" timeout="$6" log="$7"
  local deadline=$(( SECONDS + timeout ))
  while (( SECONDS < deadline )); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "servers.sh: $name (pid $pid) exited during startup" >&2
      tail -n 40 "$out" "$log" >&2 2>/dev/null
      return 1
    fi
    if _rmq_port_open "$port" && grep -q "$pat" "$out" 2>/dev/null; then
      echo "servers.sh: $name up on 127.0.0.1:$port (pid $pid, $(( timeout - (deadline - SECONDS) ))s)"
      return 0
    fi
    sleep 0.3
  done
  echo "servers.sh: $name not ready on port $port after ${timeout}s" >&2
  tail -n 40 "$out" "$log" >&2 2>/dev/null
  return 1
}

rmq_start_namesrv() { # PORT WORKDIR
  local port="$1" w; w="$(mkdir -p "$2" && cd "$2" && pwd)" || return 1
  [[ -d "$RMQ_INTEROP_DIR/target/lib" ]] || _rmq_die "run setup.sh first" || return 1
  _rmq_prepare_home "$w" || return 1
  _rmq_port_open "$port" && { _rmq_die "port $port already in use"; return 1; }
  local props="$w/namesrv-$port.properties"
  cat > "$props" <<P
listenPort=$port
kvConfigPath=$w/namesrv/kvConfig.json
P
  local out="$w/logs/namesrv-$port.out"
  # shellcheck disable=SC2086 # RMQ_JVM_EXTRA: space-separated extra JVM options (e.g. -Dtls.*)
  ROCKETMQ_HOME="$w" nohup java "${RMQ_SERVER_JVM[@]}" ${RMQ_JVM_EXTRA:-} -Duser.home="$w" -Drocketmq.home.dir="$w" \
    -cp "$RMQ_CP" org.apache.rocketmq.namesrv.NamesrvStartup -c "$props" >"$out" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$w/run/namesrv-$port.pid"
  _rmq_wait_ready "namesrv" "$pid" "$port" "$out" "boot success" 40 "$w/logs/namesrv.log"
}

rmq_start_broker() { # NAMESRV_ADDR PORT BROKER_NAME WORKDIR
  local ns="$1" port="$2" name="$3" w; w="$(mkdir -p "$4" && cd "$4" && pwd)" || return 1
  [[ -d "$RMQ_INTEROP_DIR/target/lib" ]] || _rmq_die "run setup.sh first" || return 1
  _rmq_prepare_home "$w" || return 1
  local p
  for p in "$port" $((port - 2)) $((port + 1)); do
    _rmq_port_open "$p" && { _rmq_die "port $p already in use"; return 1; }
  done
  local store="$w/store-$name"
  mkdir -p "$store/commitlog"
  local props="$w/broker-$name.properties"
  cat > "$props" <<P
brokerClusterName=DefaultCluster
brokerName=$name
brokerId=0
brokerRole=ASYNC_MASTER
flushDiskType=ASYNC_FLUSH
brokerIP1=127.0.0.1
namesrvAddr=$ns
listenPort=$port
storePathRootDir=$store
storePathCommitLog=$store/commitlog
autoCreateTopicEnable=true
autoCreateSubscriptionGroup=true
mappedFileSizeCommitLog=67108864
mappedFileSizeConsumeQueue=600000
deleteWhen=04
fileReservedTime=48
diskMaxUsedSpaceRatio=95
sendMessageThreadPoolNums=2
pullMessageThreadPoolNums=4
serverWorkerThreads=4
serverSelectorThreads=2
P
  if [[ -n "${RMQ_BROKER_EXTRA_PROPS:-}" ]]; then
    printf '%s\n' "$RMQ_BROKER_EXTRA_PROPS" >> "$props"
  fi
  local out="$w/logs/broker-$name.out"
  # shellcheck disable=SC2086
  ROCKETMQ_HOME="$w" nohup java "${RMQ_SERVER_JVM[@]}" ${RMQ_JVM_EXTRA:-} -Duser.home="$w" -Drocketmq.home.dir="$w" \
    -cp "$RMQ_CP" org.apache.rocketmq.broker.BrokerStartup -c "$props" >"$out" 2>&1 </dev/null &
  local pid=$!
  echo "$pid" > "$w/run/broker-$name.pid"
  _rmq_wait_ready "broker $name" "$pid" "$port" "$out" "boot success" 60 "$w/logs/broker.log"
}

rmq_stop() { # WORKDIR
  local w="$1" f pid any=0
  [[ -d "$w/run" ]] || return 0
  # brokers first (they unregister from the name server), then name servers
  for f in "$w"/run/broker-*.pid "$w"/run/namesrv-*.pid; do
    [[ -f "$f" ]] || continue
    pid="$(cat "$f")"
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null
      local i
      for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "servers.sh: pid $pid ($(basename "$f" .pid)) ignored TERM for 10s, killing" >&2
        kill -KILL "$pid" 2>/dev/null
      fi
      echo "servers.sh: stopped $(basename "$f" .pid) (pid $pid)"
      any=1
    fi
    rm -f "$f"
  done
  (( any )) || echo "servers.sh: nothing running in $w"
  return 0
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  cmd="${1:-}"; shift || true
  case "$cmd" in
    start-namesrv) [[ $# -eq 2 ]] || { echo "usage: $0 start-namesrv PORT WORKDIR" >&2; exit 2; }
                   rmq_start_namesrv "$@" ;;
    start-broker)  [[ $# -eq 4 ]] || { echo "usage: $0 start-broker NAMESRV_ADDR PORT BROKER_NAME WORKDIR" >&2; exit 2; }
                   rmq_start_broker "$@" ;;
    stop)          [[ $# -eq 1 ]] || { echo "usage: $0 stop WORKDIR" >&2; exit 2; }
                   rmq_stop "$@" ;;
    *) echo "usage: $0 {start-namesrv PORT WORKDIR | start-broker NAMESRV_ADDR PORT BROKER_NAME WORKDIR | stop WORKDIR}" >&2; exit 2 ;;
  esac
fi
