#!/usr/bin/env bash
# bench/lab_loss_sweep.sh — issue 5's transport targets, measured by lh-lab and judged from its results.
#
# Runs wan-500mbit-50ms (500 Mbit/s, 50 ms RTT) with longhaul, tcp-cubic and tcp-bbr over Bernoulli
# loss 0, 1e-4, 1e-3, 1e-2 plus bursty Gilbert-Elliott loss of mean 1e-2 (mean burst --ge-burst packets,
# every packet lost in the Bad state), then prints one PASS/FAIL line per target with the figures:
#   T1 longhaul >= 0.9 x (1 - p) x bottleneck at every point (Bernoulli and GE)
#   T2 longhaul >= 30 x CUBIC at p = 1e-3
#   T3 longhaul >= BBR at every Bernoulli p <= 1e-3
#   T4 longhaul >= 1.2 x BBR at GE p = 1e-2
#   T5 CUBIC near the Mathis bound, MSS/RTT x sqrt(3/2)/sqrt(p) (MSS 1448 B, the profile's 50 ms RTT,
#      capped at the bottleneck): "near" = within 0.5x .. 2x, at every Bernoulli p > 0
# Goodput is the median over the repeats; runs the duration limit stopped count with the bytes they
# delivered (marked "*"). Exit 0 if every target passed, 1 if one failed, 2 on a usage error, else
# lh-lab's exit code.
#   sudo bench/lab_loss_sweep.sh [--size 512MiB] [--repeat 2] [--duration-limit 60s] [--ge-burst 4]
#                                [--out results] [--lab build/lab/lh-lab]
#   bench/lab_loss_sweep.sh --evaluate results/<run-id>      judge an existing run (no root needed)
set -euo pipefail
cd "$(dirname "$0")/.."

size=512MiB repeat=2 limit=60s burst=4 out=results evaluate=""
lab=${LH_BUILD_DIR:-build}/lab/lh-lab
while (($#)); do
  case $1 in
    --size) size=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --duration-limit) limit=$2; shift 2 ;;
    --ge-burst) burst=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --lab) lab=$2; shift 2 ;;
    --evaluate) evaluate=$2; shift 2 ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "lab_loss_sweep: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [[ -z $evaluate ]]; then
  ((EUID == 0)) || { echo "lab_loss_sweep: needs root (lh-lab: namespaces, DPDK, sysctls)" >&2; exit 2; }
  [[ -x $lab ]] || { echo "lab_loss_sweep: no lh-lab at $lab (build it, or --lab PATH)" >&2; exit 2; }
  mkdir -p "$out"
  before=$(ls -1 "$out")
  rc=0
  "$lab" run --profiles wan-500mbit-50ms --transports longhaul,tcp-cubic,tcp-bbr \
    --sweep loss=0,1e-4,1e-3,1e-2 --sweep ge-loss=1e-2 --ge-burst "$burst" \
    --size "$size" --repeat "$repeat" --duration-limit "$limit" --out "$out" || rc=$?
  # 3: some runs failed — the evaluation below says which targets that leaves unjudged.
  [[ $rc -eq 0 || $rc -eq 3 ]] || exit "$rc"
  evaluate=$(comm -13 <(echo "$before") <(ls -1 "$out") | tail -1)
  [[ -n $evaluate ]] || { echo "lab_loss_sweep: lh-lab wrote no run folder in $out" >&2; exit 2; }
  evaluate=$out/$evaluate
fi
[[ -f $evaluate/results.jsonl ]] || { echo "lab_loss_sweep: no results.jsonl in '$evaluate'" >&2; exit 2; }

echo
echo "targets (issue 5) from $evaluate/results.jsonl:"
/usr/bin/python3 - "$evaluate/results.jsonl" <<'PY'
import json, math, statistics, sys

MSS = 1448            # bytes: 1500 MTU - 20 IP - 20 TCP - 12 timestamps
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
cells = {}            # (model, p, transport) -> list of (bps, complete)
rate = rtt_s = None
for r in rows:
    if not r.get("ok") or "sweep_loss" not in r:
        continue
    model = r.get("sweep_loss_model", "bernoulli")
    p = float(r["sweep_loss"])
    if p == 0:
        model = "none"
    cells.setdefault((model, p, r["transport"]), []).append(
        (float(r["summary"]["bits_per_second"]), r.get("complete", True)))
    rate, rtt_s = float(r["rate_bps"]), float(r["rtt_ms"]) / 1e3

def goodput(model, p, t):
    runs = cells.get((model, p, t))
    if not runs:
        return None, ""
    return statistics.median(b for b, _ in runs), "" if all(c for _, c in runs) else "*"

def mbit(v, star=""):
    return "missing" if v is None else f"{v / 1e6:.1f}{star} Mbit/s"

failures = 0
def verdict(name, ok, text):
    global failures
    if ok is None:
        print(f"FAIL  {name}: {text} (no measured run)")
        failures += 1
        return
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {text}")
    failures += 0 if ok else 1

if rate is None:
    print("FAIL  no measured run of a loss sweep in this results file")
    sys.exit(1)
points = sorted({(m, p) for (m, p, _) in cells}, key=lambda mp: (mp[0] == "gilbert-elliott", mp[1]))
label = lambda m, p: f"GE p={p:g}" if m == "gilbert-elliott" else f"p={p:g}"

for m, p in points:
    lh, s = goodput(m, p, "longhaul")
    need = 0.9 * (1 - p) * rate
    verdict(f"T1 longhaul >= 0.9 x (1-p) x bottleneck at {label(m, p)}", None if lh is None else lh >= need,
            f"{mbit(lh, s)} vs >= {need / 1e6:.1f} Mbit/s ({lh / rate if lh else 0:.3f} of {rate / 1e6:.0f})")

lh, s1 = goodput("bernoulli", 1e-3, "longhaul")
cu, s2 = goodput("bernoulli", 1e-3, "tcp-cubic")
verdict("T2 longhaul >= 30 x CUBIC at p=1e-3", None if lh is None or cu is None else lh >= 30 * cu,
        f"{mbit(lh, s1)} vs CUBIC {mbit(cu, s2)}" + (f" = {lh / cu:.1f}x" if lh and cu else ""))

for m, p in points:
    if m == "gilbert-elliott" or p > 1e-3:
        continue
    lh, s1 = goodput(m, p, "longhaul")
    bb, s2 = goodput(m, p, "tcp-bbr")
    verdict(f"T3 longhaul >= BBR at {label(m, p)}", None if lh is None or bb is None else lh >= bb,
            f"{mbit(lh, s1)} vs BBR {mbit(bb, s2)}" + (f" = {lh / bb:.2f}x" if lh and bb else ""))

lh, s1 = goodput("gilbert-elliott", 1e-2, "longhaul")
bb, s2 = goodput("gilbert-elliott", 1e-2, "tcp-bbr")
verdict("T4 longhaul >= 1.2 x BBR at GE p=1e-2", None if lh is None or bb is None else lh >= 1.2 * bb,
        f"{mbit(lh, s1)} vs BBR {mbit(bb, s2)}" + (f" = {lh / bb:.2f}x" if lh and bb else ""))

for m, p in points:
    if m != "bernoulli":
        continue
    cu, s = goodput(m, p, "tcp-cubic")
    mathis = min(rate, MSS * 8 / rtt_s * math.sqrt(1.5) / math.sqrt(p))
    ratio = cu / mathis if cu else 0
    verdict(f"T5 CUBIC near Mathis at {label(m, p)}", None if cu is None else 0.5 <= ratio <= 2,
            f"CUBIC {mbit(cu, s)} vs Mathis {mathis / 1e6:.1f} Mbit/s (MSS {MSS} B, RTT {rtt_s * 1e3:.1f} ms)"
            + (f" = {ratio:.2f}x" if cu else ""))

if any(not c for runs in cells.values() for _, c in runs):
    print("* some runs hit the duration limit: goodput = bytes delivered / time (see the run's summary.txt)")
print(f"{failures} target(s) failed" if failures else "all targets passed")
sys.exit(1 if failures else 0)
PY
