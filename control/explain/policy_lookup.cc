// Linear searches over the PolicyDoc: slow on purpose, obviously right.
#include "control/explain/explain_internal.h"

namespace isoswitch::ctl::explain_detail {

const VnicDoc* vnic_on_port(const PolicyDoc& doc, const std::string& port) {
  for (const auto& v : doc.vnics)
    if (v.port == port) return &v;
  return nullptr;
}

const VnicDoc* vnic_with_ip(const PolicyDoc& doc, Ipv4Addr ip) {
  for (const auto& v : doc.vnics)
    if (v.ip == ip) return &v;
  return nullptr;
}

const VnicDoc* vnic_with_ip6(const PolicyDoc& doc, const Ipv6Addr& ip) {
  for (const auto& v : doc.vnics)
    if (v.ipv6 && *v.ipv6 == ip) return &v;
  return nullptr;
}

bool job_has_peer(const JobDoc& j, Ipv4Addr ip) {
  for (const auto& a : j.peers)
    if (a == ip) return true;
  return false;
}

bool job_has_peer6(const JobDoc& j, const Ipv6Addr& ip) {
  for (const auto& a : j.peers6)
    if (a == ip) return true;
  return false;
}

const JobDoc* job_of_container(const PolicyDoc& doc, Ipv4Addr ip) {
  for (const auto& j : doc.jobs)
    if (job_has_peer(j, ip)) return &j;
  return nullptr;
}

const JobDoc* job_of_container6(const PolicyDoc& doc, const Ipv6Addr& ip) {
  for (const auto& j : doc.jobs)
    if (job_has_peer6(j, ip)) return &j;
  return nullptr;
}

const JobDoc* job_with_vpc_agent(const PolicyDoc& doc, Ipv4Addr ip) {
  for (const auto& j : doc.jobs)
    if (j.vpc && j.vpc->agent_ip == ip) return &j;
  return nullptr;
}

const JobDoc* job_with_vlan(const PolicyDoc& doc, uint16_t vid) {
  if (vid == 0) return nullptr;  // priority-tagged frames belong to no VPC
  for (const auto& j : doc.jobs)
    if (j.vpc && j.vpc->vlan == vid) return &j;
  return nullptr;
}

bool vpc_allows(const VpcDoc& vpc, Ipv4Addr ip) {
  for (const auto& p : vpc.prefixes)
    if (p.contains(ip)) return true;
  return false;
}

bool is_ipv4_bcast_mcast(Ipv4Addr ip) {
  return ip.value == 0xffffffffu || (ip.value >> 28) == 0xe;  // 255.255.255.255, 224/4
}

bool e8_forbidden(const PolicyDoc& doc, const JobDoc& j, Ipv4Addr dst) {
  const uint8_t first = static_cast<uint8_t>(dst.value >> 24);
  if (first == 0 || first == 127) return true;  // 0/8, 127/8
  if (kLinkLocal4.contains(dst)) return true;   // 169.254/16, metadata included
  if ((dst.value >> 28) == 0xf) return true;    // 240/4
  if (dst == doc.host.uplink.ip) return true;
  if (doc.host.gateway_ip && dst == *doc.host.gateway_ip) return true;
  if (doc.host.agent && dst == doc.host.agent->service_ip) return true;
  if (job_with_vpc_agent(doc, dst)) return true;
  const JobDoc* owner = job_of_container(doc, dst);
  return owner != nullptr && owner != &j;
}

}  // namespace isoswitch::ctl::explain_detail
