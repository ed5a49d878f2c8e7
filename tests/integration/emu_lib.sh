# emu_lib.sh — shared steps of the lh-emu integration tests (sourced, not run).
#
# Each test gets its own namespaces (a random prefix via scripts/topology --prefix), starts lh-emu
# on them with af_packet vdevs, and removes everything with a trap. Waits are on conditions with a
# deadline, never fixed sleeps. Needs root; without it the test is skipped (exit 77).
# Usage: source emu_lib.sh; emu_setup LH_EMU_BINARY; emu_start PROFILE [lh-emu args]; ...
set -euo pipefail

EMU_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }

emu_setup() {  # emu_setup LH_EMU [topology args]
  LH_EMU=$1; shift
  if ((EUID != 0)); then echo "skip: needs root (network namespaces)"; exit 77; fi
  for tool in ip ping iperf3 ethtool; do command -v "$tool" >/dev/null || { echo "skip: $tool missing"; exit 77; }; done
  EMU_PREFIX="e$(printf '%05d' $((RANDOM % 100000)))"
  EMU_WORK=$(mktemp -d "/tmp/lh-emu-test.XXXXXX")
  EMU_PID=""
  trap emu_cleanup EXIT
  trap 'exit 130' INT TERM
  "$EMU_ROOT/scripts/topology" up --prefix "$EMU_PREFIX" "$@" >/dev/null
  NS_A=${EMU_PREFIX}A NS_B=${EMU_PREFIX}B
  IF_EA=${EMU_PREFIX}-ea IF_EB=${EMU_PREFIX}-eb
  ADDR_A=10.77.0.1 ADDR_B=10.77.0.2
}

emu_cleanup() {
  set +e
  emu_stop >/dev/null 2>&1
  for ns in "${NS_A:-}" "${NS_B:-}"; do
    [[ -n $ns ]] && ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
  done
  [[ -n ${EMU_PREFIX:-} ]] && "$EMU_ROOT/scripts/topology" down --prefix "$EMU_PREFIX" >/dev/null 2>&1
  [[ -n ${EMU_WORK:-} ]] && rm -rf "$EMU_WORK"
}

# wait_for SECONDS CMD...: polls CMD every 50 ms until it succeeds or the deadline passes.
wait_for() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.05
  done
}

emu_running() { grep -q "running profile" "$EMU_WORK/emu.err"; }

# emu_start PROFILE_ARGS... : starts lh-emu on the test's interfaces (af_packet) and waits until it runs.
emu_start() {
  "$LH_EMU" -- "$@" --iface-a "$IF_EA" --iface-b "$IF_EB" --no-live --realtime >"$EMU_WORK/emu.out" 2>"$EMU_WORK/emu.err" &
  EMU_PID=$!
  if ! wait_for 20 emu_running; then
    cat "$EMU_WORK/emu.err" >&2
    fail "lh-emu did not start"
  fi
  kill -0 "$EMU_PID" || fail "lh-emu exited"
}

# emu_stop: SIGINT, waits for the summary; sets EMU_RC.
emu_stop() {
  [[ -n ${EMU_PID:-} ]] || return 0
  kill -INT "$EMU_PID" 2>/dev/null || true
  EMU_RC=0
  wait "$EMU_PID" || EMU_RC=$?
  EMU_PID=""
}

# emu_summary EXPR: evaluates a Python expression over the summary JSON `s` (last line of stdout).
emu_summary() {
  $PY -c "import json,sys; s=json.loads(open(sys.argv[1]).read().strip().splitlines()[-1]); print($1)" "$EMU_WORK/emu.out"
}

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }

# ping_median COUNT INTERVAL: median RTT in ms of COUNT pings from A to B.
ping_median() {
  in_a chrt -f 5 ping -n -c "$1" -i "$2" -W 2 "$ADDR_B" | $PY -c '
import re, statistics, sys
rtts = [float(m.group(1)) for m in re.finditer(r"time=([\d.]+) ms", sys.stdin.read())]
print(statistics.median(rtts) if rtts else "nan")'
}
