# server_lib.sh — the integration scripts' one start-a-server / scrape-its-port / wait-for-its-end loop
# (sourced, not run). The caller defines fail MESSAGE (exits) and removes what it made in its trap.
#   start_server LOG ADDR CMD...   runs CMD in the background, its stdout to LOG (stderr too, unless the
#                                  caller redirects CMD's stderr itself); sets srv_pid, and port once LOG
#                                  says "listening on ADDR:PORT" (10 s deadline; fails if CMD exits first)
#   wait_server [WHAT]             waits up to 10 s for the --once server to exit by itself; fails if it
#                                  is still running or exited non-zero; clears srv_pid
#   stop_server                    kills the server if it still runs (for the caller's trap)
#   expect_cli TOOL CODE SUBSTRING -- ARGS...
#                                  runs TOOL ARGS (20 s bound) and checks it exits CODE with exactly one
#                                  line on stderr containing SUBSTRING; counts misses in `failures`
srv_pid="" port="" failures=0

stop_server() {
  if [[ -n $srv_pid ]] && kill -0 "$srv_pid" 2>/dev/null; then kill "$srv_pid" 2>/dev/null || true; fi
  [[ -n $srv_pid ]] && wait "$srv_pid" 2>/dev/null || true
  srv_pid=""
}

expect_cli() {
  local tool=$1 code=$2 want=$3; shift 4
  local err rc
  err=$(timeout 20 "$tool" "$@" 2>&1 >/dev/null); rc=$?
  if [[ $rc -ne $code || $err != *"$want"* || $(wc -l <<<"$err") -ne 1 ]]; then
    echo "FAIL: $(basename "$tool") $* -> rc $rc (want $code), stderr: $err" >&2
    failures=$((failures + 1))
  else
    echo "ok: $(basename "$tool") $* -> $rc: $err"
  fi
}

start_server() {
  local log=$1 addr=$2
  shift 2
  if [[ -n $srv_pid ]] && kill -0 "$srv_pid" 2>/dev/null; then kill "$srv_pid"; wait "$srv_pid" 2>/dev/null || true; fi
  : >"$log"
  "$@" >>"$log" 2>&1 &
  srv_pid=$!
  port=""
  local re=${addr//./\\.}
  for _ in $(seq 200); do
    port=$(sed -n "s/.*listening on $re:\([0-9]*\).*/\1/p" "$log" | head -1)
    [[ -n $port ]] && return 0
    kill -0 "$srv_pid" 2>/dev/null || fail "server exited early: $(tail -3 "$log")"
    sleep 0.05
  done
  fail "server did not report its port within 10 s"
}

wait_server() {
  local what=${1:-server}
  for _ in $(seq 200); do kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.05; done
  kill -0 "$srv_pid" 2>/dev/null && fail "$what still running 10 s after the client ended"
  local rc=0
  wait "$srv_pid" || rc=$?
  srv_pid=""
  [[ $rc -eq 0 ]] || fail "$what exited $rc"
}
