#!/usr/bin/env bash
# bench/emu_vs_testpmd.sh — lh-emu's forwarding cost against dpdk-testpmd (io forwarding) on the same
# vdevs, same lcores, same netns topology, in one run: TCP throughput (iperf3, one flow, a few
# seconds) through testpmd, through lh-emu with no impairment (passthrough profile) and with every
# stage on (tests/integration/emu_profiles/every_stage.toml), for af_xdp and af_packet. Prints the
# ratios (targets: >= 0.95x testpmd with no impairment, >= 0.90x with every stage on) and lh-emu's
# departure-error percentiles (actual - intended TX time) from its summary histogram.
#
# Fairness: testpmd can only busy-poll, so lh-emu is compared busy-polling too (--idle-sleep 0), and
# both forwarders run under the same scheduling policy, one row per policy (--sched):
#   fifo   both forwarding lcores SCHED_FIFO 10 (lh-emu --realtime; testpmd's worker thread via
#          chrt -p once it forwards): both are frozen alike by the kernel's RT throttling
#          (sched_rt_runtime_us, 50 ms of every second by default)
#   other  both SCHED_OTHER at nice 0: both compete alike with iperf3 and the kernel for the 2 cores
# lh-emu's shipped default (SCHED_FIFO with --idle-sleep 50us, which sleeps when idle and so escapes
# RT throttling) is shown in the extra column emu-idle; its ratio is NOT like for like (testpmd has no
# idle mode). Each figure is the median of --repeat runs (the machine is shared and noisy).
#   bench/emu_vs_testpmd.sh [LH_EMU] [--seconds N] [--repeat N] [--modes "af_xdp af_packet"]
#                                [--sched "fifo other"]
set -euo pipefail
cd "$(dirname "$0")/.."
lh_emu=build/emulator/dpdk/lh-emu seconds=4 repeat=3 modes="af_xdp af_packet" scheds="fifo other"
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --modes) modes=$2; shift 2 ;;
    --sched) scheds=$2; shift 2 ;;
    -*) echo "bench: unknown option '$1' (expected --seconds, --repeat, --modes, --sched)" >&2; exit 2 ;;
    *) lh_emu=$1; shift ;;
  esac
done
for s in $scheds; do [[ $s == fifo || $s == other ]] || { echo "bench: --sched takes fifo and/or other, got '$s'" >&2; exit 2; }; done
[[ $repeat =~ ^[1-9][0-9]*$ ]] || { echo "bench: --repeat must be a positive integer, got '$repeat'" >&2; exit 2; }
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

set_fifo_worker() {  # set_fifo_worker PID: SCHED_FIFO 10 on the process's DPDK worker-lcore threads
  local t
  for t in /proc/"$1"/task/*; do
    [[ $(cat "$t/comm" 2>/dev/null) == *worker* ]] && chrt -f -p 10 "${t##*/}" >/dev/null
  done
  return 0
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

run_testpmd() {  # run_testpmd MODE SCHED LABEL
  # testpmd forwards until its stdin closes: give it a FIFO that this script holds open.
  [[ -p $work/stdin ]] || mkfifo "$work/stdin"
  exec 3<>"$work/stdin"
  # shellcheck disable=SC2046
  nice -n 0 dpdk-testpmd -l 0-1 --no-huge -m 1024 --no-pci --file-prefix lhbench-tp $(vdevs "$1") \
    -- --forward-mode=io --auto-start --stats-period 0 --total-num-mbufs=16384 <"$work/stdin" >"$work/$3.log" 2>&1 &
  fwd_pid=$!
  if wait_ping; then
    # fifo: SCHED_FIFO 10 on the forwarding lcore's thread only, as lh-emu --realtime does for its
    # worker. (chrt on the whole process also made testpmd's main lcore, which busy-waits for link
    # status at start-up, a FIFO spinner: both cores taken, and start-up took longer than wait_ping.)
    [[ $2 == fifo ]] && set_fifo_worker "$fwd_pid"
    iperf "$3"
  else
    echo "bench: no forwarding through testpmd ($3); run left out" >&2; tail -3 "$work/$3.log" >&2; echo nan
  fi
  exec 3>&-
  kill -INT "$fwd_pid" 2>/dev/null; wait "$fwd_pid" 2>/dev/null || true
  fwd_pid=""
}

run_emu() {  # run_emu MODE PROFILE LABEL SCHED|idle
  local args=(--idle-sleep 0) pre=""
  case $4 in
    fifo) args+=(--realtime) ;;     # lh-emu sets SCHED_FIFO 10 on its worker itself, as chrt -f 10 does
    other) pre="nice -n 0" ;;
    idle) args=(--realtime) ;;      # the shipped default: SCHED_FIFO worker with --idle-sleep 50us
  esac
  # shellcheck disable=SC2046,SC2086
  $pre "$lh_emu" -l 0-1 --no-huge -m 1024 --no-pci --file-prefix lhbench-emu $(vdevs "$1") -- --profile "$2" \
    "${args[@]}" --no-live --stats-interval 0 >"$work/$3.out" 2>"$work/$3.err" &
  fwd_pid=$!
  if wait_ping; then iperf "$3"; else
    echo "bench: no forwarding through lh-emu ($3); run left out" >&2; tail -3 "$work/$3.err" >&2; echo nan
  fi
  kill -INT "$fwd_pid"; wait "$fwd_pid" || true
  fwd_pid=""
}

# Median of the runs that forwarded at all ("nan": the forwarder never passed a ping; a stall is 0).
median() {
  printf '%s\n' "$@" | grep -v nan | sort -g |
    awk '{v[NR]=$1} END {if (NR == 0) print "nan"; else print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'
}

departure_lines() {  # departure_lines LABEL: lh-emu's own departure-error histogram from its summary
  $PY - "$work/$1.out" "$1" <<'EOF'
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
}

echo "# $(date -u +%FT%TZ) seconds=$seconds repeat=$repeat (median) load: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-10s %-6s %10s %12s %12s %8s %8s %12s\n' mode sched testpmd emu-none emu-every none/tp every/tp emu-idle
for mode in $modes; do
  scripts/topology up --prefix "$prefix" --mode "$mode" >/dev/null
  for ns in ${prefix}A ${prefix}B; do
    ip netns exec "$ns" sysctl -qw net.ipv4.tcp_rmem="4096 131072 16777216" net.ipv4.tcp_wmem="4096 16384 16777216"
  done
  idle_runs=()
  for sched in $scheds; do
    tp_runs=() none_runs=() every_runs=()
    for r in $(seq "$repeat"); do
      # Interleaved, so a burst of background load hits all three alike.
      tp_runs+=("$(run_testpmd "$mode" "$sched" "tp-$mode-$sched-$r")")
      none_runs+=("$(run_emu "$mode" tests/integration/emu_profiles/passthrough.toml "emu-none-$mode-$sched-$r" "$sched")")
      every_runs+=("$(run_emu "$mode" tests/integration/emu_profiles/every_stage.toml "emu-every-$mode-$sched-$r" "$sched")")
      if [[ $sched == "${scheds%% *}" ]]; then
        idle_runs+=("$(run_emu "$mode" tests/integration/emu_profiles/passthrough.toml "emu-idle-$mode-$r" idle)")
      fi
    done
    idle=$(median "${idle_runs[@]}")
    $PY - "$mode" "$sched" "$(median "${tp_runs[@]}")" "$(median "${none_runs[@]}")" "$(median "${every_runs[@]}")" \
      "$idle" "${tp_runs[*]}" "${none_runs[*]}" "${every_runs[*]}" <<'EOF'
import sys
mode, sched = sys.argv[1:3]
tp, none, every, idle = map(float, sys.argv[3:7])
r = lambda x: f"{x / tp:.3f}" if tp > 0 and x == x else "n/a"
print(f"{mode:<10} {sched:<6} {tp:>7.3f} Gb {none:>9.3f} Gb {every:>9.3f} Gb {r(none):>8} {r(every):>8} {idle:>9.3f} Gb")
print(f"  runs (Gbit/s): testpmd [{sys.argv[7]}] emu-none [{sys.argv[8]}] emu-every [{sys.argv[9]}]")
EOF
    departure_lines "emu-none-$mode-$sched-$repeat"
    departure_lines "emu-every-$mode-$sched-$repeat"
  done
  scripts/topology down --prefix "$prefix" >/dev/null
done
