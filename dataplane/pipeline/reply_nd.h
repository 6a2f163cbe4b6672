// Building a neighbour advertisement in place in the solicitation's mbuf
// (E10 proxy ND, U4 on the uplink).
//
// The NA is exactly 86 bytes: Ethernet, IPv6 (hop limit 255, src = target,
// dst = the NS source), ICMPv6 136 with Solicited|Override and a target
// link-layer address option carrying the answering MAC; the ICMPv6 checksum
// covers the RFC 4443 pseudo-header. The NS is always untagged here (tagged
// frames never reach an ND answer), so the IPv6 header is at 14.
//
// Thread-safety: touches only the given mbuf, owned by the calling worker.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_mbuf.h>

#include "dataplane/pipeline/frame_parse.h"
#include "dataplane/pipeline/rewrite.h"

namespace isoswitch::dp {

inline constexpr uint16_t kNaReplyLen = 86;
inline constexpr uint16_t kNaIcmpLen = 32;

// One's-complement sum of 16-bit big-endian words (n even), not folded.
inline uint32_t ones_sum16(const uint8_t* p, uint32_t n, uint32_t sum) noexcept {
  for (uint32_t i = 0; i + 1 < n; i += 2) sum += load_be16(p + i);
  return sum;
}

inline uint16_t icmpv6_checksum(const uint8_t* ip6_hdr, const uint8_t* icmp,
                                uint32_t icmp_len) noexcept {
  uint32_t sum = ones_sum16(ip6_hdr + 8, 32, 0);  // source + destination
  sum += icmp_len;                                // upper-layer length (< 65536)
  sum += kIpProtoIcmpv6;                          // next header
  sum = ones_sum16(icmp, icmp_len, sum);
  while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
  return static_cast<uint16_t>(~sum);
}

// False when the mbuf cannot grow to 86 bytes.
inline bool build_na_reply(rte_mbuf* m, const MacAddr& answer) noexcept {
  const uint8_t* req = rte_pktmbuf_mtod(m, const uint8_t*);
  uint8_t eth_src[6], ns_src[16], target[16];
  std::memcpy(eth_src, req + 6, 6);
  std::memcpy(ns_src, req + kEthHdrLen + 8, 16);
  std::memcpy(target, req + kEthHdrLen + kIpv6HdrLen + 8, 16);

  if (!set_frame_len(m, kNaReplyLen)) return false;
  clear_vlan_metadata(m);
  uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
  std::memcpy(p, eth_src, 6);
  store_mac(p + 6, answer);
  store_be16(p + 12, kEthTypeIpv6);

  uint8_t* ip = p + kEthHdrLen;
  store_be32(ip, 0x60000000u);  // version 6, traffic class 0, flow 0
  store_be16(ip + 4, kNaIcmpLen);
  ip[6] = kIpProtoIcmpv6;
  ip[7] = 255;
  std::memcpy(ip + 8, target, 16);
  std::memcpy(ip + 24, ns_src, 16);

  uint8_t* icmp = ip + kIpv6HdrLen;
  icmp[0] = kIcmp6NeighAdvert;
  icmp[1] = 0;
  store_be16(icmp + 2, 0);
  store_be32(icmp + 4, 0x60000000u);  // Solicited | Override
  std::memcpy(icmp + 8, target, 16);
  icmp[24] = 2;  // option: target link-layer address
  icmp[25] = 1;  // length in units of 8 bytes
  store_mac(icmp + 26, answer);
  store_be16(icmp + 2, icmpv6_checksum(ip, icmp, kNaIcmpLen));
  return true;
}

}  // namespace isoswitch::dp
