// Uplink ingress: docs/rules.md's uplink table, top to bottom.
#include "control/explain/explain_internal.h"

namespace isoswitch::ctl::explain_detail {
namespace {

// True when the frame is an ICMPv6 neighbour solicitation with a valid header
// (the one multicast kind, besides ARP, the uplink accepts).
bool is_ns(const Pkt& p) {
  if (p.ethertype != 0x86dd) return false;
  Ip6 ip;
  return read_ipv6(p, ip) && ip.icmp && ip.icmp_type == 135;
}

Explanation judge_tagged(const Ctx& c) {
  const Pkt& p = c.p;
  const uint16_t vid = p.tci & 0x0fff;
  const JobDoc* k = job_with_vlan(c.doc, vid);
  if (k == nullptr)
    return drop(DropReason::unknown_vlan, "U5",
                "uplink frame on VLAN " + std::to_string(vid) + ", which is no job's VPC VLAN");
  const VpcDoc& vpc = *k->vpc;
  const std::string on = "on job " + k->id + "'s VPC VLAN " + std::to_string(vid);
  if (p.ethertype == 0x0806) {
    Arp a;
    if (!read_arp(p, a))
      return drop(DropReason::malformed, "U5",
                  "ARP header " + on + " is truncated or not Ethernet/IPv4 ARP");
    if (a.op == 1 && a.tpa == vpc.agent_ip)
      return arp_reply(c, a, c.doc.host.uplink.mac, true, "U4",
                       "ARP request " + on + " for the agent's VPC address " + to_string(a.tpa) +
                           " is answered with the uplink MAC, tagged like the request");
    return drop(
        DropReason::arp_denied, "U5",
        "ARP " + on + " for " + to_string(a.tpa) + " is not for an address the switch owns there");
  }
  if (p.ethertype == 0x0800) {
    Ip4 ip;
    if (!read_ipv4(p, ip))
      return drop(DropReason::malformed, "U5",
                  "IPv4 header " + on + " is truncated or inconsistent");
    if (ip.dst == vpc.agent_ip) {
      if (!vpc_allows(vpc, ip.src))
        return drop(DropReason::not_peer_inbound, "U5",
                    "uplink frame " + on + " to the agent " + to_string(ip.dst) + " from " +
                        to_string(ip.src) + ", outside the job's allowed prefixes");
      uint16_t out = c.doc.host.agent ? port_index(c.ports, c.doc.host.agent->port) : kNoPort;
      if (out == kNoPort)
        return drop(DropReason::no_route, "U5",
                    "uplink frame " + on + " to the agent " + to_string(ip.dst) +
                        ": no agent port is configured");
      return forward(c, out, c.doc.host.gateway_mac, c.doc.host.agent->mac, TagOp::kPop, 0, "U3",
                     "uplink frame " + on + " from allowed prefix address " + to_string(ip.src) +
                         " to the agent " + to_string(ip.dst) +
                         ": delivered to the agent port, tag removed");
    }
    return drop(DropReason::no_route, "U5",
                "uplink frame " + on + " to " + to_string(ip.dst) +
                    ": only the job's agent address is reachable on a VPC VLAN");
  }
  return drop(DropReason::unsupported, "U5",
              "uplink frame " + on + " carries ethertype " + hex16(p.ethertype) +
                  ", which the switch does not carry");
}

Explanation judge_untagged_arp(const Ctx& c) {
  Arp a;
  if (!read_arp(c.p, a))
    return drop(DropReason::malformed, "U5",
                "ARP header on the uplink is truncated or not Ethernet/IPv4 ARP");
  const std::string tgt = to_string(a.tpa);
  if (a.op == 1) {
    if (const VnicDoc* w = vnic_with_ip(c.doc, a.tpa))
      return arp_reply(c, a, c.doc.host.uplink.mac, false, "U4",
                       "ARP request on the uplink for vNIC " + w->id + "'s address " + tgt +
                           " is answered with the uplink MAC " + to_string(c.doc.host.uplink.mac));
    if (c.doc.host.agent && a.tpa == c.doc.host.agent->service_ip)
      return arp_reply(c, a, c.doc.host.uplink.mac, false, "U4",
                       "ARP request on the uplink for the agent's service address " + tgt +
                           " is answered with the uplink MAC " + to_string(c.doc.host.uplink.mac));
  }
  return drop(DropReason::arp_denied, "U5",
              "ARP on the uplink (op " + std::to_string(a.op) + ") for " + tgt +
                  " is not a request for an address the switch owns");
}

Explanation judge_untagged_ipv4(const Ctx& c) {
  Ip4 ip;
  if (!read_ipv4(c.p, ip))
    return drop(
        DropReason::malformed, "U5",
        "IPv4 header on the uplink is truncated or inconsistent (version, IHL or total length)");
  const std::string src = to_string(ip.src), dst = to_string(ip.dst);
  if (const VnicDoc* s = vnic_with_ip(c.doc, ip.src))
    return drop(DropReason::spoofed_src, "U5",
                "uplink frame claims source " + src + ", the address of local vNIC " + s->id);
  if (const VnicDoc* w = vnic_with_ip(c.doc, ip.dst)) {
    const JobDoc* j = c.doc.find_job(w->job);
    if (j == nullptr)
      return drop(DropReason::no_route, "U5", "vNIC " + w->id + " names an unknown job");
    uint16_t out = port_index(c.ports, w->port);
    if (j->isolated) {
      if (!job_has_peer(*j, ip.src))
        return drop(DropReason::not_peer_inbound, "U5",
                    "uplink frame to vNIC " + w->id + " (isolated job " + j->id + ") from " + src +
                        ", not a peer of the job");
      if (out == kNoPort)
        return drop(DropReason::no_route, "U1",
                    "vNIC " + w->id + "'s port " + w->port + " is not a port of this switch");
      return forward(c, out, c.doc.host.gateway_mac, w->mac, TagOp::kKeep, 0, "U1",
                     "uplink frame from " + src + ", a remote peer of job " + j->id + ", to vNIC " +
                         w->id + " (" + dst + "): delivered");
    }
    if (out == kNoPort)
      return drop(DropReason::no_route, "U2",
                  "vNIC " + w->id + "'s port " + w->port + " is not a port of this switch");
    return forward(c, out, c.doc.host.gateway_mac, w->mac, TagOp::kKeep, 0, "U2",
                   "uplink frame from " + src + " to vNIC " + w->id + " (" + dst +
                       ") of non-isolated job " + j->id +
                       ": delivered (internet-enabled return path)");
  }
  if (c.doc.host.agent && ip.dst == c.doc.host.agent->service_ip) {
    if (const JobDoc* j = job_of_container(c.doc, ip.src))
      return drop(DropReason::not_peer_inbound, "U5",
                  "uplink frame to the agent's service address from " + src +
                      ", a container of job " + j->id + ": containers never reach the agent");
    uint16_t out = port_index(c.ports, c.doc.host.agent->port);
    if (out == kNoPort)
      return drop(DropReason::no_route, "U5",
                  "the agent port " + c.doc.host.agent->port + " is not a port of this switch");
    return forward(c, out, c.doc.host.gateway_mac, c.doc.host.agent->mac, TagOp::kKeep, 0, "U3b",
                   "uplink frame from " + src + " to the agent's service address " + dst +
                       ": delivered to the agent port (return path of A2)");
  }
  return drop(
      DropReason::no_route, "U5",
      "uplink frame from " + src + " to " + dst + ": no local vNIC or agent has that address");
}

Explanation judge_untagged_ipv6(const Ctx& c) {
  Ip6 ip;
  if (!read_ipv6(c.p, ip))
    return drop(DropReason::malformed, "U5",
                "IPv6 header on the uplink is truncated or inconsistent (version, payload length, "
                "short NS)");
  const std::string src = to_string(ip.src), dst = to_string(ip.dst);
  if (ip.icmp && ip.icmp_type == 135 && !ip.src.is_unspecified()) {
    if (const VnicDoc* w = vnic_with_ip6(c.doc, ip.ns_target))
      return na_reply(c, ip, c.doc.host.uplink.mac, "U4",
                      "NS on the uplink for vNIC " + w->id + "'s address " +
                          to_string(ip.ns_target) + " is answered with the uplink MAC " +
                          to_string(c.doc.host.uplink.mac));
  }
  if (ip.icmp && ip.icmp_type >= 133 && ip.icmp_type <= 137)
    return drop(DropReason::nd_denied, "U5",
                "ICMPv6 type " + std::to_string(ip.icmp_type) +
                    " on the uplink is not an NS for a local vNIC's address");
  if (const VnicDoc* s = vnic_with_ip6(c.doc, ip.src))
    return drop(DropReason::spoofed_src, "U5",
                "uplink frame claims source " + src + ", the address of local vNIC " + s->id);
  if (ip.dst.is_multicast())
    return drop(DropReason::bcast_mcast, "U5",
                "uplink IPv6 multicast to " + dst + " is not carried");
  if (const VnicDoc* w = vnic_with_ip6(c.doc, ip.dst)) {
    const JobDoc* j = c.doc.find_job(w->job);
    if (j == nullptr)
      return drop(DropReason::no_route, "U5", "vNIC " + w->id + " names an unknown job");
    const bool ok = !j->isolated || job_has_peer6(*j, ip.src);
    if (!ok)
      return drop(DropReason::not_peer_inbound, "U5",
                  "uplink frame to vNIC " + w->id + " (isolated job " + j->id + ") from " + src +
                      ", not an IPv6 peer of the job");
    const char* rule = j->isolated ? "U1" : "U2";
    uint16_t out = port_index(c.ports, w->port);
    if (out == kNoPort)
      return drop(DropReason::no_route, rule,
                  "vNIC " + w->id + "'s port " + w->port + " is not a port of this switch");
    return forward(c, out, c.doc.host.gateway_mac, w->mac, TagOp::kKeep, 0, rule,
                   "uplink IPv6 frame from " + src + " to vNIC " + w->id + " (" + dst +
                       ") of job " + j->id + ": delivered");
  }
  return drop(DropReason::no_route, "U5",
              "uplink IPv6 frame to " + dst + ": no local vNIC has that address");
}

}  // namespace

Explanation judge_uplink(const Ctx& c) {
  const Pkt& p = c.p;
  const MacAddr dmac = p.eth_dst();
  if (p.qinq)
    return drop(DropReason::unknown_vlan, "U5",
                "QinQ (two VLAN tags) on the uplink is not carried");
  if (dmac.is_multicast() && p.ethertype != 0x0806 && !is_ns(p))
    return drop(DropReason::bcast_mcast, "U5",
                "uplink broadcast/multicast to " + to_string(dmac) +
                    " that is neither ARP nor an IPv6 neighbour solicitation");
  if (!dmac.is_multicast() && dmac != c.doc.host.uplink.mac)
    return drop(DropReason::not_for_us, "U5",
                "uplink unicast frame to " + to_string(dmac) + ", not the uplink MAC " +
                    to_string(c.doc.host.uplink.mac));
  if (p.tagged) return judge_tagged(c);
  switch (p.ethertype) {
    case 0x0806:
      return judge_untagged_arp(c);
    case 0x0800:
      return judge_untagged_ipv4(c);
    case 0x86dd:
      return judge_untagged_ipv6(c);
    default:
      break;
  }
  return drop(
      DropReason::unsupported, "U5",
      "uplink frame with ethertype " + hex16(p.ethertype) + ", which the switch does not carry");
}

}  // namespace isoswitch::ctl::explain_detail
