#!/usr/bin/env bash
# lab_trace.sh — lh-lab with a trace workload: a generated 3-step DDP trace replayed through lh-emu on
# continental-4000km (1 Gbit/s, 40 ms RTT) with longhaul and tcp-cubic, repeat 1. Every cell must be
# ok with a replay object holding all 3 steps; per step, exposed = step − compute, and the
# communication time can not beat the path (≥ 0.9 × the fluid estimate at the link's rate: per
# direction max_k (release_k + bytes released at or after it / rate), plus one RTT, minus the first
# release — the estimate tests/sim/trace_replay_test.cpp checks within 10% in virtual time; here it is
# printed beside the measurement). The report has the trace table and trace_slowdown.png; a bad trace
# fails before anything starts; no namespace is left behind.
# Usage: lab_trace.sh LH_LAB LH_EMU LH_XFER LH_TRACE
source "$(dirname "$0")/lab_lib.sh"
TRACE_TOOL=$4
LAB_ARGS+=(--trace-tool "$TRACE_TOOL")

"$TRACE_TOOL" gen --model params=5000000 --dtype bf16 --sites 2 --ranks-per-site 2 --pattern ddp --steps 3 \
  --step-compute 100ms --bucket 2MiB --out "$WORK/t.jsonl"
echo '{"format":"lh-gradient-trace","version":1}' >"$WORK/bad.jsonl"

for bad in "trace:$WORK/bad.jsonl" "trace:$WORK/missing.jsonl" "replay:$WORK/t.jsonl"; do
  rc=0
  "$LAB" run --profiles continental-4000km --transports longhaul --workload "$bad" --out "$WORK/bad" \
    "${LAB_ARGS[@]}" >"$WORK/bad.out" 2>"$WORK/bad.err" || rc=$?
  [[ $rc -eq 2 ]] || fail "--workload $bad exited $rc, expected 2"
  grep -q "lh-lab: error:" "$WORK/bad.err" || fail "--workload $bad: no clear error: $(cat "$WORK/bad.err")"
  [[ ! -e $WORK/bad ]] || fail "--workload $bad created a results folder"
done
check_no_leftovers

rc=0
"$LAB" run --profiles continental-4000km --transports longhaul,tcp-cubic --repeat 1 --workload "trace:$WORK/t.jsonl" \
  --duration-limit 30s --out "$WORK/res" "${LAB_ARGS[@]}" >"$WORK/run.out" 2>"$WORK/run.err" || rc=$?
cat "$WORK/run.err" >&2
cat "$WORK/run.out"
[[ $rc -eq 0 ]] || fail "lh-lab run exited $rc"
check_no_leftovers
dir=$(find "$WORK/res" -mindepth 1 -maxdepth 1 -type d)
[[ $(echo "$dir" | wc -l) -eq 1 && -d $dir ]] || fail "expected one run folder in $WORK/res"

$PY - "$dir" "$WORK/t.jsonl" <<'PY' || fail "results check failed"
import json, os, re, sys
d, trace = sys.argv[1], sys.argv[2]
events = [json.loads(l) for l in open(trace)][1:]
rows = [json.loads(l) for l in open(os.path.join(d, "results.jsonl"))]
assert {r["transport"] for r in rows} == {"longhaul", "tcp-cubic"} and len(rows) == 2, rows
rate, rtt = 1e9 * 1448 / 1538, 0.0404   # payload rate of 1500 B frames on the 1 Gbit/s link; RTT of the profile
def estimate(step):
    out, first = 0.0, None
    for src, dst in ((0, 1), (1, 0)):
        rel = {}
        for e in events:
            if e["step"] == step and e["src"]["site"] == src and e["dst"]["site"] == dst:
                rel[e["after_compute_ns"] * 1e-9] = rel.get(e["after_compute_ns"] * 1e-9, 0) + e["bytes"]
        after = 0
        for a in sorted(rel, reverse=True):
            after += rel[a]
            out = max(out, a + after * 8 / rate)
            first = a if first is None else min(first, a)
    return out + rtt - first
for r in rows:
    assert r["ok"] is True and r["complete"] is True and r["tool"] == "lh-trace replay", r
    assert r["workload"].startswith("trace:") and r["spec"] == r["transport"] and r["tool"] == "lh-trace replay", r
    rp = r["replay"]
    assert rp["step"] == [0, 1, 2] and rp["summary"]["steps"] == 3 and rp["summary"]["complete"] is True, rp
    for i in range(3):
        assert abs(rp["exposed_ms"][i] - (rp["step_ms"][i] - rp["compute_ms"][i])) < 1e-3, rp
        est = estimate(i) * 1e3
        print(f"{r['transport']} step {i}: comm {rp['comm_ms'][i]:.1f} ms, estimate {est:.1f} ms, "
              f"slowdown {rp['slowdown'][i]:.2f}")
        assert rp["comm_ms"][i] >= 0.9 * est, (r["transport"], i, rp["comm_ms"][i], est)
    assert r["mean_step_ms"] > 0 and r["slowdown"] >= 1.0, r
table = open(os.path.join(d, "summary.txt")).read()
assert "slowdown" in table and sum(1 for l in table.splitlines() if l.startswith("continental-4000km ")) == 2, table
html = open(os.path.join(d, "index.html")).read()
assert "<h2>Trace replay</h2>" in html, html
pngs = re.findall(r'<img src="([^"]+\.png)"', html)
assert "trace_slowdown.png" in pngs, pngs
for p in pngs:
    data = open(os.path.join(d, p), "rb").read()
    assert len(data) > 1000 and data[:8] == b"\x89PNG\r\n\x1a\n", p
print("results ok:", [(r["transport"], round(r["mean_step_ms"], 1), round(r["slowdown"], 3)) for r in rows])
PY
echo "PASS: lh-lab replays a trace workload and reports per-step slowdown"
