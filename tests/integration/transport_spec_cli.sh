#!/usr/bin/env bash
# transport_spec_cli.sh — one transport grammar: every spec form parses to the same value through
# lh-xfer (send and serve), lh-trace replay and lh-lab run (--describe-transport[s]), and a bad spec
# gets the same message from each (exit 2 from lh-xfer and lh-lab, non-zero from lh-trace). No root.
# Usage: transport_spec_cli.sh LH_XFER LH_TRACE LH_LAB
set -euo pipefail
XFER=$1 TRACE=$2 LAB=$3
fail() { echo "FAIL: $*" >&2; exit 1; }

forms=(longhaul longhaul-cubic longhaul-fixed:900mbit longhaul-fixed:2.5gbit tcp tcp-cubic tcp-bbr tcp-reno
       tcp-cubic-x8 tcp-bbr-x64 tcp-reno-x2 longhaul+psp longhaul-cubic+psp-auth)
for f in "${forms[@]}"; do
  a=$("$XFER" send --transport "$f" --describe-transport)
  b=$("$XFER" serve --transport "$f" --describe-transport)
  c=$("$TRACE" replay --transport "$f" --describe-transport)
  d=$("$LAB" run --transports "$f" --describe-transports)
  [[ -n $a && $a == "$b" && $a == "$c" && $a == "$d" ]] ||
    fail "'$f' parses differently: lh-xfer send $a, serve $b, lh-trace $c, lh-lab $d"
  echo "ok: $f → $a"
done

bad=(quic tcp-vegas tcp-x1 tcp-cubic-x0 tcp-cubic-x65 tcp-cubic-x longhaul-fixed: longhaul-fixed:fast longhaul-x2 longhaul+tls tcp-bbr+psp "")
for f in "${bad[@]}"; do
  rc=0; "$XFER" send --transport "$f" --describe-transport >/dev/null 2>"${TMPDIR:-/tmp}/spec.xfer" || rc=$?
  [[ $rc -eq 2 ]] || fail "lh-xfer accepted '$f' (exit $rc)"
  rc=0; "$TRACE" replay --transport "$f" --describe-transport >/dev/null 2>"${TMPDIR:-/tmp}/spec.trace" || rc=$?
  [[ $rc -ne 0 ]] || fail "lh-trace accepted '$f'"
  rc=0; "$LAB" run --transports "$f" --describe-transports >/dev/null 2>"${TMPDIR:-/tmp}/spec.lab" || rc=$?
  # lh-lab reads a list: an empty item is no transport at all, which it refuses in its own words.
  [[ $rc -eq 2 ]] || fail "lh-lab accepted '$f' (exit $rc)"
  msg=$(grep -o "transport '[^']*': .*" "${TMPDIR:-/tmp}/spec.xfer" | head -1)
  [[ -n $msg ]] || fail "lh-xfer's error for '$f' does not name the transport: $(cat "${TMPDIR:-/tmp}/spec.xfer")"
  grep -qF "$msg" "${TMPDIR:-/tmp}/spec.trace" || fail "lh-trace's error for '$f' differs: $(cat "${TMPDIR:-/tmp}/spec.trace")"
  [[ -z $f ]] || grep -qF "$msg" "${TMPDIR:-/tmp}/spec.lab" || fail "lh-lab's error for '$f' differs: $(cat "${TMPDIR:-/tmp}/spec.lab")"
  echo "ok: '$f' refused by all three: $msg"
done
rm -f "${TMPDIR:-/tmp}"/spec.{xfer,trace,lab}
echo "PASS: ${#forms[@]} spec forms parse the same through lh-xfer, lh-trace and lh-lab; ${#bad[@]} bad ones get one message"
