#!/usr/bin/env bash
# xport_xfer_psk.sh — lh-xfer's protected mode over loopback: keygen writes a 0600 key; serve and
# send with the same --psk move 256 MiB verified (and again --auth-only); a client with another key,
# or with none, fails at the handshake with the reason in words and a non-zero exit; a server with a
# key never accepts it; a key file other users can read, a short key, and a +psp transport without
# --psk are refused before anything is sent. Bounded: every client has a connect and duration limit,
# the trap stops the server.
# Usage: xport_xfer_psk.sh PATH/TO/lh-xfer
set -euo pipefail
source "$(dirname "$0")/server_lib.sh"
xfer=$1
tmp=$(mktemp -d)
cleanup() {
  stop_server
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- server log" >&2; cat "$tmp/srv.log" >&2 || true; exit 1; }

"$xfer" keygen "$tmp/key" || fail "keygen"
"$xfer" keygen "$tmp/other" || fail "keygen"
[[ $(stat -c %a "$tmp/key") == 600 ]] || fail "keygen made mode $(stat -c %a "$tmp/key"), want 600"
[[ $(stat -c %s "$tmp/key") == 32 ]] || fail "keygen made $(stat -c %s "$tmp/key") bytes, want 32"
if "$xfer" keygen "$tmp/key" 2>"$tmp/err"; then fail "keygen overwrote an existing key"; fi

for mode in "" "--auth-only"; do
  start_server "$tmp/srv.log" 127.0.0.1 "$xfer" serve --listen 127.0.0.1:0 --once --psk "$tmp/key" $mode
  rc=0
  "$xfer" send --to "127.0.0.1:$port" --size 256MiB --shard 32MiB --json --duration-limit 60s \
    --psk "$tmp/key" $mode >"$tmp/client.json" 2>"$tmp/client.err" || rc=$?
  [[ $rc -eq 0 ]] || { cat "$tmp/client.err" >&2; fail "protected client ($mode) exited $rc"; }
  want=longhaul+psp; [[ -n $mode ]] && want=longhaul+psp-auth
  grep -Fq "\"transport\": \"$want\"," "$tmp/client.json" || fail "summary does not name $want: $(cat "$tmp/client.json")"
  wait_server
  grep -q "8 of 8 shards verified (268435456 bytes), 0 bad" "$tmp/srv.log" || fail "server ($mode) did not verify 8 shards"
  echo "PASS: 256 MiB protected ($want) written and verified"
done

# Wrong key, no key: refused at the handshake, reason printed, no transfer.
start_server "$tmp/srv.log" 127.0.0.1 "$xfer" serve --listen 127.0.0.1:0 --psk "$tmp/key"
for args in "--psk $tmp/other" ""; do
  rc=0
  # shellcheck disable=SC2086
  "$xfer" send --to "127.0.0.1:$port" --size 16MiB --connect-timeout 3s --duration-limit 10s $args \
    >"$tmp/bad.out" 2>"$tmp/bad.err" || rc=$?
  [[ $rc -ne 0 ]] || fail "a client with '${args:-no key}' was accepted"
  if [[ -n $args ]]; then
    grep -q "different pre-shared keys" "$tmp/bad.err" || fail "wrong key: unclear error: $(cat "$tmp/bad.err")"
  else
    grep -q "requires protected mode" "$tmp/bad.err" || fail "no key: unclear error: $(cat "$tmp/bad.err")"
  fi
  echo "PASS: client with ${args:-no key} refused: $(tail -1 "$tmp/bad.err")"
done
if grep -q "shards verified" "$tmp/srv.log"; then fail "the server took a transfer from a client without the key"; fi
stop_server

# Key files and flags refused up front (exit 1: the file; exit 2: usage).
cp "$tmp/key" "$tmp/shared" && chmod 644 "$tmp/shared"
rc=0; "$xfer" send --to 127.0.0.1:9 --size 1MiB --psk "$tmp/shared" 2>"$tmp/err" || rc=$?
[[ $rc -eq 1 ]] && grep -q "lets other users read or change the key; chmod 600" "$tmp/err" || fail "0644 key: rc $rc $(cat "$tmp/err")"
head -c 8 /dev/urandom >"$tmp/short" && chmod 600 "$tmp/short"
rc=0; "$xfer" send --to 127.0.0.1:9 --size 1MiB --psk "$tmp/short" 2>"$tmp/err" || rc=$?
[[ $rc -eq 1 ]] && grep -q "8 bytes; a key needs at least 16" "$tmp/err" || fail "short key: rc $rc $(cat "$tmp/err")"
rc=0; "$xfer" send --to 127.0.0.1:9 --size 1MiB --transport longhaul+psp 2>"$tmp/err" || rc=$?
[[ $rc -eq 2 ]] && grep -q "needs --psk FILE" "$tmp/err" || fail "+psp without key: rc $rc $(cat "$tmp/err")"
rc=0; "$xfer" send --to 127.0.0.1:9 --size 1MiB --transport tcp --psk "$tmp/key" 2>"$tmp/err" || rc=$?
[[ $rc -eq 2 ]] && grep -q "applies to the longhaul transports" "$tmp/err" || fail "tcp --psk: rc $rc $(cat "$tmp/err")"
rc=0; "$xfer" send --to 127.0.0.1:9 --size 1MiB --auth-only 2>"$tmp/err" || rc=$?
[[ $rc -eq 2 ]] && grep -q "needs --psk" "$tmp/err" || fail "--auth-only alone: rc $rc $(cat "$tmp/err")"
echo "PASS: bad key files and flag combinations refused with their reason"
