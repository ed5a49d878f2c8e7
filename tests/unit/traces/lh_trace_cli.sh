#!/usr/bin/env bash
# lh_trace_cli.sh — lh-trace gen/validate from the command line: a generated trace validates and its
# summary adds up; a bad trace names file:line and the rule; bad flags name the flag; each error is
# one line on stderr with a non-zero exit. Usage: lh_trace_cli.sh PATH/TO/lh-trace DATA_DIR
set -uo pipefail
trace=$1 data=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0
expect() {  # expect CODE SUBSTRING -- ARGS...
  local code=$1 want=$2; shift 3
  local err rc
  err=$(timeout 20 "$trace" "$@" 2>&1 >/dev/null); rc=$?
  if [[ $rc -ne $code || $err != *"$want"* || $(wc -l <<<"$err") -ne 1 ]]; then
    echo "FAIL: lh-trace $* -> rc $rc (want $code), stderr: $err" >&2
    failures=$((failures + 1))
  else
    echo "ok: lh-trace $* -> $rc: $err"
  fi
}
expect 1 "backwards.jsonl:4: times going backwards" -- validate "$data/backwards.jsonl"
expect 1 "--sites 9: must be from 2 to 8" -- gen --sites 9
expect 2 "--steps" -- gen --steps many
expect 1 "cannot open" -- validate "$tmp/missing.jsonl"

"$trace" gen --model params=100000 --sites 3 --ranks-per-site 2 --steps 2 --out "$tmp/g.jsonl" || { echo "FAIL: gen" >&2; exit 1; }
"$trace" validate --json "$tmp/g.jsonl" >"$tmp/v.json" || { echo "FAIL: validate of a generated trace" >&2; exit 1; }
/usr/bin/python3 - "$tmp/v.json" <<'PY' || failures=$((failures + 1))
import json, sys
v = json.load(open(sys.argv[1]))
assert v["valid"] is True and v["sites"] == 3 and v["ranks_per_site"] == 2 and v["steps"] == 2, v
# params=100000 bf16 = 200000 B; hierarchical ring over 3 sites: 2(n-1) x S = 800000 B per step.
assert v["total_bytes"] == 2 * 800000, v
assert sum(p["bytes"] for p in v["site_pairs"]) == v["total_bytes"], v
print(f"ok: generated trace, {v['events']} events, {v['total_bytes']} bytes")
PY
[[ $failures -eq 0 ]] || exit 1
echo "PASS: lh-trace gen/validate"
