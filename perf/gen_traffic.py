#!/usr/bin/python3
"""Build the benchmark's input pcap: a realistic uplink mix for a policy (deterministic).

The daemon harness replays this file forever on the uplink (net_pcap,
infinite_rx=1), so every frame is addressed as the underlay would send it
(dst MAC = the uplink's MAC, src MAC = the next hop) to the vNICs the policy
binds to ports:
  * ~70% allowed (U1): from a remote peer of the vNIC's job, spread round-robin
    over every bound vNIC and over the job's remote peers;
  * ~30% denied, split
      - 15% from a container of ANOTHER job      -> not_peer_inbound
        (from an outside address when the policy has one job),
      - 10% from an outside address (198.18/15)  -> not_peer_inbound,
      -  5% to an address no rule routes (10.255.255.x from a peer) -> no_route.
Frames are 60 bytes (64 on the wire with the FCS): Ethernet/IPv4/UDP + padding.
Same arguments, same bytes (seeded PRNG, fixed timestamps).

Usage: /usr/bin/python3 perf/gen_traffic.py --policy P.json -o F.pcap
           [--frames 4096] [--allowed 0.7] [--seed 1] [--summary F.json]
"""
import argparse
import ipaddress
import json
import random
import sys

from scapy.all import Ether, IP, UDP, Raw, wrpcap  # noqa: E402 (scapy: /usr/bin/python3)

FRAME_LEN = 60


def frame(src_mac, dst_mac, src_ip, dst_ip, sport, dport):
    p = Ether(src=src_mac, dst=dst_mac) / IP(src=src_ip, dst=dst_ip, ttl=64, id=sport) / \
        UDP(sport=sport, dport=dport)
    pad = FRAME_LEN - len(p)
    if pad > 0:
        p = p / Raw(b"\x00" * pad)
    return p


def plan(doc, frames, allowed, seed):
    """Returns [(class, src_ip, dst_ip)] in replay order."""
    rng = random.Random(seed)
    bound = doc["vnics"]
    if not bound:
        raise ValueError("the policy binds no vNIC: nothing to send to")
    local_ips = {v["ip"] for v in bound}
    jobs = {j["id"]: j for j in doc["jobs"]}
    remote = {jid: [p for p in j["peers"] if ":" not in p and p not in local_ips]
              for jid, j in jobs.items()}
    for v in bound:
        if not remote[v["job"]]:
            raise ValueError("job %s has no remote peer to send from" % v["job"])
    other_jobs = [jid for jid in jobs if remote[jid]]

    n_allowed = round(frames * allowed)
    n_denied = frames - n_allowed
    n_noroute = round(n_denied * 5 / 30)
    n_outside = round(n_denied * 10 / 30)
    n_cross = n_denied - n_noroute - n_outside

    out = []
    for k in range(n_allowed):
        v = bound[k % len(bound)]
        peers = remote[v["job"]]
        out.append(("allowed", peers[(k // len(bound)) % len(peers)], v["ip"]))
    for k in range(n_cross):
        v = bound[rng.randrange(len(bound))]
        others = [jid for jid in (rng.choice(other_jobs) for _ in range(4)) if jid != v["job"]]
        if others:
            out.append(("cross_job", rng.choice(remote[others[0]]), v["ip"]))
        else:  # one job only: an outside source instead
            out.append(("outside", str(ipaddress.IPv4Address(0xC6120000 + rng.randrange(1 << 17))),
                        v["ip"]))
    for k in range(n_outside):
        v = bound[rng.randrange(len(bound))]
        out.append(("outside", str(ipaddress.IPv4Address(0xC6120000 + rng.randrange(1 << 17))),
                    v["ip"]))
    for k in range(n_noroute):
        v = bound[rng.randrange(len(bound))]
        out.append(("no_route", rng.choice(remote[v["job"]]),
                    "10.255.255.%d" % (1 + rng.randrange(254))))
    rng.shuffle(out)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--policy", required=True)
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("--frames", type=int, default=4096)
    ap.add_argument("--allowed", type=float, default=0.7)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--summary", help="write the per-class frame counts as JSON")
    a = ap.parse_args()
    with open(a.policy) as f:
        doc = json.load(f)
    try:
        items = plan(doc, a.frames, a.allowed, a.seed)
    except ValueError as e:
        print("gen_traffic.py: %s" % e, file=sys.stderr)
        return 2
    up = doc["host"]["uplink"]
    pkts = []
    for k, (_, src, dst) in enumerate(items):
        p = frame(up["next_hop_mac"], up["mac"], src, dst, 1024 + (k % 50000), 4791)
        p.time = k * 1e-6  # fixed timestamps: byte-identical output
        pkts.append(p)
    wrpcap(a.output, pkts)
    counts = {}
    for c, _, _ in items:
        counts[c] = counts.get(c, 0) + 1
    summary = {"frames": len(items), "frame_len": FRAME_LEN, "classes": counts,
               "allowed_fraction": counts.get("allowed", 0) / max(1, len(items)),
               "vnics": len(doc["vnics"])}
    if a.summary:
        with open(a.summary, "w") as f:
            json.dump(summary, f, indent=1)
    print("gen_traffic.py: %s: %s" % (a.output, json.dumps(summary)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
