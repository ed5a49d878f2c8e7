# lab_lib.sh — shared steps of the lh-lab integration tests (sourced, not run).
# Usage: source lab_lib.sh LH_LAB LH_EMU LH_XFER. Needs root (skips with 77 otherwise).
# lh-lab creates and removes its own topology; the trap here removes the temporary folder and checks
# (in the tests) that no lab namespace is left behind.
set -euo pipefail
LAB=$1 EMU=$2 XFER=$3
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PY=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
if ((EUID != 0)); then echo "skip: needs root (network namespaces)"; exit 77; fi
command -v gnuplot >/dev/null || { echo "skip: gnuplot missing"; exit 77; }
WORK=$(mktemp -d /tmp/lh-lab-test.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# The test's own state directory: its journal and lock never meet a real lab run's.
LAB_ARGS=(--emu "$EMU" --xfer "$XFER" --topology "$ROOT/scripts/topology" --state-dir "$WORK/state")
lab_namespaces() { ip netns list | awk '{print $1}' | grep -E '^lab[0-9]+[AB]$' | sort || true; }
NS_BEFORE=$(lab_namespaces)
check_no_leftovers() {
  [[ "$(lab_namespaces)" == "$NS_BEFORE" ]] || fail "lab namespaces left behind: $(lab_namespaces)"
}
