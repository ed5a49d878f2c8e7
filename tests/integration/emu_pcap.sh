#!/usr/bin/env bash
# emu_pcap.sh LH_EMU — pcap mode: with net_pcap vdevs (rx_pcap=in.pcap, tx_pcap=out.pcap) a known
# capture (600 frames: IPv4, IPv6, VLAN, non-IP, garbage; 60..1514 B) passes the loss-free 10 ms
# delay profile and comes out of port 1 complete, in order and byte-identical. No root needed.
set -euo pipefail
LH_EMU=$1
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
work=$(mktemp -d /tmp/lh-emu-pcap.XXXXXX)
trap 'rm -rf "$work"' EXIT
$PY "$here/emu_pcap.py" write "$work/in.pcap" "$work/empty.pcap"
rc=0
"$LH_EMU" -l 0-1 --no-huge -m 512 --no-pci --file-prefix "lh-emu-pcap-$$" \
  --vdev "net_pcap0,rx_pcap=$work/in.pcap,tx_pcap=$work/out_a.pcap" \
  --vdev "net_pcap1,rx_pcap=$work/empty.pcap,tx_pcap=$work/out_b.pcap" \
  -- --profile "$here/emu_profiles/delay10ms.toml" --duration 2s --no-live --stats-interval 0 \
  >"$work/emu.out" 2>"$work/emu.err" || rc=$?
if ((rc != 0)); then cat "$work/emu.err" >&2; echo "FAIL: lh-emu exited with $rc" >&2; exit 1; fi
$PY - "$work/emu.out" <<'PY'
import json, sys
s = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
d = s["directions"]["a_to_b"]
print(f"# a_to_b in {d['packets_in']} out {d['packets_out']} in ring at shutdown {d['in_ring_at_shutdown']} leaked {d['mempool']['leaked']}", file=sys.stderr)
if d["packets_in"] != 600 or d["packets_out"] != 600 or d["mempool"]["leaked"] != 0:
    sys.exit("FAIL: lh-emu did not forward all 600 frames cleanly")
PY
$PY "$here/emu_pcap.py" compare "$work/in.pcap" "$work/out_b.pcap"
