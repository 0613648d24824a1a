# Shared by bench/compare.sh and bench/restart.sh (sourced; ROOT must be set): builds the binary,
# installs the Java side, loads interop/servers.sh and sets the benchmark JVM and small helpers.
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/rocklet"
(cd "$ROOT" && cargo build --release --bins -q)
"$ROOT/interop/setup.sh" >/dev/null
# shellcheck source=../interop/servers.sh
source "$ROOT/interop/servers.sh"
# A fair JVM for the benchmarks: server compiler, G1, 1 GiB heap (servers.sh defaults to a small,
# quick-starting JVM for the functional tests).
RMQ_SERVER_JVM=(-Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g -XX:+UseG1GC -Dfile.encoding=UTF-8
  -Djava.net.preferIPv4Stack=true
  --add-exports java.base/jdk.internal.ref=ALL-UNNAMED --add-exports java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.nio=ALL-UNNAMED --add-opens java.base/sun.nio.ch=ALL-UNNAMED
  --add-opens java.base/java.lang=ALL-UNNAMED --add-opens java.base/java.util=ALL-UNNAMED)

now_ms() { date +%s%3N; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local d=$(( $(now_ms) + 30000 )); until port_open "$1"; do (( $(now_ms) < d )) || return 1; sleep 0.002; done; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
