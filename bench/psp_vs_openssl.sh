#!/usr/bin/env bash
# bench/psp_vs_openssl.sh — protected mode's per-packet cipher cost against OpenSSL's own figure, in
# one invocation: `openssl speed -evp aes-256-gcm -bytes 1434` (AES-256-GCM encryption of 1434-byte
# buffers, what the issue names as the reference) and bm_psp (seal, open, and a whole packet sealed
# by one ConnectionProtection and opened by its peer's), each REPS times; prints medians and worsts in
# Gbit/s per core and the ratios to openssl's median (goal: seal and open >= 0.8; the packet's
# seal+open does two cipher passes, so its goal is >= 0.4).
#   bench/psp_vs_openssl.sh [PATH/TO/bm_psp]      env: REPS=5
set -euo pipefail
bm=${1:-build/bench/bm_psp}
reps=${REPS:-5}
[[ -x $bm ]] || { echo "psp_vs_openssl: no bm_psp at $bm (meson configure with benchmarks)" >&2; exit 1; }
command -v openssl >/dev/null || { echo "psp_vs_openssl: openssl missing" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for _ in $(seq "$reps"); do
  # "AES-256-GCM  2046076.60k": thousands of bytes per second.
  openssl speed -evp aes-256-gcm -bytes 1434 -seconds 2 2>/dev/null | awk '/^AES-256-GCM/ {sub("k","",$2); print $2 * 1000 * 8 / 1e9}' >>"$tmp/openssl"
done
"$bm" --benchmark_repetitions="$reps" --benchmark_format=json >"$tmp/bm.json"
/usr/bin/python3 - "$tmp/openssl" "$tmp/bm.json" <<'PY'
import json, statistics, sys
ossl = [float(x) for x in open(sys.argv[1]).read().split()]
runs = {}
for b in json.load(open(sys.argv[2]))["benchmarks"]:
    if b.get("run_type") != "iteration":
        continue
    name = b["run_name"] + (" [" + b["label"] + "]" if b.get("label") else "")
    runs.setdefault(name, []).append(b["bytes_per_second"] * 8 / 1e9)
ref = statistics.median(ossl)
print(f"{'what':<58} {'median':>8} {'worst':>8} {'/openssl':>9}  (Gbit/s per core, {len(ossl)} runs each)")
print(f"{'openssl speed -evp aes-256-gcm -bytes 1434':<58} {ref:8.2f} {min(ossl):8.2f} {1.0:9.2f}")
for name, v in runs.items():
    print(f"{name:<58} {statistics.median(v):8.2f} {min(v):8.2f} {statistics.median(v) / ref:9.2f}")
PY
