// Container egress: the verdict for a frame received from a vNIC port.
//
// docs/rules.md "vNIC ingress", line by line and in that order; the first
// matching line decides. The common case (IPv4 unicast to a peer) costs one
// header check and one address-table lookup. Only reads the frame. IPv4 is
// forced inline into the burst loop, ARP and IPv6 stay out of line (see
// classify_uplink.h).
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

inline bool ipv4_is_bcast_mcast(uint32_t dst) noexcept {
  return dst == 0xffffffffu || (dst >> 28) == 0xeu;  // 255.255.255.255, 224.0.0.0/4
}

// E8: may a frame of non-isolated job `job` to `dst` leave by the default
// route? Shared by the IPv4 rule and proxy ARP (E3c), so the two can never
// disagree about what "E8 would forward" means.
[[gnu::always_inline]] inline bool default_route_allows(const SnapshotView& v, uint32_t job,
                                                        uint32_t dst) noexcept {
  const uint32_t top = dst >> 24;
  if (top == 0 || top == 127 || top >= 240 || (dst >> 16) == 0xA9FEu) return false;
  if (dst == v.uplink_ip || (v.gateway_ip != 0 && dst == v.gateway_ip) ||
      (v.agent_service_ip != 0 && dst == v.agent_service_ip))
    return false;
  if (const AddrInfo* a = v.addr4.find(dst)) {
    if (a->kind != AddrKind::kContainer) return false;  // host, agent service, VPC agent
    if (a->job != job) return false;                    // another job's container
  }
  return true;
}

// A job-J container address found in the table: deliver it (E5 local, E6
// remote via the underlay next hop).
[[gnu::always_inline]] inline Decision to_peer(const SnapshotView& v, const AddrInfo& a) noexcept {
  if (a.port != kNoPort) {
    if (a.port >= v.n_ports) return drop(DropReason::no_route);
    return forward(a.port, v.ports[a.port].deliver);
  }
  if (v.uplink_port == kNoPort) return drop(DropReason::no_route);
  return forward(v.uplink_port, v.s.to_uplink);
}

// `self`: the ingress vNIC's entry.
[[gnu::always_inline]] inline Decision vnic_ipv4(const SnapshotView& v, const PortEntry& self,
                                                 const L2View& l2) noexcept {
  Ipv4View ip;
  if (!parse_ipv4(l2, ip)) return drop(DropReason::malformed);
  if (ip.src != self.ip.value) return drop(DropReason::spoofed_src);  // E1
  if (mac_is_multicast(l2.data) || ipv4_is_bcast_mcast(ip.dst))
    return drop(DropReason::bcast_mcast);  // E9
  // The vNIC's own job is local, so its peers are all in the host-local
  // table; E8 below asks the whole policy.
  const AddrInfo* a = v.local4.find(ip.dst);
  if (a != nullptr && a->kind == AddrKind::kContainer && a->job == self.job)
    return to_peer(v, *a);  // E5/E6
  if (self.job >= v.n_jobs || v.jobs[self.job].isolated) return drop(DropReason::not_peer);  // E7
  if (!default_route_allows(v, self.job, ip.dst)) return drop(DropReason::forbidden_dst);    // E8
  if (v.uplink_port == kNoPort) return drop(DropReason::no_route);
  return forward(v.uplink_port, v.s.to_uplink);  // E8
}

[[gnu::noinline]] inline Decision vnic_arp(const Snapshot& s, uint16_t in_port, const PortEntry& v,
                                           const L2View& l2) noexcept {
  ArpView a;
  if (!parse_arp(l2, a)) return drop(DropReason::malformed);
  if (!mac_eq(a.sha(), v.mac)) return drop(DropReason::spoofed_src);             // E4
  if (a.op == kArpOpRequest && a.spa == 0) return drop(DropReason::arp_denied);  // probe
  if (a.spa != v.ip.value) return drop(DropReason::spoofed_src);                 // E4
  if (a.op != kArpOpRequest || a.tpa == v.ip.value) return drop(DropReason::arp_denied);
  const AddrInfo* t = s.addr4.find(a.tpa);
  if (t != nullptr && t->kind == AddrKind::kContainer && t->job == v.job)
    return arp_reply(in_port, s.gateway_mac, false, 0);  // E3a
  if (s.gateway_ip != 0 && a.tpa == s.gateway_ip)
    return arp_reply(in_port, s.gateway_mac, false, 0);  // E3b
  // E3c: "E8 would forward the target". A multicast target never reaches E8
  // (E9 drops it first), so it is not answered either.
  if (v.job < s.jobs.size() && !s.jobs[v.job].isolated && !ipv4_is_bcast_mcast(a.tpa) &&
      default_route_allows(SnapshotView(s), v.job, a.tpa))
    return arp_reply(in_port, s.gateway_mac, false, 0);  // E3c
  return drop(DropReason::arp_denied);                   // E4
}

[[gnu::noinline]] inline Decision vnic_ipv6(const Snapshot& s, uint16_t in_port, const PortEntry& v,
                                            const L2View& l2) noexcept {
  if (!v.has_ipv6) return drop(DropReason::ipv6_disabled);  // E10
  Ipv6View ip;
  if (!parse_ipv6(l2, ip)) return drop(DropReason::malformed);
  if (ip.icmp != nullptr) {
    const uint8_t t = ip.icmp_type();
    if (t == kIcmp6RouterSolicit || t == kIcmp6RouterAdvert || t == kIcmp6NeighAdvert ||
        t == kIcmp6Redirect)
      return drop(DropReason::nd_denied);
    if (t == kIcmp6NeighSolicit) {  // parse_ipv6 checked its 24 bytes
      if (ipv6_is_unspecified(ip.src())) return drop(DropReason::nd_denied);  // DAD
      if (!ipv6_eq(ip.src(), v.ip6) && !ipv6_is_link_local(ip.src()))
        return drop(DropReason::spoofed_src);
      const AddrInfo* tg = s.addr6.find(ip.icmp + 8);
      if (tg != nullptr && tg->kind == AddrKind::kContainer && tg->job == v.job)
        return na_reply(in_port, s.gateway_mac);
      return drop(DropReason::nd_denied);
    }
  }
  if (!ipv6_eq(ip.src(), v.ip6)) return drop(DropReason::spoofed_src);  // E1
  if (mac_is_multicast(l2.data) || ip.dst()[0] == 0xff) return drop(DropReason::bcast_mcast);
  const AddrInfo* a = s.addr6.find(ip.dst());
  if (a != nullptr && a->kind == AddrKind::kContainer && a->job == v.job)
    return to_peer(SnapshotView(s), *a);
  return drop(DropReason::not_peer);  // E10
}

// `self`: the ingress vNIC's entry.
[[gnu::always_inline]] inline Decision classify_vnic(const SnapshotView& v, uint16_t in_port,
                                                     const PortEntry& self,
                                                     const L2View& l2) noexcept {
  if (!mac_eq(l2.data + 6, self.mac)) return drop(DropReason::spoofed_src);  // E1
  if (l2.tagged) return drop(DropReason::vlan_from_vnic);                    // E2
  switch (l2.ethertype) {
    case kEthTypeIpv4:
      return vnic_ipv4(v, self, l2);
    case kEthTypeArp:
      return vnic_arp(v.s, in_port, self, l2);
    case kEthTypeIpv6:
      return vnic_ipv6(v.s, in_port, self, l2);
    default:
      return drop(DropReason::unsupported);  // E11
  }
}

}  // namespace isoswitch::dp
