// docs/rules.md's header checks, read byte by byte within the frame's length.
#include "control/explain/explain_internal.h"

namespace isoswitch::ctl::explain_detail {

bool read_arp(const Pkt& p, Arp& a) noexcept {
  const std::size_t o = p.l3;
  if (p.len < o + 28) return false;
  if (p.be16(o) != 1 || p.be16(o + 2) != 0x0800 || p.at(o + 4) != 6 || p.at(o + 5) != 4)
    return false;
  a.op = p.be16(o + 6);
  a.sha = p.mac(o + 8);
  a.spa = Ipv4Addr{p.be32(o + 14)};
  a.tpa = Ipv4Addr{p.be32(o + 24)};
  return true;
}

bool read_ipv4(const Pkt& p, Ip4& ip) noexcept {
  const std::size_t o = p.l3;
  if (p.len < o + 20) return false;
  if ((p.at(o) >> 4) != 4) return false;
  const std::size_t ihl = p.at(o) & 0x0f;
  const std::size_t total = p.be16(o + 2);
  if (ihl < 5) return false;
  if (ihl * 4 > total) return false;
  if (total > p.len - o) return false;  // shorter is Ethernet padding: allowed
  ip.src = Ipv4Addr{p.be32(o + 12)};
  ip.dst = Ipv4Addr{p.be32(o + 16)};
  return true;
}

bool read_ipv6(const Pkt& p, Ip6& ip) noexcept {
  const std::size_t o = p.l3;
  if (p.len < o + 40) return false;
  if ((p.at(o) >> 4) != 6) return false;
  ip.payload_len = p.be16(o + 4);
  if (40 + std::size_t{ip.payload_len} > p.len - o) return false;
  ip.src = p.ip6(o + 8);
  ip.dst = p.ip6(o + 24);
  // ICMPv6 only directly after the fixed header: no extension-header walking,
  // so a frame cannot hide an ND message behind options.
  ip.icmp = p.at(o + 6) == 58 && ip.payload_len >= 4;
  ip.icmp_type = ip.icmp ? p.at(o + 40) : 0;
  if (ip.icmp && ip.icmp_type == 135) {
    if (ip.payload_len < 24) return false;
    ip.ns_target = p.ip6(o + 48);
  }
  return true;
}

}  // namespace isoswitch::ctl::explain_detail
