#!/usr/bin/env bash
# What ACL and TLS cost (issue 17): `rocklet bench produce` (sync sends, 64 senders) against a
# `rocklet serve` on this machine, four ways: plain, ACL on (aclEnable=true, every request signed
# with HmacSHA1 and checked), TLS on (tls.server.mode=enforcing, the client with tls.enable), and
# both. Each way on a fresh store, ROUNDS runs of DURATION seconds per body size, the median TPS
# and p99 printed with the ratio to plain.
#
#   bench/security.sh            # ROUNDS=3 DURATION=10 SIZES="128 1024"
#   ROUNDS=1 DURATION=5 bench/security.sh
# Ports: 39876 (name server), 39911 (broker). Raw output: bench/out/security/.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ROUNDS="${ROUNDS:-3}"
DURATION="${DURATION:-10}"
SIZES="${SIZES:-128 1024}"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/rocklet"
(cd "$ROOT" && cargo build --release --bins -q)
OUT="$ROOT/bench/out/security"
rm -rf "$OUT"; mkdir -p "$OUT"
NSP=39876; BP=39911
SERVER=""
cleanup() { [[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null; rm -rf "$OUT/home" "$OUT/store"; }
trap cleanup EXIT
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { local i; for i in $(seq 1 300); do port_open "$1" && return 0; sleep 0.1; done; return 1; }

mkdir -p "$OUT/home/conf"
cat >"$OUT/home/conf/plain_acl.yml" <<'YML'
globalWhiteRemoteAddresses:
accounts:
  - accessKey: benchAccess
    secretKey: benchSecret123
    whiteRemoteAddress:
    admin: true
    defaultTopicPerm: PUB|SUB
    defaultGroupPerm: PUB|SUB
YML
NOFILE="-Dtls.config.file=$OUT/none.properties"

# start WAY: a fresh `rocklet serve` set up for WAY (plain | acl | tls | acl+tls)
start() {
  local way="$1" d=() p=()
  [[ "$way" == *tls* ]] && d=(-Dtls.server.mode=enforcing -Dtls.enable=true)
  [[ "$way" == *acl* ]] && p=(-p aclEnable=true -p "rocketmqHome=$OUT/home")
  rm -rf "$OUT/store"
  RUST_LOG=warn "$BIN" "${d[@]}" "$NOFILE" serve --namesrv-port "$NSP" --broker-port "$BP" --bind 127.0.0.1 \
    --broker-ip1 127.0.0.1 --store-path-root-dir "$OUT/store/store" "${p[@]}" >"$OUT/serve-$way.log" 2>&1 &
  SERVER=$!
  wait_port "$NSP" && wait_port "$BP" || { echo "security: serve ($way) did not start"; cat "$OUT/serve-$way.log"; exit 1; }
  sleep 1
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=""; }

# bench WAY SIZE ROUND: one run, its JSON line into OUT
bench() {
  local way="$1" size="$2" r="$3" d=() a=()
  [[ "$way" == *tls* ]] && d=(-Dtls.enable=true)
  [[ "$way" == *acl* ]] && a=(--access-key benchAccess --secret-key benchSecret123)
  "$BIN" "${d[@]}" "$NOFILE" bench produce -n "127.0.0.1:$NSP" -t "Sec$size" -s "$size" -w 64 -d "$DURATION" \
    "${a[@]}" >"$OUT/$way-$size-$r.txt" 2>"$OUT/$way-$size-$r.err" || { echo "security: bench $way $size failed"; tail -n 5 "$OUT/$way-$size-$r.err"; exit 1; }
  grep '^JSON ' "$OUT/$way-$size-$r.txt" | sed 's/^JSON //' >>"$OUT/$way-$size.jsonl"
}

for way in plain acl tls acl+tls; do
  start "$way"
  # Warm-up: topic creation and the first connections.
  for size in $SIZES; do
    DURATION=2 bench "$way" "$size" warm; rm -f "$OUT/$way-$size.jsonl"
  done
  for r in $(seq 1 "$ROUNDS"); do
    for size in $SIZES; do bench "$way" "$size" "$r"; done
  done
  stop
done

python3 - "$OUT" "$SIZES" "$ROUNDS" "$DURATION" <<'PY'
import json, statistics, sys, os
out, sizes, rounds, duration = sys.argv[1], sys.argv[2].split(), sys.argv[3], sys.argv[4]
def med(way, size, key):
    rows = [json.loads(l) for l in open(os.path.join(out, f"{way}-{size}.jsonl")) if l.strip()]
    if any(r["failed"] for r in rows):
        raise SystemExit(f"security: {way} {size} B had failed sends")
    return statistics.median(r[key] for r in rows)
print(f"rocklet bench produce, sync, 64 senders, {rounds} x {duration} s per cell, median of the rounds")
print("| body | way | TPS | vs plain | p99 ms | avg ms |")
print("| --- | --- | --- | --- | --- | --- |")
for size in sizes:
    base = med("plain", size, "tps")
    for way in ["plain", "acl", "tls", "acl+tls"]:
        tps = med(way, size, "tps")
        print(f"| {size} B | {way} | {tps:,.0f} | {tps / base:.2f} | {med(way, size, 'rt_p99_ms'):.2f} | {med(way, size, 'rt_avg_ms'):.3f} |")
PY
