#!/usr/bin/env bash
# trace_replay_cli.sh — `lh-trace replay` end to end: two network namespaces joined by a veth pair
# shaped with tbf to 200 Mbit/s each direction (no delay: this kernel has no netem; the replay over
# emulated delay is tests/sim/trace_replay_test.cpp and lh-lab's trace workload); a 2-step DDP trace is
# replayed with longhaul and with tcp-cubic-x2 (server in one namespace, client in the other). Each
# replay must finish, its JSON must hold every step and a summary, each step's figures must be
# consistent (exposed = step − compute, slowdown = step / compute) and its communication time can
# not beat the path (≥ bytes/rate of the busier direction, less 10% for tbf's burst and rate
# accounting). Then bad input must fail before anything starts. Root; bounded (client duration
# limits, deadlines on every wait); the trap removes the namespaces and kills what it started.
# Usage: trace_replay_cli.sh PATH/TO/lh-trace
set -euo pipefail
source "$(dirname "$0")/server_lib.sh"
lht=$1
py=/usr/bin/python3
tmp=$(mktemp -d)
ns=trp$$
nsa=${ns}A nsb=${ns}B
cleanup() {
  stop_server
  ip netns del "$nsa" 2>/dev/null || true
  ip netns del "$nsb" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- server log" >&2; cat "$tmp/srv.log" "$tmp/srv.err" >&2 || true; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "SKIP: needs root (network namespaces)"; exit 77; }

ip netns add "$nsa"
ip netns add "$nsb"
ip link add "${ns}a" type veth peer name "${ns}b"
ip link set "${ns}a" netns "$nsa"
ip link set "${ns}b" netns "$nsb"
ip -n "$nsa" addr add 10.79.0.1/24 dev "${ns}a"
ip -n "$nsb" addr add 10.79.0.2/24 dev "${ns}b"
for n in "$nsa:${ns}a" "$nsb:${ns}b"; do
  ip -n "${n%%:*}" link set lo up
  ip -n "${n%%:*}" link set "${n##*:}" up
  ip netns exec "${n%%:*}" tc qdisc add dev "${n##*:}" root tbf rate 200mbit burst 256kb latency 100ms
done

"$lht" gen --model params=5000000 --dtype bf16 --sites 2 --ranks-per-site 2 --pattern ddp --steps 2 \
  --step-compute 100ms --bucket 2MiB --out "$tmp/t.jsonl"

run_replay() {  # transport → $tmp/<transport>.jsonl
  local transport=$1
  start_server "$tmp/srv.log" 10.79.0.2 ip netns exec "$nsb" "$lht" replay --serve --listen 10.79.0.2:0 \
    --transport "$transport" --once
  local rc=0
  ip netns exec "$nsa" "$lht" replay "$tmp/t.jsonl" --transport "$transport" --peer "10.79.0.2:$port" \
    --json "$tmp/$transport.jsonl" --duration-limit 60s >"$tmp/$transport.txt" 2>"$tmp/$transport.err" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$tmp/$transport.err" "$tmp/$transport.txt" >&2; fail "$transport replay exited $rc"; }
  cat "$tmp/$transport.txt"
  wait_server "server ($transport)"
  "$py" - "$tmp/t.jsonl" "$tmp/$transport.jsonl" <<'PY' || fail "$transport: JSON check failed"
import json, sys
trace = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
events = trace[1:]
lines = [json.loads(l) for l in open(sys.argv[2]) if l.strip()]
steps = [l for l in lines if l["type"] == "step"]
summary = lines[-1]
assert summary["type"] == "summary" and summary["complete"] is True, summary
assert [s["step"] for s in steps] == [0, 1] and summary["steps"] == 2, lines
rate = 200e6
for s in steps:
    ev = [e for e in events if e["step"] == s["step"]]
    fwd = sum(e["bytes"] for e in ev if e["src"]["site"] == 0 and e["dst"]["site"] == 1)
    rev = sum(e["bytes"] for e in ev if e["src"]["site"] == 1 and e["dst"]["site"] == 0)
    assert s["bytes_forward"] == fwd and s["bytes_reverse"] == rev, (s, fwd, rev)
    assert s["exposed_ns"] == s["step_ns"] - s["compute_ns"] >= 0, s
    assert abs(s["slowdown"] - s["step_ns"] / s["compute_ns"]) < 1e-9, s
    bound = max(fwd, rev) * 8 / rate
    assert s["comm_ns"] * 1e-9 >= 0.9 * bound, (s, bound)
    print(f"step {s['step']}: comm {s['comm_ns']/1e6:.1f} ms (path bound {bound*1e3:.1f} ms), "
          f"exposed {s['exposed_ns']/1e6:.1f} ms, slowdown {s['slowdown']:.2f}")
PY
  echo "PASS: $transport replay finished with every step"
}

run_replay longhaul
run_replay tcp-cubic-x2

# Bad input fails before anything starts (exit 2, one line naming the problem).
rc=0; "$lht" replay "$tmp/t.jsonl" --transport tcp-vegas --peer 10.79.0.2:1 2>"$tmp/e1" || rc=$?
[[ $rc -eq 2 ]] && grep -q "transport 'tcp-vegas'" "$tmp/e1" || fail "bad transport: rc $rc, $(cat "$tmp/e1")"
echo '{"format":"lh-gradient-trace","version":9}' >"$tmp/bad.jsonl"
rc=0; "$lht" replay "$tmp/bad.jsonl" --transport longhaul --peer 10.79.0.2:1 2>"$tmp/e2" || rc=$?
[[ $rc -eq 2 ]] && grep -q "bad.jsonl:1" "$tmp/e2" || fail "bad trace: rc $rc, $(cat "$tmp/e2")"
rc=0; "$lht" replay "$tmp/t.jsonl" --transport longhaul --peer 10.79.0.2:1 --sites 0,2 2>"$tmp/e3" || rc=$?
[[ $rc -eq 2 ]] && grep -q "the trace has 2 site" "$tmp/e3" || fail "bad --sites: rc $rc, $(cat "$tmp/e3")"
echo "PASS: bad input is refused before anything starts"
