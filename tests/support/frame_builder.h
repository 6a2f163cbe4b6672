// Exact test frames as bytes, and small parsers to assert on what leaves.
//
// A fluent builder: name the layers from the outside in, then build():
//
//   auto f = FrameBuilder()
//                .eth(mac("02:fe:00:00:00:01"), mac("02:00:00:01:00:11"))
//                .vlan(101)                       // optional, any number of tags
//                .ipv4(ip4("10.1.0.11"), ip4("10.1.0.12")).ttl(7)
//                .udp(1234, 53)
//                .payload({1, 2, 3})
//                .pad()                           // to 60 bytes, like a NIC would
//                .build();
//
// Every length and checksum is computed unless a test overrides it on purpose
// (total_length(), ihl(), payload_length(), ip_checksum(), ethertype()) to
// build malformed frames. truncate(n) cuts the finished frame to n bytes.
// The parsers never read past the vector they are given; they return
// std::nullopt / false for anything too short.
//
// Thread-safety: value types and pure functions; use from test threads freely.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "isoswitch/addr.h"

namespace isoswitch::test {

using Bytes = std::vector<uint8_t>;

// Literal addresses for tests: abort (with a message) on a typo, so a test can
// never silently run with a zero address.
MacAddr mac(std::string_view s);
Ipv4Addr ip4(std::string_view s);
Ipv6Addr ip6(std::string_view s);

inline constexpr uint16_t kEthArp = 0x0806;
inline constexpr uint16_t kEthIpv4 = 0x0800;
inline constexpr uint16_t kEthIpv6 = 0x86dd;
inline constexpr uint16_t kTpid8021Q = 0x8100;
inline constexpr uint16_t kTpid8021AD = 0x88a8;
inline constexpr MacAddr kBroadcast{{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};

struct VlanTag {
  uint16_t tpid = kTpid8021Q;
  uint16_t tci = 0;
  bool operator==(const VlanTag&) const = default;
};

class FrameBuilder {
 public:
  // --- Ethernet -----------------------------------------------------------
  FrameBuilder& eth(MacAddr dst, MacAddr src);
  // Push one tag; call twice for QinQ (the first call is the outer tag).
  FrameBuilder& vlan(uint16_t tci, uint16_t tpid = kTpid8021Q);
  // Override the (innermost) ethertype; without it the L3 choice decides
  // (ARP 0x0806, IPv4 0x0800, IPv6 0x86dd; no L3: 0x88b5, local experimental).
  FrameBuilder& ethertype(uint16_t type);

  // --- ARP (28 bytes, htype 1, ptype 0x0800, hlen 6, plen 4) --------------
  FrameBuilder& arp(uint16_t op, MacAddr sha, Ipv4Addr spa, MacAddr tha, Ipv4Addr tpa);
  FrameBuilder& arp_request(MacAddr sha, Ipv4Addr spa, Ipv4Addr tpa);  // tha zero
  // Override the fixed ARP header fields (for malformed cases).
  FrameBuilder& arp_hw(uint16_t htype, uint16_t ptype, uint8_t hlen, uint8_t plen);

  // --- IPv4 ---------------------------------------------------------------
  FrameBuilder& ipv4(Ipv4Addr src, Ipv4Addr dst);
  FrameBuilder& ttl(uint8_t v);
  FrameBuilder& tos(uint8_t v);
  FrameBuilder& ip_id(uint16_t v);
  // The raw 16-bit flags+fragment-offset field (e.g. 0x2000 = MF, 0x0010 = offset 16*8).
  FrameBuilder& frag(uint16_t flags_and_offset);
  FrameBuilder& ip_proto(uint8_t v);       // override the protocol number
  FrameBuilder& ip_options(Bytes opts);    // padded to a multiple of 4; IHL follows
  FrameBuilder& ihl(uint8_t v);            // override IHL (malformed cases)
  FrameBuilder& total_length(uint16_t v);  // override total length (malformed cases)
  FrameBuilder& ip_version(uint8_t v);     // override the version nibble (v4 or v6)
  FrameBuilder& ip_checksum(uint16_t v);   // override the header checksum

  // --- IPv6 ---------------------------------------------------------------
  FrameBuilder& ipv6(Ipv6Addr src, Ipv6Addr dst);
  FrameBuilder& hop_limit(uint8_t v);
  FrameBuilder& next_header(uint8_t v);      // override next header
  FrameBuilder& payload_length(uint16_t v);  // override payload length

  // --- L4 (checksums computed over the IPv4/IPv6 pseudo-header) -----------
  FrameBuilder& udp(uint16_t sport, uint16_t dport);
  FrameBuilder& tcp(uint16_t sport, uint16_t dport, uint8_t flags = 0x02 /*SYN*/);
  FrameBuilder& icmp(uint8_t type = 8, uint8_t code = 0);  // id 0x1234, seq 1
  // Generic ICMPv6: type, code, then `body` (everything after the checksum).
  FrameBuilder& icmpv6(uint8_t type, uint8_t code, Bytes body);
  FrameBuilder& ns(Ipv6Addr target, std::optional<MacAddr> slla = std::nullopt);
  FrameBuilder& na(Ipv6Addr target, uint32_t flags = 0x60000000u,
                   std::optional<MacAddr> tlla = std::nullopt);
  FrameBuilder& rs(std::optional<MacAddr> slla = std::nullopt);
  FrameBuilder& ra(std::optional<MacAddr> slla = std::nullopt);
  FrameBuilder& redirect(Ipv6Addr target, Ipv6Addr dst);

  // --- payload and size ---------------------------------------------------
  FrameBuilder& payload(Bytes p);               // after the last header present
  FrameBuilder& pad(std::size_t min_len = 60);  // zero bytes appended up to min_len
  FrameBuilder& truncate(std::size_t n);        // cut the finished frame to n bytes

  Bytes build() const;

 private:
  enum class L3 { kNone, kArp, kIpv4, kIpv6 };
  enum class L4 { kNone, kUdp, kTcp, kIcmp, kIcmpv6 };

  MacAddr dst_{}, src_{};
  std::vector<VlanTag> tags_;
  std::optional<uint16_t> ethertype_;

  L3 l3_ = L3::kNone;
  // ARP
  uint16_t arp_op_ = 1, arp_htype_ = 1, arp_ptype_ = 0x0800;
  uint8_t arp_hlen_ = 6, arp_plen_ = 4;
  MacAddr sha_{}, tha_{};
  Ipv4Addr spa_{}, tpa_{};
  // IPv4
  Ipv4Addr src4_{}, dst4_{};
  uint8_t ttl_ = 64, tos_ = 0;
  uint16_t ip_id_ = 1, frag_ = 0;
  std::optional<uint8_t> proto_, ihl_, version_;
  std::optional<uint16_t> total_length_, ip_checksum_;
  Bytes options_;
  // IPv6
  Ipv6Addr src6_{}, dst6_{};
  uint8_t hop_limit_ = 64;
  std::optional<uint8_t> next_header_;
  std::optional<uint16_t> payload_length_;

  L4 l4_ = L4::kNone;
  uint16_t sport_ = 0, dport_ = 0;
  uint8_t tcp_flags_ = 0, icmp_type_ = 0, icmp_code_ = 0;
  Bytes icmp_body_;

  Bytes payload_;
  std::size_t pad_to_ = 0;
  std::optional<std::size_t> truncate_;

  Bytes build_l4() const;
};

// --- checksums ---------------------------------------------------------------

// RFC 1071 one's-complement sum folded to 16 bits, *not* inverted, starting
// from `initial` (a partial sum, e.g. a pseudo-header's).
uint32_t ones_sum(const uint8_t* p, std::size_t n, uint32_t initial = 0);
// The Internet checksum of p[0..n): ~fold(sum), as it is stored in headers.
uint16_t inet_checksum(const uint8_t* p, std::size_t n, uint32_t initial = 0);

// --- reading frames back -----------------------------------------------------

struct EthView {
  MacAddr dst, src;
  std::vector<VlanTag> tags;  // inline tags, outer first (0x8100, 0x88a8, 0x9100)
  uint16_t ethertype = 0;     // after the tags
  std::size_t l3 = 14;        // offset of the L3 header
};
std::optional<EthView> parse_eth(const Bytes& f);

MacAddr eth_dst(const Bytes& f);                   // zero MAC when f is shorter than 6
MacAddr eth_src(const Bytes& f);                   // zero MAC when f is shorter than 12
std::optional<uint16_t> vlan_tci(const Bytes& f);  // the outer inline tag's TCI, if any

struct ArpView {
  uint16_t htype = 0, ptype = 0;
  uint8_t hlen = 0, plen = 0;
  uint16_t op = 0;
  MacAddr sha, tha;
  Ipv4Addr spa, tpa;
};
std::optional<ArpView> parse_arp(const Bytes& f);

struct Ipv4View {
  uint8_t version = 0, ihl = 0, tos = 0, ttl = 0, proto = 0;
  uint16_t total_length = 0, id = 0, frag = 0, checksum = 0;
  Ipv4Addr src, dst;
  std::size_t offset = 0;  // of the IPv4 header in the frame
};
std::optional<Ipv4View> parse_ipv4(const Bytes& f);
// The IPv4 header checksum verifies (false when there is no full header).
bool ipv4_checksum_ok(const Bytes& f);
// The UDP/TCP/ICMP checksum of an unfragmented IPv4 packet verifies.
bool l4_checksum_ok(const Bytes& f);

struct Ipv6View {
  uint8_t version = 0, traffic_class = 0, next_header = 0, hop_limit = 0;
  uint32_t flow = 0;
  uint16_t payload_length = 0;
  Ipv6Addr src, dst;
  std::size_t offset = 0;  // of the IPv6 header in the frame
};
std::optional<Ipv6View> parse_ipv6(const Bytes& f);

struct Icmpv6View {
  uint8_t type = 0, code = 0;
  uint16_t checksum = 0;
  uint32_t reserved_or_flags = 0;  // bytes 4..7 (NA flags)
  std::optional<Ipv6Addr> target;  // NS/NA/redirect
  std::optional<MacAddr> lla;      // first SLLA (1) or TLLA (2) option
  std::size_t offset = 0;          // of the ICMPv6 header in the frame
};
// Direct ICMPv6 only (next header 58, no extension headers).
std::optional<Icmpv6View> parse_icmpv6(const Bytes& f);
// The ICMPv6 checksum (RFC 4443 pseudo-header, payload length from the header) verifies.
bool icmpv6_checksum_ok(const Bytes& f);

// "02 fe 00 ..." with a line break every 16 bytes, for failure messages.
std::string hex_dump(const Bytes& f);

}  // namespace isoswitch::test
