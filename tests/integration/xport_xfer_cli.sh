#!/usr/bin/env bash
# xport_xfer_cli.sh — lh-xfer refuses bad flags and reports an unreachable peer: each case prints one
# line on stderr naming the problem and exits non-zero. Bounded: the handshake deadline is 1 s.
# Usage: xport_xfer_cli.sh PATH/TO/lh-xfer
set -uo pipefail
source "$(dirname "$0")/server_lib.sh"
xfer=$1
expect() { expect_cli "$xfer" "$@"; }  # expect CODE SUBSTRING -- ARGS...
expect 2 "subcommand is required" --
expect 2 "no unit" -- send --to 127.0.0.1:9 --size 10
expect 2 "transport 'longhaul-reno': unknown transport; accepted: longhaul, longhaul-cubic" -- send --to 127.0.0.1:9 --size 1MiB --transport longhaul-reno
expect 2 "ambiguous" -- send --to 127.0.0.1:9 --size 1MiB --transport longhaul-fixed:900mbps
expect 2 "missing \":PORT\"" -- send --to 127.0.0.1 --size 1MiB
expect 2 "multiple of 8B" -- send --to 127.0.0.1:9 --size 1MiB --shard 1001B
expect 2 "serve needs --listen ADDR:PORT" -- serve
expect 2 "--max-region-total (1GiB) must be at least --max-region (4GiB)" -- serve --listen 127.0.0.1:0 --max-region-total 1GiB
# Nothing listens on the discard port of loopback: the handshake must time out with a clear message.
expect 2 "handshake timed out" -- send --to 127.0.0.1:9 --size 1MiB --connect-timeout 1s
[[ $failures -eq 0 ]] || exit 1
echo "PASS: all refusals clear"
