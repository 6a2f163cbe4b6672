#!/usr/bin/python3
"""Build isoswitch policies of a given size for the benchmarks (deterministic).

Why a generator: the throughput targets compare one small policy (1 job, 2 vNICs)
with a large one (1,000 jobs, 4,096 vNICs, 64k peers); both must be valid
documents (docs/policy.md) and their addresses must be predictable so that
gen_traffic.py can address frames to them.

Address plan (no randomness: the same arguments give the same bytes):
  * job j gets `peers` consecutive IPv4 addresses from 10.0.0.1 upwards
    (peers are split as evenly as possible over the jobs);
  * the first vNICs of a job take the job's first peer addresses (a vNIC's IP
    must be one of its job's peers); the remaining peers are remote containers;
  * vNIC i: MAC 02:01:HH:HH:HH:HH (i in hex), port "<prefix><n>".
With --bind K only K vNICs are kept, picked evenly over all vNICs (so they
belong to many jobs): the daemon has at most 32 DPDK ports. The addresses of
the vNICs left out stay in their jobs' peer sets (as remote containers), so
the policy keeps its full number of jobs and peers.

Usage:
  gen_policy.py --preset small|large [--bind K] [--port-prefix vnic] -o FILE
  gen_policy.py --jobs N --vnics V --peers P [...] -o FILE
"""
import argparse
import ipaddress
import json
import sys

PRESETS = {
    # one job, two local vNICs, two remote peers
    "small": dict(jobs=1, vnics=2, peers=4),
    # the large policy
    "large": dict(jobs=1000, vnics=4096, peers=65536),
}

GATEWAY_MAC = "02:fe:00:00:00:01"
UPLINK_MAC = "02:00:00:00:aa:01"
NEXT_HOP_MAC = "02:00:00:00:aa:fe"
UPLINK_IP = "192.0.2.10"
GATEWAY_IP = "169.254.1.1"
FIRST_PEER = int(ipaddress.IPv4Address("10.0.0.1"))


def vnic_mac(i):
    return "02:01:" + ":".join("%02x" % ((i >> s) & 0xFF) for s in (24, 16, 8, 0))


def split(total, parts):
    """`total` items over `parts` buckets, sizes differing by at most one."""
    base, extra = divmod(total, parts)
    return [base + (1 if k < extra else 0) for k in range(parts)]


def build(jobs, vnics, peers, bind=None, port_prefix="vnic", uplink_port="uplink0",
          non_isolated_every=0):
    if jobs < 1 or vnics < jobs or peers < vnics:
        raise ValueError("need jobs >= 1, vnics >= jobs, peers >= vnics")
    vnics_per_job = split(vnics, jobs)
    peers_per_job = split(peers, jobs)
    for j in range(jobs):
        if peers_per_job[j] < vnics_per_job[j]:
            raise ValueError("job %d: fewer peers than vNICs" % j)

    doc_jobs, all_vnics = [], []
    next_ip = FIRST_PEER
    for j in range(jobs):
        job_id = "job-%04d" % j
        addrs = [str(ipaddress.IPv4Address(next_ip + k)) for k in range(peers_per_job[j])]
        next_ip += peers_per_job[j]
        isolated = not (non_isolated_every and j % non_isolated_every == non_isolated_every - 1)
        doc_jobs.append({"id": job_id, "isolated": isolated, "peers": addrs})
        for k in range(vnics_per_job[j]):
            i = len(all_vnics)
            all_vnics.append({"id": "v-%04d" % i, "mac": vnic_mac(i), "ip": addrs[k],
                              "job": job_id})

    if bind is not None:
        if bind < 1 or bind > len(all_vnics):
            raise ValueError("--bind must be within 1..%d" % len(all_vnics))
        # evenly spaced picks so the bound vNICs span the jobs
        picks = [(n * len(all_vnics)) // bind for n in range(bind)]
        kept = [all_vnics[p] for p in picks]
    else:
        kept = all_vnics
    doc_vnics = []
    for n, v in enumerate(kept):
        doc_vnics.append({"id": v["id"], "port": "%s%d" % (port_prefix, n), "mac": v["mac"],
                          "ip": v["ip"], "job": v["job"]})

    return {
        "version": 1,
        "host": {
            "gateway_mac": GATEWAY_MAC,
            "gateway_ip": GATEWAY_IP,
            "uplink": {"port": uplink_port, "mac": UPLINK_MAC, "ip": UPLINK_IP,
                       "next_hop_mac": NEXT_HOP_MAC},
        },
        "jobs": doc_jobs,
        "vnics": doc_vnics,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--preset", choices=sorted(PRESETS))
    ap.add_argument("--jobs", type=int)
    ap.add_argument("--vnics", type=int)
    ap.add_argument("--peers", type=int)
    ap.add_argument("--bind", type=int, help="keep only K vNICs, bound to ports PREFIX0..K-1")
    ap.add_argument("--port-prefix", default="vnic")
    ap.add_argument("--uplink-port", default="uplink0")
    ap.add_argument("--non-isolated-every", type=int, default=0,
                    help="make every N-th job non-isolated (0: all isolated)")
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()
    size = dict(PRESETS[a.preset]) if a.preset else {}
    for k in ("jobs", "vnics", "peers"):
        if getattr(a, k) is not None:
            size[k] = getattr(a, k)
    if set(size) != {"jobs", "vnics", "peers"}:
        ap.error("give --preset or all of --jobs/--vnics/--peers")
    try:
        doc = build(bind=a.bind, port_prefix=a.port_prefix, uplink_port=a.uplink_port,
                    non_isolated_every=a.non_isolated_every, **size)
    except ValueError as e:
        print("gen_policy.py: %s" % e, file=sys.stderr)
        return 2
    with open(a.output, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")
    print("gen_policy.py: %s: %d jobs, %d vNICs in the document, %d peers" %
          (a.output, len(doc["jobs"]), len(doc["vnics"]),
           sum(len(j["peers"]) for j in doc["jobs"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
