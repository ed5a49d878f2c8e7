#!/usr/bin/env bash
# coll_perf_cli.sh — lh-coll-perf with two ranks over loopback: all-reduce on longhaul, longhaul+psp
# and tcp-cubic, all-gather and reduce-scatter on longhaul, broadcast on TCP — both ranks exit 0,
# rank 0's table has a row per size with 0 wrong elements, and --json gives one object per size
# with nccl-tests' fields (busbw = algbw x 2(n-1)/n for all-reduce); a rank that starts late is
# waited for (rank 0 connects again until the rendezvous deadline). Bad flags exit 2 with the
# reason. Bounded: every run has a timeout; the trap kills what is left.
# Usage: coll_perf_cli.sh PATH/TO/lh-coll-perf PATH/TO/lh-xfer
set -euo pipefail
perf=$1
xfer=$2
py=/usr/bin/python3
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
"$xfer" keygen "$tmp/key"

port=$((20000 + RANDOM % 20000))
run_pair() {  # run_pair NAME ARGS... — both ranks, rank 1 in the background
  local name=$1; shift
  port=$((port + 2))
  local ranks="127.0.0.1:$port,127.0.0.1:$((port + 1))"
  if [[ ${LATE:-0} == 1 ]]; then  # rank 1 starts late: rank 0 must keep trying to connect
    (sleep 0.5; exec timeout 120 "$perf" --rank 1 --ranks "$ranks" "$@") >"$tmp/$name.r1" 2>&1 &
  else
    timeout 120 "$perf" --rank 1 --ranks "$ranks" "$@" >"$tmp/$name.r1" 2>&1 &
  fi
  local r1=$!
  pids+=("$r1")
  local rc=0
  timeout 120 "$perf" --rank 0 --ranks "$ranks" "$@" >"$tmp/$name.r0" 2>"$tmp/$name.err" || rc=$?
  local rc1=0
  wait "$r1" || rc1=$?
  [[ $rc -eq 0 && $rc1 -eq 0 ]] || { cat "$tmp/$name.err" "$tmp/$name.r1" >&2; fail "$name: rank 0 exit $rc, rank 1 exit $rc1"; }
}
check_table() {  # check_table NAME ROWS
  local rows
  rows=$(grep -cE '^ +[0-9]+ +[0-9]+ ' "$tmp/$1.r0" || true)
  [[ $rows -eq $2 ]] || { cat "$tmp/$1.r0" >&2; fail "$1: $rows rows, want $2"; }
  awk '/^ +[0-9]+ +[0-9]+ / { if ($NF != 0) bad = 1 } END { exit bad }' "$tmp/$1.r0" || fail "$1: wrong elements"
  echo "ok: $1"; cat "$tmp/$1.r0"
}

run_pair allreduce-longhaul --transport longhaul --min-bytes 1KiB --max-bytes 16MiB --factor 16 --iters 2
check_table allreduce-longhaul 4
run_pair allreduce-psp --transport longhaul+psp --psk "$tmp/key" --min-bytes 64KiB --max-bytes 4MiB --factor 8 --iters 2
check_table allreduce-psp 3
LATE=1 run_pair late-tcp --transport tcp-cubic --min-bytes 1MiB --max-bytes 1MiB --iters 1
check_table late-tcp 1
LATE=1 run_pair late-longhaul --transport longhaul --min-bytes 1MiB --max-bytes 1MiB --iters 1
check_table late-longhaul 1
run_pair allreduce-tcp --transport tcp-cubic --min-bytes 1KiB --max-bytes 16MiB --factor 16 --iters 2 --type int32 --redop max
check_table allreduce-tcp 4
run_pair allgather --transport longhaul --op allgather --min-bytes 4KiB --max-bytes 4MiB --factor 32 --iters 2 --type half
check_table allgather 3
run_pair reducescatter --transport longhaul --op reducescatter --min-bytes 4KiB --max-bytes 4MiB --factor 32 --type bfloat16 --redop avg
check_table reducescatter 3
run_pair broadcast --transport tcp-cubic-x2 --op broadcast --min-bytes 1MiB --max-bytes 4MiB --factor 4 --iters 2 --type int64
check_table broadcast 2

run_pair json --transport longhaul --min-bytes 1MiB --max-bytes 4MiB --factor 4 --iters 2 --json -
"$py" - "$tmp/json.r0" <<'PY' || fail "json check failed"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
assert [r["bytes"] for r in rows] == [1 << 20, 4 << 20], rows
for r in rows:
    assert r["ranks"] == 2 and r["op"] == "allreduce" and r["type"] == "float" and r["redop"] == "sum", r
    assert r["wrong"] == 0 and r["time_us"] > 0 and r["algbw_gbps"] > 0, r
    assert abs(r["busbw_gbps"] - r["algbw_gbps"] * 2 * (2 - 1) / 2) < 1e-9, r
print("ok: json", [round(r["busbw_gbps"], 3) for r in rows])
PY

for bad in "--rank 2 --ranks 127.0.0.1:1,127.0.0.1:2" "--rank 0 --ranks 127.0.0.1:1" "--rank 0 --ranks 127.0.0.1:1,127.0.0.1:2 --op gather" \
           "--rank 0 --ranks 127.0.0.1:1,127.0.0.1:2 --type fp8" "--rank 0 --ranks 127.0.0.1:1,127.0.0.1:2 --transport longhaul+psp"; do
  rc=0
  # shellcheck disable=SC2086
  "$perf" $bad >/dev/null 2>"$tmp/bad.err" || rc=$?
  [[ $rc -eq 2 ]] || fail "'$bad' exited $rc, want 2: $(cat "$tmp/bad.err")"
  echo "ok: refused '$bad': $(cat "$tmp/bad.err")"
done
echo "PASS: lh-coll-perf over longhaul, protected longhaul and TCP; bad flags refused"
