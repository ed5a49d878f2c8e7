#!/usr/bin/env bash
# emu_rtt.sh LH_EMU — RTT through lh-emu: ping through a profile with one-way delay D = 10 ms each
# way measures 2D + the no-delay baseline (passthrough profile) within 0.5 ms at the median.
source "$(dirname "$0")/emu_lib.sh"
emu_setup "$1"
profiles="$EMU_ROOT/tests/integration/emu_profiles"

emu_start --profile "$profiles/passthrough.toml"
in_a ping -c 3 -i 0.1 -W 2 "$ADDR_B" >/dev/null || true   # ARP
base=$(ping_median 60 0.02)
emu_stop
[[ $EMU_RC == 0 ]] || fail "lh-emu (passthrough) exited with $EMU_RC"

emu_start --profile "$profiles/delay10ms.toml"
in_a ping -c 3 -i 0.1 -W 2 "$ADDR_B" >/dev/null || true
delayed=$(ping_median 60 0.02)
emu_stop
[[ $EMU_RC == 0 ]] || fail "lh-emu (delay10ms) exited with $EMU_RC"

note "baseline median ${base} ms, delayed median ${delayed} ms, expected 20 ms + baseline"
$PY -c "import sys; b,d=float(sys.argv[1]),float(sys.argv[2]); sys.exit(0 if abs(d-(20.0+b))<=0.5 else 1)" "$base" "$delayed" \
  || fail "median RTT ${delayed} ms is not 20 ms + baseline ${base} ms (within 0.5 ms)"
echo "ok: RTT median ${delayed} ms = 20 ms + ${base} ms baseline"
