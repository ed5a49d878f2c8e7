#!/usr/bin/env bash
# emu_live.sh LH_EMU — live changes through the control API while ping runs every 10 ms:
#  1. PATCH /links/a_to_b {"propagation": {"extra": "30ms"}}: the new delay is seen by ping within
#     1 s of the request, and no echo is lost by the change;
#  2. POST /events {"kind": "outage", "duration": "2s"}: the echoes lost form one run of 2 s
#     (+50/-50 ms, from the replies around the gap) and no other echo is lost; lh-emu counts each
#     lost echo (request or reply) as an outage drop;
#  3. a PATCH adding 10 s of delay at line rate, beyond what lh-emu's pools (--max-live-delay 100ms)
#     hold, is refused with 422 naming the largest delay they hold, and the profile is unchanged.
source "$(dirname "$0")/emu_lib.sh"
emu_setup "$1"
command -v curl >/dev/null || { echo "skip: curl missing"; exit 77; }
# A build configured with -Dcontrol=disabled links the stub that refuses --control.
if grep -q "this build has no control API" "$LH_EMU"; then echo "skip: lh-emu built without the control API"; exit 77; fi
emu_start --profile "$EMU_ROOT/tests/integration/emu_profiles/passthrough.toml" --control 127.0.0.1:0 --assume-rate 1gbit --max-live-delay 100ms
port=$(grep -o "control on 127.0.0.1:[0-9]*" "$EMU_WORK/emu.err" | cut -d: -f2)
[[ -n $port ]] || fail "no control address in lh-emu's output"
api="http://127.0.0.1:$port"
in_a ping -c 3 -i 0.1 -W 2 "$ADDR_B" >/dev/null || fail "no connectivity through lh-emu"

# 1. delay change
in_a chrt -f 5 ping -n -D -i 0.01 -c 300 -W 2 "$ADDR_B" >"$EMU_WORK/ping1.txt" &
ping_pid=$!
wait_for 5 grep -q "icmp_seq=50 " "$EMU_WORK/ping1.txt" || fail "ping did not run"
t_patch=$(date +%s.%N)
code=$(curl -s -o "$EMU_WORK/patch.json" -w '%{http_code}' -H 'Content-Type: application/json' -X PATCH "$api/links/a_to_b" -d '{"propagation": {"extra": "30ms"}}')
[[ $code == 200 || $code == 204 ]] || fail "PATCH answered $code: $(cat "$EMU_WORK/patch.json")"
wait $ping_pid || true
$PY - "$EMU_WORK/ping1.txt" "$t_patch" <<'PY'
import re, sys
lines = open(sys.argv[1]).read()
t_patch = float(sys.argv[2])
replies = [(float(t), int(seq), float(rtt)) for t, seq, rtt in
           re.findall(r"\[([\d.]+)\] \d+ bytes from .*?icmp_seq=(\d+) .*?time=([\d.]+) ms", lines)]
seqs = {s for _, s, _ in replies}
missing = [s for s in range(1, 301) if s not in seqs]
sent = [(t - rtt / 1000, rtt) for t, _, rtt in replies]
# On a busy machine a single echo may take 30 ms for other reasons, so the assertion is about the
# last echo that still had the old delay, and that the new delay is there afterwards.
last_fast = max((ts for ts, rtt in sent if rtt < 29.0), default=None)
late_fast = [ts for ts, rtt in sent if rtt < 29.0 and ts > t_patch + 1.0]
slow_after = [ts for ts, rtt in sent if rtt >= 29.0 and ts > t_patch]
print(f"# {len(replies)} replies, missing {missing}, last old-delay echo sent {last_fast - t_patch:.3f} s after PATCH", file=sys.stderr)
if missing:
    sys.exit(f"FAIL: echoes lost across the delay change: {missing}")
if not slow_after:
    sys.exit("FAIL: no echo after the PATCH had the new delay")
if late_fast:
    sys.exit(f"FAIL: {len(late_fast)} echoes sent more than 1 s after the PATCH still had the old delay")
PY
curl -s -H 'Content-Type: application/json' -X PATCH "$api/links/a_to_b" -d '{"propagation": {"extra": "0ms"}}' >/dev/null

# 3. more delay than the pools hold: refused, never silently dropped
before=$(curl -s "$api/profile")
code=$(curl -s -o "$EMU_WORK/big.json" -w '%{http_code}' -H 'Content-Type: application/json' -X PATCH "$api/links/a_to_b" -d '{"propagation": {"extra": "10s"}}')
[[ $code == 422 ]] || fail "a 10 s delay PATCH answered $code: $(cat "$EMU_WORK/big.json")"
grep -q "holds at most .* of delay + queue" "$EMU_WORK/big.json" || fail "the refusal does not name what the pools hold: $(cat "$EMU_WORK/big.json")"
[[ "$(curl -s "$api/profile")" == "$before" ]] || fail "the refused PATCH changed the profile"
echo "ok: $(cat "$EMU_WORK/big.json")"

# 2. outage of 2 s in both directions
in_a chrt -f 5 ping -n -D -i 0.01 -c 500 -W 1 "$ADDR_B" >"$EMU_WORK/ping2.txt" &
ping_pid=$!
wait_for 5 grep -q "icmp_seq=100 " "$EMU_WORK/ping2.txt" || fail "ping did not run"
code=$(curl -s -o "$EMU_WORK/event.json" -w '%{http_code}' -H 'Content-Type: application/json' -X POST "$api/events" -d '{"kind": "outage", "duration": "2s"}')
[[ $code == 200 || $code == 201 || $code == 202 ]] || fail "POST /events answered $code: $(cat "$EMU_WORK/event.json")"
wait $ping_pid || true
emu_stop
[[ $EMU_RC == 0 ]] || fail "lh-emu exited with $EMU_RC"
outage=$(emu_summary 's["directions"]["a_to_b"]["dropped"]["outage"] + s["directions"]["b_to_a"]["dropped"]["outage"]')
$PY - "$EMU_WORK/ping2.txt" "$outage" <<'PY'
import re, sys
lines = open(sys.argv[1]).read()
replies = {int(s): float(t) for t, s in re.findall(r"\[([\d.]+)\] \d+ bytes from .*?icmp_seq=(\d+) ", lines)}
missing = [s for s in range(1, 501) if s not in replies]
if not missing:
    sys.exit("FAIL: no echo was lost during the outage")
runs = [missing[0]]
for a, b in zip(missing, missing[1:]):
    if b != a + 1:
        runs.append(b)
# the window: last reply before the gap to first reply after it, minus one ping interval
before, after = replies.get(missing[0] - 1), replies.get(missing[-1] + 1)
gap = (after - before) if before and after else None
print(f"# lost {len(missing)} echoes (seq {missing[0]}..{missing[-1]}), runs {len(runs)}, gap {gap}, lh-emu outage drops {sys.argv[2]}", file=sys.stderr)
if len(runs) != 1:
    sys.exit(f"FAIL: losses outside the outage window: {missing}")
if gap is None or not 1.95 <= gap - 0.01 <= 2.06:
    sys.exit(f"FAIL: the outage window was {gap} s, not 2 s")
if int(sys.argv[2]) != len(missing):
    sys.exit(f"FAIL: lh-emu counted {sys.argv[2]} outage drops for {len(missing)} lost echoes")
print(f"ok: delay change seen within 1 s, outage lost {len(missing)} echoes in one 2 s window")
PY
