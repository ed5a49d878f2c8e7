#!/usr/bin/env bash
# lab_run.sh — a tiny lh-lab matrix (2 profiles × 2 transports × 16 MiB, repeat 1) produces a complete
# results folder: 4 valid JSON lines with the profile's key parameters and the summary fields, the
# summary table, non-empty PNGs, and an index.html linking them; bad flags fail before anything starts;
# a transfer the duration limit stops (4 GiB of TCP in 2 s on a bursty-loss ge-loss sweep point) is
# recorded as measured but incomplete, not failed; Ctrl-C in the middle of a transfer exits 130, records
# no row for the run it cut short and still writes the report; `lh-lab report DIR` rebuilds the same
# report from the folder alone; no namespace is left behind.
# Usage: lab_run.sh LH_LAB LH_EMU LH_XFER
source "$(dirname "$0")/lab_lib.sh"

# Validation first: one clear error, exit 2, nothing started.
for bad in "--transports longhaul,quic" "--profiles atlantis-9km" "--sweep loss=2" "--sweep jitter=1ms" \
           "--sweep ge-loss=0.9" "--sweep ge-loss=1e-3 --ge-burst 0"; do
  rc=0
  # shellcheck disable=SC2086
  "$LAB" run $bad --out "$WORK/bad" "${LAB_ARGS[@]}" >"$WORK/bad.out" 2>"$WORK/bad.err" || rc=$?
  [[ $rc -eq 2 ]] || fail "'$bad' exited $rc, expected 2"
  grep -q "lh-lab: error:" "$WORK/bad.err" || fail "'$bad': no clear error: $(cat "$WORK/bad.err")"
  [[ ! -e $WORK/bad ]] || fail "'$bad' created a results folder"
done
check_no_leftovers

rc=0
"$LAB" run --profiles metro-80km,continental-4000km --transports longhaul,tcp-cubic --size 16MiB --repeat 1 \
  --duration-limit 30s --out "$WORK/res" "${LAB_ARGS[@]}" >"$WORK/run.out" 2>"$WORK/run.err" || rc=$?
cat "$WORK/run.err" >&2
cat "$WORK/run.out"
[[ $rc -eq 0 ]] || fail "lh-lab run exited $rc"
check_no_leftovers
grep -q "run 4/4" "$WORK/run.err" || fail "no progress line 'run 4/4'"
dir=$(find "$WORK/res" -mindepth 1 -maxdepth 1 -type d)
[[ $(echo "$dir" | wc -l) -eq 1 && -d $dir ]] || fail "expected one run folder in $WORK/res"
grep -q "report: $dir/index.html" "$WORK/run.out" || fail "report path not printed"

$PY - "$dir" <<'PY' || fail "results check failed"
import json, os, re, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(d, "results.jsonl"))]
assert len(rows) == 4, len(rows)
cells = {(r["profile"], r["transport"]) for r in rows}
assert cells == {(p, t) for p in ("metro-80km", "continental-4000km") for t in ("longhaul", "tcp-cubic")}, cells
for r in rows:
    assert r["ok"] is True, r
    assert r["rate_bps"] == 1_000_000_000 and r["rtt_ms"] > 0 and r["repeat"] == 0 and r["run_id"], r
    s = r["summary"]
    assert s["bytes"] == 16 << 20 and s["complete"] is True, s
    assert s["bits_per_second"] > 0 and s["seconds"] > 0 and "retransmits" in s and s["rtt_us"]["count"] > 0, s
cont = [r for r in rows if r["profile"] == "continental-4000km"][0]
assert abs(cont["rtt_ms"] - 40.4) < 1e-6 and cont["loss"] == 1e-5, cont
table = open(os.path.join(d, "summary.txt")).read()
assert sum(1 for l in table.splitlines() if l.startswith(("metro-80km ", "continental-4000km "))) == 4, table
assert "goodput" in table and "RTT p95 ms" in table and "*" not in table, table
html = open(os.path.join(d, "index.html")).read()
pngs = re.findall(r'<img src="([^"]+\.png)"', html)
for want in ("goodput.png", "scatter.png", "timeseries.png"):
    assert want in pngs, (want, pngs)
for p in pngs:
    data = open(os.path.join(d, p), "rb").read()
    assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n", p
assert "metro-80km" in html and "<table>" in html and "lh-lab run" in html
ts = [l for l in open(os.path.join(d, "timeseries.dat")) if not l.startswith("#")]
assert len(ts) >= 1, "time series has no points"
print(f"ok: {len(rows)} runs, plots {pngs}")
PY

# The report is rebuilt from the run folder alone: the same table, every plot and index.html back.
cp "$dir/summary.txt" "$WORK/summary.before"
rm -f "$dir/summary.txt" "$dir/index.html" "$dir"/*.png
"$LAB" report "$dir" >"$WORK/report.out" 2>"$WORK/report.err" || fail "lh-lab report exited $?: $(cat "$WORK/report.err")"
cmp -s "$dir/summary.txt" "$WORK/summary.before" || fail "the rebuilt summary.txt differs: $(diff "$WORK/summary.before" "$dir/summary.txt")"
for png in goodput.png scatter.png timeseries.png; do [[ -s $dir/$png ]] || fail "lh-lab report did not draw $png"; done
grep -q '<img src="timeseries.png"' "$dir/index.html" || fail "the rebuilt index.html lacks the plots"
! ls "$dir"/*.tmp* 2>/dev/null || fail "temporary files left in the run folder"
rc=0
"$LAB" report "$WORK/nowhere" >/dev/null 2>"$WORK/report.err" || rc=$?
[[ $rc -eq 2 ]] && grep -q "nowhere/raw/run.json: cannot read" "$WORK/report.err" || fail "report of no folder: exit $rc, $(cat "$WORK/report.err")"
echo "ok: lh-lab report rebuilt the report from the folder"

# A run stopped by --duration-limit is measured, marked incomplete, and is not a failure (exit 0).
rc=0
"$LAB" run --profiles metro-80km --sweep ge-loss=1e-3 --transports tcp-cubic --size 4GiB --repeat 1 \
  --duration-limit 2s --out "$WORK/inc" "${LAB_ARGS[@]}" >"$WORK/inc.out" 2>"$WORK/inc.err" || rc=$?
cat "$WORK/inc.out"
[[ $rc -eq 0 ]] || { cat "$WORK/inc.err" >&2; fail "lh-lab run with an incomplete transfer exited $rc"; }
check_no_leftovers
$PY - "$(find "$WORK/inc" -mindepth 1 -maxdepth 1 -type d)" <<'PY' || fail "incomplete-run check failed"
import json, os, sys
d = sys.argv[1]
rows = [json.loads(l) for l in open(os.path.join(d, "results.jsonl"))]
assert len(rows) == 1, rows
r = rows[0]
assert r["profile"] == "metro-80km ge-loss=0.001 burst=4", r["profile"]
assert r["loss_model"] == "gilbert-elliott" and abs(r["loss"] - 1e-3) < 1e-9 and r["ge_burst"] == 4, r
assert r["sweep_loss_model"] == "gilbert-elliott" and r["sweep_loss"] == 1e-3, r
assert r["ok"] is True and r["complete"] is False and "duration limit 2s" in r["incomplete"], r
s = r["summary"]
assert s["complete"] is False and 0 < s["bytes"] < 4 << 30 and s["seconds"] >= 2, s
assert abs(s["bits_per_second"] - s["bytes"] * 8 / s["seconds"]) < 1e-6 * s["bits_per_second"], s
table = open(os.path.join(d, "summary.txt")).read()
line = [l for l in table.splitlines() if l.startswith("metro-80km")][0]
assert "*" in line and line.rstrip().endswith("-") and "all runs failed" not in table, table
assert "* incomplete:" in table, table
print(f"ok: incomplete run measured at {s['bits_per_second'] / 1e6:.1f} Mbit/s ({s['bytes']} bytes in {s['seconds']:.2f} s)")
PY
# Ctrl-C (SIGINT) while the first transfer runs: exit 130, topology gone, the cut-short run not recorded.
"$LAB" run --profiles metro-80km --transports tcp-cubic --size 4GiB --repeat 2 --out "$WORK/int" "${LAB_ARGS[@]}" \
  >"$WORK/int.out" 2>"$WORK/int.err" &
lab_pid=$!
for _ in $(seq 600); do grep -q "run 1/2" "$WORK/int.err" 2>/dev/null && break; sleep 0.05; done
grep -q "run 1/2" "$WORK/int.err" || { kill -9 "$lab_pid"; fail "the run to interrupt never started"; }
sleep 2  # into the transfer
kill -INT "$lab_pid"
rc=0
wait "$lab_pid" || rc=$?
cat "$WORK/int.err" >&2
[[ $rc -eq 130 ]] || fail "interrupted lh-lab run exited $rc, expected 130"
check_no_leftovers
grep -q "interrupted; not recorded" "$WORK/int.err" || fail "no 'interrupted; not recorded' progress line"
int_dir=$(find "$WORK/int" -mindepth 1 -maxdepth 1 -type d)
[[ ! -s $int_dir/results.jsonl ]] || fail "the interrupted run was recorded: $(cat "$int_dir/results.jsonl")"
[[ -f $int_dir/index.html ]] || fail "no report after Ctrl-C"
echo "ok: Ctrl-C stopped the run (exit 130), nothing recorded, nothing left behind"

echo "PASS: lh-lab run produced a complete results folder; an incomplete run is measured, not failed; Ctrl-C is clean"
