#!/usr/bin/env bash
# The web console in a real browser (issue 18): headless Chromium, driven by Selenium
# (browser_test.py), clicks through `rocklet console` against `rocklet serve` and against the
# Java 4.9.3 name server + broker: the overview, a topic created with the form, messages (sent
# with `rocklet send`, and through the UI where the console has /send), search by key and the
# message page (where it has /messages), a consumer that takes the group's lag to 0 on the group
# page, and a reset by time through the form that brings the lag back.
#
#   interop/browser.sh [FILTER]          # FILTER: substring of cell names (browser/rocklet, browser/java)
#   interop/browser.sh --docs [FILTER]   # also copy the Rocklet run's screenshots to docs/console/
#
# Installs what it needs, once: the Debian packages chromium and chromium-driver (apt-get, only
# when /usr/bin/chromium or /usr/bin/chromedriver is missing) and Selenium $SELENIUM_VERSION in a
# venv in interop/target/browser-venv (kept across runs, like setup.sh's jars; interop/work/ is
# wiped by run.sh).
#
# Prints one line per cell, like the other interop scripts:
#   PASS browser/<side> (Ns) - detail | FAIL browser/<side>: reason (Ns) | SKIP browser/<side>/<step>: reason
# and "browser: N passed, N failed" at the end; exits non-zero if any failed.
# Outputs: work/browser/<side>/{test.out,console.log,consumer.log,NN-page.png,fail-*.png/html}.
#
# Environment:
#   ROCKLET_BIN          rocklet binary (default: <repo>/target/release/rocklet)
#   INTEROP_PORT_BASE    default 19000; uses base+361..base+376:
#                        Java namesrv +361, Java broker +365 (and +363, +366),
#                        rocklet serve namesrv +371, broker +375 (and +373, +376 kept free)
#                        (each console listens on a free port the kernel picks)
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
DOCS=0
if [[ "${1:-}" == --docs ]]; then DOCS=1; shift; fi
FILTER="${1:-}"
ROCKLET_BIN="${ROCKLET_BIN:-$REPO/target/release/rocklet}"
PORT_BASE="${INTEROP_PORT_BASE:-19000}"
WORK="$HERE/work/browser"
VENV="$HERE/target/browser-venv"
SELENIUM_VERSION=4.50.0
T_START=$SECONDS

# shellcheck source=servers.sh
source "$HERE/servers.sh"

declare -A NS BADDR
NS[java]="127.0.0.1:$((PORT_BASE + 361))";    BADDR[java]="127.0.0.1:$((PORT_BASE + 365))"
NS[rocklet]="127.0.0.1:$((PORT_BASE + 371))"; BADDR[rocklet]="127.0.0.1:$((PORT_BASE + 375))"

NPASS=0; NFAIL=0; NSKIP=0
record() { # CELL RESULT DETAIL SECONDS
  local cell="$1" res="$2" det="$3" secs="$4"
  case "$res" in
    PASS) NPASS=$((NPASS + 1)); echo "PASS $cell (${secs}s)${det:+ - $det}" ;;
    SKIP) NSKIP=$((NSKIP + 1)); echo "SKIP $cell: $det" ;;
    *)    NFAIL=$((NFAIL + 1)); echo "FAIL $cell: $det (${secs}s)" ;;
  esac
}
finish() {
  echo "browser: $NPASS passed, $NFAIL failed$( ((NSKIP)) && echo ", $NSKIP skipped") ($((SECONDS - T_START))s)"
  (( NFAIL == 0 ))
  exit $?
}
selected() { [[ -z "$FILTER" || "$1" == *"$FILTER"* ]]; }

SIDES=()
for s in rocklet java; do selected "browser/$s" && SIDES+=("$s"); done
if (( ${#SIDES[@]} == 0 )); then
  echo "browser: 0 passed, 0 failed (nothing matches '$FILTER')"; exit 0
fi
fail_all() { local s; for s in "${SIDES[@]}"; do record "browser/$s" FAIL "$1" $((SECONDS - T_START)); done; finish; }

ROCKLET_PID=""
CONSOLE_PIDS=()
cleanup() {
  local p
  for p in "${CONSOLE_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  rmq_stop "$WORK/servers-java" >/dev/null 2>&1 &
  local js=$!
  if [[ -n "$ROCKLET_PID" ]] && kill -0 "$ROCKLET_PID" 2>/dev/null; then
    kill -TERM "$ROCKLET_PID" 2>/dev/null
    for _ in $(seq 1 25); do kill -0 "$ROCKLET_PID" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$ROCKLET_PID" 2>/dev/null
  fi
  wait "$js" 2>/dev/null
  for p in "${CONSOLE_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
  # the stores (a 1 GiB commit-log file for Rocklet) are of no use after the run; logs are kept
  rm -rf "$WORK/servers-rocklet/store" "$WORK"/servers-java/store-* 2>/dev/null
}
trap cleanup EXIT
trap 'echo "browser.sh: interrupted" >&2; exit 130' INT TERM

########################## what it needs ##########################
echo "== browser: setup"
t0=$SECONDS
if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
  echo "    installing chromium and chromium-driver (apt-get)"
  if ! { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium chromium-driver; } \
       >"$HERE/target/browser-apt.log" 2>&1; then
    fail_all "apt-get install chromium chromium-driver failed; see interop/target/browser-apt.log"
  fi
fi
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c "import selenium, sys; sys.exit(selenium.__version__ != '$SELENIUM_VERSION')" 2>/dev/null; then
  echo "    installing selenium==$SELENIUM_VERSION into ${VENV#"$REPO"/}"
  rm -rf "$VENV"; mkdir -p "$HERE/target"
  if ! { python3 -m venv "$VENV" && "$VENV/bin/pip" install -q "selenium==$SELENIUM_VERSION"; } >"$HERE/target/browser-pip.log" 2>&1; then
    fail_all "could not install selenium==$SELENIUM_VERSION; see interop/target/browser-pip.log"
  fi
fi
if ! "$HERE/setup.sh" >/dev/null; then fail_all "setup.sh failed"; fi
[[ -x "$ROCKLET_BIN" ]] || fail_all "rocklet binary missing ($ROCKLET_BIN)"
echo "    $(/usr/bin/chromium --version 2>/dev/null | head -1), chromedriver $(/usr/bin/chromedriver --version | awk '{print $2}'), selenium $SELENIUM_VERSION ($((SECONDS - t0))s)"

rm -rf "$WORK"
mkdir -p "$WORK/servers-java" "$WORK/servers-rocklet/store"

########################## servers ##########################
t0=$SECONDS
jstart=""
if [[ " ${SIDES[*]} " == *" java "* ]]; then
  { rmq_start_namesrv "${NS[java]##*:}" "$WORK/servers-java" &&
    rmq_start_broker "${NS[java]}" "${BADDR[java]##*:}" broker-a "$WORK/servers-java"; } \
    >"$WORK/servers-java/start.out" 2>&1 &
  jstart=$!
fi
if [[ " ${SIDES[*]} " == *" rocklet "* ]]; then
  RUST_LOG="${RUST_LOG:-info}" nohup "$ROCKLET_BIN" serve --namesrv-port "${NS[rocklet]##*:}" \
    --broker-port "${BADDR[rocklet]##*:}" --store "$WORK/servers-rocklet/store" \
    >"$WORK/servers-rocklet/rocklet.log" 2>&1 </dev/null &
  ROCKLET_PID=$!
fi

# start_console SIDE : `rocklet console` on a free port against SIDE's name server; sets CONSOLE_URL
start_console() {
  local side="$1" out="$WORK/$1/console.log" p url=""
  RUST_LOG=warn "$ROCKLET_BIN" console -n "${NS[$side]}" --port 0 --bind 127.0.0.1 >"$out" 2>&1 </dev/null &
  p=$!
  CONSOLE_PIDS+=("$p")
  for _ in $(seq 1 100); do
    url="$(grep -o 'http://[0-9.:]*' "$out" 2>/dev/null | head -1)"
    [[ -n "$url" ]] && break
    kill -0 "$p" 2>/dev/null || break
    sleep 0.1
  done
  CONSOLE_URL="$url"
  [[ -n "$url" ]]
}

# run_side SIDE : the browser test against SIDE; prints the cell's line(s)
run_side() {
  local side="$1" t1=$SECONDS dir="$WORK/$1"
  mkdir -p "$dir"
  if [[ $side == java && -n "$jstart" ]]; then
    wait "$jstart" || { record "browser/$side" FAIL "Java servers did not start; see work/browser/servers-java/" $((SECONDS - t1)); return; }
  fi
  if ! python3 "$HERE/probe.py" wait-broker "${NS[$side]}" --timeout-sec 30 >"$dir/wait-broker.out" 2>&1; then
    record "browser/$side" FAIL "no broker registered at ${NS[$side]}: $(tail -1 "$dir/wait-broker.out")" $((SECONDS - t1)); return
  fi
  if ! start_console "$side"; then
    record "browser/$side" FAIL "rocklet console did not start: $(tail -3 "$dir/console.log" | tr '\n' ' ')" $((SECONDS - t1)); return
  fi
  echo "== browser/$side: console $CONSOLE_URL, namesrv ${NS[$side]}, broker ${BADDR[$side]}"
  timeout --kill-after=5 150s "$VENV/bin/python" "$HERE/browser_test.py" --console "$CONSOLE_URL" \
    --namesrv "${NS[$side]}" --broker-addr "${BADDR[$side]}" --rocklet "$ROCKLET_BIN" \
    --work "$dir" --shots "$dir" >"$dir/test.out" 2>"$dir/test.err"
  local rc=$?
  sed 's/^/    /' "$dir/test.out"
  local result; result="$(grep '^RESULT ' "$dir/test.out" | tail -1)"
  local step_skips; step_skips="$(sed -n 's/^SKIP \([^:]*\): \(.*\)$/\1\t\2/p' "$dir/test.out")"
  if (( rc == 0 )) && [[ "$result" == "RESULT ok "* ]]; then
    record "browser/$side" PASS "${result#RESULT ok }" $((SECONDS - t1))
  else
    local why; why="$(grep -m1 '^FAIL ' "$dir/test.out" | cut -c6-400)"
    [[ -z "$why" ]] && why="browser_test.py exited $rc$( ((rc == 124 || rc == 137)) && echo ' (timeout)'): $(tail -2 "$dir/test.err" | tr '\n' ' ' | cut -c1-300)"
    record "browser/$side" FAIL "$why; see work/browser/$side/" $((SECONDS - t1))
  fi
  while IFS=$'\t' read -r step why; do
    [[ -n "$step" ]] && record "browser/$side/$step" SKIP "$why" 0
  done <<<"$step_skips"
  if [[ $side == rocklet ]] && (( DOCS )); then
    mkdir -p "$REPO/docs/console"
    rm -f "$REPO"/docs/console/[0-9][0-9]-*.png
    cp -f "$dir"/[0-9][0-9]-*.png "$REPO/docs/console/" 2>/dev/null &&
      echo "    screenshots copied to docs/console/: $(cd "$dir" && ls [0-9][0-9]-*.png | paste -sd' ' -)"
  fi
}

for s in "${SIDES[@]}"; do run_side "$s"; done
echo "== browser: servers and runs ($((SECONDS - t0))s)"
finish
