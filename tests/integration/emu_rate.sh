#!/usr/bin/env bash
# emu_rate.sh LH_EMU — rate through lh-emu: one TCP flow (iperf3, 5 s) through a 200 Mbit/s
# bottleneck reaches >= 90% and <= 101% of it. The bottleneck counts whole frames plus 24 B of wire
# overhead, so the reference for TCP goodput is 200 Mbit/s x 1448/1538 (payload of a full frame).
source "$(dirname "$0")/emu_lib.sh"
emu_setup "$1"
for ns in "$NS_A" "$NS_B"; do ip netns exec "$ns" sysctl -qw net.ipv4.tcp_rmem="4096 131072 16777216" net.ipv4.tcp_wmem="4096 16384 16777216"; done
emu_start --profile "$EMU_ROOT/tests/integration/emu_profiles/rate200.toml"
in_a ping -c 2 -i 0.1 -W 2 "$ADDR_B" >/dev/null || fail "no connectivity through lh-emu"
in_b iperf3 -s -1 -p 5212 >/dev/null 2>&1 &
wait_for 10 bash -c "ip netns exec $NS_B ss -ltn | grep -q ':5212'" || fail "iperf3 server did not start"
in_a iperf3 -c "$ADDR_B" -p 5212 -t 5 -O 1 -J >"$EMU_WORK/tcp.json" || fail "iperf3 failed"
emu_stop
[[ $EMU_RC == 0 ]] || fail "lh-emu exited with $EMU_RC"
$PY - "$EMU_WORK/tcp.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
got = j["end"]["sum_received"]["bits_per_second"]
ref = 200e6 * 1448 / 1538
ratio = got / ref
print(f"# goodput {got / 1e6:.1f} Mbit/s, reference {ref / 1e6:.1f} Mbit/s, ratio {ratio:.3f}", file=sys.stderr)
if not 0.90 <= ratio <= 1.01:
    sys.exit(f"FAIL: TCP goodput {got / 1e6:.1f} Mbit/s is {ratio:.3f} of the 200 Mbit/s bottleneck's goodput (want 0.90..1.01)")
print(f"ok: {got / 1e6:.1f} Mbit/s = {ratio:.3f} of the bottleneck")
PY
