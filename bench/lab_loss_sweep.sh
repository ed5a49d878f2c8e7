#!/usr/bin/env bash
# bench/lab_loss_sweep.sh — issue 5's transport targets, measured by lh-lab and judged from its results.
#
# Runs wan-500mbit-50ms (500 Mbit/s, 50 ms RTT) with longhaul, tcp-cubic and tcp-bbr over Bernoulli
# loss 0, 1e-4, 1e-3, 1e-2 plus bursty Gilbert-Elliott loss of mean 1e-2 (mean burst --ge-burst packets,
# every packet lost in the Bad state), then judges it with `lh-lab check --targets loss-sweep`
# (lab/check.hpp), one PASS/FAIL line per target with the figures:
#   T1 longhaul >= 0.9 x (1 - p) x bottleneck at every point (Bernoulli and GE)
#   T2 longhaul >= 30 x CUBIC at p = 1e-3
#   T3 longhaul >= BBR at every Bernoulli p <= 1e-3
#   T4 longhaul >= 1.2 x BBR at GE p = 1e-2
#   T5 CUBIC near the Mathis bound, MSS/RTT x sqrt(3/2)/sqrt(p) (MSS 1448 B, the profile's 50 ms RTT,
#      capped at the bottleneck): "near" = within 0.5x .. 2x, at every Bernoulli p > 0
# Goodput is the median over the repeats; runs the duration limit stopped count with the bytes they
# delivered (marked "*"). Exit 0 if every target passed, 1 if one failed, 2 on a usage error, else
# lh-lab's exit code.
#   bench/lab_loss_sweep.sh [--size 512MiB] [--repeat 2] [--duration-limit 60s] [--ge-burst 4]
#                           [--out results] [--lab build/lab/lh-lab]             (as root)
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
[[ -x $lab ]] || { echo "lab_loss_sweep: no lh-lab at $lab (build it, or --lab PATH)" >&2; exit 2; }

echo
# The targets live in lh-lab (lab/check.hpp): exit 0 all passed, 1 one failed.
exec "$lab" check "$evaluate" --targets loss-sweep
