// Bounds-checked views of a frame's L2/L3 headers, for the hot path.
//
// Every view is built from (data, len) of the first and only segment and
// checks the length before it reads a header, so no classifier can read past
// the frame (ISOLATION.md E12). The checks are exactly docs/rules.md's
// "header checks"; a view that fails them means `malformed`. Multi-byte
// fields are read with memcpy-free byte loads (frames carry network order and
// may be unaligned after a VLAN tag).
//
// Thread-safety: pure inline functions over caller-owned bytes.
#pragma once

#include <cstdint>
#include <cstring>

#include "isoswitch/addr.h"

namespace isoswitch::dp {

inline constexpr uint16_t kEthTypeIpv4 = 0x0800;
inline constexpr uint16_t kEthTypeArp = 0x0806;
inline constexpr uint16_t kEthTypeIpv6 = 0x86dd;
inline constexpr uint16_t kTpid8021Q = 0x8100;
inline constexpr uint16_t kTpid8021AD = 0x88a8;
inline constexpr uint16_t kTpidQinQOld = 0x9100;

inline constexpr uint32_t kEthHdrLen = 14;
inline constexpr uint32_t kVlanTagLen = 4;
inline constexpr uint32_t kArpLen = 28;
inline constexpr uint32_t kIpv4MinHdr = 20;
inline constexpr uint32_t kIpv6HdrLen = 40;
inline constexpr uint8_t kIpProtoIcmpv6 = 58;

inline uint16_t load_be16(const uint8_t* p) noexcept {
  return static_cast<uint16_t>((p[0] << 8) | p[1]);
}
inline uint32_t load_be32(const uint8_t* p) noexcept {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}
inline void store_be16(uint8_t* p, uint16_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void store_be32(uint8_t* p, uint32_t v) noexcept {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
inline bool mac_eq(const uint8_t* p, const MacAddr& m) noexcept {
  return std::memcmp(p, m.b.data(), 6) == 0;
}
inline bool mac_is_multicast(const uint8_t* p) noexcept {
  return (p[0] & 1u) != 0;
}
inline void store_mac(uint8_t* p, const MacAddr& m) noexcept {
  std::memcpy(p, m.b.data(), 6);
}

inline bool is_tpid(uint16_t t) noexcept {
  return t == kTpid8021Q || t == kTpid8021AD || t == kTpidQinQOld;
}

// The L2 layer: where the tag is (if any), the ethertype after it, and where
// L3 starts. `tagged` covers both an inline tag and one in mbuf metadata.
struct L2View {
  uint8_t* data = nullptr;
  uint32_t len = 0;
  uint16_t ethertype = 0;    // innermost ethertype (after at most one tag)
  uint16_t l3 = kEthHdrLen;  // 14, or 18 with an inline tag
  uint16_t tci = 0;          // the tag's TCI when tagged
  bool tagged = false;       // one tag present (inline or metadata)
  bool tag_inline = false;   // ... and it is in the frame bytes
  bool qinq = false;         // two tags (metadata + inline, or two inline)
};

// Returns false (malformed) when an inline tag is cut short; len >= 14 is the
// caller's precondition (P2 has run).
inline bool parse_l2(uint8_t* data, uint32_t len, bool meta_tag, uint16_t meta_tci,
                     L2View& v) noexcept {
  v.data = data;
  v.len = len;
  uint16_t et = load_be16(data + 12);
  v.tagged = meta_tag;
  v.tci = meta_tci;
  v.l3 = kEthHdrLen;
  if (et != kEthTypeIpv4 && is_tpid(et)) {  // IPv4 first: the common frame skips the TPID tests
    if (len < kEthHdrLen + kVlanTagLen) return false;
    if (meta_tag) v.qinq = true;
    v.tagged = true;
    v.tag_inline = true;
    v.tci = load_be16(data + 14);
    et = load_be16(data + 16);
    v.l3 = kEthHdrLen + kVlanTagLen;
    if (is_tpid(et)) v.qinq = true;
  }
  v.ethertype = et;
  return true;
}

// IPv4: frame >= l3 + 20; version 4; IHL >= 5; IHL*4 <= total length;
// total length <= frame - l3. Addresses returned in host order.
struct Ipv4View {
  uint32_t src = 0;
  uint32_t dst = 0;
};
inline bool parse_ipv4(const L2View& l2, Ipv4View& ip) noexcept {
  if (l2.len < uint32_t{l2.l3} + kIpv4MinHdr) return false;
  const uint8_t* h = l2.data + l2.l3;
  const uint32_t total = load_be16(h + 2);
  if (total > l2.len - l2.l3) return false;
  if (h[0] == 0x45) {  // version 4, IHL 5: nearly every header, one compare
    if (total < kIpv4MinHdr) return false;
  } else {
    if ((h[0] >> 4) != 4) return false;
    const uint32_t ihl = h[0] & 0x0fu;
    if (ihl < 5 || ihl * 4 > total) return false;
  }
  ip.src = load_be32(h + 12);
  ip.dst = load_be32(h + 16);
  return true;
}

inline constexpr uint8_t kIcmp6RouterSolicit = 133;
inline constexpr uint8_t kIcmp6RouterAdvert = 134;
inline constexpr uint8_t kIcmp6NeighSolicit = 135;
inline constexpr uint8_t kIcmp6NeighAdvert = 136;
inline constexpr uint8_t kIcmp6Redirect = 137;
inline constexpr uint32_t kNsMinLen = 24;  // type..reserved (8) + target (16)

// IPv6: frame >= l3 + 40; version 6; 40 + payload length <= frame - l3.
// ICMPv6 is recognised only with next header 58 directly and a payload of at
// least 4 bytes (`icmp` null otherwise); an NS shorter than 24 ICMPv6 bytes
// fails the checks (so it is not "an NS" anywhere, e.g. for the uplink's
// multicast filter, and it never reaches a read of its target).
struct Ipv6View {
  const uint8_t* hdr = nullptr;
  const uint8_t* icmp = nullptr;  // the ICMPv6 header, or null
  uint16_t payload_len = 0;
  const uint8_t* src() const noexcept { return hdr + 8; }
  const uint8_t* dst() const noexcept { return hdr + 24; }
  uint8_t icmp_type() const noexcept { return icmp[0]; }
};
inline bool parse_ipv6(const L2View& l2, Ipv6View& ip) noexcept {
  if (l2.len < uint32_t{l2.l3} + kIpv6HdrLen) return false;
  const uint8_t* h = l2.data + l2.l3;
  if ((h[0] >> 4) != 6) return false;
  uint32_t plen = load_be16(h + 4);
  if (kIpv6HdrLen + plen > l2.len - l2.l3) return false;
  ip.hdr = h;
  ip.payload_len = static_cast<uint16_t>(plen);
  ip.icmp = (h[6] == kIpProtoIcmpv6 && plen >= 4) ? h + kIpv6HdrLen : nullptr;
  if (ip.icmp != nullptr && ip.icmp[0] == kIcmp6NeighSolicit && plen < kNsMinLen) return false;
  return true;
}

inline bool ipv6_is_unspecified(const uint8_t* a) noexcept {
  uint64_t x, y;
  std::memcpy(&x, a, 8);
  std::memcpy(&y, a + 8, 8);
  return (x | y) == 0;
}
inline bool ipv6_is_link_local(const uint8_t* a) noexcept {
  return a[0] == 0xfe && (a[1] & 0xc0) == 0x80;
}
inline bool ipv6_eq(const uint8_t* a, const Ipv6Addr& b) noexcept {
  return std::memcmp(a, b.b.data(), 16) == 0;
}

// ARP: frame >= l3 + 28; htype 1, ptype 0x0800, hlen 6, plen 4.
struct ArpView {
  const uint8_t* hdr = nullptr;
  uint16_t op = 0;
  uint32_t spa = 0;  // host order
  uint32_t tpa = 0;  // host order
  const uint8_t* sha() const noexcept { return hdr + 8; }
};
inline constexpr uint16_t kArpOpRequest = 1;
inline constexpr uint16_t kArpOpReply = 2;

inline bool parse_arp(const L2View& l2, ArpView& a) noexcept {
  if (l2.len < uint32_t{l2.l3} + kArpLen) return false;
  const uint8_t* h = l2.data + l2.l3;
  if (load_be16(h) != 1 || load_be16(h + 2) != kEthTypeIpv4 || h[4] != 6 || h[5] != 4) return false;
  a.hdr = h;
  a.op = load_be16(h + 6);
  a.spa = load_be32(h + 14);
  a.tpa = load_be32(h + 24);
  return true;
}

}  // namespace isoswitch::dp
