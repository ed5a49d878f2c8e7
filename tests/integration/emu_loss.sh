#!/usr/bin/env bash
# emu_loss.sh LH_EMU — Bernoulli loss through lh-emu: UDP at a fixed rate (iperf3 -u, 12 Mbit/s of
# 1000-byte datagrams for 5 s, 4 MB socket buffers) through a 5% a_to_b loss profile loses a fraction inside the binomial
# 99.9% interval, as measured by the receiver; lh-emu's own loss counter agrees (within 0.5% of n).
source "$(dirname "$0")/emu_lib.sh"
emu_setup "$1"
emu_start --profile "$EMU_ROOT/tests/integration/emu_profiles/loss5.toml"
in_a ping -c 3 -i 0.1 -W 2 "$ADDR_B" >/dev/null 2>&1 || true   # ARP (pings may be lost too)
in_b iperf3 -s -1 -p 5211 >/dev/null 2>&1 &
wait_for 10 bash -c "ip netns exec $NS_B ss -ltn | grep -q ':5211'" || fail "iperf3 server did not start"
in_a iperf3 -c "$ADDR_B" -p 5211 -u -b 12M -l 1000 -t 5 -w 4M -J >"$EMU_WORK/udp.json" || fail "iperf3 -u failed"
emu_stop
[[ $EMU_RC == 0 ]] || fail "lh-emu exited with $EMU_RC"
emu_drops=$(emu_summary 's["directions"]["a_to_b"]["dropped"]["loss"]')
$PY - "$EMU_WORK/udp.json" "$emu_drops" <<'PY'
import json, math, sys
j = json.load(open(sys.argv[1]))
s = j["end"]["sum"]
n, lost = s["packets"], s["lost_packets"]
p = 0.05
z = 3.2905  # two-sided 99.9%
sd = math.sqrt(n * p * (1 - p))
lo, hi = n * p - z * sd, n * p + z * sd
emu = int(sys.argv[2])
print(f"# sent {n} datagrams, receiver lost {lost} ({lost / n:.4%}), lh-emu loss drops {emu}; 99.9% interval [{lo:.0f}, {hi:.0f}]", file=sys.stderr)
if n < 5000:
    sys.exit(f"FAIL: only {n} datagrams were sent")
if not lo <= lost <= hi:
    sys.exit(f"FAIL: {lost} lost of {n} is outside the binomial 99.9% interval [{lo:.0f}, {hi:.0f}] for p = 5%")
# iperf3 counts losses from sequence gaps (a loss after the last datagram received is not seen) and
# the kernel may drop a few on its own, so the two counts agree only closely.
if not lo <= emu <= hi or abs(emu - lost) > 0.005 * n:
    sys.exit(f"FAIL: lh-emu counted {emu} loss drops (receiver saw {lost})")
print(f"ok: {lost}/{n} lost, inside [{lo:.0f}, {hi:.0f}]")
PY
