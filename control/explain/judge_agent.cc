// Agent port ingress: docs/rules.md's agent table, top to bottom.
#include "control/explain/explain_internal.h"

namespace isoswitch::ctl::explain_detail {
namespace {

// One of the agent's own addresses: the service IP or any job's VPC agent IP.
bool is_agent_addr(const PolicyDoc& doc, const AgentDoc& agent, Ipv4Addr ip) {
  return ip == agent.service_ip || job_with_vpc_agent(doc, ip) != nullptr;
}

Explanation judge_arp(const Ctx& c, const AgentDoc& agent) {
  Arp a;
  if (!read_arp(c.p, a))
    return drop(DropReason::malformed, "A4",
                "ARP header from the agent is truncated or not Ethernet/IPv4 ARP");
  const std::string tgt = to_string(a.tpa);
  if (a.sha != agent.mac)
    return drop(DropReason::spoofed_src, "A4",
                "ARP from the agent claims sender MAC " + to_string(a.sha) + ", not the agent's " +
                    to_string(agent.mac));
  if (!is_agent_addr(c.doc, agent, a.spa))
    return drop(DropReason::spoofed_src, "A4",
                "ARP from the agent claims sender IP " + to_string(a.spa) +
                    ", which is none of the agent's addresses");
  const MacAddr& gw = c.doc.host.gateway_mac;
  if (a.op == 1) {
    if (const JobDoc* k = job_with_vpc_agent(c.doc, a.spa);
        k != nullptr && vpc_allows(*k->vpc, a.tpa))
      return arp_reply(c, a, gw, false, "A5",
                       "ARP request from the agent's VPC address " + to_string(a.spa) + " (job " +
                           k->id + ") for " + tgt +
                           ", in the job's allowed prefixes, is answered with the gateway MAC");
    if (a.spa == agent.service_ip && job_of_container(c.doc, a.tpa) == nullptr)
      return arp_reply(c, a, gw, false, "A5",
                       "ARP request from the agent's service address for " + tgt +
                           ", not a container, is answered with the gateway MAC");
  }
  return drop(DropReason::arp_denied, "A4",
              "ARP from the agent (op " + std::to_string(a.op) + ") for " + tgt +
                  " is not for an address the agent may route to");
}

Explanation judge_ipv4(const Ctx& c, const AgentDoc& agent) {
  Ip4 ip;
  if (!read_ipv4(c.p, ip))
    return drop(
        DropReason::malformed, "A4",
        "IPv4 header from the agent is truncated or inconsistent (version, IHL or total length)");
  const std::string src = to_string(ip.src), dst = to_string(ip.dst);
  if (c.p.eth_dst().is_multicast() || is_ipv4_bcast_mcast(ip.dst))
    return drop(
        DropReason::bcast_mcast, "E9",
        "the agent sent broadcast/multicast (to " + to_string(c.p.eth_dst()) + ", " + dst + ")");
  if (const JobDoc* j = job_of_container(c.doc, ip.dst))
    return drop(DropReason::agent_to_container, "A3",
                "the agent sent to " + dst + ", a container of job " + j->id +
                    ": data reaches containers through the file system");
  const UplinkDoc& up = c.doc.host.uplink;
  const uint16_t out = port_index(c.ports, up.port);
  if (const JobDoc* k = job_with_vpc_agent(c.doc, ip.src);
      k != nullptr && vpc_allows(*k->vpc, ip.dst)) {
    if (out == kNoPort)
      return drop(DropReason::no_route, "A1",
                  "the uplink port " + up.port + " is not a port of this switch");
    return forward(c, out, up.mac, k->vpc->gateway_mac, TagOp::kPush, k->vpc->vlan, "A1",
                   "the agent's VPC address " + src + " (job " + k->id + ") to " + dst +
                       ", in the job's allowed prefixes: out the uplink tagged VLAN " +
                       std::to_string(k->vpc->vlan) + " to the VPC gateway " +
                       to_string(k->vpc->gateway_mac));
  }
  if (ip.src == agent.service_ip) {
    if (out == kNoPort)
      return drop(DropReason::no_route, "A2",
                  "the uplink port " + up.port + " is not a port of this switch");
    return forward(c, out, up.mac, up.next_hop_mac, TagOp::kKeep, 0, "A2",
                   "the agent's service address " + src + " to " + dst +
                       ": out the uplink untagged via the default route");
  }
  return drop(
      DropReason::no_route, "A4",
      "the agent sent from " + src + " to " + dst +
          ": neither a VPC transfer to the job's allowed prefixes nor from the service address");
}

}  // namespace

Explanation judge_agent(const Ctx& c, const AgentDoc& agent) {
  const Pkt& p = c.p;
  if (p.eth_src() != agent.mac)
    return drop(DropReason::spoofed_src, "A4",
                "the agent port sent from MAC " + to_string(p.eth_src()) + ", not the agent's " +
                    to_string(agent.mac));
  if (p.tagged)
    return drop(DropReason::vlan_from_vnic, "A4",
                "the agent sent a VLAN-tagged frame: the switch adds the VPC tag itself (A1)");
  switch (p.ethertype) {
    case 0x0806:
      return judge_arp(c, agent);
    case 0x0800:
      return judge_ipv4(c, agent);
    case 0x86dd:
      return drop(DropReason::ipv6_disabled, "A4",
                  "the agent sent IPv6: the agent port carries IPv4 only");
    default:
      break;
  }
  return drop(
      DropReason::unsupported, "A4",
      "the agent sent ethertype " + hex16(p.ethertype) + ", which the switch does not carry");
}

}  // namespace isoswitch::ctl::explain_detail
