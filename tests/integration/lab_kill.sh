#!/usr/bin/env bash
# lab_kill.sh — lh-lab survives being killed. While a run transfers: a second run with the same state
# directory is refused by the lock (exit 2, naming the holder) and creates nothing; then SIGKILL on the
# first: its children die with it (parent-death signal) but its namespaces and raised sysctls stay —
# until the next lh-lab start, which undoes them from the journal (says so), restoring the sysctls to
# the true originals, not the raised values; after it no lab namespace and no lh-emu is left. SIGHUP
# ends a run like SIGTERM (exit 130, host restored). Usage: lab_kill.sh LH_LAB LH_EMU LH_XFER
source "$(dirname "$0")/lab_lib.sh"

KEYS=(net.core.rmem_max net.core.wmem_max net.ipv4.tcp_rmem net.ipv4.tcp_wmem)
sysctls() { for k in "${KEYS[@]}"; do printf '%s=%s\n' "$k" "$(sysctl -n "$k" | xargs)"; done; }
ORIGINAL=$(sysctls)
# Whatever happens, the host gets its values back (the test must not leave them raised either).
restore_sysctls() { while IFS='=' read -r k v; do sysctl -qw "$k=$v" >/dev/null 2>&1 || true; done <<<"$ORIGINAL"; }
lab_pid=""
on_exit() {
  [[ -n $lab_pid ]] && kill -9 "$lab_pid" 2>/dev/null && wait "$lab_pid" 2>/dev/null
  "$LAB" cleanup --state-dir "$WORK/state" >/dev/null 2>&1   # a failed test leaves nothing either
  restore_sysctls
  rm -rf "$WORK"
}
trap on_exit EXIT
emu_running() { pgrep -f "^$EMU " >/dev/null; }
! emu_running || fail "an lh-emu is already running; this test needs the machine to itself"

start_long_run() {   # a 4 GiB TCP transfer on a 5 MB BDP (sysctls raised to 20 MB): killed in the middle
  "$LAB" run --profiles continental-4000km --transports tcp-cubic --size 4GiB --repeat 1 --out "$WORK/$1" "${LAB_ARGS[@]}" \
    >"$WORK/$1.out" 2>"$WORK/$1.err" &
  lab_pid=$!
  for _ in $(seq 600); do grep -q "run 1/1" "$WORK/$1.err" 2>/dev/null && break; sleep 0.05; done
  grep -q "run 1/1" "$WORK/$1.err" || { kill -9 "$lab_pid"; cat "$WORK/$1.err" >&2; fail "the run never started"; }
  sleep 2   # into the transfer
}

start_long_run killed
[[ "$(sysctls)" != "$ORIGINAL" ]] || fail "the run did not raise the socket-buffer sysctls (nothing to test)"

# One run at a time: the second is refused before it changes anything.
rc=0
"$LAB" run --profiles metro-80km --transports longhaul --size 16MiB --repeat 1 --out "$WORK/second" "${LAB_ARGS[@]}" \
  >"$WORK/second.out" 2>"$WORK/second.err" || rc=$?
[[ $rc -eq 2 ]] || fail "the second run exited $rc, expected 2"
grep -q "another lh-lab is running (pid $lab_pid, lock " "$WORK/second.err" || fail "no lock message: $(cat "$WORK/second.err")"
[[ ! -e $WORK/second ]] || fail "the refused run created a results folder"
echo "ok: a second run is refused: $(cat "$WORK/second.err")"

kill -9 "$lab_pid"
wait "$lab_pid" 2>/dev/null || true
for _ in $(seq 100); do emu_running || break; sleep 0.05; done
! emu_running || fail "lh-emu outlived the killed lh-lab"
[[ -n "$(lab_namespaces)" && "$(lab_namespaces)" != "$NS_BEFORE" ]] || fail "no namespace left by the kill (nothing to test)"
[[ "$(sysctls)" != "$ORIGINAL" ]] || fail "the sysctls were restored without recovery (nothing to test)"
echo "ok: after SIGKILL: children gone; namespaces $(lab_namespaces | tr '\n' ' ')and raised sysctls left"

# The next start undoes the dead run's changes first, then runs and restores its own.
rc=0
"$LAB" run --profiles metro-80km --transports longhaul --size 16MiB --repeat 1 --out "$WORK/next" "${LAB_ARGS[@]}" \
  >"$WORK/next.out" 2>"$WORK/next.err" || rc=$?
cat "$WORK/next.err" >&2
[[ $rc -eq 0 ]] || fail "the run after the kill exited $rc"
grep -q "undid an unfinished run's change: removed topology lab" "$WORK/next.err" || fail "no topology recovery line"
grep -q "undid an unfinished run's change: restored net.core.rmem_max = " "$WORK/next.err" || fail "no sysctl recovery line"
[[ "$(sysctls)" == "$ORIGINAL" ]] || fail "sysctls not the true originals: $(sysctls) vs $ORIGINAL"
check_no_leftovers
! emu_running || fail "an lh-emu is left running"
echo "ok: the next start undid the killed run; sysctls are the true originals; nothing left"

# The killed run's folder still rebuilds into a report (it recorded no run; the report says it did not finish).
killed_dir=$(find "$WORK/killed" -mindepth 1 -maxdepth 1 -type d)
"$LAB" report "$killed_dir" >"$WORK/report.out" 2>"$WORK/report.err" || fail "lh-lab report failed: $(cat "$WORK/report.err")"
grep -q "the run did not finish" "$killed_dir/index.html" || fail "the report does not say the run did not finish"

# SIGHUP (a closed terminal) ends a run like SIGTERM.
start_long_run hup
kill -HUP "$lab_pid"
rc=0
wait "$lab_pid" || rc=$?
[[ $rc -eq 130 ]] || { cat "$WORK/hup.err" >&2; fail "SIGHUP: lh-lab exited $rc, expected 130"; }
[[ "$(sysctls)" == "$ORIGINAL" ]] || fail "SIGHUP: sysctls not restored"
check_no_leftovers
! emu_running || fail "SIGHUP: lh-emu left running"
[[ ! -s $WORK/state/journal.jsonl ]] || fail "SIGHUP: the journal was not cleared: $(cat "$WORK/state/journal.jsonl")"
echo "PASS: lock refuses a second run; SIGKILL is undone by the next start (true originals); SIGHUP is clean"
