#!/usr/bin/env bash
# bench/emu_vs_testpmd.sh — lh-emu's forwarding cost against dpdk-testpmd (io forwarding) on the same
# vdevs, same lcores, same netns topology, in one run: TCP throughput (iperf3, one flow, a few
# seconds) through testpmd, through lh-emu with no impairment (passthrough profile) and with every
# stage on (tests/integration/emu_profiles/every_stage.toml), for af_xdp and af_packet. Prints the
# ratios (targets: >= 0.95x testpmd with no impairment, >= 0.90x with every stage on) and lh-emu's
# departure-error percentiles (actual - intended TX time) from its summary histogram.
# Both forwarders run their forwarding lcore SCHED_FIFO so other load on the machine hits both alike.
#   sudo bench/emu_vs_testpmd.sh [LH_EMU] [--seconds N] [--modes "af_xdp af_packet"]
set -euo pipefail
cd "$(dirname "$0")/.."
lh_emu=build/emulator/dpdk/lh-emu seconds=4 modes="af_xdp af_packet"
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    *) lh_emu=$1; shift ;;
  esac
done
[[ -x $lh_emu ]] || { echo "bench: $lh_emu not built (ninja -C build emulator/dpdk/lh-emu)" >&2; exit 1; }
command -v dpdk-testpmd >/dev/null || { echo "bench: dpdk-testpmd missing (apt-get install dpdk-dev)" >&2; exit 1; }
((EUID == 0)) || { echo "bench: needs root" >&2; exit 1; }
PY=/usr/bin/python3
prefix=lhbench
work=$(mktemp -d /tmp/lh-bench.XXXXXX)
fwd_pid=""
cleanup() {
  set +e
  [[ -n $fwd_pid ]] && kill -INT "$fwd_pid" 2>/dev/null && wait "$fwd_pid" 2>/dev/null
  for ns in ${prefix}A ${prefix}B; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -9; done
  scripts/topology down --prefix "$prefix" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

vdevs() {  # vdevs MODE
  if [[ $1 == af_xdp ]]; then echo "--vdev net_af_xdp0,iface=${prefix}-ea --vdev net_af_xdp1,iface=${prefix}-eb"
  else echo "--vdev net_af_packet0,iface=${prefix}-ea,framecnt=8192,qdisc_bypass=1 --vdev net_af_packet1,iface=${prefix}-eb,framecnt=8192,qdisc_bypass=1"; fi
}

wait_ping() {
  for _ in $(seq 100); do
    ip netns exec ${prefix}A ping -c 1 -W 0.2 10.77.0.2 >/dev/null 2>&1 && return 0
  done
  return 1
}

iperf() {  # iperf LABEL → Gbit/s on stdout
  ip netns exec ${prefix}B timeout $((seconds + 15)) iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
  local spid=$!
  sleep 0.3
  ip netns exec ${prefix}A timeout $((seconds + 10)) iperf3 -c 10.77.0.2 -p 5299 -t "$seconds" -O 1 -J >"$work/$1.json" 2>/dev/null || true
  wait $spid 2>/dev/null || true
  $PY - "$work/$1.json" <<'EOF'
import json, sys
try:
    print("%.3f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))
except Exception:
    print("0")
EOF
}

run_testpmd() {  # run_testpmd MODE
  # testpmd forwards until its stdin closes: give it a FIFO that this script holds open.
  [[ -p $work/stdin ]] || mkfifo "$work/stdin"
  exec 3<>"$work/stdin"
  # shellcheck disable=SC2046
  chrt -f 10 dpdk-testpmd -l 0-1 --no-huge -m 1024 --no-pci --file-prefix lhbench-tp $(vdevs "$1") \
    -- --forward-mode=io --auto-start --stats-period 0 --total-num-mbufs=16384 <"$work/stdin" >"$work/testpmd-$1.log" 2>&1 &
  fwd_pid=$!
  wait_ping || { echo "bench: no forwarding through testpmd ($1)" >&2; tail -5 "$work/testpmd-$1.log" >&2; }
  iperf "testpmd-$1"
  exec 3>&-
  kill -INT "$fwd_pid" 2>/dev/null; wait "$fwd_pid" 2>/dev/null || true
  fwd_pid=""
}

run_emu() {  # run_emu MODE PROFILE LABEL
  # shellcheck disable=SC2046
  "$lh_emu" -l 0-1 --no-huge -m 1024 --no-pci --file-prefix lhbench-emu $(vdevs "$1") -- --profile "$2" \
    --realtime --no-live --stats-interval 0 >"$work/$3.out" 2>"$work/$3.err" &
  fwd_pid=$!
  wait_ping || { echo "bench: no forwarding through lh-emu ($3)" >&2; tail -3 "$work/$3.err" >&2; }
  iperf "$3"
  kill -INT "$fwd_pid"; wait "$fwd_pid" || true
  fwd_pid=""
}

printf '%-10s %10s %12s %12s %8s %8s\n' mode testpmd emu-none emu-every none/tp every/tp
for mode in $modes; do
  scripts/topology up --prefix "$prefix" --mode "$mode" >/dev/null
  for ns in ${prefix}A ${prefix}B; do
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_rmem="4096 131072 16777216" net.ipv4.tcp_wmem="4096 16384 16777216"
  done
  tp=$(run_testpmd "$mode")
  none=$(run_emu "$mode" tests/integration/emu_profiles/passthrough.toml "emu-none-$mode")
  every=$(run_emu "$mode" tests/integration/emu_profiles/every_stage.toml "emu-every-$mode")
  $PY - "$mode" "$tp" "$none" "$every" <<'EOF'
import sys
mode, tp, none, every = sys.argv[1], *map(float, sys.argv[2:])
r = lambda x: f"{x / tp:.3f}" if tp > 0 else "n/a"
print(f"{mode:<10} {tp:>7.3f} Gb {none:>9.3f} Gb {every:>9.3f} Gb {r(none):>8} {r(every):>8}")
EOF
  for label in "emu-none-$mode" "emu-every-$mode"; do
    $PY - "$work/$label.out" "$label" <<'EOF'
import json, sys
try:
    s = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
except Exception:
    sys.exit(f"  {sys.argv[2]}: no summary")
for name, d in s["directions"].items():
    e = d["departure_error_ns"]
    if e["count"]:
        print(f"  {sys.argv[2]} {name}: departure error p50 {e['p50']/1e3:.1f} us, p99 {e['p99']/1e3:.1f} us, "
              f"p99.9 {e['p999']/1e3:.1f} us, max {e['max']/1e3:.1f} us ({e['count']} pkts); "
              f"drops {d['dropped_total']}, leaked {d['mempool']['leaked']}")
EOF
  done
  scripts/topology down --prefix "$prefix" >/dev/null
done
