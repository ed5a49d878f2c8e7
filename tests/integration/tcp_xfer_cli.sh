#!/usr/bin/env bash
# tcp_xfer_cli.sh — lh-xfer --transport tcp (the TCP baseline) from the command line: bad flags, a
# flag of the other transport, an unknown congestion control and an unreachable peer each print one
# line on stderr naming the problem and exit non-zero; then `serve --once` + `send --transport
# tcp-bbr-x8 --json` moves 256 MiB over loopback, the receiver verifies every shard, and the JSON
# summary has lh-xfer's field names with sane values.
# Bounded: every command runs under timeout, every wait has a deadline, the trap kills the server.
# Usage: tcp_xfer_cli.sh PATH/TO/lh-xfer
set -uo pipefail
source "$(dirname "$0")/server_lib.sh"
xfer=$1
py=/usr/bin/python3
tmp=$(mktemp -d)
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT
expect() { expect_cli "$xfer" "$@"; }  # expect CODE SUBSTRING -- ARGS...
# A loopback port nobody listens on (the discard port).
dead=127.0.0.1:9
T=(--transport tcp)
expect 2 "subcommand is required" --
expect 2 "serve needs --listen ADDR:PORT" -- serve "${T[@]}"
expect 2 "transport 'udp': unknown transport; accepted: longhaul" -- send --to $dead --size 1MiB --transport udp
expect 2 "no unit" -- send "${T[@]}" --to $dead --size 10
expect 2 "missing \":PORT\"" -- send "${T[@]}" --to 127.0.0.1 --size 1MiB
expect 2 "stream count '0' must be a whole number from 1 to 64" -- send --transport tcp-cubic-x0 --to $dead --size 1MiB
expect 2 "--qlog applies to the longhaul transports" -- send "${T[@]}" --to $dead --size 1MiB --qlog /dev/null
expect 2 "--mtu applies to the longhaul transports" -- send "${T[@]}" --to $dead --size 1MiB --mtu 9000B
expect 2 "--bdp applies to the TCP transports" -- serve --listen 127.0.0.1:0 --bdp 1MiB
expect 2 "--rate and --rtt go together" -- send "${T[@]}" --to $dead --size 1MiB --rate 10gbit
expect 2 "either --bdp or --rate" -- send "${T[@]}" --to $dead --size 1MiB --bdp 1MiB --rate 1gbit --rtt 1ms
expect 2 "unknown TCP congestion control 'nosuchcc'" -- send --transport tcp-nosuchcc --to $dead --size 1MiB
expect 2 "connect to $dead: Connection refused" -- send "${T[@]}" --to $dead --size 1MiB --connect-timeout 1s
[[ $failures -eq 0 ]] || exit 1

fail() { echo "FAIL: $*" >&2; echo "--- server log" >&2; cat "$tmp/srv.log" >&2 || true; exit 1; }
start_server "$tmp/srv.log" 127.0.0.1 "$xfer" serve --transport tcp --listen 127.0.0.1:0 --once

rc=0
timeout 90 "$xfer" send --transport tcp-bbr-x8 --to "127.0.0.1:$port" --size 256MiB --shard 32MiB --json \
  --duration-limit 60s >"$tmp/client.json" 2>"$tmp/client.err" || rc=$?
[[ $rc -eq 0 ]] || { cat "$tmp/client.err" >&2; cat "$tmp/client.json" >&2; fail "client exited $rc"; }

"$py" - "$tmp/client.json" <<'PY' || fail "client summary check failed"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["transport"] == "tcp-bbr-x8" and s["cc"] == "bbr" and s["streams"] == 8, s
assert s["complete"] is True and s["bytes"] == 256 << 20, s
assert s["shards"] == 8 and s["verified_shards"] == 8 and s["bad_shards"] == 0, s
assert s["bits_per_second"] > 0 and s["seconds"] > 0, s
assert isinstance(s["retransmits"], int) and s["retransmits"] >= 0, s
r = s["rtt_us"]
assert r["count"] > 0 and 0 < r["min"] <= r["p50"] <= r["p90"] <= r["p99"] <= r["max"], r
assert s["shard_us"]["count"] == 8, s["shard_us"]
print(f"client: {s['bytes']} bytes in {s['seconds']:.2f} s, {s['bits_per_second']/1e9:.2f} Gbit/s, "
      f"{s['retransmits']} retransmits, rtt p50 {r['p50']} us")
PY

wait_server
grep -q "8 of 8 shards verified (268435456 bytes), 0 bad, 8 streams" "$tmp/srv.log" || fail "server did not verify 8 shards"
cat "$tmp/srv.log"
echo "PASS: refusals clear; 256 MiB over 8 TCP streams verified"
