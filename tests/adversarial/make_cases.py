#!/usr/bin/python3
"""Generate the adversarial frame suite: policy, input captures, expectations.

Run with Debian's python (scapy lives there):
    /usr/bin/python3 tests/adversarial/make_cases.py
and commit tests/adversarial/cases/ (review `git diff` first: every changed
expectation must be intended).

Every case is a frame an attacker controls (a container on its vNIC, the
agent, or anyone on the underlay) together with the verdict docs/rules.md
prescribes and, for frames that leave the switch, the exact bytes that must
leave. The expectations are worked out here from the rules, by hand, not
recorded from the tool: run_adversarial.py then checks isoswitch-replay
against them frame by frame, and separately checks the isolation invariants
of ISOLATION.md on everything that came out (a second, rule-independent net).

Deterministic: fixed addresses, timestamps BASE + 1 ms per case, no
randomness, our own pcap writer.
"""

import json
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6ND_Redirect, ICMPv6ND_RS,
                       ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IPOption_LSRR,
                       IPOption_Router_Alert, IPv6, Raw, conf)

conf.verb = 0
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "cases")

# ---------------------------------------------------------------- the policy
GW_MAC = "02:fe:00:00:00:01"
GW_IP = "169.254.1.1"
UP_MAC = "02:00:00:00:aa:01"
UP_IP = "192.0.2.10"
NH_MAC = "02:00:00:00:aa:fe"
AG_MAC = "02:00:00:00:cc:01"
AG_IP = "192.0.2.11"
VPC_VLAN = 101
VPC_GW = "02:00:00:00:bb:fe"
VPC_AG = "172.31.5.10"
ROUTER = NH_MAC
MTU = 1500

V = {  # port -> (mac, ipv4, ipv6)
    "vnic0": ("02:00:00:01:00:11", "10.1.0.11", "fd00:1::11"),
    "vnic1": ("02:00:00:01:00:12", "10.1.0.12", "fd00:1::12"),
    "vnic2": ("02:00:00:03:00:07", "10.3.0.7", None),
    "vnic3": ("02:00:00:02:00:05", "10.2.0.5", None),
}
A_REMOTE, A_REMOTE6 = "10.1.1.21", "fd00:1:1::21"
B_REMOTE = "10.3.1.8"

POLICY = {
    "version": 1,
    "host": {
        "gateway_mac": GW_MAC,
        "gateway_ip": GW_IP,
        "uplink": {"port": "uplink0", "mac": UP_MAC, "ip": UP_IP, "next_hop_mac": NH_MAC},
        "agent": {"port": "agent0", "mac": AG_MAC, "service_ip": AG_IP},
    },
    "jobs": [
        {"id": "train-a", "isolated": True,
         "peers": ["10.1.0.11", "10.1.0.12", A_REMOTE, "fd00:1::11", "fd00:1::12", A_REMOTE6],
         "vpc": {"vlan": VPC_VLAN, "gateway_mac": VPC_GW, "agent_ip": VPC_AG,
                 "prefixes": ["52.216.0.0/15", "3.5.0.0/16"]}},
        {"id": "train-b", "isolated": True, "peers": ["10.3.0.7", B_REMOTE]},
        {"id": "infer-c", "isolated": False, "peers": ["10.2.0.5"]},
    ],
    "vnics": [
        {"id": "a-0", "port": "vnic0", "mac": V["vnic0"][0], "ip": V["vnic0"][1],
         "ipv6": V["vnic0"][2], "job": "train-a"},
        {"id": "a-1", "port": "vnic1", "mac": V["vnic1"][0], "ip": V["vnic1"][1],
         "ipv6": V["vnic1"][2], "job": "train-a"},
        {"id": "b-0", "port": "vnic2", "mac": V["vnic2"][0], "ip": V["vnic2"][1], "job": "train-b"},
        {"id": "c-0", "port": "vnic3", "mac": V["vnic3"][0], "ip": V["vnic3"][1], "job": "infer-c"},
    ],
}
PORTS = ["uplink0", "agent0", "vnic0", "vnic1", "vnic2", "vnic3"]

# ---------------------------------------------------------------- frame helpers


def pad(b):
    return b + b"\x00" * (60 - len(b)) if len(b) < 60 else b


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def rewrite(frame, src, dst):
    return mac(dst) + mac(src) + frame[12:]


def pop_tag(frame, src, dst):
    return mac(dst) + mac(src) + frame[16:]


def arp(src_mac, src_ip, target_ip, op=1, eth_src=None, dst="ff:ff:ff:ff:ff:ff", tag=None,
        hwdst="00:00:00:00:00:00"):
    e = Ether(src=eth_src or src_mac, dst=dst)
    a = ARP(op=op, hwsrc=src_mac, psrc=src_ip, hwdst=hwdst, pdst=target_ip)
    return pad(bytes(e / Dot1Q(vlan=tag) / a if tag is not None else e / a))


def arp_reply(req, answer_mac):
    tagged = req[12:14] == b"\x81\x00"
    l2 = 18 if tagged else 14
    a = req[l2:l2 + 28]
    sha, spa, tpa = a[8:14], a[14:18], a[24:28]
    out = sha + mac(answer_mac)
    if tagged:
        out += req[12:16]
    out += b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2)
    return out + mac(answer_mac) + tpa + sha + spa


def ip4(src_mac, dst_mac, src, dst, l4=None, **kw):
    return pad(bytes(Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst, **kw) /
                     (l4 if l4 is not None else ICMP())))


def ip6(src_mac, dst_mac, src, dst, l4=None, hlim=64):
    return pad(bytes(Ether(src=src_mac, dst=dst_mac) / IPv6(src=src, dst=dst, hlim=hlim) /
                     (l4 if l4 is not None else ICMPv6EchoRequest())))


def ns(eth_src, src6, target6, eth_dst="33:33:ff:00:00:12", ip_dst="ff02::1:ff00:12"):
    return bytes(Ether(src=eth_src, dst=eth_dst) / IPv6(src=src6, dst=ip_dst, hlim=255)
                 / ICMPv6ND_NS(tgt=target6) / ICMPv6NDOptSrcLLAddr(lladdr=eth_src))


# ---------------------------------------------------------------- the cases
# Each: (input port, frame, verdict, reason-or-out-port, output bytes or None, note)
CASES = []


def case(port, frame, verdict, what, out=None, note=""):
    assert verdict in ("forward", "reply", "drop"), verdict
    assert (verdict == "drop") == (out is None), note
    CASES.append((port, bytes(frame), verdict, what, out, note))


def drop(port, frame, reason, note):
    case(port, frame, "drop", reason, None, note)


def fwd(port, frame, out_port, out, note):
    case(port, frame, "forward", out_port, out, note)


def to_vnic(frame, port):
    return rewrite(frame, GW_MAC, V[port][0])


def to_uplink(frame):
    return rewrite(frame, UP_MAC, NH_MAC)


def spoofing():
    m0, ip0, ip60 = V["vnic0"]
    m1, ip1, ip61 = V["vnic1"]
    m2, ip2, _ = V["vnic2"]
    m3, ip3, _ = V["vnic3"]
    # E1: source MAC / IP not the sender's own.
    drop("vnic0", ip4("02:00:00:01:00:99", GW_MAC, ip0, ip1), "spoofed_src", "E1 foreign src MAC")
    drop("vnic0", ip4(m1, GW_MAC, ip1, ip0), "spoofed_src", "E1 a peer's MAC and IP")
    drop("vnic0", ip4(m0, GW_MAC, ip1, ip0), "spoofed_src", "E1 a peer's IP from a peer")
    drop("vnic2", ip4(m2, GW_MAC, ip0, ip1), "spoofed_src",
         "E1 train-a's IP from train-b's vNIC (peer IP from a non-peer vNIC)")
    drop("vnic2", ip4(m2, GW_MAC, A_REMOTE, ip0), "spoofed_src",
         "E1 train-a's remote peer IP from a non-peer vNIC")
    drop("vnic3", ip4(m3, GW_MAC, ip0, "8.8.8.8"), "spoofed_src",
         "E1 non-isolated vNIC borrowing an isolated container's IP to reach the internet")
    drop("vnic3", ip4(m3, GW_MAC, "0.0.0.0", "8.8.8.8", UDP(sport=68, dport=67)), "spoofed_src",
         "E1 unspecified source")
    drop("vnic0", ip4("ff:ff:ff:ff:ff:ff", GW_MAC, ip0, ip1), "spoofed_src", "E1 broadcast src MAC")
    drop("vnic0", ip4(GW_MAC, GW_MAC, ip0, ip1), "spoofed_src", "E1 the gateway's MAC as source")
    drop("vnic0", ip6(m0, GW_MAC, ip61, ip60), "spoofed_src", "E1 IPv6 source of a peer")
    drop("vnic0", ip6(m0, GW_MAC, "fe80::11", ip61), "spoofed_src", "E1 IPv6 link-local source")
    # E4: ARP claims.
    drop("vnic0", arp(m0, ip1, ip1), "spoofed_src", "E4 gratuitous ARP claiming a peer's IP")
    drop("vnic0", arp(m0, GW_IP, GW_IP), "spoofed_src", "E4 gratuitous ARP claiming the gateway IP")
    drop("vnic0", arp(m0, ip1, ip0, op=2, dst=m1, hwdst=m1), "spoofed_src",
         "E4 ARP reply claiming a peer's IP")
    drop("vnic0", arp(m0, GW_IP, ip1, op=2, dst=m1, hwdst=m1), "spoofed_src",
         "E4 ARP reply claiming the gateway IP")
    drop("vnic2", arp(m2, ip0, ip0), "spoofed_src", "E4 another job's IP claimed by gratuitous ARP")
    drop("vnic2", arp(m2, A_REMOTE, B_REMOTE, op=2, dst="ff:ff:ff:ff:ff:ff"), "spoofed_src",
         "E4 ARP reply claiming another job's remote peer")
    drop("vnic0", arp(m1, ip0, ip1, eth_src=m0), "spoofed_src", "E4 ARP sender MAC of a peer")
    drop("vnic0", arp(m0, ip0, ip1, eth_src=m1), "spoofed_src", "E1 Ethernet src of a peer on ARP")
    drop("vnic0", arp(m0, ip0, ip1, op=2, dst=m1, hwdst=m1), "arp_denied",
         "E4 ARP reply with its own IP (unsolicited)")
    drop("vnic0", arp(m0, ip0, ip0), "arp_denied", "E4 gratuitous ARP for its own IP")
    drop("vnic0", arp(m0, "0.0.0.0", ip1), "arp_denied", "E4 ARP probe")
    drop("vnic0", arp(m0, ip0, ip1, op=3), "arp_denied", "E4 RARP-style op 3")
    drop("agent0", arp(AG_MAC, GW_IP, "3.5.0.1"), "spoofed_src", "A4 agent claiming the gateway IP")
    drop("agent0", arp(AG_MAC, ip0, "3.5.0.1"), "spoofed_src", "A4 agent claiming a container IP")
    # The uplink: no one outside may speak for a local container.
    drop("uplink0", ip4(ROUTER, UP_MAC, ip1, ip0), "spoofed_src", "U5 a local vNIC's IP from outside")
    drop("uplink0", ip6(ROUTER, UP_MAC, ip61, ip60), "spoofed_src",
         "U5 a local vNIC's IPv6 from outside")
    drop("uplink0", ip4(ROUTER, UP_MAC, A_REMOTE, ip2), "not_peer_inbound",
         "U5 train-a's remote peer to train-b's container")
    drop("uplink0", ip4(ROUTER, UP_MAC, B_REMOTE, ip0), "not_peer_inbound",
         "U5 train-b's remote peer to train-a's container")
    drop("uplink0", ip4(ROUTER, UP_MAC, "10.1.7.7", ip0), "not_peer_inbound",
         "U5 an address next to the peers (same /16) to train-a")
    drop("uplink0", ip4(ROUTER, UP_MAC, ip3, ip0), "spoofed_src",
         "U5 the non-isolated local container's IP from outside")
    drop("uplink0", ip4(ROUTER, UP_MAC, A_REMOTE, AG_IP), "not_peer_inbound",
         "U5 a container address to the agent")
    f = arp(ROUTER, ip1, ip0)
    case("uplink0", f, "reply", "uplink0", arp_reply(f, UP_MAC),
         "U4 uplink ARP request with a local vNIC's IP as sender: answered to the requester "
         "only; the switch keeps no ARP cache, so the claim changes nothing")
    drop("uplink0", arp(ROUTER, "192.0.2.1", ip0, op=2, dst=UP_MAC, hwdst=UP_MAC), "arp_denied",
         "U5 uplink ARP reply")
    fwd("uplink0", ip4(ROUTER, UP_MAC, A_REMOTE, ip0), "vnic0",
        to_vnic(ip4(ROUTER, UP_MAC, A_REMOTE, ip0), "vnic0"), "U1 control: the real peer")


def arp_nonpeers():
    m0, ip0, _ = V["vnic0"]
    m2, ip2, _ = V["vnic2"]
    m3, ip3, _ = V["vnic3"]
    for tgt, what in [("8.8.8.8", "internet"), (ip2, "another job's container"),
                      (B_REMOTE, "another job's remote peer"), ("169.254.169.254", "metadata"),
                      (AG_IP, "the agent"), (VPC_AG, "the VPC agent"), (UP_IP, "the host"),
                      ("10.1.0.13", "an unused address next to the peers"),
                      ("255.255.255.255", "broadcast")]:
        drop("vnic0", arp(m0, ip0, tgt), "arp_denied", "E4 isolated ARP for " + what)
    drop("vnic2", arp(m2, ip2, ip0), "arp_denied", "E4 train-b ARP for train-a")
    for tgt, what in [(ip0, "an isolated job's container"), (B_REMOTE, "another job's remote"),
                      ("169.254.169.254", "metadata"), (UP_IP, "the host"), (AG_IP, "the agent"),
                      (VPC_AG, "a VPC agent"), ("127.0.0.1", "loopback"),
                      ("224.0.0.251", "multicast")]:
        drop("vnic3", arp(m3, ip3, tgt), "arp_denied", "E4 non-isolated ARP for " + what)
    f = arp(m0, ip0, GW_IP)
    case("vnic0", f, "reply", "vnic0", arp_reply(f, GW_MAC), "E3b control: ARP for the gateway")
    f = arp(m0, ip0, ip0.replace("11", "12"), dst=GW_MAC)
    case("vnic0", f, "reply", "vnic0", arp_reply(f, GW_MAC), "E3a unicast ARP for a peer")
    drop("uplink0", arp(ROUTER, "192.0.2.1", A_REMOTE), "arp_denied", "U5 ARP for a remote container")
    drop("uplink0", arp(ROUTER, "192.0.2.1", GW_IP), "arp_denied", "U5 ARP for the gateway IP")
    drop("uplink0", arp(ROUTER, "192.0.2.1", VPC_AG), "arp_denied",
         "U5 untagged ARP for the VPC agent")


def ipv6_abuse():
    m0, ip0, ip60 = V["vnic0"]
    m2, ip2, _ = V["vnic2"]
    m3, ip3, _ = V["vnic3"]
    ra = (IPv6(src="fe80::66", dst="ff02::1", hlim=255) / ICMPv6ND_RA(routerlifetime=1800)
          / ICMPv6NDOptSrcLLAddr(lladdr=m2))
    redirect = (IPv6(src="fe80::66", dst="fe80::1", hlim=255)
                / ICMPv6ND_Redirect(tgt="fe80::66", dst="2001:db8::1"))
    na = (IPv6(src="fe80::66", dst="ff02::1", hlim=255) / ICMPv6ND_NA(tgt="fd00:1::11", O=1)
          / ICMPv6NDOptDstLLAddr(lladdr=m2))
    # CVE-2020-10749 class: a container with no IPv6 answers with RAs to become
    # everyone's router. Nothing IPv6 leaves an IPv4-only vNIC.
    for port in ("vnic2", "vnic3"):
        m = V[port][0]
        drop(port, pad(bytes(Ether(src=m, dst="33:33:00:00:00:01") / ra)), "ipv6_disabled",
             "E10 RA from an IPv4-only vNIC")
        drop(port, pad(bytes(Ether(src=m, dst=GW_MAC) / redirect)), "ipv6_disabled",
             "E10 redirect from an IPv4-only vNIC")
        drop(port, pad(bytes(Ether(src=m, dst="33:33:00:00:00:01") / na)), "ipv6_disabled",
             "E10 unsolicited NA from an IPv4-only vNIC")
        drop(port, ns(m, "fe80::66", "fd00:1::11"), "ipv6_disabled",
             "E10 NS from an IPv4-only vNIC")
        drop(port, bytes(Ether(src=m, dst=GW_MAC, type=0x86dd) / Raw(b"\x60")), "ipv6_disabled",
             "E10 truncated IPv6 on an IPv4-only vNIC: refused before parsing")
    # With an IPv6 address: ND is still no way to become a router or steal a neighbour.
    drop("vnic0", pad(bytes(Ether(src=m0, dst="33:33:00:00:00:01") / IPv6(
        src="fe80::11", dst="ff02::1", hlim=255) / ICMPv6ND_RA())), "nd_denied", "E10 RA")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC) / IPv6(src=ip60, dst="fe80::1", hlim=255)
                            / ICMPv6ND_Redirect(tgt="fe80::11", dst="fd00:1::12"))),
         "nd_denied", "E10 redirect")
    drop("vnic0", pad(bytes(Ether(src=m0, dst="33:33:00:00:00:01") / IPv6(
        src=ip60, dst="ff02::1", hlim=255) / ICMPv6ND_NA(tgt="fd00:1::12", O=1)
        / ICMPv6NDOptDstLLAddr(lladdr=m0))), "nd_denied", "E10 NA claiming a peer's IPv6")
    drop("vnic0", pad(bytes(Ether(src=m0, dst="33:33:00:00:00:02") / IPv6(
        src=ip60, dst="ff02::2", hlim=255) / ICMPv6ND_RS())), "nd_denied", "E10 RS")
    drop("vnic0", pad(bytes(Ether(src=m0, dst="33:33:00:00:00:02") / IPv6(
        src=ip60, dst="ff02::2", hlim=255, nh=59) / Raw(b"\x85\x00\x00\x00"))),
         "bcast_mcast", "E9 RS bytes behind next header 59 are not ICMPv6: plain multicast")
    drop("vnic0", ns(m0, "fd00:1::12", "fd00:1:1::21"), "spoofed_src", "E10 NS from a peer's IPv6")
    drop("vnic0", ns(m0, ip60, "fd00:3::7"), "nd_denied", "E10 NS for a non-peer")
    drop("vnic0", ns(m0, "::", ip60), "nd_denied", "E10 DAD")
    f = bytearray(ns(m0, ip60, "fd00:1::12"))
    f = bytes(f[:14 + 40 + 20])
    f = f[:18] + struct.pack("!H", 20) + f[20:]
    drop("vnic0", f, "malformed", "E10 NS with 20 ICMPv6 bytes (needs 24)")
    drop("vnic0", ip6(m0, "33:33:00:00:00:01", ip60, "ff02::1"), "bcast_mcast",
         "E9 IPv6 all-nodes multicast")
    drop("vnic0", ip6(m0, GW_MAC, ip60, "ff05::2"), "bcast_mcast", "E9 IPv6 multicast dst, unicast MAC")
    drop("vnic0", ip6(m0, GW_MAC, ip60, "::ffff:10.3.0.7"), "not_peer",
         "E10 IPv4-mapped address of another job")
    drop("vnic0", ip6(m0, GW_MAC, ip60, "fe80::1"), "not_peer", "E10 link-local unicast")
    drop("uplink0", pad(bytes(Ether(src=ROUTER, dst="33:33:00:00:00:01") / IPv6(
        src="fe80::aa:fe", dst="ff02::1", hlim=255) / ICMPv6ND_RA())), "bcast_mcast",
         "U5 RA from the underlay (multicast)")
    drop("uplink0", pad(bytes(Ether(src=ROUTER, dst=UP_MAC) / IPv6(
        src="fe80::aa:fe", dst=ip60, hlim=255) / ICMPv6ND_Redirect(tgt="fe80::66", dst=ip60))),
         "nd_denied", "U5 redirect from the underlay")


def vlans():
    m0, ip0, _ = V["vnic0"]
    m1, ip1, _ = V["vnic1"]
    m2, ip2, _ = V["vnic2"]
    m3, ip3, _ = V["vnic3"]
    body = IP(src=ip0, dst=ip1) / ICMP()
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC) / Dot1Q(vlan=VPC_VLAN) / body)),
         "vlan_from_vnic", "E2 container frame on the VPC VLAN")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC) / Dot1Q(vlan=VPC_VLAN) /
                            IP(src=VPC_AG, dst="52.216.9.9") / ICMP())),
         "vlan_from_vnic", "E2 container posing as the VPC agent on the VPC VLAN")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC) / Dot1Q(vlan=0) / body)), "vlan_from_vnic",
         "E2 priority tag (VID 0)")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC) / Dot1AD(vlan=5) / Dot1Q(vlan=VPC_VLAN) / body)),
         "vlan_from_vnic", "E2 QinQ 802.1ad outer")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC) / Dot1Q(vlan=5) / Dot1Q(vlan=VPC_VLAN) / body)),
         "vlan_from_vnic", "E2 QinQ double 802.1Q")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC, type=0x9100) / Raw(b"\x00\x65\x81\x00")
                            / Raw(b"\x00\x65\x08\x00") / body)), "vlan_from_vnic",
         "E2 0x9100 outer tag")
    drop("vnic2", pad(bytes(Ether(src=m2, dst="ff:ff:ff:ff:ff:ff") / Dot1Q(vlan=VPC_VLAN) /
                            ARP(hwsrc=m2, psrc=ip2, pdst=VPC_AG))), "vlan_from_vnic",
         "E2 tagged ARP for the VPC agent from another job")
    drop("vnic3", pad(bytes(Ether(src=m3, dst=GW_MAC) / Dot1Q(vlan=VPC_VLAN) /
                            IP(src=ip3, dst="8.8.8.8") / ICMP())), "vlan_from_vnic",
         "E2 non-isolated container on the VPC VLAN")
    drop("agent0", pad(bytes(Ether(src=AG_MAC, dst=GW_MAC) / Dot1AD(vlan=5) / Dot1Q(vlan=VPC_VLAN) /
                             IP(src=VPC_AG, dst="52.216.9.9") / ICMP())), "vlan_from_vnic",
         "A4 QinQ from the agent")
    # The uplink: the VPC VLAN is only ever the agent's.
    drop("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN) /
                              IP(src="52.216.5.5", dst=ip0) / ICMP())), "no_route",
         "U5 VPC VLAN to an isolated container")
    drop("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN) /
                              IP(src=A_REMOTE, dst=ip0) / ICMP())), "no_route",
         "U5 VPC VLAN to a container, from a peer address")
    drop("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN) /
                              IP(src="8.8.8.8", dst=ip3) / ICMP())), "no_route",
         "U5 VPC VLAN to the non-isolated container")
    drop("uplink0", arp(VPC_GW, "172.31.5.1", ip0, tag=VPC_VLAN), "arp_denied",
         "U5 tagged ARP for a container on the VPC VLAN")
    drop("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN) /
                              IPv6(src="fd00:99::1", dst="fd00:1::11") / ICMPv6EchoRequest())),
         "unsupported", "U5 IPv6 on the VPC VLAN to a container")
    drop("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=0) /
                              IP(src=A_REMOTE, dst=ip0) / ICMP())), "unknown_vlan",
         "U5 priority-tagged (VID 0) frame to a container")
    drop("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1AD(vlan=VPC_VLAN) /
                              Dot1Q(vlan=VPC_VLAN) / IP(src="52.216.5.5", dst=VPC_AG) / ICMP())),
         "unknown_vlan", "U5 QinQ carrying the VPC VLAN twice")
    drop("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN + 4096 * 0) /
                              IP(src="8.8.8.8", dst=VPC_AG) / ICMP())), "not_peer_inbound",
         "U5 VPC VLAN to the agent from outside the prefixes")
    f = pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN, prio=7) /
                  IP(src="3.5.1.2", dst=VPC_AG) / ICMP()))
    fwd("uplink0", f, "agent0", pop_tag(f, GW_MAC, AG_MAC), "U3 control: PCP 7 on the VPC VLAN")


def fragments_and_options():
    m0, ip0, _ = V["vnic0"]
    m1, ip1, _ = V["vnic1"]
    m2, ip2, _ = V["vnic2"]

    def peer(l4=None, **kw):
        return ip4(m0, GW_MAC, ip0, ip1, l4, **kw)

    # E13: the policy is L3: fragments pass or drop by addresses only.
    for frag, flags, payload, note in [
            (0, "MF", b"\x00" * 8, "first fragment, 8 bytes (tiny: no full TCP header)"),
            (0, "MF", b"\x01", "first fragment, 1 byte"),
            (1, "MF", b"x" * 16, "offset 8 overlapping the first fragment's TCP header"),
            (1, 0, b"y" * 16, "last fragment overlapping offset 8"),
            (0, "MF", b"z" * 24, "a second first fragment (overlap rewriting ports)"),
            (8191, 0, b"w" * 8, "largest offset")]:
        f = peer(Raw(payload), frag=frag, flags=flags, proto=6)
        fwd("vnic0", f, "vnic1", to_vnic(f, "vnic1"), "E13 to a peer: " + note)
    for dst, reason, note in [("169.254.169.254", "not_peer", "metadata"),
                              ("8.8.8.8", "not_peer", "DNS server"),
                              (ip2, "not_peer", "another job")]:
        drop("vnic0", ip4(m0, GW_MAC, ip0, dst, Raw(b"\x00" * 8), frag=0, flags="MF", proto=17),
             reason, "E13 tiny first fragment to " + note)
        drop("vnic0", ip4(m0, GW_MAC, ip0, dst, Raw(b"x" * 8), frag=1, proto=17), reason,
             "E13 non-first fragment to " + note)
    f = ip4(ROUTER, UP_MAC, "8.8.8.8", ip0, Raw(b"x" * 8), frag=1, proto=6)
    drop("uplink0", f, "not_peer_inbound", "U5 non-first fragment from outside to an isolated container")
    # IP options (IHL > 5), protocol 0 and odd protocols: addresses decide.
    f = peer(options=[IPOption_Router_Alert()])
    fwd("vnic0", f, "vnic1", to_vnic(f, "vnic1"), "E5 router-alert option to a peer")
    f = peer(options=[IPOption_LSRR(routers=["169.254.169.254"])])
    fwd("vnic0", f, "vnic1", to_vnic(f, "vnic1"),
        "E5 loose source route option to a peer (a peer, not the switch, would act on it)")
    f = peer(Raw(b"\x00" * 8), options=[IPOption_Router_Alert()] * 10)  # IHL 15
    fwd("vnic0", f, "vnic1", to_vnic(f, "vnic1"), "E5 IHL 15 (40 option bytes) to a peer")
    drop("vnic0", ip4(m0, GW_MAC, ip0, "169.254.169.254",
                      options=[IPOption_LSRR(routers=[ip1])]), "not_peer",
         "E7 source route via a peer, destination metadata")
    for proto in (0, 2, 4, 41, 47, 50, 255):
        f = peer(Raw(b"p" * 20), proto=proto)
        fwd("vnic0", f, "vnic1", to_vnic(f, "vnic1"), "E5 IP protocol %d to a peer" % proto)
        drop("vnic0", ip4(m0, GW_MAC, ip0, "8.8.8.8", Raw(b"p" * 20), proto=proto), "not_peer",
             "E7 IP protocol %d to the internet" % proto)
    # IPv6 in IPv4 (proto 41) whose inner header targets metadata: outer addresses decide.
    inner = bytes(IPv6(src="fd00:1::11", dst="fd00:ec2::254") / ICMPv6EchoRequest())
    f = peer(Raw(inner), proto=41)
    fwd("vnic0", f, "vnic1", to_vnic(f, "vnic1"), "E5 6in4 to a peer (the peer decapsulates)")


def malformed_headers():
    m0, ip0, _ = V["vnic0"]
    m1, ip1, _ = V["vnic1"]
    base = ip4(m0, GW_MAC, ip0, ip1, UDP(sport=1000, dport=2000) / Raw(b"d" * 40))
    assert len(base) == 14 + 20 + 8 + 40
    for ihl in range(0, 5):
        f = bytearray(base)
        f[14] = 0x40 | ihl
        drop("vnic0", f, "malformed", "E12 IHL %d" % ihl)
    for ver in (0, 5, 6, 15):
        f = bytearray(base)
        f[14] = (ver << 4) | 5
        drop("vnic0", f, "malformed", "E12 IPv4 ethertype with version %d" % ver)
    for tl, note in [(len(base) - 14 + 1, "one byte beyond the frame"), (0xffff, "65535"),
                     (0, "zero"), (19, "shorter than the header"), (23, "shorter than IHL 6 x 4")]:
        f = bytearray(base)
        if tl == 23:
            f = bytearray(peer_with_options(m0, ip0, ip1))
        f[16:18] = struct.pack("!H", tl)
        drop("vnic0", f, "malformed", "E12 total length " + note)
    f = bytearray(base)
    f[16:18] = struct.pack("!H", 20)
    fwd("vnic0", f, "vnic1", to_vnic(bytes(f), "vnic1"),
        "E12 total length 20 (< frame): the rest is padding, kept as is")
    f = base + b"\xee" * 30
    fwd("vnic0", f, "vnic1", to_vnic(f, "vnic1"), "E12 trailing bytes beyond total length kept")
    # Truncated at every offset: an IPv4 frame whose total length fills the frame.
    for n in range(0, len(base)):
        drop("vnic0", base[:n], "malformed", "E12/P2 IPv4 to a peer cut at %d bytes" % n)
    a = arp(m0, ip0, ip1)
    for n in range(14, 42):
        drop("vnic0", a[:n], "malformed", "E12 ARP cut at %d bytes" % n)
    for field, off, val in [("htype", 14, 6), ("ptype", 16, 0x86dd), ("hlen", 18, 8),
                            ("plen", 19, 16)]:
        f = bytearray(a)
        if off in (14, 16):
            f[off:off + 2] = struct.pack("!H", val)
        else:
            f[off] = val
        drop("vnic0", f, "malformed", "E12 ARP %s %d" % (field, val))
    v6 = ip6(m0, GW_MAC, V["vnic0"][2], V["vnic1"][2], UDP(sport=1, dport=2) / Raw(b"e" * 30))
    v6 = v6[:14 + 40 + 38]
    for n in range(14, len(v6)):
        drop("vnic0", v6[:n], "malformed", "E12 IPv6 cut at %d bytes" % n)
    f = bytearray(v6)
    f[18:20] = struct.pack("!H", 39)
    drop("vnic0", f, "malformed", "E12 IPv6 payload length beyond the frame")
    f = bytearray(v6)
    f[14] = 0x40
    drop("vnic0", f, "malformed", "E12 IPv6 ethertype with version 4")
    # The uplink, tagged and not, cut at every offset of its header.
    u = ip4(ROUTER, UP_MAC, A_REMOTE, ip0, UDP(sport=1, dport=2) / Raw(b"u" * 18))
    assert len(u) == 60
    for n in range(0, len(u)):
        drop("uplink0", u[:n], "malformed", "E12/P2 uplink IPv4 cut at %d bytes" % n)
    t = bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN) /
              IP(src="52.216.5.5", dst=VPC_AG) / UDP(sport=1, dport=2) / Raw(b"t" * 20))
    for n in range(14, len(t)):
        drop("uplink0", t[:n], "malformed", "E12 tagged uplink IPv4 cut at %d bytes" % n)
    ta = arp(VPC_GW, "172.31.5.1", VPC_AG, tag=VPC_VLAN)
    for n in range(18, 46):
        drop("uplink0", ta[:n], "malformed", "E12 tagged ARP cut at %d bytes" % n)
    g = ip4(AG_MAC, GW_MAC, VPC_AG, "52.216.9.9", UDP(sport=1, dport=2) / Raw(b"g" * 18))
    for n in range(0, len(g)):
        drop("agent0", g[:n], "malformed", "E12/P2 agent IPv4 cut at %d bytes" % n)
    # Runts and giants.
    for n in (1, 6, 13):
        drop("vnic2", (mac(GW_MAC) + mac(V["vnic2"][0]) + b"\x08\x00")[:n], "malformed",
             "P2 runt of %d bytes" % n)
    drop("vnic2", mac(GW_MAC) + mac(V["vnic2"][0]) + b"\x08\x00", "malformed",
         "E12 bare Ethernet header (14 bytes)")
    ok = ip4(m0, GW_MAC, ip0, ip1, UDP(sport=1, dport=2) / Raw(b"j" * (MTU - 28)))
    assert len(ok) == MTU + 14
    fwd("vnic0", ok, "vnic1", to_vnic(ok, "vnic1"), "P1 MTU-sized frame passes")
    pad4 = ok + b"\x00" * 4
    fwd("vnic0", pad4, "vnic1", to_vnic(pad4, "vnic1"), "P1 exactly mtu + 18 bytes passes")
    drop("vnic0", pad4 + b"\x00", "too_long", "P1 mtu + 19 bytes")
    drop("vnic0", ip4(m0, GW_MAC, ip0, ip1, Raw(b"J" * 8972)), "too_long", "P1 9000-byte jumbo")
    drop("vnic0", ip4(m0, GW_MAC, ip0, ip1, Raw(b"K" * 65000)), "too_long", "P1 65 KB frame")
    drop("uplink0", ip4(ROUTER, UP_MAC, A_REMOTE, ip0, Raw(b"L" * 9000)), "too_long",
         "P1 jumbo on the uplink")


def peer_with_options(m0, ip0, ip1):
    return ip4(m0, GW_MAC, ip0, ip1, options=[IPOption_Router_Alert()])


def bcast_and_forbidden():
    m0, ip0, _ = V["vnic0"]
    m2, ip2, _ = V["vnic2"]
    m3, ip3, _ = V["vnic3"]
    bc = "ff:ff:ff:ff:ff:ff"
    drop("vnic2", ip4(m2, bc, ip2, "255.255.255.255", UDP(sport=68, dport=67)), "bcast_mcast",
         "E9 limited broadcast from train-b")
    drop("vnic2", ip4(m2, bc, ip2, ip0), "bcast_mcast", "E9 to train-a's IP with broadcast MAC")
    drop("vnic2", ip4(m2, "01:00:5e:00:00:01", ip2, ip0), "bcast_mcast",
         "E9 multicast MAC, unicast IP of another job")
    drop("vnic2", ip4(m2, GW_MAC, ip2, "224.0.0.1"), "bcast_mcast", "E9 multicast IP, unicast MAC")
    drop("vnic2", ip4(m2, GW_MAC, ip2, "239.255.255.250", UDP(sport=1900, dport=1900)), "bcast_mcast",
         "E9 SSDP")
    drop("vnic2", ip4(m2, GW_MAC, ip2, "10.1.0.255"), "not_peer", "E7 directed broadcast to train-a's /24")
    drop("vnic2", ip4(m2, V["vnic0"][0], ip2, ip0), "not_peer",
         "E7 unicast MAC of another job's container")
    drop("vnic3", ip4(m3, bc, ip3, "255.255.255.255"), "bcast_mcast", "E9 broadcast, non-isolated")
    drop("vnic3", ip4(m3, GW_MAC, ip3, "224.0.0.251"), "bcast_mcast", "E9 mDNS, non-isolated")
    f = ip4(m3, GW_MAC, ip3, "10.1.0.255")
    fwd("vnic3", f, "uplink0", to_uplink(f),
        "E8 10.1.0.255 is no container address: out the uplink like any internet address")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=bc, type=0x88cc) / Raw(b"\x02\x07"))), "unsupported",
         "E11 LLDP broadcast")
    drop("vnic0", pad(bytes(Ether(src=m0, dst="01:80:c2:00:00:03", type=0x888e) / Raw(b"\x01"))),
         "unsupported", "E11 802.1X")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC, type=0x0060) / Raw(b"\x01"))), "unsupported",
         "E11 802.3 length field")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC, type=0x8035) / Raw(b"\x01"))), "unsupported",
         "E11 RARP")
    drop("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC, type=0x8847) / Raw(b"\x00" * 8))),
         "unsupported", "E11 MPLS")
    # Metadata and DNS from isolated jobs; forbidden destinations from the non-isolated one.
    for port in ("vnic0", "vnic2"):
        m, ip = V[port][0], V[port][1]
        for dst, l4, note in [("169.254.169.254", TCP(sport=40001, dport=80), "metadata (IMDS)"),
                              ("169.254.170.2", TCP(sport=40001, dport=80), "ECS credentials"),
                              ("169.254.169.253", UDP(sport=5353, dport=53), "VPC DNS"),
                              ("8.8.8.8", UDP(sport=5353, dport=53), "public DNS"),
                              ("1.1.1.1", TCP(sport=5353, dport=53), "DNS over TCP"),
                              (GW_IP, UDP(sport=5353, dport=53), "DNS at the gateway IP"),
                              (UP_IP, TCP(sport=1, dport=22), "the host"),
                              (AG_IP, TCP(sport=1, dport=443), "the agent"),
                              (VPC_AG, TCP(sport=1, dport=443), "the VPC agent"),
                              ("52.216.1.1", TCP(sport=1, dport=443), "S3 via the VPC prefixes"),
                              ("127.0.0.1", None, "loopback")]:
            drop(port, ip4(m, GW_MAC, ip, dst, l4), "not_peer", "E7 isolated to " + note)
    drop("vnic0", ip6(m0, GW_MAC, V["vnic0"][2], "fd00:ec2::254", UDP(sport=1, dport=53)),
         "not_peer", "E10 IPv6 IMDS/DNS from an isolated job")
    for dst, note in [("169.254.169.254", "metadata"), ("169.254.169.253", "VPC DNS"),
                      (GW_IP, "the gateway IP"), ("0.0.0.1", "0/8"), ("240.0.0.1", "240/4"),
                      (ip0, "an isolated container"), (A_REMOTE, "another job's remote peer"),
                      (UP_IP, "the host"), (AG_IP, "the agent"), (VPC_AG, "a VPC agent IP")]:
        drop("vnic3", ip4(m3, GW_MAC, ip3, dst, UDP(sport=5353, dport=53)), "forbidden_dst",
             "E8 non-isolated to " + note)
    f = ip4(m3, GW_MAC, ip3, "8.8.8.8", UDP(sport=5353, dport=53))
    fwd("vnic3", f, "uplink0", to_uplink(f), "E8 control: non-isolated DNS to the internet")


def agent_abuse():
    m0, ip0, _ = V["vnic0"]
    drop("agent0", ip4(AG_MAC, GW_MAC, AG_IP, ip0), "agent_to_container", "A3 agent to a container")
    drop("agent0", ip4(AG_MAC, GW_MAC, VPC_AG, A_REMOTE), "agent_to_container",
         "A3 agent's VPC address to a remote container")
    drop("agent0", ip4(AG_MAC, GW_MAC, VPC_AG, "8.8.8.8"), "no_route", "A4 VPC address off-prefix")
    drop("agent0", ip4(AG_MAC, GW_MAC, ip0, "3.5.7.7"), "no_route", "A4 agent posing as a container")
    drop("agent0", ip4(AG_MAC, "ff:ff:ff:ff:ff:ff", AG_IP, "255.255.255.255"), "bcast_mcast",
         "E9 agent broadcast")


def main():
    spoofing()
    arp_nonpeers()
    ipv6_abuse()
    vlans()
    fragments_and_options()
    malformed_headers()
    bcast_and_forbidden()
    agent_abuse()
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "policy.json"), "w") as f:
        json.dump(POLICY, f, indent=2)
        f.write("\n")
    inputs = {p: [] for p in PORTS}
    outputs = {p: [] for p in PORTS}
    with open(os.path.join(OUT, "expected.jsonl"), "w") as ef:
        for i, (port, frame, verdict, what, out, note) in enumerate(CASES):
            ts = (BASE_SEC + i // 1000, (i % 1000) * 1000)
            line = {"in": port, "index": len(inputs[port]), "verdict": verdict}
            inputs[port].append((ts, frame))
            if verdict == "drop":
                line["reason"] = what
            else:
                line["out"] = what
                outputs[what].append((ts, out))
            line["note"] = note
            ef.write(json.dumps(line) + "\n")
    for p in PORTS:
        write_pcap(os.path.join(OUT, p + ".pcap"), inputs[p])
        write_pcap(os.path.join(OUT, "expected-" + p + ".pcap"), outputs[p])
    print("wrote %d adversarial cases into %s" % (len(CASES), OUT))


BASE_SEC = 1700000000


def write_pcap(path, records):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for (sec, usec), data in records:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)


if __name__ == "__main__":
    sys.exit(main())
