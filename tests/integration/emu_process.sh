#!/usr/bin/env bash
# emu_process.sh LH_EMU — lh-emu as a process. Instances side by side lease disjoint cores: A on
# core 0 (-l 0), B (no core list) takes the free core 1; C finds no free core and D asks for B's core:
# both refused, naming the holder. SIGHUP ends B like SIGTERM (summary printed, exit 0) and B's DPDK
# runtime folder is gone. A killed with SIGKILL leaves its folder; the next instance removes it and
# gets A's core back. No lh-emu runtime folder of this test is left. (net_null ports: no traffic.)
source "$(dirname "$0")/emu_lib.sh"
emu_setup "$1"
(( $(nproc) >= 2 )) || { echo "skip: needs 2 CPUs"; exit 77; }
RUN=/var/run/dpdk
NULL=(--vdev net_null0 --vdev net_null1 --no-huge -m 512 --no-pci)
pids=()
start() {  # start NAME EAL... -- APP...: lh-emu in the background; sets started_pid
  local name=$1; shift
  "$LH_EMU" "$@" >"$EMU_WORK/$name.out" 2>"$EMU_WORK/$name.err" &
  started_pid=$!
  pids+=("$started_pid")
}
up() { wait_for 20 grep -q "running profile" "$EMU_WORK/$1.err" || { cat "$EMU_WORK/$1.err" >&2; fail "$1 did not start"; }; }
refused() {  # refused NAME: exited 1 with a one-line error
  local rc=0
  wait "$2" || rc=$?
  [[ $rc -eq 1 ]] || { cat "$EMU_WORK/$1.err" >&2; fail "$1 exited $rc, expected a refusal (1)"; }
}
trap 'set +e; for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; emu_cleanup' EXIT

start A -l 0 "${NULL[@]}" -- --builtin metro-80km --no-live --quiet
a=$started_pid; up A
grep -q "lcores 0$" "$EMU_WORK/A.err" || fail "A: $(grep 'running profile' "$EMU_WORK/A.err")"
start B "${NULL[@]}" -- --builtin metro-80km --no-live --quiet
b=$started_pid; up B
grep -q "lcores 1$" "$EMU_WORK/B.err" || fail "B did not take the free core: $(grep 'running profile' "$EMU_WORK/B.err")"
echo "ok: A on lcore 0, B on the free lcore 1"

start C "${NULL[@]}" -- --builtin metro-80km --no-live --quiet
refused C "$started_pid"
grep -q "no free core: lcores 0 (lh-emu pid $a), 1 (lh-emu pid $b)" "$EMU_WORK/C.err" || fail "C: $(cat "$EMU_WORK/C.err")"
start D -l 1 "${NULL[@]}" -- --builtin metro-80km --no-live --quiet
refused D "$started_pid"
grep -q "lcore 1 is in use by another lh-emu (pid $b)" "$EMU_WORK/D.err" || fail "D: $(cat "$EMU_WORK/D.err")"
echo "ok: refused: $(tail -1 "$EMU_WORK/C.err")"

[[ -d $RUN/lh-emu-$b ]] || fail "B has no runtime folder $RUN/lh-emu-$b (nothing to test)"
kill -HUP "$b"
rc=0; wait "$b" || rc=$?
[[ $rc -eq 0 ]] || { cat "$EMU_WORK/B.err" >&2; fail "B exited $rc after SIGHUP"; }
grep -q '"type": *"summary"' "$EMU_WORK/B.out" || fail "B printed no summary after SIGHUP"
[[ ! -e $RUN/lh-emu-$b ]] || fail "B left $RUN/lh-emu-$b behind"
echo "ok: SIGHUP: summary printed, exit 0, runtime folder removed"

kill -9 "$a"; wait "$a" 2>/dev/null || true
[[ -d $RUN/lh-emu-$a ]] || fail "a SIGKILLed instance left no folder (nothing to test)"
start E "${NULL[@]}" -- --builtin metro-80km --no-live --quiet
e=$started_pid; up E
[[ ! -e $RUN/lh-emu-$a ]] || fail "the dead instance's $RUN/lh-emu-$a was not removed"
grep -q "lcores 0-1$" "$EMU_WORK/E.err" || fail "E did not get the freed cores: $(grep 'running profile' "$EMU_WORK/E.err")"
kill -TERM "$e"; wait "$e" || fail "E exited $? after SIGTERM"
for p in "$a" "$b" "$e"; do [[ ! -e $RUN/lh-emu-$p ]] || fail "$RUN/lh-emu-$p left behind"; done
echo "PASS: disjoint lcores or a named refusal; SIGHUP is a clean stop; no runtime folder left behind"
