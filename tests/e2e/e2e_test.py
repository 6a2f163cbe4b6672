#!/usr/bin/python3
"""isoswitch end to end: real containers (network namespaces), real tools.

Builds the topology in topology.py, starts `isoswitchd` on it with net_af_packet
ports, and proves the isolation contract (docs/rules.md, ISOLATION.md) with ping,
curl/HTTP, UDP and a byte-checked TCP stream; policy changes go through
`isoswitchctl` over the control socket, and every drop the suite provokes on
purpose is checked against the switch's per-port/per-vNIC counters, exactly.

Usage: e2e_test.py ISOSWITCHD ISOSWITCHCTL [-k SUBSTRING] [--keep]
Exit: 0 all passed, 1 a case failed, 77 skipped (not root / no ip netns).
Run as root; total run time is bounded (< 10 minutes; typically ~2).
"""
import argparse
import copy
import json
import os
import signal
import subprocess
import sys
import time
import traceback

sys.dont_write_bytecode = True  # keep the source tree clean (run from meson as root)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import netns  # noqa: E402
import topology as T  # noqa: E402
from netns import CmdError, nsrun  # noqa: E402

SKIP = 77


# ---- small tools ---------------------------------------------------------------

def ping(ns, dst, count=3, src=None, wait=1.0, interval=0.2):
    """Number of echo replies received."""
    argv = ["ping", "-n", "-q", "-c", str(count), "-i", str(interval), "-W", str(wait)]
    if src:
        argv += ["-I", src]
    cp = nsrun(ns, argv + [dst], check=False, timeout=count * interval + wait + 10)
    for line in cp.stdout.splitlines():
        if " received" in line:
            return int(line.split(",")[1].split()[0])
    raise CmdError(f"ping output not understood: {cp.stdout}{cp.stderr}")


def fetch(topo, ns, url, src=None, max_time=8):
    """HTTP GET with curl inside ns; returns the body bytes, or None on failure."""
    out = os.path.join(topo.work, "fetch.out")
    if os.path.exists(out):
        os.unlink(out)
    argv = ["curl", "-s", "--max-time", str(max_time), "-o", out, "-w", "%{http_code}"]
    if src:
        argv += ["--interface", src]
    cp = nsrun(ns, argv + [url], check=False, timeout=max_time + 10)
    if cp.returncode != 0 or cp.stdout.strip() != "200":
        return None
    with open(out, "rb") as f:
        return f.read()


UDP_PROBE = ("import socket,sys\n"
             "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
             "s.settimeout(float(sys.argv[3]))\n"
             "s.sendto(bytes.fromhex(sys.argv[2]),(sys.argv[1],53))\n"
             "print(s.recvfrom(2048)[0].hex())\n")


def udp_query(ns, dst, payload, wait=1.5):
    """Sends one datagram to dst:53; returns the reply bytes or None."""
    cp = nsrun(ns, [T.PY, "-c", UDP_PROBE, dst, payload.hex(), str(wait)], check=False,
               timeout=wait + 10)
    if cp.returncode != 0:
        return None
    return bytes.fromhex(cp.stdout.strip())


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def ip_bytes(ip):
    return bytes(int(x) for x in ip.split("."))


def ipv4_udp(src, dst, payload=b"isoswitch-e2e"):
    total = 20 + 8 + len(payload)
    hdr = bytearray(b"\x45\x00" + total.to_bytes(2, "big") + b"\x00\x01\x00\x00\x40\x11\x00\x00"
                    + ip_bytes(src) + ip_bytes(dst))
    csum = sum(int.from_bytes(hdr[i:i + 2], "big") for i in range(0, 20, 2))
    while csum >> 16:
        csum = (csum & 0xFFFF) + (csum >> 16)
    hdr[10:12] = (~csum & 0xFFFF).to_bytes(2, "big")
    udp = (4242).to_bytes(2, "big") + (9).to_bytes(2, "big") + (8 + len(payload)).to_bytes(2, "big") \
        + b"\x00\x00" + payload
    return bytes(hdr) + udp


def eth(dst, src, etype, payload):
    return mac_bytes(dst) + mac_bytes(src) + etype.to_bytes(2, "big") + payload


def send_raw(ns, frame, count):
    nsrun(ns, [T.PY, f"{T.HERE}/rawframe.py", "eth0", frame.hex(), str(count)], timeout=30)


def port_counters(stats, port):
    for p in stats.get("ports", []):
        if p.get("name") == port:
            return p
    raise AssertionError(f"port {port} missing from stats: {json.dumps(stats)[:400]}")


def drops(stats, port):
    return dict(port_counters(stats, port).get("drops", {}))


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


# ---- the suite -------------------------------------------------------------------

class Suite:
    def __init__(self, topo):
        self.t = topo
        self.policy = T.base_policy()
        # Exact per-(port, reason) counts this suite provokes with traffic whose
        # every frame it controls; checked against absolute counters at the end.
        self.ledger = {}

    # -- helpers bound to the topology --
    def ns(self, vnic_id):
        return self.t.vnic_ns(vnic_id)

    def expect_drops(self, port, reason, n, action, settle=0.4, timeout=5.0):
        """Runs action(); asserts exactly n more `reason` drops on port, and records them."""
        before = drops(self.t.stats(), port).get(reason, 0)
        action()
        deadline = time.monotonic() + timeout
        got = 0
        while time.monotonic() < deadline:
            got = drops(self.t.stats(), port).get(reason, 0) - before
            if got >= n:
                break
            time.sleep(0.1)
        time.sleep(settle)  # an over-count would show now
        got = drops(self.t.stats(), port).get(reason, 0) - before
        check(got == n, f"{port}: expected exactly {n} more '{reason}' drops, saw {got}")
        self.ledger[(port, reason)] = self.ledger.get((port, reason), 0) + n

    def apply_job(self, job):
        path = os.path.join(self.t.work, "job.json")
        with open(path, "w") as f:
            json.dump(job, f)
        cp = self.t.ctl(["job", "add", path], check=False)
        check(cp.returncode == 0, f"job add {job['id']} refused: {cp.stdout}{cp.stderr}")
        for i, j in enumerate(self.policy["jobs"]):
            if j["id"] == job["id"]:
                self.policy["jobs"][i] = copy.deepcopy(job)

    def job(self, job_id):
        return copy.deepcopy(next(j for j in self.policy["jobs"] if j["id"] == job_id))

    def vnic(self, vnic_id):
        return copy.deepcopy(next(v for v in self.policy["vnics"] if v["id"] == vnic_id))

    # -- cases --
    def case_fail_closed_until_apply(self):
        # Started without --policy and without a state file: nothing forwards.
        a0 = self.ns("a-0")
        before = drops(self.t.stats(), "vnic0").get("no_policy", 0)
        check(ping(a0, "10.1.0.12", count=2) == 0, "a-0 reached a-1 before any policy")
        check(drops(self.t.stats(), "vnic0").get("no_policy", 0) > before,
              "frames before the first policy were not counted no_policy")
        got = json.loads(self.t.ctl(["get", "--json"], check=False).stdout or "{}")
        check(got.get("generation") in (0, None) and not got.get("policy"),
              f"a policy is loaded before apply: {str(got)[:200]}")
        cp = self.t.ctl(["apply", self.t.policy_file], check=False)
        check(cp.returncode == 0, f"apply refused: {cp.stdout}{cp.stderr}")
        check(ping(a0, "10.1.0.12", count=1, wait=3) == 1, "a-0 -> a-1 right after apply")

    def case_local_peers_ping(self):
        for a, b, ip_b in (("a-0", "a-1", "10.1.0.12"), ("a-1", "a-0", "10.1.0.11"),
                           ("c-0", "c-1", "10.3.0.8"), ("c-1", "c-0", "10.3.0.7")):
            got = ping(self.ns(a), ip_b, count=3)
            check(got == 3, f"{a} -> {b} ({ip_b}): {got}/3 replies")

    def case_local_peers_tcp(self):
        for src, dst_ip in (("a-0", "10.1.0.12"), ("a-1", "10.1.0.11"), ("c-0", "10.3.0.8")):
            body = fetch(self.t, self.ns(src), f"http://{dst_ip}:8080/peer.bin")
            check(body == self.t.files["peer"],
                  f"{src} -> {dst_ip}:8080 TCP download failed or corrupt "
                  f"({None if body is None else len(body)} bytes)")

    def case_ipv6_peers(self):
        # train-c has IPv6: the switch answers the NS for the peer (E10) and
        # forwards unicast ICMPv6 between them (E5); off-job v6 is not_peer.
        for a, dst in (("c-0", T.IPV6["c-1"]), ("c-1", T.IPV6["c-0"])):
            got = ping(self.ns(a), dst, count=3)
            check(got == 3, f"{a} -> {dst} over IPv6: {got}/3 replies")
        c0 = self.ns("c-0")
        netns.nssh(c0, f"ip -6 route replace default dev eth0; ip -6 neigh replace fd00:9::1 "
                       f"lladdr {T.GATEWAY_MAC} dev eth0 nud permanent")
        self.expect_drops("vnic3", "not_peer", 2,
                          lambda: check(ping(c0, "fd00:9::1", count=2) == 0,
                                        "c-0 reached a non-peer over IPv6"))

    def case_remote_peer(self):
        ul = self.t.ns("ul")
        check(ping(self.ns("a-0"), T.REMOTE_PEER_IP) == 3, "a-0 -> remote peer: ping failed")
        check(ping(ul, "10.1.0.11", src=T.REMOTE_PEER_IP) == 3, "remote peer -> a-0: ping failed")
        body = fetch(self.t, self.ns("a-1"), f"http://{T.REMOTE_PEER_IP}/peer.bin")
        check(body == self.t.files["peer"], "a-1 -> remote peer: TCP download failed")
        body = fetch(self.t, ul, "http://10.1.0.11:8080/peer.bin", src=T.REMOTE_PEER_IP)
        check(body == self.t.files["peer"], "remote peer -> a-0: TCP download failed")

    def case_isolated_reaches_nothing_else(self):
        a0 = self.ns("a-0")
        targets = [("internet", T.INTERNET_IP), ("S3", T.S3_IP), ("metadata", T.METADATA_IP),
                   ("DNS", T.DNS_IP), ("VPC", T.VPC_GW_IP), ("other job b", "10.2.0.5"),
                   ("other job c", "10.3.0.7"), ("agent service", T.AGENT_SERVICE_IP),
                   ("agent VPC", T.VPC_AGENT_IP), ("underlay host", T.UNDERLAY_IP)]
        for what, ip in targets:
            self.expect_drops("vnic0", "not_peer", 2,
                              lambda ip=ip: check(ping(a0, ip, count=2) == 0,
                                                  f"a-0 reached {what} {ip} by ping"))
        for what, url in (("internet", f"http://{T.INTERNET_IP}/data.bin"),
                          ("S3", f"http://{T.S3_IP}/model.bin"),
                          ("metadata", f"http://{T.METADATA_IP}/data.bin"),
                          ("other job", "http://10.2.0.5:8080/peer.bin")):
            check(fetch(self.t, a0, url, max_time=3) is None, f"a-0 fetched {what}: {url}")
        probe = b"a0-dns-probe-" + os.urandom(6)
        check(udp_query(a0, T.DNS_IP, probe) is None, "a-0 got a DNS answer")
        with open(self.t.udp_log) as f:
            check(probe.hex() not in f.read(), "a-0's DNS probe reached the underlay")

    def case_isolated_arp_for_non_peer(self):
        # A non-peer on the job's on-link subnet: the switch does not answer (E4).
        before = drops(self.t.stats(), "vnic0").get("arp_denied", 0)
        check(ping(self.ns("a-0"), T.SPARE_REMOTE_IP, count=1, wait=2) == 0,
              "a-0 reached a non-peer on its subnet")
        after = drops(self.t.stats(), "vnic0").get("arp_denied", 0)
        check(after > before, "ARP for a non-peer was not counted as arp_denied")

    def case_non_isolated_internet(self):
        b0 = self.ns("b-0")
        check(ping(b0, T.INTERNET_IP) == 3, "b-0 -> internet: ping failed")
        check(fetch(self.t, b0, f"http://{T.INTERNET_IP}/data.bin") == self.t.files["internet"],
              "b-0 -> internet: HTTP download failed")
        check(fetch(self.t, b0, f"http://{T.S3_IP}/model.bin") == self.t.files["s3_public"],
              "b-0 -> public S3: HTTP download failed")
        probe = b"b0-dns-" + os.urandom(6)
        check(udp_query(b0, T.DNS_IP, probe) == b"reply:" + probe, "b-0 got no DNS answer")
        check(ping(self.t.ns("ul"), "10.2.0.5", src=T.INTERNET_IP) == 3,
              "internet -> b-0 (U2 return path) failed")
        for what, ip in (("metadata", T.METADATA_IP), ("other job", "10.1.0.11"),
                         ("agent service", T.AGENT_SERVICE_IP), ("agent VPC", T.VPC_AGENT_IP),
                         ("uplink ip", T.UPLINK_IP)):
            self.expect_drops("vnic2", "forbidden_dst", 2,
                              lambda ip=ip: check(ping(b0, ip, count=2) == 0,
                                                  f"b-0 reached {what} {ip}"))

    def tagger(self):
        with open(self.t.tagger_stats) as f:
            return json.load(f)

    def case_agent_vpc_download(self):
        before = self.tagger()
        body = fetch(self.t, self.t.ns("ag"), f"http://{T.S3_IP}/model.bin", src=T.VPC_AGENT_IP)
        check(body == self.t.files["s3_vpc"],
              "agent (VPC address) did not get the VPC copy of the S3 object: "
              + ("nothing" if body is None else body[:12].decode(errors="replace")))
        time.sleep(1.2)  # the tagger writes its counters every second
        after = self.tagger()
        tagged_in = (after["trunk_meta_tag"] + after["trunk_inline_tag"]
                     - before["trunk_meta_tag"] - before["trunk_inline_tag"])
        check(tagged_in > 0 and after["to_trunk"] > before["to_trunk"],
              f"no VLAN {T.VPC_VLAN} frames crossed the tagger: {before} -> {after}")

    def case_agent_default_route_download(self):
        before = self.tagger()
        body = fetch(self.t, self.t.ns("ag"), f"http://{T.S3_IP}/model.bin",
                     src=T.AGENT_SERVICE_IP)
        check(body == self.t.files["s3_public"],
              "agent (service address) did not get the public S3 copy: "
              + ("nothing" if body is None else body[:12].decode(errors="replace")))
        time.sleep(1.2)
        after = self.tagger()
        check(after["to_access"] == before["to_access"],
              "A2 traffic leaked onto the VPC VLAN")

    def case_agent_never_reaches_containers(self):
        ag = self.t.ns("ag")
        # The agent's ARP for a container is refused (A5), so pin the neighbour to
        # put IP frames on the wire: they must drop as agent_to_container (A3).
        netns.nssh(ag, f"ip route replace 10.0.0.0/8 dev eth0 src {T.AGENT_SERVICE_IP}; "
                       f"ip neigh replace 10.1.0.11 lladdr {T.GATEWAY_MAC} dev eth0 nud permanent")
        self.expect_drops("agent0", "agent_to_container", 3,
                          lambda: check(ping(ag, "10.1.0.11", count=3) == 0,
                                        "agent reached a container"))
        # The VPC address may only reach the VPC prefixes (A4 no_route otherwise).
        netns.nssh(ag, f"ip neigh replace {T.INTERNET_IP} lladdr {T.GATEWAY_MAC} dev eth0 "
                       "nud permanent")
        self.expect_drops("agent0", "no_route", 2,
                          lambda: check(ping(ag, T.INTERNET_IP, count=2, src=T.VPC_AGENT_IP) == 0,
                                        "agent's VPC address reached the internet"))

    def case_inbound_to_isolated(self):
        ul = self.t.ns("ul")
        self.expect_drops("uplink0", "not_peer_inbound", 2,
                          lambda: check(ping(ul, "10.1.0.11", count=2, src=T.INTERNET_IP) == 0,
                                        "internet reached isolated a-0"))
        probe = b"underlay-to-a0-" + os.urandom(4)
        self.expect_drops("uplink0", "not_peer_inbound", 1,
                          lambda: check(udp_query(ul, "10.1.0.11", probe, wait=1.0) is None,
                                        "a-0 answered the underlay host"))
        # Crafted on the underlay's wire (U5): a local container's address as
        # source, a VLAN no job owns, a unicast MAC that is not the uplink's, and
        # VLAN 101 to the agent's VPC address from outside the job's prefixes.
        up, me = T.UPLINK_MAC, T.UNDERLAY_MAC
        spoof = eth(up, me, 0x0800, ipv4_udp("10.1.0.12", "10.1.0.11"))
        vlan202 = mac_bytes(up) + mac_bytes(me) + bytes.fromhex("810000ca0800") + \
            ipv4_udp(T.INTERNET_IP, "10.1.0.11")
        other_mac = eth("02:00:00:00:ee:01", me, 0x0800, ipv4_udp(T.INTERNET_IP, "10.2.0.5"))
        vpc_outsider = mac_bytes(up) + mac_bytes(me) + bytes.fromhex("810000650800") + \
            ipv4_udp(T.INTERNET_IP, T.VPC_AGENT_IP)
        self.expect_drops("uplink0", "spoofed_src", 2, lambda: send_raw(ul, spoof, 2))
        self.expect_drops("uplink0", "unknown_vlan", 2, lambda: send_raw(ul, vlan202, 2))
        self.expect_drops("uplink0", "not_for_us", 2, lambda: send_raw(ul, other_mac, 2))
        self.expect_drops("uplink0", "not_peer_inbound", 2, lambda: send_raw(ul, vpc_outsider, 2))

    def case_crafted_frames_exact_drops(self):
        a0, mac, ip = self.ns("a-0"), "02:00:00:01:00:11", "10.1.0.11"
        gw = T.GATEWAY_MAC
        fe80_1 = bytes.fromhex("fe80" + "00" * 13 + "01")
        fd00_1 = bytes.fromhex("fd00" + "00" * 13 + "01")
        # version 6, payload 8 (UDP), next header 17, hop limit 64
        ipv6 = eth(gw, mac, 0x86DD, bytes([0x60, 0, 0, 0, 0, 8, 17, 64]) + fe80_1 + fd00_1
                   + bytes(8))
        spoof_ip = eth(gw, mac, 0x0800, ipv4_udp("10.1.0.99", "10.1.0.12"))
        spoof_mac = eth(gw, "02:00:00:01:00:99", 0x0800, ipv4_udp(ip, "10.1.0.12"))
        tagged = mac_bytes(gw) + mac_bytes(mac) + bytes.fromhex("81000065") + \
            (0x0800).to_bytes(2, "big") + ipv4_udp(ip, "10.1.0.12")
        lldp = eth("01:80:c2:00:00:0e", mac, 0x88CC, bytes(46))
        bcast = eth("ff:ff:ff:ff:ff:ff", mac, 0x0800, ipv4_udp(ip, "255.255.255.255"))
        mcast = eth("01:00:5e:00:00:fb", mac, 0x0800, ipv4_udp(ip, "224.0.0.251"))
        self.expect_drops("vnic0", "ipv6_disabled", 3, lambda: send_raw(a0, ipv6, 3))
        self.expect_drops("vnic0", "spoofed_src", 2, lambda: send_raw(a0, spoof_ip, 2))
        self.expect_drops("vnic0", "spoofed_src", 2, lambda: send_raw(a0, spoof_mac, 2))
        self.expect_drops("vnic0", "vlan_from_vnic", 2, lambda: send_raw(a0, tagged, 2))
        self.expect_drops("vnic0", "unsupported", 2, lambda: send_raw(a0, lldp, 2))
        self.expect_drops("vnic0", "bcast_mcast", 4, lambda: send_raw(a0, bcast, 4))
        self.expect_drops("vnic0", "bcast_mcast", 1, lambda: send_raw(a0, mcast, 1))

    def case_policy_add_peer(self):
        a0 = self.ns("a-0")
        check(ping(a0, T.SPARE_REMOTE_IP, count=1, wait=1) == 0, "non-peer reachable before")
        job = self.job("train-a")
        job["peers"].append(T.SPARE_REMOTE_IP)
        self.apply_job(job)
        # The very next packets are judged by the new policy.
        check(ping(a0, T.SPARE_REMOTE_IP, count=1, wait=3) == 1,
              "new peer not reachable right after the update")
        check(ping(self.t.ns("ul"), "10.1.0.11", count=1, src=T.SPARE_REMOTE_IP) == 1,
              "new peer cannot reach a-0 right after the update (U1)")

    def case_policy_remove_vnic(self):
        c0, c1 = self.ns("c-0"), self.ns("c-1")
        check(ping(c0, "10.3.0.8", count=1) == 1, "c-0 -> c-1 before removal")
        saved = self.vnic("c-1")
        cp = self.t.ctl(["vnic", "del", "c-1"], check=False)
        check(cp.returncode == 0, f"vnic del refused: {cp.stdout}{cp.stderr}")
        self.policy["vnics"] = [v for v in self.policy["vnics"] if v["id"] != "c-1"]
        check(ping(c0, "10.3.0.8", count=2) == 0, "c-0 still reaches the removed vNIC")
        before = drops(self.t.stats(), "vnic4").get("no_vnic", 0)
        check(ping(c1, "10.3.0.7", count=2) == 0, "the removed vNIC still reaches c-0")
        time.sleep(0.3)
        after = drops(self.t.stats(), "vnic4").get("no_vnic", 0)
        check(after - before >= 2, f"removed vNIC's frames not counted no_vnic ({after - before})")
        path = os.path.join(self.t.work, "vnic.json")
        with open(path, "w") as f:
            json.dump(saved, f)
        cp = self.t.ctl(["vnic", "add", path], check=False)
        check(cp.returncode == 0, f"vnic add refused: {cp.stdout}{cp.stderr}")
        self.policy["vnics"].append(saved)
        check(ping(c0, "10.3.0.8", count=1, wait=3) == 1, "re-added vNIC not reachable")

    def case_policy_isolate_job(self):
        b0 = self.ns("b-0")
        check(ping(b0, T.INTERNET_IP, count=1) == 1, "b-0 -> internet before isolating")
        job = self.job("infer-b")
        job["isolated"] = True
        self.apply_job(job)
        self.expect_drops("vnic2", "not_peer", 2,
                          lambda: check(ping(b0, T.INTERNET_IP, count=2) == 0,
                                        "isolated b-0 still reaches the internet"))
        job["isolated"] = False
        self.apply_job(job)
        check(ping(b0, T.INTERNET_IP, count=1, wait=2) == 1, "b-0 -> internet after un-isolating")

    def _flow_across_update(self, isolated):
        """100 pps of pings b0 -> internet while infer-b's `isolated` flips.

        Every echo request is judged wholly by one policy, so each one is
        accounted for exactly: answered (allowed both ways), or dropped as
        `not_peer` on b-0's port (isolated at egress), or its reply dropped as
        `not_peer_inbound` on the uplink (isolated when the reply came back).
        Nothing may vanish, and no reply may arrive after the update returned
        when the update isolates.
        """
        b0 = self.ns("b-0")
        s0 = self.t.stats()
        log = os.path.join(self.t.work, "flow-ping.log")
        with open(log, "w") as out:
            p = subprocess.Popen(
                netns.ns_argv(b0, ["ping", "-n", "-D", "-i", "0.01", "-c", "150", "-W", "1",
                                   T.INTERNET_IP]), stdout=out, stderr=out)
        try:
            time.sleep(0.6)
            job = self.job("infer-b")
            job["isolated"] = isolated
            self.apply_job(job)
            returned = time.time()
            p.wait(timeout=20)
        finally:
            netns.stop(p)
        time.sleep(0.4)
        s1 = self.t.stats()
        text = open(log).read()
        summary = next((ln for ln in text.splitlines() if " received" in ln), "")
        check(summary, f"ping output not understood: {text[-300:]}")
        sent = int(summary.split()[0])
        got = int(summary.split(",")[1].split()[0])
        reply_ts = [float(ln[1:ln.index("]")]) for ln in text.splitlines()
                    if ln.startswith("[") and "bytes from" in ln]
        egress = drops(s1, "vnic2").get("not_peer", 0) - drops(s0, "vnic2").get("not_peer", 0)
        inbound = (drops(s1, "uplink0").get("not_peer_inbound", 0)
                   - drops(s0, "uplink0").get("not_peer_inbound", 0))
        print(f"    {'isolate' if isolated else 'open'}: {sent} sent, {got} answered, "
              f"{egress} not_peer, {inbound} not_peer_inbound")
        check(0 < got < sent, f"the update did not fall inside the flow ({got}/{sent})")
        check(got + egress + inbound == sent,
              f"{sent} requests = {got} answered + {egress} not_peer + {inbound} "
              "not_peer_inbound does not add up: frames were lost or judged twice")
        if isolated:
            late = [t for t in reply_ts if t > returned + 0.3]
            check(not late, f"{len(late)} replies arrived after the isolating update returned")
        else:
            check(inbound == 0, f"{inbound} replies refused after opening the job")
        self.ledger[("vnic2", "not_peer")] = self.ledger.get(("vnic2", "not_peer"), 0) + egress
        self.ledger[("uplink0", "not_peer_inbound")] = \
            self.ledger.get(("uplink0", "not_peer_inbound"), 0) + inbound

    def case_policy_update_mid_flow(self):
        self._flow_across_update(isolated=True)
        self._flow_across_update(isolated=False)

    def case_refused_update_keeps_policy(self):
        job = self.job("train-a")
        job["peers"].append("10.2.0.5")  # another job's container: invalid
        path = os.path.join(self.t.work, "bad.json")
        with open(path, "w") as f:
            json.dump(job, f)
        cp = self.t.ctl(["job", "add", path], check=False)
        check(cp.returncode == 1, f"invalid update not refused with exit 1: {cp.returncode}")
        check(ping(self.ns("a-0"), "10.1.0.12", count=2) == 2, "peers broken after a refused update")

    def case_stream_during_100_updates(self):
        a0, a1 = self.ns("a-0"), self.ns("a-1")
        w = self.t.work
        out, stop = os.path.join(w, "stream-recv.json"), os.path.join(w, "stream.stop")
        recv = self.t.spawn("stream-recv", a1, [T.PY, f"{T.HERE}/stream.py", "recv",
                                                "--port", "9000", "--out", out])
        time.sleep(0.5)
        send = self.t.spawn("stream-send", a0, [T.PY, f"{T.HERE}/stream.py", "send",
                                                "--dst", "10.1.0.12", "--port", "9000",
                                                "--stop-file", stop, "--max-seconds", "150",
                                                "--rate", "2000000"])
        time.sleep(1.5)
        s0 = self.t.stats()
        gen0 = json.loads(self.t.ctl(["get", "--json"], check=False).stdout or "{}")
        a_job, c_job = self.job("train-a"), self.job("train-c")
        try:
            for i in range(100):
                if i % 2 == 0:
                    j = copy.deepcopy(c_job)
                    if i % 4 == 0:
                        j["peers"].append("10.3.0.99")
                else:
                    j = copy.deepcopy(a_job)
                    if i % 4 == 1:
                        j["peers"].append("10.1.1.30")
                self.apply_job(j)
                check(send.poll() is None, f"sender ended during update {i}: "
                                           + self.t.tail("stream-send"))
        finally:
            open(stop, "w").close()
        try:
            send.wait(timeout=30)
            recv.wait(timeout=30)
        except Exception:
            raise AssertionError("stream did not finish: " + self.t.tail("stream-send"))
        s1 = self.t.stats()
        sent = json.loads(self.t.tail("stream-send").strip().splitlines()[-1])
        with open(out) as f:
            got = json.load(f)
        check(sent["error"] is None, f"sender error: {sent['error']}")
        check(got["error"] is None and got["eof"], f"receiver: {got}")
        check(got["mismatch_at"] is None, f"stream corrupted at byte {got['mismatch_at']}")
        check(got["bytes"] == sent["bytes"] and sent["bytes"] > 1_000_000,
              f"received {got['bytes']} of {sent['bytes']} bytes")
        check(got["max_gap"] < 1.0, f"stream stalled for {got['max_gap']:.2f}s during updates")
        for port in ("vnic0", "vnic1"):
            d0, d1 = drops(s0, port), drops(s1, port)
            check(d0 == d1, f"{port}: frames dropped during updates: {d0} -> {d1}")
        gen1 = json.loads(self.t.ctl(["get", "--json"], check=False).stdout or "{}")
        g0, g1 = gen0.get("generation"), gen1.get("generation")
        if isinstance(g0, int) and isinstance(g1, int):
            check(g1 - g0 == 100, f"generation advanced by {g1 - g0}, not 100")
        print(f"    stream: {got['bytes']} bytes, max gap {got['max_gap']:.3f}s, "
              f"generation {g0} -> {g1}")

    def case_restart_keeps_policy(self):
        # SIGTERM exits 0; a restart without --policy loads the persisted state
        # (the policy as changed over the socket, same generation).
        before = json.loads(self.t.ctl(["get", "--json"]).stdout)
        rc = self.t.stop_daemon()
        check(rc == 0, f"isoswitchd exited {rc} on SIGTERM:\n" + self.t.tail("isoswitchd"))
        check(not os.path.exists(self.t.socket), "control socket left behind after SIGTERM")
        self.t.start_daemon(with_policy=False)
        after = json.loads(self.t.ctl(["get", "--json"]).stdout)
        check(after.get("generation") == before.get("generation"),
              f"generation {before.get('generation')} -> {after.get('generation')} on restart")
        check(after.get("policy") == before.get("policy"), "persisted policy differs")
        check(ping(self.ns("a-0"), T.SPARE_REMOTE_IP, count=1, wait=3) == 1,
              "the peer added over the socket is gone after restart")
        check(ping(self.ns("b-0"), T.INTERNET_IP, count=1, wait=3) == 1,
              "b-0 -> internet after restart")
        check(ping(self.ns("a-0"), T.INTERNET_IP, count=1) == 0, "a-0 isolated after restart")

    def case_final_counters_match_ledger(self):
        stats = self.t.stats()
        check("vnics" in stats and "a-0" in stats["vnics"], "stats has no per-vNIC section")
        check(stats["vnics"]["a-0"].get("drops", {}) == drops(stats, "vnic0"),
              "per-vNIC and per-port counters disagree for a-0")
        for (port, reason), n in sorted(self.ledger.items()):
            if (port, reason) in ABSOLUTE_EXACT:
                have = drops(stats, port).get(reason, 0)
                check(have == n, f"{port} {reason}: counter {have}, the suite sent {n}")
        for port, reason in ABSOLUTE_EXACT:
            check((port, reason) in self.ledger,
                  f"{port} {reason}: the case that provokes it did not run")


# (port, reason) pairs that only the suite's own counted traffic can produce, so
# the absolute counter must equal the suite's ledger (no background kernel traffic
# has these reasons: IPv6 is off everywhere, containers send no tagged/LLDP frames).
ABSOLUTE_EXACT = [
    ("vnic0", "ipv6_disabled"), ("vnic0", "vlan_from_vnic"), ("vnic0", "unsupported"),
    ("vnic0", "bcast_mcast"), ("vnic2", "forbidden_dst"), ("vnic2", "not_peer"),
    ("agent0", "agent_to_container"), ("agent0", "no_route"), ("uplink0", "spoofed_src"),
    ("uplink0", "unknown_vlan"), ("uplink0", "not_peer_inbound"),
]

CASES = [
    "fail_closed_until_apply",
    "local_peers_ping", "local_peers_tcp", "ipv6_peers", "remote_peer",
    "isolated_reaches_nothing_else",
    "isolated_arp_for_non_peer", "non_isolated_internet", "agent_vpc_download",
    "agent_default_route_download", "agent_never_reaches_containers", "inbound_to_isolated",
    "crafted_frames_exact_drops", "policy_add_peer", "policy_remove_vnic",
    "policy_isolate_job", "policy_update_mid_flow", "refused_update_keeps_policy", "stream_during_100_updates",
    "final_counters_match_ledger", "restart_keeps_policy",
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("isoswitchd")
    ap.add_argument("isoswitchctl")
    ap.add_argument("-k", default="", help="run only cases whose name contains this")
    ap.add_argument("--keep", action="store_true", help="keep the work dir (logs)")
    a = ap.parse_args()

    if os.geteuid() != 0:
        print("e2e: SKIP: needs root (network namespaces, raw sockets)")
        return SKIP
    if not netns.netns_available():
        print("e2e: SKIP: `ip netns` is unavailable here")
        return SKIP
    for b in (a.isoswitchd, a.isoswitchctl):
        if not os.access(b, os.X_OK):
            print(f"e2e: FAIL: binary not built: {b}")
            print("e2e: 0 passed, 1 failed")
            return 1

    # meson's timeout sends SIGTERM: turn it into an exception so teardown runs.
    def on_term(sig, _frm):
        raise SystemExit(f"signal {sig}")
    signal.signal(signal.SIGTERM, on_term)

    started = time.monotonic()
    topo = T.Topology(os.path.abspath(a.isoswitchd), os.path.abspath(a.isoswitchctl))
    passed, failed = [], []
    try:
        print(f"e2e: topology {topo.prefix} in {topo.work}", flush=True)
        try:
            topo.build()
            topo.start_daemon(with_policy=False)
        except Exception as e:  # noqa: BLE001 - report and fail the run
            print(f"FAIL setup: {e}")
            failed.append("setup")
            return 1
        suite = Suite(topo)
        for name in CASES:
            # The first case applies the policy: it always runs.
            if a.k and a.k not in name and name != CASES[0]:
                continue
            t0 = time.monotonic()
            try:
                getattr(suite, "case_" + name)()
                passed.append(name)
                print(f"ok   {name} ({time.monotonic() - t0:.1f}s)", flush=True)
            except SystemExit:
                failed.append(name)
                print(f"FAIL {name}: interrupted (SIGTERM/timeout); tearing down", flush=True)
                raise
            except Exception as e:  # noqa: BLE001 - a failed case must not stop the suite
                failed.append(name)
                print(f"FAIL {name} ({time.monotonic() - t0:.1f}s): {e}", flush=True)
                if not isinstance(e, (AssertionError, CmdError)):
                    traceback.print_exc()
            if topo.daemon.poll() is not None:
                print(f"FAIL isoswitchd died (exit {topo.daemon.returncode}):\n"
                      + topo.tail("isoswitchd"))
                failed.append("daemon-alive")
                break
        if failed:
            print("--- isoswitchd log (tail) ---\n" + topo.tail("isoswitchd"))
            try:
                print("--- stats ---\n" + json.dumps(topo.stats(), indent=1)[:6000])
            except Exception as e:  # noqa: BLE001
                print(f"(stats unavailable: {e})")
        return 0 if not failed else 1
    finally:
        topo.teardown(keep_work=a.keep)
        print(f"e2e: {len(passed)} passed, {len(failed)} failed "
              f"({time.monotonic() - started:.0f}s)", flush=True)


if __name__ == "__main__":
    sys.exit(main())
