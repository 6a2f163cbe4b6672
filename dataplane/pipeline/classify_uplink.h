// Uplink ingress: the verdict for a frame received from the underlay.
//
// docs/rules.md "Uplink ingress", in order: QinQ, L2 destination, then the
// tagged (VPC VLAN: U3/U4) or untagged (U1/U2/U3b/U4) tables. A tag in mbuf
// metadata and an inline tag arrive here as the same L2View, so both forms
// are judged by the same lines. Only reads the frame.
//
// The common case (untagged IPv4) is forced inline into the burst loop, so the
// Decision never goes through memory; the rare families (tagged, ARP, IPv6)
// stay out of line to keep that loop small.
//
// Thread-safety: pure inline functions; the caller holds the snapshot for the
// burst.
#pragma once

#include <cstdint>

#include "dataplane/pipeline/decision.h"
#include "dataplane/pipeline/frame_parse.h"
#include "dataplane/pipeline/snapshot_view.h"
#include "isoswitch/snapshot.h"

namespace isoswitch::dp {

// "An ICMPv6 NS" for the uplink's multicast filter: an IPv6 header that passes
// the checks (24 NS bytes included) with ICMPv6 directly after it, type 135.
inline bool is_neighbour_solicit(const L2View& l2) noexcept {
  if (l2.ethertype != kEthTypeIpv6) return false;
  Ipv6View ip;
  return parse_ipv6(l2, ip) && ip.icmp != nullptr && ip.icmp_type() == kIcmp6NeighSolicit;
}

inline bool is_local_vnic(const AddrInfo* a) noexcept {
  return a != nullptr && a->kind == AddrKind::kContainer && a->port != kNoPort;
}
inline bool is_container(const AddrInfo* a) noexcept {
  return a != nullptr && a->kind == AddrKind::kContainer;
}

[[gnu::always_inline]] inline Decision to_agent(const SnapshotView& v, bool pop_tag) noexcept {
  if (v.agent_port == kNoPort) return drop(DropReason::no_route);
  return pop_tag ? forward_pop_tag(v.agent_port, v.s.to_agent)
                 : forward(v.agent_port, v.s.to_agent);
}

// Delivery to local vNIC `d` (U1/U2): isolated jobs accept only their peers.
[[gnu::always_inline]] inline Decision to_local_vnic(const SnapshotView& v, const AddrInfo& d,
                                                     const AddrInfo* src) noexcept {
  if (d.port >= v.n_ports || d.job >= v.n_jobs) return drop(DropReason::no_route);
  if (v.jobs[d.job].isolated && !(is_container(src) && src->job == d.job))
    return drop(DropReason::not_peer_inbound);
  return forward(d.port, v.ports[d.port].deliver);
}

// On job K's VPC VLAN: only the agent's VPC address is reachable (U3, U4).
// Out of line, so it takes the snapshot, not the caller's view (see
// snapshot_view.h).
[[gnu::noinline]] inline Decision uplink_tagged(const Snapshot& s, uint16_t in_port,
                                                const L2View& l2) noexcept {
  const uint16_t vid = l2.tci & 0x0fffu;
  const uint32_t k = s.vlan_to_job[vid];
  if (vid == 0 || k == kNoJob || k >= s.jobs.size() || !s.jobs[k].has_vpc)
    return drop(DropReason::unknown_vlan);
  const JobEntry& job = s.jobs[k];
  if (l2.ethertype == kEthTypeArp) {
    ArpView a;
    if (!parse_arp(l2, a)) return drop(DropReason::malformed);
    if (a.op == kArpOpRequest && a.tpa == job.vpc_agent_ip.value)
      return arp_reply(in_port, s.uplink_mac, true, l2.tci);  // U4
    return drop(DropReason::arp_denied);
  }
  if (l2.ethertype == kEthTypeIpv4) {
    Ipv4View ip;
    if (!parse_ipv4(l2, ip)) return drop(DropReason::malformed);
    if (ip.dst != job.vpc_agent_ip.value) return drop(DropReason::no_route);
    if (!s.vpc_allows(job, ip.src)) return drop(DropReason::not_peer_inbound);
    return to_agent(SnapshotView(s), true);  // U3
  }
  return drop(DropReason::unsupported);
}

[[gnu::noinline]] inline Decision uplink_arp(const Snapshot& s, uint16_t in_port,
                                             const L2View& l2) noexcept {
  ArpView a;
  if (!parse_arp(l2, a)) return drop(DropReason::malformed);
  if (a.op == kArpOpRequest && (is_local_vnic(s.addr4.find(a.tpa)) ||
                                (s.agent_service_ip != 0 && a.tpa == s.agent_service_ip)))
    return arp_reply(in_port, s.uplink_mac, false, 0);  // U4
  return drop(DropReason::arp_denied);
}

[[gnu::always_inline]] inline Decision uplink_ipv4(const SnapshotView& v,
                                                   const L2View& l2) noexcept {
  Ipv4View ip;
  if (!parse_ipv4(l2, ip)) return drop(DropReason::malformed);
  // The host-local table answers U1/U2 exactly: a local vNIC's address and
  // its job's peers are all in it, and a source it lacks is no peer of any
  // job with a vNIC here.
  const AddrInfo* src = v.local4.find(ip.src);
  if (is_local_vnic(src)) return drop(DropReason::spoofed_src);
  const AddrInfo* dst = v.local4.find(ip.dst);
  if (is_local_vnic(dst)) return to_local_vnic(v, *dst, src);  // U1/U2
  if (v.agent_service_ip != 0 && ip.dst == v.agent_service_ip) {
    // U3b asks about any container of the policy: the whole table.
    if (is_container(v.addr4.find(ip.src))) return drop(DropReason::not_peer_inbound);
    return to_agent(v, false);  // U3b
  }
  return drop(DropReason::no_route);
}

[[gnu::noinline]] inline Decision uplink_ipv6(const Snapshot& s, uint16_t in_port,
                                              const L2View& l2) noexcept {
  Ipv6View ip;
  if (!parse_ipv6(l2, ip)) return drop(DropReason::malformed);
  if (ip.icmp != nullptr) {
    const uint8_t t = ip.icmp_type();
    if (t == kIcmp6NeighSolicit) {  // parse_ipv6 checked its 24 bytes
      if (!ipv6_is_unspecified(ip.src()) && is_local_vnic(s.addr6.find(ip.icmp + 8)))
        return na_reply(in_port, s.uplink_mac);  // U4
      return drop(DropReason::nd_denied);
    }
    if (t >= kIcmp6RouterSolicit && t <= kIcmp6Redirect) return drop(DropReason::nd_denied);
  }
  const AddrInfo* src = s.addr6.find(ip.src());
  if (is_local_vnic(src)) return drop(DropReason::spoofed_src);
  if (ip.dst()[0] == 0xff) return drop(DropReason::bcast_mcast);
  const AddrInfo* dst = s.addr6.find(ip.dst());
  if (is_local_vnic(dst)) return to_local_vnic(SnapshotView(s), *dst, src);  // U1/U2
  return drop(DropReason::no_route);
}

[[gnu::always_inline]] inline Decision classify_uplink(const SnapshotView& v, uint16_t in_port,
                                                       const L2View& l2) noexcept {
  if (l2.qinq) return drop(DropReason::unknown_vlan);
  if (mac_is_multicast(l2.data)) {
    if (l2.ethertype != kEthTypeArp && !is_neighbour_solicit(l2))
      return drop(DropReason::bcast_mcast);
  } else if (!mac_eq(l2.data, v.s.uplink_mac)) {
    return drop(DropReason::not_for_us);
  }
  if (l2.tagged) return uplink_tagged(v.s, in_port, l2);
  switch (l2.ethertype) {
    case kEthTypeIpv4:
      return uplink_ipv4(v, l2);
    case kEthTypeArp:
      return uplink_arp(v.s, in_port, l2);
    case kEthTypeIpv6:
      return uplink_ipv6(v.s, in_port, l2);
    default:
      return drop(DropReason::unsupported);
  }
}

}  // namespace isoswitch::dp
