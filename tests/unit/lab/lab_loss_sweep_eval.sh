#!/usr/bin/env bash
# lab_loss_sweep_eval.sh — bench/lab_loss_sweep.sh --evaluate judges issue 5's targets from a
# results.jsonl: a hand-made run that meets every target passes (exit 0, one PASS line per target
# and point, the Mathis bound beside CUBIC); the same run with longhaul slow at p = 1e-2 and CUBIC
# missing at p = 1e-3 fails exactly those targets (exit 1). No processes beyond python3; no root.
# Usage: lab_loss_sweep_eval.sh PATH/TO/bench/lab_loss_sweep.sh
set -euo pipefail
script=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

# rows MODE: good | bad. Goodput in Mbit/s per (model, p): longhaul, cubic, bbr.
make_rows() {
  /usr/bin/python3 - "$1" <<'PY'
import json, sys
bad = sys.argv[1] == "bad"
pts = [("bernoulli", 0, 480, 450, 400), ("bernoulli", 1e-4, 475, 30, 420), ("bernoulli", 1e-3, 470, 9, 380),
       ("bernoulli", 1e-2, 300 if bad else 460, 3, 200), ("gilbert-elliott", 1e-2, 455, 2, 300)]
for model, p, lh, cu, bb in pts:
    for t, g in (("longhaul", lh), ("tcp-cubic", cu), ("tcp-bbr", bb)):
        if bad and t == "tcp-cubic" and p == 1e-3:
            continue
        label = f"wan-500mbit-50ms {'ge-' if model != 'bernoulli' else ''}loss={p:g}"
        print(json.dumps({"profile": label, "transport": t, "ok": True, "complete": t != "tcp-cubic" or p == 0,
                          "rate_bps": 500e6, "rtt_ms": 50.0, "sweep_loss": p, "sweep_loss_model": model,
                          "summary": {"bits_per_second": g * 1e6, "seconds": 9.0}}))
PY
}
mkdir -p "$work/good" "$work/bad"
make_rows good >"$work/good/results.jsonl"
make_rows bad >"$work/bad/results.jsonl"

rc=0
"$script" --evaluate "$work/good" >"$work/good.out" 2>&1 || rc=$?
cat "$work/good.out"
[[ $rc -eq 0 ]] || fail "all-good run exited $rc"
[[ $(grep -c "^PASS" "$work/good.out") -eq 13 ]] || fail "expected 13 PASS lines (5 T1, T2, 3 T3, T4, 3 T5)"
! grep -q '^FAIL' "$work/good.out" || fail "a FAIL line in the all-good run"
grep -q 'T2 longhaul >= 30 x CUBIC at p=1e-3: 470.0 Mbit/s vs CUBIC 9.0\* Mbit/s = 52.2x' "$work/good.out" || fail "T2 figures"
grep -q 'T5 CUBIC near Mathis at p=0.001: CUBIC 9.0\* Mbit/s vs Mathis 9.0 Mbit/s' "$work/good.out" || fail "Mathis figure"
grep -q 'T1 longhaul >= 0.9 x (1-p) x bottleneck at GE p=0.01: 455.0 Mbit/s vs >= 445.5 Mbit/s' "$work/good.out" || fail "T1 GE figures"

rc=0
"$script" --evaluate "$work/bad" >"$work/bad.out" 2>&1 || rc=$?
cat "$work/bad.out"
[[ $rc -eq 1 ]] || fail "the failing run exited $rc, expected 1"
grep -q '^FAIL  T1 longhaul >= 0.9 x (1-p) x bottleneck at p=0.01: 300.0 Mbit/s' "$work/bad.out" || fail "no T1 FAIL at p=0.01"
grep -q '^FAIL  T2 .*missing' "$work/bad.out" || fail "no T2 FAIL for the missing CUBIC cell"
grep -q '^FAIL  T5 CUBIC near Mathis at p=0.001: .*no measured run' "$work/bad.out" || fail "no T5 FAIL for the missing cell"
[[ $(grep -c '^FAIL' "$work/bad.out") -eq 3 ]] || fail "expected exactly 3 FAIL lines"

rc=0
"$script" --evaluate "$work/nothing" >/dev/null 2>&1 || rc=$?
[[ $rc -eq 2 ]] || fail "a folder without results.jsonl exited $rc, expected 2"
echo "PASS: the loss-sweep evaluator passes a good run and fails the missed targets"
