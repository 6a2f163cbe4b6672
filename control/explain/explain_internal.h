// Internals of the scalar reference (explain.cc and the per-role judges).
//
// Deliberately plain: a bounds-checked view of the frame, linear searches over
// the PolicyDoc, and one function per ingress role that walks its table of
// docs/rules.md top to bottom. Nothing here is shared with the data plane, so
// that a bug in one implementation shows up as a disagreement with the other.
//
// Thread-safety: pure functions over caller-owned values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "control/explain/explain.h"
#include "isoswitch/addr.h"
#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"

namespace isoswitch::ctl::explain_detail {

// Big-endian writers for the frames the reference builds (answers, queries).
inline void put16(std::vector<uint8_t>& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void put32(std::vector<uint8_t>& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}

// The frame and what its L2 header says. Every read goes through at()/be16()/
// be32(), which return 0 past the end instead of reading it.
struct Pkt {
  const uint8_t* data = nullptr;
  std::size_t len = 0;
  bool meta_tag = false;    // the tag arrived in mbuf metadata
  bool inline_tag = false;  // an 802.1Q/802.1ad/0x9100 tag at offset 12
  bool tagged = false;      // either of the two
  bool qinq = false;        // two tags (metadata + inline, or two inline)
  uint16_t tci = 0;         // the (outer) tag's TCI
  uint16_t ethertype = 0;   // after at most one inline tag
  std::size_t l3 = 14;      // 14, or 18 with an inline tag

  uint8_t at(std::size_t i) const noexcept { return i < len ? data[i] : 0; }
  uint16_t be16(std::size_t i) const noexcept {
    return static_cast<uint16_t>(at(i) << 8 | at(i + 1));
  }
  uint32_t be32(std::size_t i) const noexcept {
    return static_cast<uint32_t>(be16(i)) << 16 | be16(i + 2);
  }
  MacAddr mac(std::size_t i) const noexcept {
    MacAddr m;
    for (std::size_t k = 0; k < 6; ++k) m.b[k] = at(i + k);
    return m;
  }
  Ipv6Addr ip6(std::size_t i) const noexcept {
    Ipv6Addr a;
    for (std::size_t k = 0; k < 16; ++k) a.b[k] = at(i + k);
    return a;
  }
  MacAddr eth_dst() const noexcept { return mac(0); }
  MacAddr eth_src() const noexcept { return mac(6); }
};

// --- header checks (docs/rules.md "header checks"); false means `malformed` ---

struct Arp {
  uint16_t op = 0;
  MacAddr sha;
  Ipv4Addr spa, tpa;
};
bool read_arp(const Pkt& p, Arp& a) noexcept;

struct Ip4 {
  Ipv4Addr src, dst;
};
bool read_ipv4(const Pkt& p, Ip4& ip) noexcept;

struct Ip6 {
  Ipv6Addr src, dst;
  uint16_t payload_len = 0;
  bool icmp = false;  // next header 58 directly and >= 4 ICMPv6 bytes
  uint8_t icmp_type = 0;
  Ipv6Addr ns_target;  // when icmp_type == 135
};
// Also fails an NS (type 135) with fewer than 24 ICMPv6 bytes.
bool read_ipv6(const Pkt& p, Ip6& ip) noexcept;

// --- what the policy says (linear searches) ---

const VnicDoc* vnic_on_port(const PolicyDoc& doc, const std::string& port);
const VnicDoc* vnic_with_ip(const PolicyDoc& doc, Ipv4Addr ip);
const VnicDoc* vnic_with_ip6(const PolicyDoc& doc, const Ipv6Addr& ip);
bool job_has_peer(const JobDoc& j, Ipv4Addr ip);
bool job_has_peer6(const JobDoc& j, const Ipv6Addr& ip);
const JobDoc* job_of_container(const PolicyDoc& doc, Ipv4Addr ip);  // any job's peers
const JobDoc* job_of_container6(const PolicyDoc& doc, const Ipv6Addr& ip);
const JobDoc* job_with_vpc_agent(const PolicyDoc& doc, Ipv4Addr ip);
const JobDoc* job_with_vlan(const PolicyDoc& doc, uint16_t vid);
bool vpc_allows(const VpcDoc& vpc, Ipv4Addr ip);
bool is_ipv4_bcast_mcast(Ipv4Addr ip);
// E8's list of forbidden destinations for a non-isolated job J.
bool e8_forbidden(const PolicyDoc& doc, const JobDoc& j, Ipv4Addr dst);

// --- outcomes ---

struct Ctx {
  const PolicyDoc& doc;
  const PortTable& ports;
  const Pkt& p;
  uint16_t in_port;
};

Explanation drop(DropReason r, std::string rule, std::string detail);

enum class TagOp { kKeep, kPush, kPop };
// Forward with MACs rewritten; kPush inserts 0x8100 + tci after the MACs,
// kPop removes the (single) tag. The tag, if any, leaves inline.
Explanation forward(const Ctx& c, uint16_t out_port, const MacAddr& src, const MacAddr& dst,
                    TagOp op, uint16_t tci, std::string rule, std::string detail);
// The 42-byte (46 when `tagged`) ARP reply to request `a`, out the ingress port.
Explanation arp_reply(const Ctx& c, const Arp& a, const MacAddr& answer, bool tagged,
                      std::string rule, std::string detail);
// The 86-byte neighbour advertisement answering NS `ip`, out the ingress port.
Explanation na_reply(const Ctx& c, const Ip6& ip, const MacAddr& answer, std::string rule,
                     std::string detail);

// "0x88cc": ethertypes and the like, for details.
std::string hex16(uint16_t v);

// The egress port of a named policy port; kNoPort when the table lacks it.
inline uint16_t port_index(const PortTable& t, const std::string& name) {
  return t.find(name);
}

// --- per-role judges (the tables of docs/rules.md) ---

Explanation judge_vnic(const Ctx& c, const VnicDoc& v, const JobDoc& j);
Explanation judge_uplink(const Ctx& c);
Explanation judge_agent(const Ctx& c, const AgentDoc& agent);

}  // namespace isoswitch::ctl::explain_detail
