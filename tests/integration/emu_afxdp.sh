#!/usr/bin/env bash
# emu_afxdp.sh LH_EMU — TCP through lh-emu on af_xdp vdevs with a 10 ms one-way delay completes.
# With a delay the delay queue holds thousands of received frames, so the mbuf pool hands out its
# deep objects; a pool laid out beyond the UMEM the af_xdp PMD registers (issue 3) made the kernel
# drop those descriptors: RX starved, then stalled for good, and TX frames leaked. Asserts: a 32 MiB
# transfer finishes within its deadline, both directions' frames were forwarded, the af_xdp pair
# shares one pool, and lh-emu's exit leak check is clean (exit 0, leaked 0).
source "$(dirname "$0")/emu_lib.sh"
emu_setup "$1" --mode af_xdp
profiles="$EMU_ROOT/tests/integration/emu_profiles"
command -v timeout >/dev/null || { echo "skip: timeout missing"; exit 77; }

emu_start --profile "$profiles/delay10ms.toml" --mode af_xdp
wait_for 10 in_a ping -c 1 -W 1 "$ADDR_B" >/dev/null || fail "no ping through lh-emu (af_xdp)"
in_b timeout 20 iperf3 -s -1 -p 5299 >/dev/null 2>&1 &
server=$!
listening() { in_b ss -ltn "sport = :5299" | grep -q 5299; }
wait_for 5 listening || fail "iperf3 server in $NS_B did not start"
in_a timeout 12 iperf3 -c "$ADDR_B" -p 5299 -n 32M -J >"$EMU_WORK/iperf.json" 2>&1 \
  || fail "32 MiB over TCP did not complete within 12 s through af_xdp with 10 ms delay (stall?): $(tail -c 300 "$EMU_WORK/iperf.json")"
wait "$server" || true
# iperf3 exits 0 only once all -n bytes were sent and the connection closed (TCP: acknowledged).
sent=$($PY -c "import json,sys; print(int(json.load(open(sys.argv[1]))['end']['sum_sent']['bytes']))" "$EMU_WORK/iperf.json")
((sent >= 32 * 1024 * 1024)) || fail "sent $sent bytes, expected 32 MiB"
emu_stop
[[ $EMU_RC == 0 ]] || fail "lh-emu exited with $EMU_RC (3 = leaked mbufs): $(tail -c 600 "$EMU_WORK/emu.out")"
leaked=$(emu_summary "sum(d['mempool']['leaked'] for d in s['directions'].values())")
[[ $leaked == 0 ]] || fail "leaked $leaked mbufs"
shared=$(emu_summary "all(d['mempool']['shared_with_pair'] for d in s['directions'].values())")
[[ $shared == True ]] || fail "the af_xdp pair does not share one pool"
out_ab=$(emu_summary "s['directions']['a_to_b']['packets_out']")
out_ba=$(emu_summary "s['directions']['b_to_a']['packets_out']")
((out_ab > 20000 && out_ba > 0)) || fail "forwarded a_to_b $out_ab, b_to_a $out_ba frames; expected > 20000 and > 0"
echo "ok: 32 MiB TCP through af_xdp with 10 ms delay; a_to_b $out_ab frames, b_to_a $out_ba, leaked 0"
