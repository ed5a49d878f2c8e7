#!/usr/bin/env bash
# xport_xfer_loopback.sh — lh-xfer serve + send over loopback: a 1 GiB transfer arrives and the server
# verifies every shard; the client's JSON summary agrees. Then a transfer far too large for its
# --duration-limit (64 GiB in 1 s would take 550 Gbit/s) must stop with exit code 3 and still print
# its summary: complete false, the acknowledged bytes and the goodput over the elapsed time.
# Bounded: the client has a duration limit, every wait has a deadline, and the trap kills the server.
# Usage: xport_xfer_loopback.sh PATH/TO/lh-xfer
set -euo pipefail
source "$(dirname "$0")/server_lib.sh"
xfer=$1
py=/usr/bin/python3
tmp=$(mktemp -d)
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- server log" >&2; cat "$tmp/srv.log" >&2 || true; exit 1; }

start_server "$tmp/srv.log" 127.0.0.1 "$xfer" serve --listen 127.0.0.1:0 --once

rc=0
"$xfer" send --to "127.0.0.1:$port" --size 1GiB --shard 64MiB --json --duration-limit 120s \
  >"$tmp/client.json" 2>"$tmp/client.err" || rc=$?
[[ $rc -eq 0 ]] || { cat "$tmp/client.err" >&2; cat "$tmp/client.json" >&2; fail "client exited $rc"; }

"$py" - "$tmp/client.json" <<'PY' || fail "client summary check failed"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["complete"] is True, s
assert s["bytes"] == 1 << 30, s["bytes"]
assert s["shards"] == 16 and s["verified_shards"] == 16 and s["bad_shards"] == 0, s
assert s["bits_per_second"] > 0 and s["seconds"] > 0, s
assert s["rtt_us"]["count"] > 0 and s["shard_us"]["count"] == 16, s
r = s["rtt_us"]
assert 0 < r["min"] <= r["p50"] <= r["p90"] <= r["p95"] <= r["p99"] <= r["max"], r
print(f"client: {s['bytes']} bytes in {s['seconds']:.2f} s, {s['bits_per_second']/1e9:.2f} Gbit/s, "
      f"{s['retransmits']} retransmits")
PY

# The --once server exits by itself once the client closed.
wait_server
grep -q "16 of 16 shards verified (1073741824 bytes), 0 bad" "$tmp/srv.log" || fail "server did not verify 16 shards"
cat "$tmp/srv.log"
echo "PASS: 1 GiB written over loopback and verified"

start_server "$tmp/srv.log" 127.0.0.1 "$xfer" serve --listen 127.0.0.1:0 --once
rc=0
"$xfer" send --to "127.0.0.1:$port" --size 64GiB --shard 64MiB --json --duration-limit 1s \
  >"$tmp/limited.json" 2>"$tmp/limited.err" || rc=$?
[[ $rc -eq 3 ]] || { cat "$tmp/limited.err" >&2; fail "duration-limited client exited $rc, want 3"; }
grep -q "duration limit 1s reached" "$tmp/limited.err" || fail "no duration-limit message: $(cat "$tmp/limited.err")"
"$py" - "$tmp/limited.json" <<'PY' || fail "duration-limited summary check failed"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["complete"] is False, s
assert s["total_bytes"] == 64 << 30 and 0 < s["bytes"] < s["total_bytes"], s
assert s["seconds"] >= 1.0, s
assert abs(s["bits_per_second"] - s["bytes"] * 8 / s["seconds"]) <= 1e-6 * s["bits_per_second"], s
assert "p95" in s["rtt_us"], s["rtt_us"]
print(f"limited: {s['bytes']} of {s['total_bytes']} bytes in {s['seconds']:.2f} s, "
      f"{s['bits_per_second']/1e9:.2f} Gbit/s, complete {s['complete']}")
PY
echo "PASS: a duration-limited transfer reports what was delivered"
