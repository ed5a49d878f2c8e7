#!/usr/bin/env bash
# bench/emu_departure_capture.sh — lh-emu's departure error measured from outside, next to its own
# histogram. A paced UDP flow (iperf3 -u at a fixed rate) goes A → B through a profile with a fixed
# one-way delay D and no jitter; tcpdump captures it leaving A (netns A, ${P}-a, egress) and
# arriving at B (netns B, ${P}-b, ingress) with nanosecond kernel timestamps (one host clock).
# Packets are matched by IP ID + the first UDP payload bytes (iperf3 puts a per-packet sequence
# number there); the external error is t_B - t_A - D. The same flow through the passthrough
# profile (D = 0) gives the path's own cost (two veths, the vdevs, the stack), printed as the
# baseline: the emulator's share is the difference. lh-emu runs as shipped (--realtime, default
# --idle-sleep); its summary's departure_error_ns (actual - intended TX time) is printed alongside.
#   bench/emu_departure_capture.sh [LH_EMU] [--delay 5ms] [--rate 200M] [--len 1000]
#                                       [--seconds 5] [--mode af_packet|af_xdp]
set -euo pipefail
cd "$(dirname "$0")/.."
lh_emu=build/emulator/dpdk/lh-emu delay=5ms rate=200M len=1000 seconds=5 mode=af_packet
while (($#)); do
  case $1 in
    --delay) delay=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --len) len=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --mode) mode=$2; shift 2 ;;
    -*) echo "capture: unknown option '$1' (expected --delay, --rate, --len, --seconds, --mode)" >&2; exit 2 ;;
    *) lh_emu=$1; shift ;;
  esac
done
[[ $mode == af_packet || $mode == af_xdp ]] || { echo "capture: --mode must be af_packet or af_xdp, got '$mode'" >&2; exit 2; }
[[ $delay =~ ^[0-9]+(us|ms)$ ]] || { echo "capture: --delay must look like 500us or 5ms, got '$delay'" >&2; exit 2; }
[[ $seconds =~ ^[1-9][0-9]*$ ]] || { echo "capture: --seconds must be a positive integer, got '$seconds'" >&2; exit 2; }
[[ -x $lh_emu ]] || { echo "capture: $lh_emu not built (ninja -C build emulator/dpdk/lh-emu)" >&2; exit 1; }
for tool in tcpdump iperf3; do command -v $tool >/dev/null || { echo "capture: $tool missing (apt-get install $tool)" >&2; exit 1; }; done
((EUID == 0)) || { echo "capture: needs root" >&2; exit 1; }
PY=/usr/bin/python3
prefix=lhcap
work=$(mktemp -d /tmp/lh-capture.XXXXXX)
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  for ns in ${prefix}A ${prefix}B; do ip netns pids "$ns" 2>/dev/null | xargs -r kill -9; done
  scripts/topology down --prefix "$prefix" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() {  # wait_for SECONDS CMD...
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do ((SECONDS < deadline)) || return 1; sleep 0.05; done
}
pinged() { ip netns exec ${prefix}A ping -c 1 -W 0.2 10.77.0.2 >/dev/null 2>&1; }
listening() { grep -q "listening on" "$1"; }

cat >"$work/passthrough.toml" <<EOF
[link]
name = "capture-passthrough"
seed = 1
EOF
cat >"$work/delay.toml" <<EOF
[link]
name = "capture-delay-$delay"
seed = 1
[both.propagation]
extra = "$delay"
EOF

run() {  # run LABEL PROFILE: one capture pass; leaves $work/LABEL-{a,b}.pcap and LABEL.out
  local label=$1
  "$lh_emu" -- --profile "$2" --iface-a ${prefix}-ea --iface-b ${prefix}-eb --mode "$mode" --realtime --no-live \
    --stats-interval 0 >"$work/$label.out" 2>"$work/$label.err" &
  local emu=$!
  pids=("$emu")
  wait_for 20 pinged || { tail -5 "$work/$label.err" >&2; echo "capture: no forwarding through lh-emu ($label)" >&2; exit 1; }
  local side ns dev dir
  for side in a b; do
    if [[ $side == a ]]; then ns=${prefix}A dev=${prefix}-a dir=out; else ns=${prefix}B dev=${prefix}-b dir=in; fi
    ip netns exec "$ns" tcpdump -i "$dev" -Q "$dir" -s 96 -n -U --time-stamp-precision nano \
      -w "$work/$label-$side.pcap" "udp and dst port 5299" 2>"$work/$label-$side.log" &
    pids+=($!)
    wait_for 10 listening "$work/$label-$side.log" || { cat "$work/$label-$side.log" >&2; exit 1; }
  done
  ip netns exec ${prefix}B timeout $((seconds + 15)) iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
  local srv=$!
  sleep 0.3
  ip netns exec ${prefix}A timeout $((seconds + 10)) iperf3 -u -c 10.77.0.2 -p 5299 -b "$rate" -l "$len" -t "$seconds" \
    >"$work/$label-iperf.txt" 2>&1 || true
  wait $srv 2>/dev/null || true
  sleep 1     # frames still in flight through the delay line, and what tcpdump has not yet read from its ring
  for p in "${pids[@]:1}"; do kill -INT "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; done
  kill -INT "$emu"; wait "$emu" || true
  pids=()
}

scripts/topology up --prefix "$prefix" --mode "$mode" >/dev/null
run base "$work/passthrough.toml"
run delay "$work/delay.toml"

$PY - "$work" "$delay" "$mode" "$rate" "$len" <<'EOF'
import json, struct, sys
work, delay, mode, rate, length = sys.argv[1:6]
D = int(delay[:-2]) * (1000 if delay.endswith("us") else 1_000_000)

def frames(path):
    """(timestamp ns, key) per frame of a pcap (microsecond or nanosecond magic, Ethernet/IPv4/UDP)."""
    data = open(path, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic not in (0xA1B2C3D4, 0xA1B23C4D):
        sys.exit(f"{path}: not a little-endian pcap")
    scale = 1 if magic == 0xA1B23C4D else 1000
    off, out = 24, []
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack("<IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if len(pkt) < 14 + 20 + 8 or pkt[12:14] != b"\x08\x00":
            continue
        ihl = (pkt[14] & 0x0F) * 4
        ip_id = pkt[18:20]
        payload = pkt[14 + ihl + 8:14 + ihl + 8 + 32]
        out.append((sec * 1_000_000_000 + frac * scale, ip_id + payload))
    return out

def pct(sorted_vals, p):
    return sorted_vals[min(len(sorted_vals) - 1, int(p / 100 * len(sorted_vals)))]

def capture_drops(label):
    import re
    out = []
    for side in "ab":
        m = re.search(r"(\d+) packets? dropped by kernel", open(f"{work}/{label}-{side}.log").read())
        out.append(m.group(1) if m else "?")
    return f"tcpdump kernel drops A {out[0]}, B {out[1]}"

def external(label, d):
    sent = {}
    for t, k in frames(f"{work}/{label}-a.pcap"):
        sent.setdefault(k, t)
    errs, unmatched = [], 0
    for t, k in frames(f"{work}/{label}-b.pcap"):
        if k in sent:
            errs.append(t - sent[k] - d)
        else:
            unmatched += 1
    errs.sort()
    if not errs:
        return f"no matched packets ({len(sent)} sent)"
    us = lambda v: f"{v / 1e3:.1f}"
    return (f"t_B - t_A - D: p50 {us(pct(errs, 50))} us, p90 {us(pct(errs, 90))} us, p99 {us(pct(errs, 99))} us, "
            f"p99.9 {us(pct(errs, 99.9))} us, min {us(errs[0])} us, max {us(errs[-1])} us "
            f"({len(errs)} matched of {len(sent)} sent, {unmatched} unmatched at B; {capture_drops(label)})")

def internal(label):
    try:
        s = json.loads(open(f"{work}/{label}.out").read().strip().splitlines()[-1])
        e = s["directions"]["a_to_b"]["departure_error_ns"]
    except Exception as ex:
        return f"no summary ({ex})"
    if not e["count"]:
        return "no packets"
    return (f"departure error: p50 {e['p50']/1e3:.1f} us, p99 {e['p99']/1e3:.1f} us, p99.9 {e['p999']/1e3:.1f} us, "
            f"max {e['max']/1e3:.1f} us ({e['count']} pkts)")

print(f"# lh-emu departure error, {mode}, UDP {rate}bit/s x {length} B, A -> B")
print(f"baseline (passthrough, D = 0)   external  {external('base', 0)}")
print(f"baseline (passthrough, D = 0)   lh-emu    {internal('base')}")
print(f"delay D = {delay:<21} external  {external('delay', D)}")
print(f"delay D = {delay:<21} lh-emu    {internal('delay')}")
EOF
