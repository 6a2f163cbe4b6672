// Transfer-agent egress: the verdict for a frame received from the agent port.
//
// docs/rules.md "Agent port ingress", in order. The agent may reach only its
// jobs' VPC prefixes (A1, tagged onto the job's VPC VLAN) or the default
// route from its service address (A2); never a container (A3). Only reads the
// frame.
//
// Thread-safety: pure inline functions; the caller holds the snapshot for the
// burst.
#pragma once

#include <cstdint>

#include "dataplane/pipeline/classify_vnic.h"
#include "dataplane/pipeline/decision.h"
#include "dataplane/pipeline/frame_parse.h"
#include "isoswitch/snapshot.h"

namespace isoswitch::dp {

// The VPC job whose agent address `ip` is, or null.
inline const JobEntry* vpc_job_of_agent_ip(const Snapshot& s, uint32_t ip) noexcept {
  const AddrInfo* a = s.addr4.find(ip);
  if (a == nullptr || a->kind != AddrKind::kAgentVpc || a->job >= s.jobs.size()) return nullptr;
  const JobEntry& j = s.jobs[a->job];
  return j.has_vpc ? &j : nullptr;
}

inline Decision agent_arp(const Snapshot& s, uint16_t in_port, const L2View& l2) noexcept {
  ArpView a;
  if (!parse_arp(l2, a)) return drop(DropReason::malformed);
  if (!mac_eq(a.sha(), s.agent_mac)) return drop(DropReason::spoofed_src);
  const bool from_service = s.agent_service_ip != 0 && a.spa == s.agent_service_ip;
  const JobEntry* vpc = from_service ? nullptr : vpc_job_of_agent_ip(s, a.spa);
  if (!from_service && vpc == nullptr) return drop(DropReason::spoofed_src);
  if (a.op == kArpOpRequest) {
    if (vpc != nullptr && s.vpc_allows(*vpc, a.tpa))
      return arp_reply(in_port, s.gateway_mac, false, 0);  // A5
    if (from_service) {
      const AddrInfo* t = s.addr4.find(a.tpa);
      if (t == nullptr || t->kind != AddrKind::kContainer)
        return arp_reply(in_port, s.gateway_mac, false, 0);  // A5
    }
  }
  return drop(DropReason::arp_denied);  // A4
}

inline Decision agent_ipv4(const Snapshot& s, const L2View& l2) noexcept {
  Ipv4View ip;
  if (!parse_ipv4(l2, ip)) return drop(DropReason::malformed);
  if (mac_is_multicast(l2.data) || ipv4_is_bcast_mcast(ip.dst))
    return drop(DropReason::bcast_mcast);  // E9
  const AddrInfo* d = s.addr4.find(ip.dst);
  if (d != nullptr && d->kind == AddrKind::kContainer)
    return drop(DropReason::agent_to_container);  // A3
  if (s.uplink_port == kNoPort) return drop(DropReason::no_route);
  if (const JobEntry* vpc = vpc_job_of_agent_ip(s, ip.src); vpc != nullptr) {
    if (s.vpc_allows(*vpc, ip.dst))  // A1
      return forward_push_tag(s.uplink_port, s.uplink_mac, vpc->vpc_gateway_mac, vpc->vlan);
  }
  if (s.agent_service_ip != 0 && ip.src == s.agent_service_ip)
    return forward(s.uplink_port, s.uplink_mac, s.next_hop_mac);  // A2
  return drop(DropReason::no_route);                              // A4
}

inline Decision classify_agent(const Snapshot& s, uint16_t in_port, const L2View& l2) noexcept {
  if (!mac_eq(l2.data + 6, s.agent_mac)) return drop(DropReason::spoofed_src);  // A4
  if (l2.tagged) return drop(DropReason::vlan_from_vnic);                       // A4
  switch (l2.ethertype) {
    case kEthTypeIpv4:
      return agent_ipv4(s, l2);
    case kEthTypeArp:
      return agent_arp(s, in_port, l2);
    case kEthTypeIpv6:
      return drop(DropReason::ipv6_disabled);  // A4
    default:
      return drop(DropReason::unsupported);  // A4
  }
}

}  // namespace isoswitch::dp
