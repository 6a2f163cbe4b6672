#!/usr/bin/python3
"""Generate isoswitch's bundled example: policy, input captures and goldens.

Run with Debian's python (scapy lives there):  /usr/bin/python3 examples/make_example.py

The scenario (one host):
  train-a   isolated training job, VPC on VLAN 101; vnic0 (a-0, IPv4+IPv6) and
            vnic1 (a-1, IPv4+IPv6) here, one peer on another host (10.1.1.21,
            fd00:1:1::21).
  train-b   isolated training job without VPC; vnic2 (b-0, IPv4 only) here, one
            remote peer (10.3.1.8).
  infer-c   non-isolated inference job (internet-enabled); vnic3 (c-0).
  agent0    the host's transfer agent: S3 through train-a's VPC, and through the
            default route for jobs without VPC.
  uplink0   the NIC.

Every frame is written together with the verdict docs/rules.md gives it,
worked out here by hand from the rules (the rule id is in each comment), and
the exact bytes that must leave the switch. Those expectations are the
goldens (examples/golden/): they are *not* the replay tool's output, so the
golden test checks the pipeline against the spec.

Deterministic: fixed MACs/addresses, timestamps 1700000000 s + 1 ms per
frame, no randomness, our own pcap writer (classic pcap, microseconds).
"""

import json
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, TCP, UDP, Dot1AD, Dot1Q, Ether, ICMPv6EchoRequest,
                       ICMPv6ND_NA, ICMPv6ND_NS, ICMPv6ND_RA, ICMPv6NDOptDstLLAddr,
                       ICMPv6NDOptSrcLLAddr, IPv6, Raw, conf)

conf.verb = 0
HERE = os.path.dirname(os.path.abspath(__file__))

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

V = {  # port -> (mac, ipv4, ipv6)
    "vnic0": ("02:00:00:01:00:11", "10.1.0.11", "fd00:1::11"),
    "vnic1": ("02:00:00:01:00:12", "10.1.0.12", "fd00:1::12"),
    "vnic2": ("02:00:00:03:00:07", "10.3.0.7", None),
    "vnic3": ("02:00:00:02:00:05", "10.2.0.5", None),
}
A_REMOTE, A_REMOTE6 = "10.1.1.21", "fd00:1:1::21"
B_REMOTE = "10.3.1.8"
ROUTER = "02:00:00:00:aa:fe"        # the underlay router (next hop) sending on the uplink
ROUTER_LL = "fe80::aa:fe"

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
# port_table_from_policy(): uplink, agent, then vNICs in order.
PORTS = ["uplink0", "agent0", "vnic0", "vnic1", "vnic2", "vnic3"]
INPUTS = PORTS  # one capture per port

# ---------------------------------------------------------------- frame helpers


def pad(b):
    """Frames as a NIC delivers them: at least 60 bytes (FCS stripped)."""
    return b + b"\x00" * (60 - len(b)) if len(b) < 60 else b


def mac(s):
    return bytes(int(x, 16) for x in s.split(":"))


def rewrite(frame, src, dst):
    """Forwarding changes only the MACs (docs/rules.md, Forwarded frames)."""
    return mac(dst) + mac(src) + frame[12:]


def push_tag(frame, vlan, src, dst):
    return mac(dst) + mac(src) + struct.pack("!HH", 0x8100, vlan) + frame[12:]


def pop_tag(frame, src, dst):
    return mac(dst) + mac(src) + frame[16:]


def arp_req(src_mac, src_ip, target_ip, op=1, eth_src=None, dst="ff:ff:ff:ff:ff:ff", tag=None):
    e = Ether(src=eth_src or src_mac, dst=dst)
    a = ARP(op=op, hwsrc=src_mac, psrc=src_ip, hwdst="00:00:00:00:00:00", pdst=target_ip)
    return pad(bytes(e / Dot1Q(vlan=tag) / a if tag else e / a))


def arp_reply(req, answer_mac):
    """The answer the switch builds in place: 42 bytes (46 tagged)."""
    tagged = req[12:14] == b"\x81\x00"
    l2 = 18 if tagged else 14
    arp = req[l2:l2 + 28]
    sha, spa, tpa = arp[8:14], arp[14:18], arp[24:28]
    out = sha + mac(answer_mac)
    if tagged:
        out += req[12:16]
    out += b"\x08\x06" + struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2)
    out += mac(answer_mac) + tpa + sha + spa
    return out


def nd_ns(eth_src, src6, target6, eth_dst, ip_dst):
    p = (Ether(src=eth_src, dst=eth_dst) / IPv6(src=src6, dst=ip_dst, hlim=255)
         / ICMPv6ND_NS(tgt=target6) / ICMPv6NDOptSrcLLAddr(lladdr=eth_src))
    return bytes(p)


def nd_na(ns, answer_mac):
    e = Ether(ns)
    p = (Ether(dst=e.src, src=answer_mac) / IPv6(src=e[ICMPv6ND_NS].tgt, dst=e[IPv6].src,
                                                   hlim=255, tc=0, fl=0)
         / ICMPv6ND_NA(R=0, S=1, O=1, tgt=e[ICMPv6ND_NS].tgt)
         / ICMPv6NDOptDstLLAddr(lladdr=answer_mac))
    b = bytes(p)
    assert len(b) == 86
    return b


def ip4(src_mac, dst_mac, src, dst, l4=None, **kw):
    return pad(bytes(Ether(src=src_mac, dst=dst_mac) / IP(src=src, dst=dst, **kw) /
                     (l4 if l4 is not None else ICMP())))


def ip6(src_mac, dst_mac, src, dst, l4=None):
    return pad(bytes(Ether(src=src_mac, dst=dst_mac) / IPv6(src=src, dst=dst) /
                     (l4 if l4 is not None else ICMPv6EchoRequest())))


# ---------------------------------------------------------------- the scenario
# Each event: (input port, frame bytes, verdict, reason-or-out, output bytes or None, note)
EVENTS = []


def ev(port, frame, verdict, what, out=None, note=""):
    assert verdict in ("forward", "reply", "drop")
    if verdict == "drop":
        assert out is None
    else:
        assert out is not None
    EVENTS.append((port, frame, verdict, what, out, note))


def scenario():
    m0, ip0, ip60 = V["vnic0"]
    m1, ip1, ip61 = V["vnic1"]
    m2, ip2, _ = V["vnic2"]
    m3, ip3, _ = V["vnic3"]
    https = TCP(sport=40000, dport=443, flags="S")

    # --- train-a, container a-0 on vnic0: peers allowed, everything else not.
    f = arp_req(m0, ip0, ip1)
    ev("vnic0", f, "reply", "vnic0", arp_reply(f, GW_MAC), "E3a ARP for a local peer")
    f = ip4(m0, GW_MAC, ip0, ip1)
    ev("vnic0", f, "forward", "vnic1", rewrite(f, GW_MAC, m1), "E5 ping a local peer")
    f = arp_req(m0, ip0, A_REMOTE)
    ev("vnic0", f, "reply", "vnic0", arp_reply(f, GW_MAC), "E3a ARP for a remote peer")
    f = ip4(m0, GW_MAC, ip0, A_REMOTE, TCP(sport=41000, dport=29500, flags="S"))
    ev("vnic0", f, "forward", "uplink0", rewrite(f, UP_MAC, NH_MAC), "E6 NCCL to a remote peer")
    f = arp_req(m0, ip0, GW_IP)
    ev("vnic0", f, "reply", "vnic0", arp_reply(f, GW_MAC), "E3b ARP for the gateway IP")
    f = arp_req(m0, ip0, "8.8.8.8")
    ev("vnic0", f, "drop", "arp_denied", None, "E4 ARP for a non-peer (isolated)")
    ev("vnic0", ip4(m0, GW_MAC, ip0, "8.8.8.8", UDP(sport=5353, dport=53)), "drop", "not_peer",
       None, "E7 DNS")
    ev("vnic0", ip4(m0, GW_MAC, ip0, "52.216.1.1", https), "drop", "not_peer", None, "E7 S3")
    ev("vnic0", ip4(m0, GW_MAC, ip0, "169.254.169.254", TCP(sport=40001, dport=80)), "drop",
       "not_peer", None, "E7 metadata endpoint")
    ev("vnic0", ip4(m0, GW_MAC, ip0, "93.184.216.34", https), "drop", "not_peer", None,
       "E7 internet")
    ev("vnic0", ip4(m0, GW_MAC, ip0, ip2), "drop", "not_peer", None, "E7 another job's container")
    ev("vnic0", ip4(m0, GW_MAC, ip0, AG_IP), "drop", "not_peer", None, "E7 the agent")
    ev("vnic0", ip4(m0, GW_MAC, ip0, VPC_AG), "drop", "not_peer", None, "E7 the VPC")
    ev("vnic0", ip4("02:00:00:01:00:99", GW_MAC, ip0, ip1), "drop", "spoofed_src", None,
       "E1 spoofed source MAC")
    ev("vnic0", ip4(m0, GW_MAC, ip1, ip1), "drop", "spoofed_src", None, "E1 spoofed source IP")
    ev("vnic0", arp_req(m0, ip1, ip1), "drop", "spoofed_src", None,
       "E4 gratuitous ARP claiming a peer's IP")
    ev("vnic0", arp_req("02:00:00:01:00:99", ip0, ip1, eth_src=m0), "drop", "spoofed_src", None,
       "E4 ARP sender MAC not its own")
    ev("vnic0", arp_req(m0, ip0, ip0), "drop", "arp_denied", None, "E4 gratuitous ARP (own IP)")
    ev("vnic0", arp_req(m0, ip0, ip1, op=2, dst=m1), "drop", "arp_denied", None, "E4 ARP reply")
    ev("vnic0", arp_req(m0, "0.0.0.0", ip1), "drop", "arp_denied", None, "E4 ARP probe")
    ev("vnic0", pad(bytes(Ether(src=m0, dst=GW_MAC) / Dot1Q(vlan=VPC_VLAN) /
                          IP(src=ip0, dst=ip1) / ICMP())), "drop", "vlan_from_vnic", None,
       "E2 VLAN from a vNIC (trying the VPC VLAN)")
    f = nd_ns(m0, ip60, ip61, eth_dst="33:33:ff:00:00:12", ip_dst="ff02::1:ff00:12")
    ev("vnic0", f, "reply", "vnic0", nd_na(f, GW_MAC), "E10 NS for a local IPv6 peer")
    f = ip6(m0, GW_MAC, ip60, ip61)
    ev("vnic0", f, "forward", "vnic1", rewrite(f, GW_MAC, m1), "E5 IPv6 to a local peer")
    f = ip6(m0, GW_MAC, ip60, A_REMOTE6)
    ev("vnic0", f, "forward", "uplink0", rewrite(f, UP_MAC, NH_MAC), "E6 IPv6 to a remote peer")
    ev("vnic0", ip6(m0, GW_MAC, ip60, "2001:db8::1"), "drop", "not_peer", None,
       "E10 IPv6 to a non-peer")
    ev("vnic0", pad(bytes(Ether(src=m0, dst="33:33:00:00:00:01") /
                          IPv6(src="fe80::11", dst="ff02::1", hlim=255) / ICMPv6ND_RA())),
       "drop", "nd_denied", None, "E10 router advertisement from a container")
    ev("vnic0", nd_ns(m0, "::", ip60, eth_dst="33:33:ff:00:00:11", ip_dst="ff02::1:ff00:11"),
       "drop", "nd_denied", None, "E10 duplicate address detection")
    ev("vnic0", ip4(m0, "ff:ff:ff:ff:ff:ff", ip0, "255.255.255.255", UDP(sport=68, dport=67)),
       "drop", "bcast_mcast", None, "E9 broadcast")
    ev("vnic0", ip4(m0, "01:00:5e:00:00:fb", ip0, "224.0.0.251", UDP(sport=5353, dport=5353)),
       "drop", "bcast_mcast", None, "E9 mDNS multicast")
    ev("vnic0", pad(bytes(Ether(src=m0, dst="01:80:c2:00:00:0e", type=0x88cc) / Raw(b"\x02\x07"))),
       "drop", "unsupported", None, "E11 LLDP")
    f = ip4(m0, GW_MAC, ip0, ip1, Raw(b"x" * 16), frag=100, proto=17)
    ev("vnic0", f, "forward", "vnic1", rewrite(f, GW_MAC, m1), "E13 non-first fragment to a peer")
    ev("vnic0", ip4(m0, GW_MAC, ip0, "52.216.1.1", Raw(b"x" * 16), frag=100, proto=6), "drop",
       "not_peer", None, "E13 non-first fragment to S3")
    ev("vnic0", bytes(Ether(src=m0, dst=GW_MAC, type=0x0800) / Raw(b"\x45\x00\x00")), "drop",
       "malformed", None, "E12 truncated IPv4 header")
    f = bytearray(ip4(m0, GW_MAC, ip0, ip1))
    f[14] = 0x44  # IHL 4
    ev("vnic0", bytes(f), "drop", "malformed", None, "E12 IHL < 5")
    f = bytearray(ip4(m0, GW_MAC, ip0, ip1))
    f[16:18] = struct.pack("!H", 200)  # total length beyond the frame
    ev("vnic0", bytes(f), "drop", "malformed", None, "E12 total length beyond the frame")
    f = bytearray(ip4(m0, GW_MAC, ip0, ip1))
    f[14] = 0x65  # version 6 in an IPv4 frame
    ev("vnic0", bytes(f), "drop", "malformed", None, "E12 bad IP version")
    ev("vnic0", mac(GW_MAC) + mac(m0)[:4], "drop", "malformed", None, "P2 runt (10 bytes)")
    ev("vnic0", ip4(m0, GW_MAC, ip0, ip1, Raw(b"y" * 1600)), "drop", "too_long", None,
       "P1 longer than MTU 1500")

    # --- train-a, container a-1 on vnic1.
    f = ip4(m1, GW_MAC, ip1, ip0, ICMP(type=0))
    ev("vnic1", f, "forward", "vnic0", rewrite(f, GW_MAC, m0), "E5 echo reply to a local peer")
    f = ip6(m1, GW_MAC, ip61, ip60)
    ev("vnic1", f, "forward", "vnic0", rewrite(f, GW_MAC, m0), "E5 IPv6 to a local peer")
    ev("vnic1", ip4(m1, GW_MAC, ip1, "1.1.1.1", https), "drop", "not_peer", None, "E7 internet")
    f = ip4(m1, GW_MAC, ip1, ip1, UDP(sport=1, dport=2))
    ev("vnic1", f, "forward", "vnic1", rewrite(f, GW_MAC, m1), "E5 hairpin to itself")

    # --- train-b, container b-0 on vnic2 (no IPv6).
    f = arp_req(m2, ip2, B_REMOTE)
    ev("vnic2", f, "reply", "vnic2", arp_reply(f, GW_MAC), "E3a ARP for a remote peer")
    f = ip4(m2, GW_MAC, ip2, B_REMOTE, TCP(sport=42000, dport=29500, flags="S"))
    ev("vnic2", f, "forward", "uplink0", rewrite(f, UP_MAC, NH_MAC), "E6 to a remote peer")
    ev("vnic2", arp_req(m2, ip2, ip0), "drop", "arp_denied", None, "E4 ARP for another job")
    ev("vnic2", ip4(m2, GW_MAC, ip2, ip0), "drop", "not_peer", None, "E7 cross-job (train-a)")
    ev("vnic2", ip4(m2, GW_MAC, ip2, "3.5.9.9", https), "drop", "not_peer", None, "E7 S3")
    ev("vnic2", ip6(m2, GW_MAC, "fd00:3::7", "fd00:1::11"), "drop", "ipv6_disabled", None,
       "E10 IPv6 without an IPv6 address")

    # --- infer-c, container c-0 on vnic3 (not isolated: internet through the uplink).
    f = arp_req(m3, ip3, GW_IP)
    ev("vnic3", f, "reply", "vnic3", arp_reply(f, GW_MAC), "E3b ARP for the gateway IP")
    f = arp_req(m3, ip3, "93.184.216.34")
    ev("vnic3", f, "reply", "vnic3", arp_reply(f, GW_MAC), "E3c ARP for an internet address")
    ev("vnic3", arp_req(m3, ip3, "169.254.169.254"), "drop", "arp_denied", None,
       "E4 ARP for the metadata endpoint")
    f = ip4(m3, GW_MAC, ip3, "93.184.216.34", https)
    ev("vnic3", f, "forward", "uplink0", rewrite(f, UP_MAC, NH_MAC), "E8 internet")
    f = ip4(m3, GW_MAC, ip3, "8.8.8.8", UDP(sport=5353, dport=53))
    ev("vnic3", f, "forward", "uplink0", rewrite(f, UP_MAC, NH_MAC), "E8 DNS")
    ev("vnic3", ip4(m3, GW_MAC, ip3, "169.254.169.254", TCP(sport=40001, dport=80)), "drop",
       "forbidden_dst", None, "E8 metadata endpoint")
    ev("vnic3", ip4(m3, GW_MAC, ip3, ip0), "drop", "forbidden_dst", None,
       "E8 another job's local container")
    ev("vnic3", ip4(m3, GW_MAC, ip3, B_REMOTE), "drop", "forbidden_dst", None,
       "E8 another job's remote container")
    ev("vnic3", ip4(m3, GW_MAC, ip3, AG_IP), "drop", "forbidden_dst", None, "E8 the agent")
    ev("vnic3", ip4(m3, GW_MAC, ip3, VPC_AG), "drop", "forbidden_dst", None, "E8 a VPC agent address")
    ev("vnic3", ip4(m3, GW_MAC, ip3, UP_IP), "drop", "forbidden_dst", None, "E8 the host")
    ev("vnic3", ip4(m3, GW_MAC, ip3, "127.0.0.1"), "drop", "forbidden_dst", None, "E8 loopback")

    # --- the uplink: peers and return traffic in, everything else out.
    f = ip4(ROUTER, UP_MAC, A_REMOTE, ip0, TCP(sport=29500, dport=41000, flags="SA"))
    ev("uplink0", f, "forward", "vnic0", rewrite(f, GW_MAC, m0), "U1 remote peer to a-0")
    f = ip6(ROUTER, UP_MAC, A_REMOTE6, ip60)
    ev("uplink0", f, "forward", "vnic0", rewrite(f, GW_MAC, m0), "U1 IPv6 remote peer to a-0")
    f = ip4(ROUTER, UP_MAC, B_REMOTE, ip2, TCP(sport=29500, dport=42000, flags="SA"))
    ev("uplink0", f, "forward", "vnic2", rewrite(f, GW_MAC, m2), "U1 remote peer to b-0")
    ev("uplink0", ip4(ROUTER, UP_MAC, "8.8.8.8", ip0, UDP(sport=53, dport=5353)), "drop",
       "not_peer_inbound", None, "U5 internet to an isolated container")
    ev("uplink0", ip4(ROUTER, UP_MAC, B_REMOTE, ip0), "drop", "not_peer_inbound", None,
       "U5 another job's peer to an isolated container")
    f = ip4(ROUTER, UP_MAC, "93.184.216.34", ip3, TCP(sport=443, dport=40000, flags="SA"))
    ev("uplink0", f, "forward", "vnic3", rewrite(f, GW_MAC, m3), "U2 internet return path")
    f = arp_req(ROUTER, "192.0.2.1", ip0)
    ev("uplink0", f, "reply", "uplink0", arp_reply(f, UP_MAC), "U4 ARP for a local vNIC")
    f = arp_req(ROUTER, "192.0.2.1", AG_IP)
    ev("uplink0", f, "reply", "uplink0", arp_reply(f, UP_MAC), "U4 ARP for the agent")
    ev("uplink0", arp_req(ROUTER, "192.0.2.1", A_REMOTE), "drop", "arp_denied", None,
       "U5 ARP for a remote container")
    f = nd_ns(ROUTER, ROUTER_LL, ip60, eth_dst="33:33:ff:00:00:11", ip_dst="ff02::1:ff00:11")
    ev("uplink0", f, "reply", "uplink0", nd_na(f, UP_MAC), "U4 NS for a local vNIC's IPv6")
    f = pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN) /
                  IP(src="52.216.5.5", dst=VPC_AG) / TCP(sport=443, dport=40100, flags="SA")))
    ev("uplink0", f, "forward", "agent0", pop_tag(f, GW_MAC, AG_MAC),
       "U3 S3 answer on the VPC VLAN to the agent, tag removed")
    ev("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN) /
                            IP(src="8.8.8.8", dst=VPC_AG) / ICMP())), "drop", "not_peer_inbound",
       None, "U5 VPC VLAN from outside the prefixes")
    f = arp_req(VPC_GW, "172.31.5.1", VPC_AG, tag=VPC_VLAN)
    ev("uplink0", f, "reply", "uplink0", arp_reply(f, UP_MAC), "U4 tagged ARP for the VPC agent")
    ev("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=VPC_VLAN) /
                            IP(src="52.216.5.5", dst=ip0) / ICMP())), "drop", "no_route", None,
       "U5 VPC VLAN to a container")
    ev("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1Q(vlan=999) /
                            IP(src="52.216.5.5", dst=VPC_AG) / ICMP())), "drop", "unknown_vlan",
       None, "U5 VLAN of no job")
    ev("uplink0", pad(bytes(Ether(src=VPC_GW, dst=UP_MAC) / Dot1AD(vlan=5) / Dot1Q(vlan=VPC_VLAN) /
                            IP(src="52.216.5.5", dst=VPC_AG) / ICMP())), "drop", "unknown_vlan",
       None, "U5 QinQ")
    f = ip4(ROUTER, UP_MAC, "3.5.1.1", AG_IP, TCP(sport=443, dport=40200, flags="SA"))
    ev("uplink0", f, "forward", "agent0", rewrite(f, GW_MAC, AG_MAC),
       "U3b S3 answer to the agent's service address")
    ev("uplink0", ip4(ROUTER, UP_MAC, A_REMOTE, AG_IP), "drop", "not_peer_inbound", None,
       "U5 a container to the agent")
    ev("uplink0", ip4(ROUTER, "02:00:00:00:99:99", A_REMOTE, ip0), "drop", "not_for_us", None,
       "U5 unicast for another MAC")
    ev("uplink0", ip4(ROUTER, "ff:ff:ff:ff:ff:ff", "192.0.2.1", "255.255.255.255",
                      UDP(sport=67, dport=68)), "drop", "bcast_mcast", None, "U5 broadcast")
    ev("uplink0", ip4(ROUTER, UP_MAC, ip1, ip0), "drop", "spoofed_src", None,
       "U5 a local vNIC's address from outside")
    ev("uplink0", ip4(ROUTER, UP_MAC, "8.8.8.8", "10.9.9.9"), "drop", "no_route", None,
       "U5 unknown destination")
    ev("uplink0", bytes(Ether(src=ROUTER, dst=UP_MAC, type=0x0800) / Raw(b"\x45" + b"\x00" * 9)),
       "drop", "malformed", None, "E12 truncated IPv4 on the uplink")

    # --- the transfer agent.
    f = ip4(AG_MAC, GW_MAC, VPC_AG, "52.216.9.9", TCP(sport=40100, dport=443, flags="S"))
    ev("agent0", f, "forward", "uplink0", push_tag(f, VPC_VLAN, UP_MAC, VPC_GW),
       "A1 S3 upload through train-a's VPC, tagged")
    f = ip4(AG_MAC, GW_MAC, AG_IP, "3.5.7.7", TCP(sport=40200, dport=443, flags="S"))
    ev("agent0", f, "forward", "uplink0", rewrite(f, UP_MAC, NH_MAC),
       "A2 S3 download for a job without VPC, untagged")
    f = arp_req(AG_MAC, VPC_AG, "52.216.0.1")
    ev("agent0", f, "reply", "agent0", arp_reply(f, GW_MAC), "A5 ARP in the VPC prefixes")
    f = arp_req(AG_MAC, AG_IP, "3.5.0.1")
    ev("agent0", f, "reply", "agent0", arp_reply(f, GW_MAC), "A5 ARP from the service address")
    ev("agent0", arp_req(AG_MAC, AG_IP, ip0), "drop", "arp_denied", None, "A4 ARP for a container")
    ev("agent0", arp_req(AG_MAC, "192.0.2.99", "3.5.0.1"), "drop", "spoofed_src", None,
       "A4 ARP from an address not the agent's")
    ev("agent0", ip4(AG_MAC, GW_MAC, AG_IP, ip0), "drop", "agent_to_container", None,
       "A3 agent to a container")
    ev("agent0", ip4(AG_MAC, GW_MAC, VPC_AG, "8.8.8.8"), "drop", "no_route", None,
       "A4 VPC address outside the prefixes")
    ev("agent0", ip4(AG_MAC, GW_MAC, "172.31.99.1", "52.216.9.9"), "drop", "no_route", None,
       "A4 unknown source")
    ev("agent0", ip4("02:00:00:00:cc:99", GW_MAC, AG_IP, "3.5.7.7"), "drop", "spoofed_src", None,
       "A4 spoofed MAC")
    ev("agent0", pad(bytes(Ether(src=AG_MAC, dst=GW_MAC) / Dot1Q(vlan=VPC_VLAN) /
                           IP(src=VPC_AG, dst="52.216.9.9") / ICMP())), "drop", "vlan_from_vnic",
       None, "A4 the agent may not tag")
    ev("agent0", ip6(AG_MAC, GW_MAC, "fd00:ff::1", "2001:db8::1"), "drop", "ipv6_disabled", None,
       "A4 IPv6")


# ---------------------------------------------------------------- writing
BASE_SEC = 1700000000


def write_pcap(path, records):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
        for (sec, usec), data in records:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)))
            f.write(data)


def main():
    scenario()
    os.makedirs(os.path.join(HERE, "golden"), exist_ok=True)
    with open(os.path.join(HERE, "policy.json"), "w") as f:
        json.dump(POLICY, f, indent=2)
        f.write("\n")
    inputs = {p: [] for p in INPUTS}
    outputs = {p: [] for p in PORTS}
    verdicts = []
    notes = []
    for i, (port, frame, verdict, what, out, note) in enumerate(EVENTS):
        ts = (BASE_SEC + i // 1000, (i % 1000) * 1000)
        index = len(inputs[port])
        inputs[port].append((ts, frame))
        line = {"in": port, "index": index, "verdict": verdict}
        if verdict == "drop":
            line["reason"] = what
        else:
            line["out"] = what
            outputs[what].append((ts, out))
        verdicts.append(line)
        notes.append("%-8s %3d  %-7s %-18s %s" % (port, index, verdict, what, note))
    for p in INPUTS:
        write_pcap(os.path.join(HERE, p + ".pcap"), inputs[p])
    for p in PORTS:
        write_pcap(os.path.join(HERE, "golden", p + ".pcap"), outputs[p])
    with open(os.path.join(HERE, "golden", "verdicts.jsonl"), "w") as f:
        for v in verdicts:
            f.write(json.dumps(v) + "\n")
    with open(os.path.join(HERE, "golden", "scenario.txt"), "w") as f:
        f.write("# input port, frame index, verdict, reason/out, rule and what the frame is\n")
        f.write("\n".join(notes) + "\n")
    print("wrote %d frames on %d inputs into %s" % (len(EVENTS), len(INPUTS), HERE))


if __name__ == "__main__":
    sys.exit(main())
