// vNIC ingress (container egress): docs/rules.md's vNIC table, top to bottom.
#include "control/explain/explain_internal.h"

namespace isoswitch::ctl::explain_detail {
namespace {

std::string who(const VnicDoc& v, const JobDoc& j) {
  return "vNIC " + v.id + " (job " + j.id + (j.isolated ? ", isolated)" : ", not isolated)");
}

Explanation judge_arp(const Ctx& c, const VnicDoc& v, const JobDoc& j) {
  Arp a;
  if (!read_arp(c.p, a))
    return drop(DropReason::malformed, "E12",
                "ARP header from " + who(v, j) + " is truncated or not Ethernet/IPv4 ARP");
  const std::string tgt = to_string(a.tpa);
  if (a.sha != v.mac)
    return drop(DropReason::spoofed_src, "E4",
                "ARP from " + who(v, j) + " claims sender MAC " + to_string(a.sha) +
                    ", not its own " + to_string(v.mac));
  if (a.op == 1 && a.spa.value == 0)
    return drop(
        DropReason::arp_denied, "E4",
        "ARP probe (sender 0.0.0.0) from " + who(v, j) + " for " + tgt + " is not answered");
  if (a.spa != v.ip)
    return drop(DropReason::spoofed_src, "E4",
                "ARP from " + who(v, j) + " claims sender IP " + to_string(a.spa) +
                    ", not its own " + to_string(v.ip));
  if (a.op != 1)
    return drop(
        DropReason::arp_denied, "E4",
        "ARP op " + std::to_string(a.op) + " (not a request) from " + who(v, j) + " is dropped");
  if (a.tpa == v.ip)
    return drop(DropReason::arp_denied, "E4",
                "gratuitous ARP from " + who(v, j) + " for its own address " + tgt + " is dropped");
  const MacAddr& gw = c.doc.host.gateway_mac;
  if (job_has_peer(j, a.tpa))
    return arp_reply(c, a, gw, false, "E3a",
                     "ARP request from " + who(v, j) + " for its peer " + tgt +
                         " is answered with the gateway MAC " + to_string(gw));
  if (c.doc.host.gateway_ip && a.tpa == *c.doc.host.gateway_ip)
    return arp_reply(c, a, gw, false, "E3b",
                     "ARP request from " + who(v, j) + " for the gateway IP " + tgt +
                         " is answered with the gateway MAC " + to_string(gw));
  // E3c: "E8 would forward the target". A broadcast/multicast target never
  // reaches E8 (E9 drops it first), so it is not answered either.
  if (!j.isolated && !is_ipv4_bcast_mcast(a.tpa) && !e8_forbidden(c.doc, j, a.tpa))
    return arp_reply(
        c, a, gw, false, "E3c",
        "ARP request from " + who(v, j) + " for " + tgt +
            ", which its job may reach through the uplink, is answered with the gateway MAC " +
            to_string(gw));
  return drop(
      DropReason::arp_denied, "E4",
      "ARP request from " + who(v, j) + " for " + tgt + " is not answered: " +
          (j.isolated ? "not a peer of the job nor the gateway" : "a forbidden destination"));
}

Explanation judge_ipv4(const Ctx& c, const VnicDoc& v, const JobDoc& j) {
  Ip4 ip;
  if (!read_ipv4(c.p, ip))
    return drop(DropReason::malformed, "E12",
                "IPv4 header from " + who(v, j) +
                    " is truncated or inconsistent (version, IHL or total length)");
  const std::string dst = to_string(ip.dst);
  if (ip.src != v.ip)
    return drop(
        DropReason::spoofed_src, "E1",
        who(v, j) + " sent IPv4 from " + to_string(ip.src) + ", not its own " + to_string(v.ip));
  if (c.p.eth_dst().is_multicast() || is_ipv4_bcast_mcast(ip.dst))
    return drop(DropReason::bcast_mcast, "E9",
                who(v, j) + " sent broadcast/multicast (to " + to_string(c.p.eth_dst()) + ", " +
                    dst + "): never flooded");
  if (job_has_peer(j, ip.dst)) {
    const VnicDoc* w = vnic_with_ip(c.doc, ip.dst);
    if (w != nullptr && w->job == j.id) {
      uint16_t out = port_index(c.ports, w->port);
      if (out == kNoPort)
        return drop(DropReason::no_route, "E5",
                    "peer vNIC " + w->id + "'s port " + w->port + " is not a port of this switch");
      return forward(c, out, c.doc.host.gateway_mac, w->mac, TagOp::kKeep, 0, "E5",
                     who(v, j) + " to " + dst + ", its peer on this host (vNIC " + w->id +
                         "): forwarded to port " + w->port + ", MACs rewritten");
    }
    uint16_t out = port_index(c.ports, c.doc.host.uplink.port);
    if (out == kNoPort)
      return drop(DropReason::no_route, "E6",
                  "the uplink port " + c.doc.host.uplink.port + " is not a port of this switch");
    return forward(c, out, c.doc.host.uplink.mac, c.doc.host.uplink.next_hop_mac, TagOp::kKeep, 0,
                   "E6",
                   who(v, j) + " to " + dst +
                       ", its peer on another host: forwarded out the uplink to the next hop " +
                       to_string(c.doc.host.uplink.next_hop_mac));
  }
  if (j.isolated)
    return drop(DropReason::not_peer, "E7",
                who(v, j) + " to " + dst + ": not a peer of job " + j.id +
                    ", and isolated jobs reach only their peers");
  if (e8_forbidden(c.doc, j, ip.dst))
    return drop(
        DropReason::forbidden_dst, "E8",
        who(v, j) + " to " + dst +
            ": link-local/reserved, the host's or agent's address, or another job's container");
  uint16_t out = port_index(c.ports, c.doc.host.uplink.port);
  if (out == kNoPort)
    return drop(DropReason::no_route, "E8",
                "the uplink port " + c.doc.host.uplink.port + " is not a port of this switch");
  return forward(c, out, c.doc.host.uplink.mac, c.doc.host.uplink.next_hop_mac, TagOp::kKeep, 0,
                 "E8",
                 who(v, j) + " to " + dst +
                     ": internet-enabled job, forwarded out the uplink via the default route");
}

Explanation judge_ipv6(const Ctx& c, const VnicDoc& v, const JobDoc& j) {
  if (!v.ipv6)
    return drop(DropReason::ipv6_disabled, "E10",
                who(v, j) + " has no IPv6 address: IPv6 (ND and RA included) is dropped");
  const Ipv6Addr& mine = *v.ipv6;
  Ip6 ip;
  if (!read_ipv6(c.p, ip))
    return drop(DropReason::malformed, "E12",
                "IPv6 header from " + who(v, j) +
                    " is truncated or inconsistent (version, payload length, short NS)");
  const std::string dst = to_string(ip.dst);
  if (ip.icmp) {
    const uint8_t t = ip.icmp_type;
    if (t == 133 || t == 134 || t == 136 || t == 137)
      return drop(DropReason::nd_denied, "E10",
                  who(v, j) + " sent ICMPv6 type " + std::to_string(t) +
                      " (RS/RA/NA/redirect): containers may not advertise or redirect");
    if (t == 135) {
      const std::string tgt = to_string(ip.ns_target);
      if (ip.src.is_unspecified())
        return drop(
            DropReason::nd_denied, "E10",
            "duplicate address detection (NS from ::) from " + who(v, j) + " is not answered");
      if (ip.src != mine && !ip.src.is_link_local())
        return drop(DropReason::spoofed_src, "E10",
                    "NS from " + who(v, j) + " has source " + to_string(ip.src) +
                        ", neither its own " + to_string(mine) + " nor link-local");
      if (job_has_peer6(j, ip.ns_target))
        return na_reply(c, ip, c.doc.host.gateway_mac, "E10",
                        "NS from " + who(v, j) + " for its peer " + tgt +
                            " is answered with the gateway MAC " +
                            to_string(c.doc.host.gateway_mac));
      return drop(
          DropReason::nd_denied, "E10",
          "NS from " + who(v, j) + " for " + tgt + " is not answered: not a peer of job " + j.id);
    }
  }
  if (ip.src != mine)
    return drop(
        DropReason::spoofed_src, "E1",
        who(v, j) + " sent IPv6 from " + to_string(ip.src) + ", not its own " + to_string(mine));
  if (c.p.eth_dst().is_multicast() || ip.dst.is_multicast())
    return drop(DropReason::bcast_mcast, "E9",
                who(v, j) + " sent IPv6 multicast (to " + dst + "): never flooded");
  if (job_has_peer6(j, ip.dst)) {
    const VnicDoc* w = vnic_with_ip6(c.doc, ip.dst);
    if (w != nullptr && w->job == j.id) {
      uint16_t out = port_index(c.ports, w->port);
      if (out == kNoPort)
        return drop(DropReason::no_route, "E5",
                    "peer vNIC " + w->id + "'s port " + w->port + " is not a port of this switch");
      return forward(c, out, c.doc.host.gateway_mac, w->mac, TagOp::kKeep, 0, "E5",
                     who(v, j) + " to " + dst + ", its peer on this host (vNIC " + w->id +
                         "): forwarded to port " + w->port + ", MACs rewritten");
    }
    uint16_t out = port_index(c.ports, c.doc.host.uplink.port);
    if (out == kNoPort)
      return drop(DropReason::no_route, "E6",
                  "the uplink port " + c.doc.host.uplink.port + " is not a port of this switch");
    return forward(
        c, out, c.doc.host.uplink.mac, c.doc.host.uplink.next_hop_mac, TagOp::kKeep, 0, "E6",
        who(v, j) + " to " + dst + ", its peer on another host: forwarded out the uplink");
  }
  return drop(DropReason::not_peer, "E10",
              who(v, j) + " to " + dst + ": not an IPv6 peer of job " + j.id +
                  " (there is no IPv6 default route)");
}

}  // namespace

Explanation judge_vnic(const Ctx& c, const VnicDoc& v, const JobDoc& j) {
  const Pkt& p = c.p;
  if (p.eth_src() != v.mac)
    return drop(DropReason::spoofed_src, "E1",
                who(v, j) + " sent from MAC " + to_string(p.eth_src()) + ", not its own " +
                    to_string(v.mac));
  if (p.tagged)
    return drop(DropReason::vlan_from_vnic, "E2",
                who(v, j) + " sent a VLAN-tagged frame (TCI " + std::to_string(p.tci) +
                    "): containers may not tag");
  switch (p.ethertype) {
    case 0x0806:
      return judge_arp(c, v, j);
    case 0x0800:
      return judge_ipv4(c, v, j);
    case 0x86dd:
      return judge_ipv6(c, v, j);
    default:
      break;
  }
  return drop(
      DropReason::unsupported, "E11",
      who(v, j) + " sent ethertype " + hex16(p.ethertype) + ", which the switch does not carry");
}

}  // namespace isoswitch::ctl::explain_detail
