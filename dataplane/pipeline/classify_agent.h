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
[[gnu::always_inline]] inline const JobEntry* vpc_job_of_agent_ip(const SnapshotView& v,
                                                                  uint32_t ip) noexcept {
  const AddrInfo* a = v.addr4.find(ip);
  if (a == nullptr || a->kind != AddrKind::kAgentVpc || a->job >= v.n_jobs) return nullptr;
  const JobEntry& j = v.jobs[a->job];
  return j.has_vpc ? &j : nullptr;
}

// Out of line (rare), so it takes the snapshot (see snapshot_view.h).
[[gnu::noinline]] inline Decision agent_arp(const Snapshot& s, uint16_t in_port,
                                            const L2View& l2) noexcept {
  ArpView a;
  if (!parse_arp(l2, a)) return drop(DropReason::malformed);
  if (!mac_eq(a.sha(), s.agent_mac)) return drop(DropReason::spoofed_src);
  const bool from_service = s.agent_service_ip != 0 && a.spa == s.agent_service_ip;
  const JobEntry* vpc = from_service ? nullptr : vpc_job_of_agent_ip(SnapshotView(s), a.spa);
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

[[gnu::always_inline]] inline Decision agent_ipv4(const SnapshotView& v,
                                                  const L2View& l2) noexcept {
  Ipv4View ip;
  if (!parse_ipv4(l2, ip)) return drop(DropReason::malformed);
  if (mac_is_multicast(l2.data) || ipv4_is_bcast_mcast(ip.dst))
    return drop(DropReason::bcast_mcast);  // E9
  const AddrInfo* d = v.addr4.find(ip.dst);
  if (d != nullptr && d->kind == AddrKind::kContainer)
    return drop(DropReason::agent_to_container);  // A3
  if (v.uplink_port == kNoPort) return drop(DropReason::no_route);
  if (const JobEntry* vpc = vpc_job_of_agent_ip(v, ip.src); vpc != nullptr) {
    if (v.s.vpc_allows(*vpc, ip.dst))  // A1
      return forward_push_tag(v.uplink_port, vpc->vpc_egress, vpc->vlan);
  }
  if (v.agent_service_ip != 0 && ip.src == v.agent_service_ip)
    return forward(v.uplink_port, v.s.to_uplink);  // A2
  return drop(DropReason::no_route);               // A4
}

[[gnu::always_inline]] inline Decision classify_agent(const SnapshotView& v, uint16_t in_port,
                                                      const L2View& l2) noexcept {
  if (!mac_eq(l2.data + 6, v.s.agent_mac)) return drop(DropReason::spoofed_src);  // A4
  if (l2.tagged) return drop(DropReason::vlan_from_vnic);                         // A4
  switch (l2.ethertype) {
    case kEthTypeIpv4:
      return agent_ipv4(v, l2);
    case kEthTypeArp:
      return agent_arp(v.s, in_port, l2);
    case kEthTypeIpv6:
      return drop(DropReason::ipv6_disabled);  // A4
    default:
      return drop(DropReason::unsupported);  // A4
  }
}

}  // namespace isoswitch::dp
