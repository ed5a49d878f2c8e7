#!/usr/bin/env bash
# lab_regress.sh — lh-lab baseline + regress: a baseline recorded on metro-80km (1 Gbit/s) with the
# longhaul transport under its fixed-rate controller at 300 Mbit/s (a steady sender, so the verdict
# does not hinge on this shared machine's noise or on the adaptive controller's run-to-run spread)
# passes when re-run unchanged, and fails with a WORSE diff when the transport is swapped (test hook
# --transport-override) for the same controller at 50 Mbit/s, far below the baseline's slowest repeat.
# Usage: lab_regress.sh LH_LAB LH_EMU LH_XFER
source "$(dirname "$0")/lab_lib.sh"

rc=0
"$LAB" baseline --out "$WORK/base.json" --profiles metro-80km --transports longhaul-fixed:300mbit --size 64MiB --repeat 2 \
  --duration-limit 30s --results "$WORK/res" "${LAB_ARGS[@]}" >"$WORK/base.out" 2>"$WORK/base.err" || rc=$?
[[ $rc -eq 0 ]] || { cat "$WORK/base.err" >&2; fail "baseline exited $rc"; }
$PY - "$WORK/base.json" <<'PY' || fail "baseline file check failed"
import json, sys
b = json.load(open(sys.argv[1]))
assert b["lh_lab_baseline"] == 1 and b["matrix"]["transports"] == ["longhaul-fixed:300mbit"] and b["matrix"]["repeat"] == 2, b
c = b["cells"][0]
assert c["profile"] == "metro-80km" and c["goodput_bps"]["n"] == 2 and c["goodput_bps"]["median"] > 0, c
assert b["metadata"]["created_utc"] and "baseline" in b["metadata"]["how"], b["metadata"]
PY

rc=0
"$LAB" regress --baseline "$WORK/base.json" --tolerance 50% --results "$WORK/res" "${LAB_ARGS[@]}" \
  >"$WORK/same.out" 2>"$WORK/same.err" || rc=$?
cat "$WORK/same.out"
[[ $rc -eq 0 ]] || { cat "$WORK/same.err" >&2; fail "regress of the unchanged transport exited $rc"; }
grep -q "no regression" "$WORK/same.out" || fail "no 'no regression' line"

rc=0
"$LAB" regress --baseline "$WORK/base.json" --tolerance 50% --transport-override longhaul-fixed:300mbit=longhaul-fixed:50mbit \
  --results "$WORK/res" "${LAB_ARGS[@]}" >"$WORK/slow.out" 2>"$WORK/slow.err" || rc=$?
cat "$WORK/slow.out"
[[ $rc -eq 1 ]] || { cat "$WORK/slow.err" >&2; fail "regress of the slowed transport exited $rc, expected 1"; }
grep -q "metro-80km / longhaul-fixed:300mbit .*goodput .*WORSE" "$WORK/slow.out" || fail "no WORSE goodput line in the diff"
grep -q "REGRESSION" "$WORK/slow.out" || fail "no REGRESSION line"
check_no_leftovers
echo "PASS: regress passes unchanged and fails for a slowed transport"
