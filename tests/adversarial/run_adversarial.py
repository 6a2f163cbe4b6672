#!/usr/bin/env python3
"""Replay the adversarial cases through isoswitch-replay and judge the result.

usage: run_adversarial.py ISOSWITCH_REPLAY [CASES_DIR]

Three independent checks, each must pass:
 1. verdicts: every frame's verdict, drop reason and egress port equal the
    expectation make_cases.py derived from docs/rules.md;
 2. bytes: every output port's capture equals the expected capture frame by
    frame (rewritten MACs, tags, ARP/ND answers) and in order;
 3. isolation invariants (ISOLATION.md), checked on the output captures alone,
    without looking at the expectations: nothing a container of an isolated
    job sends reaches anyone but its peers, nothing reaches a container that
    is not from its job (or a switch answer), no VLAN tag reaches a vNIC or
    leaves on the uplink except A1's, nothing link-local or host-bound leaves,
    the agent never hears from a container.
Prints the case count and per-check results; exit 0 only when all pass.
Only the standard library is used, so any python3 runs it.
"""

import ipaddress
import json
import os
import struct
import subprocess
import sys
import tempfile

GW_MAC_DEFAULT = None


def read_pcap(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    if magic in (0xA1B2C3D4, 0xA1B23C4D):
        end = "<"
    elif magic in (0xD4C3B2A1, 0x4D3CB2A1):
        end = ">"
    else:
        raise ValueError("%s: not a classic pcap" % path)
    off, frames = 24, []
    while off < len(data):
        _, _, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        off += 16
        frames.append(data[off:off + incl])
        off += incl
    return frames


def mac(b):
    return ":".join("%02x" % x for x in b)


class Policy:
    def __init__(self, doc):
        h = doc["host"]
        self.gw_mac = h["gateway_mac"]
        self.up_mac = h["uplink"]["mac"]
        self.nh_mac = h["uplink"]["next_hop_mac"]
        self.host_ips = {h["uplink"]["ip"], h["agent"]["service_ip"]}
        if h.get("gateway_ip"):
            self.host_ips.add(h["gateway_ip"])
        self.agent_mac = h["agent"]["mac"]
        self.agent_port = h["agent"]["port"]
        self.uplink_port = h["uplink"]["port"]
        self.jobs = {j["id"]: j for j in doc["jobs"]}
        self.peers = {j["id"]: {ipaddress.ip_address(p) for p in j["peers"]} for j in doc["jobs"]}
        self.container = {}  # address -> job
        for jid, ps in self.peers.items():
            for p in ps:
                self.container[p] = jid
        self.vnics = {v["port"]: v for v in doc["vnics"]}
        self.vpcs = {j["vpc"]["vlan"]: j["vpc"] for j in doc["jobs"] if "vpc" in j}
        for v in self.vpcs.values():
            self.host_ips.add(v["agent_ip"])


def l3(frame):
    """(ethertype, l3 offset, vlan id or None) with at most one inline tag."""
    et = struct.unpack("!H", frame[12:14])[0]
    if et in (0x8100, 0x88A8, 0x9100):
        return struct.unpack("!H", frame[16:18])[0], 18, struct.unpack("!H", frame[14:16])[0] & 0xFFF
    return et, 14, None


def ip_addrs(frame, et, off):
    if et == 0x0800:
        return (ipaddress.ip_address(frame[off + 12:off + 16]),
                ipaddress.ip_address(frame[off + 16:off + 20]))
    if et == 0x86DD:
        return (ipaddress.ip_address(frame[off + 8:off + 24]),
                ipaddress.ip_address(frame[off + 24:off + 40]))
    return None, None


def is_switch_answer(frame, et, off, answer_mac):
    """An ARP reply or a neighbour advertisement built by the switch."""
    if mac(frame[6:12]) != answer_mac:
        return False
    if et == 0x0806:
        return struct.unpack("!H", frame[off + 6:off + 8])[0] == 2 and mac(frame[off + 8:off + 14]) == answer_mac
    if et == 0x86DD:
        return frame[off + 6] == 58 and frame[off + 40] == 136
    return False


def check_invariants(pol, outputs):
    """Returns a list of violations found on the output captures."""
    bad = []
    link_local = ipaddress.ip_network("169.254.0.0/16")
    loopback = ipaddress.ip_network("127.0.0.0/8")
    for port, frames in outputs.items():
        for i, f in enumerate(frames):
            where = "%s.pcap frame %d" % (port, i)
            if len(f) < 14:
                bad.append(where + ": shorter than an Ethernet header")
                continue
            et, off, vid = l3(f)
            src, dst = ip_addrs(f, et, off)
            if port in pol.vnics:
                v = pol.vnics[port]
                job = v["job"]
                if vid is not None:
                    bad.append(where + ": a VLAN tag reached a vNIC")
                if mac(f[0:6]) != v["mac"]:
                    bad.append(where + ": dst MAC %s is not the vNIC's" % mac(f[0:6]))
                if is_switch_answer(f, et, off, pol.gw_mac):
                    continue
                if mac(f[6:12]) != pol.gw_mac:
                    bad.append(where + ": src MAC is not the gateway's")
                if src is None:
                    bad.append(where + ": non-IP frame 0x%04x reached a vNIC" % et)
                elif pol.jobs[job]["isolated"] and src not in pol.peers[job]:
                    bad.append(where + ": %s is no peer of isolated job %s" % (src, job))
                elif pol.container.get(src, job) != job:
                    bad.append(where + ": %s is a container of another job" % src)
            elif port == pol.agent_port:
                if vid is not None:
                    bad.append(where + ": a VLAN tag reached the agent")
                if is_switch_answer(f, et, off, pol.gw_mac):
                    continue
                if src is None or src in pol.container:
                    bad.append(where + ": from a container or not IP")
            elif port == pol.uplink_port:
                if mac(f[6:12]) != pol.up_mac:
                    bad.append(where + ": src MAC is not the uplink's")
                if is_switch_answer(f, et, off, pol.up_mac):
                    continue
                if vid is not None:
                    vpc = pol.vpcs.get(vid)
                    if vpc is None or str(src) != vpc["agent_ip"] or mac(f[0:6]) != vpc["gateway_mac"]:
                        bad.append(where + ": tagged frame that is not A1 (vlan %s, src %s)" % (vid, src))
                    elif not any(dst in ipaddress.ip_network(p) for p in vpc["prefixes"]):
                        bad.append(where + ": A1 to %s outside the VPC prefixes" % dst)
                    continue
                if mac(f[0:6]) != pol.nh_mac:
                    bad.append(where + ": dst MAC is not the next hop")
                if src is None:
                    bad.append(where + ": non-IP frame left on the uplink")
                    continue
                if dst.version == 4 and (dst in link_local or dst in loopback or str(dst) in pol.host_ips):
                    bad.append(where + ": %s must never leave" % dst)
                sj = pol.container.get(src)
                if sj is not None:
                    if pol.jobs[sj]["isolated"] and dst not in pol.peers[sj]:
                        bad.append(where + ": isolated %s (%s) reached non-peer %s" % (src, sj, dst))
                    if pol.container.get(dst, sj) != sj:
                        bad.append(where + ": %s reached another job's container %s" % (src, dst))
                elif str(src) not in pol.host_ips:
                    bad.append(where + ": source %s is neither a container nor the agent" % src)
    return bad


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    replay = sys.argv[1]
    cases = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "cases")
    with open(os.path.join(cases, "policy.json")) as f:
        pol = Policy(json.load(f))
    ports = [pol.uplink_port, pol.agent_port] + list(pol.vnics)
    with open(os.path.join(cases, "expected.jsonl")) as f:
        expected = [json.loads(line) for line in f if line.strip()]
    print("adversarial: %d cases on %d input ports" % (len(expected), len(ports)))

    with tempfile.TemporaryDirectory(prefix="isoswitch-adversarial-") as out:
        cmd = [replay, "--policy", os.path.join(cases, "policy.json"), "--out-dir", out, "--json"]
        for p in ports:
            cmd += ["--in", "%s=%s" % (p, os.path.join(cases, p + ".pcap"))]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            print("isoswitch-replay exited %d\nstdout:\n%s\nstderr:\n%s" % (r.returncode, r.stdout, r.stderr))
            return 1
        summary = json.loads(r.stdout)
        with open(os.path.join(out, "verdicts.jsonl")) as f:
            got = [json.loads(line) for line in f if line.strip()]
        outputs = {p: read_pcap(os.path.join(out, p + ".pcap")) for p in ports}

    failures = 0
    # 1. verdicts, matched by (in, index) so that a missing line is named.
    got_by = {(g["in"], g["index"]): g for g in got}
    verdict_bad = 0
    for e in expected:
        g = got_by.get((e["in"], e["index"]))
        want = {k: v for k, v in e.items() if k != "note"}
        if g != want:
            verdict_bad += 1
            if verdict_bad <= 40:
                print("  VERDICT %s[%d] %s: want %s got %s" % (e["in"], e["index"], e["note"], want, g))
    if len(got) != len(expected):
        verdict_bad += 1
        print("  VERDICT: %d verdict lines for %d cases" % (len(got), len(expected)))
    print("check verdicts: %d/%d cases right%s" % (len(expected) - min(verdict_bad, len(expected)),
                                                   len(expected), "" if not verdict_bad else "  FAIL"))
    failures += verdict_bad

    # 2. bytes of every output capture.
    bytes_bad = 0
    total_out = 0
    for p in ports:
        want = read_pcap(os.path.join(cases, "expected-" + p + ".pcap"))
        have = outputs[p]
        total_out += len(want)
        if len(want) != len(have):
            bytes_bad += 1
            print("  BYTES %s: %d frames, expected %d" % (p, len(have), len(want)))
        for i, (a, b) in enumerate(zip(have, want)):
            if a != b:
                bytes_bad += 1
                print("  BYTES %s frame %d differs:\n    got  %s\n    want %s" % (p, i, a.hex(), b.hex()))
    print("check output bytes: %d frames expected on %d ports%s" % (total_out, len(ports),
                                                                   "" if not bytes_bad else "  FAIL"))
    failures += bytes_bad

    # 3. the contract, on what actually came out.
    bad = check_invariants(pol, outputs)
    for b in bad[:40]:
        print("  ISOLATION " + b)
    print("check isolation invariants: %d output frames, %d violations%s" % (
        sum(len(v) for v in outputs.values()), len(bad), "" if not bad else "  FAIL"))
    failures += len(bad)

    t = summary["total"]
    print("summary: %d frames, %d forwarded, %d answered, %d dropped; reasons %s" % (
        t["frames"], t["forward"], t["reply"], t["drop"], json.dumps(t["reasons"], sort_keys=True)))
    print("adversarial: %s (%d cases)" % ("PASS" if not failures else "FAIL", len(expected)))
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main())
