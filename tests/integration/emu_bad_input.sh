#!/usr/bin/env bash
# emu_bad_input.sh LH_EMU — bad input gives one clear error line and a non-zero exit; odd frames
# are forwarded or counted, never a crash:
#  - a profile with an unknown key; no ports (a vdev on an interface that does not exist);
#    a bandwidth-delay product larger than -m (the message says how much is needed);
#  - runts, non-IP, garbage, truncated/odd IP headers, VLAN, IPv6, a jumbo frame through lh-emu
#    (MTU 9000): lh-emu keeps running, counts every frame in, and exits cleanly with no leak.
source "$(dirname "$0")/emu_lib.sh"
LH_EMU=$1
profiles="$(dirname "$0")/emu_profiles"

expect_error() {  # expect_error PATTERN ARGS...: non-zero exit, last stderr line starts with lh-emu: and matches
  local pattern=$1; shift
  local rc=0
  "$LH_EMU" "$@" >/dev/null 2>"$EMU_WORK/err.txt" || rc=$?
  local last
  last=$(grep -v '^$' "$EMU_WORK/err.txt" | tail -1)
  ((rc != 0)) || fail "expected a non-zero exit for: $*"
  [[ $last == lh-emu:* ]] || fail "last error line does not start with 'lh-emu:': $last"
  grep -qE -- "$pattern" <<<"$last" || fail "error line does not match /$pattern/: $last"
  note "ok ($rc): $last"
}

emu_setup "$LH_EMU" --mtu 9000
expect_error 'bad_key.toml:6.*distnce.*did you mean "distance"' -- --profile "$profiles/bad_key.toml"
expect_error 'profile: .*no_such.toml' -- --profile "$profiles/no_such.toml"
expect_error 'unknown|builtin|known' -- --builtin no-such-profile
expect_error 'found 0 ports' --no-huge -m 256 --no-pci --file-prefix "$EMU_PREFIX-p" \
  --vdev net_af_packet0,iface=${EMU_PREFIX}nx0 --vdev net_af_packet1,iface=${EMU_PREFIX}nx1 -- --builtin metro-80km
expect_error 'needs [0-9]+ MiB .* -m gives 256 MiB' --no-huge -m 256 --no-pci --file-prefix "$EMU_PREFIX-m" -- \
  --profile "$profiles/huge_bdp.toml" --iface-a "$IF_EA" --iface-b "$IF_EB"
expect_error 'needs [0-9]+ MiB .*only [0-9]+ MiB are available' -- --profile "$profiles/absurd_bdp.toml" \
  --iface-a "$IF_EA" --iface-b "$IF_EB"
expect_error '--stats-interval' -- --builtin metro-80km --stats-interval 5
expect_error 'exactly one of' -- --iface-a "$IF_EA" --iface-b "$IF_EB"

# Odd frames through a running lh-emu.
emu_start --profile "$profiles/passthrough.toml" --mtu 9000
in_a ping -c 2 -i 0.1 -W 2 -s 8000 -M do "$ADDR_B" >/dev/null || fail "jumbo ping (8000 B, DF) did not pass"
sent=$(in_a $PY "$(dirname "$0")/emu_frames.py" "${EMU_PREFIX}-a")
wait_for 5 bash -c "[[ \$(ip -s -j link show $IF_EA | $PY -c 'import json,sys; print(json.load(sys.stdin)[0][\"stats64\"][\"rx\"][\"packets\"])') -ge $sent ]]" \
  || fail "the frames did not reach $IF_EA"
kill -0 "$EMU_PID" || fail "lh-emu died on odd frames"
in_a ping -c 2 -i 0.1 -W 2 "$ADDR_B" >/dev/null || fail "lh-emu stopped forwarding after odd frames"
emu_stop
[[ $EMU_RC == 0 ]] || fail "lh-emu exited with $EMU_RC after odd frames"
got=$(emu_summary 's["directions"]["a_to_b"]["packets_in"]')
out=$(emu_summary 's["directions"]["a_to_b"]["packets_out"] + s["directions"]["a_to_b"]["dropped_total"]')
leaked=$(emu_summary 's["directions"]["a_to_b"]["mempool"]["leaked"] + s["directions"]["b_to_a"]["mempool"]["leaked"]')
note "sent $sent odd frames; lh-emu a_to_b in $got, out+dropped $out, leaked $leaked"
((got >= sent)) || fail "lh-emu counted $got frames in, fewer than the $sent odd frames sent"
((out == got)) || fail "frames in ($got) != out + dropped ($out)"
((leaked == 0)) || fail "$leaked mbufs leaked"
echo "ok: bad input refused with one line each; $sent odd frames forwarded or counted"
