#!/usr/bin/env bash
# isoswitch demo: replay the bundled example through the real pipeline.
#
# Usage: bash examples/demo.sh BUILD_DIR      (what `make demo` runs)
#
# No NIC, no root, no network: isoswitch-replay feeds the captures in
# examples/*.pcap to the same process_burst() the daemon runs, and writes
# what would leave each port. Outputs go to a temporary directory (kept and
# named at the end) unless DEMO_OUT is set.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/.." && pwd)"
build="${1:-build}"
case "$build" in /*) ;; *) build="$root/$build" ;; esac

replay="$build/dataplane/replay/isoswitch-replay"
if [[ ! -x "$replay" ]]; then
  echo "demo: $replay not found: run 'make build' first" >&2
  exit 1
fi

out="${DEMO_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/isoswitch-demo.XXXXXX")}"

cat <<'TXT'
isoswitch demo: one host, three ML jobs, a transfer agent, one uplink.

  train-a  isolated training job: vnic0 and vnic1 here, one peer on another host,
           S3 for its data goes through its VPC (VLAN 101) via the agent
  train-b  isolated training job without VPC: vnic2 here, one remote peer
  infer-c  inference job with internet access: vnic3
  agent0   the host's transfer agent (S3 via the VPC, or via the default route)

The captures hold one frame per case: peer traffic (local and remote, both ways), ARP and
IPv6 ND, attempts to reach the internet, S3, the metadata endpoint, DNS and other
jobs, spoofing, VLAN tags from containers, agent transfers with and without VPC,
and malformed frames. Every one is judged by the data plane's own pipeline.
TXT
echo
echo "$ isoswitch-replay --policy examples/policy.json --in PORT=examples/PORT.pcap ... --out-dir $out"
echo

args=()
for p in vnic0 vnic1 vnic2 vnic3 uplink0 agent0; do
  args+=(--in "$p=$here/$p.pcap")
done
"$replay" --policy "$here/policy.json" "${args[@]}" --out-dir "$out"

echo
echo "What happened to each frame: $out/verdicts.jsonl (the rule for each: examples/golden/scenario.txt)"
echo "What left each port:         $out/<port>.pcap  (e.g. tshark -r $out/uplink0.pcap)"
if [[ -x /usr/bin/python3 ]] && /usr/bin/python3 "$root/tests/replay/pcap_compare.py" \
     "$here/golden" "$out" uplink0 agent0 vnic0 vnic1 vnic2 vnic3 >/dev/null 2>&1; then
  echo "Every verdict and every output frame matches the hand-checked goldens in examples/golden/."
else
  echo "NOTE: the outputs differ from examples/golden/ (run: /usr/bin/python3 tests/replay/pcap_compare.py examples/golden $out uplink0 agent0 vnic0 vnic1 vnic2 vnic3)"
fi
