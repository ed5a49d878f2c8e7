#!/usr/bin/env bash
# record_ddp.sh LH_EMU LH_TRACE — scripts/record-ddp end to end: a 2-step DDP run of a tiny MLP
# (2 x 256, fp32) through lh-emu (continental-4000km) becomes a valid recorded trace with exactly 2
# steps, world size 2, and the gradient bytes DDP must move: a 2-rank ring all-reduce sends every
# gradient byte once in each direction per step (reduce-scatter half + all-gather half), so the
# trace holds 2 x 4 x params bytes per step, plus gloo's small per-message headers (< 2 %).
set -euo pipefail
LH_EMU=$1 LH_TRACE=$2
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
if ((EUID != 0)); then echo "skip: needs root (network namespaces)"; exit 77; fi
/usr/bin/python3 -c 'import torch' 2>/dev/null || { echo "skip: python3-torch missing"; exit 77; }
command -v tcpdump >/dev/null || { echo "skip: tcpdump missing"; exit 77; }
build=$(cd "$(dirname "$LH_EMU")/../.." && pwd)
[[ $build/traces/tool/lh-trace -ef $LH_TRACE ]] || { echo "FAIL: lh-emu and lh-trace are not in one build dir" >&2; exit 1; }
work=$(mktemp -d /tmp/lh-record-ddp-test.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$ROOT/scripts/record-ddp" --build "$build" --out "$work/t.jsonl" --steps 2 --layers 2 --hidden 256 --batch 16
summary=$("$LH_TRACE" validate --json "$work/t.jsonl")
echo "# $summary"
/usr/bin/python3 - "$work/t.jsonl" "$summary" <<'PY'
import json, sys
header = json.loads(open(sys.argv[1]).readline())["provenance"]
s = json.loads(sys.argv[2])
params = 2 * (256 * 256 + 256)
assert header["params"] == params, header["params"]
assert header["source"] == "recorded" and header["pattern"] == "ddp", header
assert s["steps"] == 2 and s["steps_with_events"] == 2, s
assert s["world_size"] == 2 and s["sites"] == 2, s
expected = 2 * 2 * 4 * params  # 2 steps x 2 directions x fp32 gradients
assert expected <= s["total_bytes"] <= expected * 1.02, (s["total_bytes"], expected)
pairs = {(p["src_site"], p["dst_site"]): p["bytes"] for p in s["site_pairs"]}
assert set(pairs) == {(0, 1), (1, 0)}, pairs
print(f"ok: 2 steps, {s['events']} events, {s['total_bytes']} bytes (expected {expected} + headers)")
PY
