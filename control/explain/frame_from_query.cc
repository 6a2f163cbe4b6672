// Operator query -> frame (see frame_from_query.h).
#include "control/explain/frame_from_query.h"

#include "control/explain/explain_internal.h"

#include <optional>
#include <variant>

namespace isoswitch::ctl {
namespace {

using explain_detail::put16;
using explain_detail::put32;

inline constexpr uint16_t kSourcePort = 49152;

void put_bytes(std::vector<uint8_t>& b, const uint8_t* p, std::size_t n) {
  b.insert(b.end(), p, p + n);
}
void set16(std::vector<uint8_t>& b, std::size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}
uint32_t sum16(const uint8_t* p, std::size_t n, uint32_t s = 0) {
  for (std::size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  return s;
}
uint16_t finish(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(~s);
}

using Addr = std::variant<Ipv4Addr, Ipv6Addr>;

std::optional<Addr> parse_addr(const std::string& s) {
  if (auto a = parse_ipv4(s)) return Addr{*a};
  if (auto a = parse_ipv6(s)) return Addr{*a};
  return std::nullopt;
}

// L4 header + a few payload bytes; the checksum is filled by the caller's
// pseudo-header (ICMPv4 has none: pseudo = 0).
std::vector<uint8_t> l4(uint8_t proto, uint16_t dport) {
  std::vector<uint8_t> b;
  const uint8_t payload[4] = {'e', 'x', 'p', 'l'};
  if (proto == 17) {
    put16(b, kSourcePort);
    put16(b, dport);
    put16(b, 8 + sizeof payload);
    put16(b, 0);
  } else if (proto == 6) {
    put16(b, kSourcePort);
    put16(b, dport);
    put32(b, 1);
    put32(b, 0);
    b.push_back(0x50);
    b.push_back(0x02);  // SYN: what a new connection starts with
    put16(b, 65535);
    put16(b, 0);
    put16(b, 0);
  } else {  // ICMP (1) or ICMPv6 (58) echo request
    b.push_back(proto == 1 ? 8 : 128);
    b.push_back(0);
    put16(b, 0);
    put16(b, 1);  // id
    put16(b, 1);  // seq
  }
  put_bytes(b, payload, sizeof payload);
  return b;
}

std::size_t csum_offset(uint8_t proto) {
  return proto == 17 ? 6 : proto == 6 ? 16 : 2;
}

struct L2 {
  MacAddr dst, src;
  std::optional<uint16_t> vlan;
};

std::vector<uint8_t> frame(const L2& l2, const Addr& src, const Addr& dst, const std::string& proto,
                           uint16_t dport) {
  const bool v6 = std::holds_alternative<Ipv6Addr>(dst);
  const uint8_t p = proto == "udp" ? 17 : proto == "tcp" ? 6 : (v6 ? 58 : 1);
  std::vector<uint8_t> seg = l4(p, dport);
  std::vector<uint8_t> f;
  put_bytes(f, l2.dst.b.data(), 6);
  put_bytes(f, l2.src.b.data(), 6);
  if (l2.vlan) {
    put16(f, 0x8100);
    put16(f, *l2.vlan);
  }
  uint32_t pseudo = 0;
  if (!v6) {
    const uint32_t s = std::get<Ipv4Addr>(src).value, d = std::get<Ipv4Addr>(dst).value;
    put16(f, 0x0800);
    const std::size_t ip = f.size();
    f.push_back(0x45);
    f.push_back(0);
    put16(f, static_cast<uint16_t>(20 + seg.size()));
    put16(f, 1);       // id
    put16(f, 0x4000);  // DF
    f.push_back(64);
    f.push_back(p);
    put16(f, 0);
    put32(f, s);
    put32(f, d);
    set16(f, ip + 10, finish(sum16(f.data() + ip, 20)));
    if (p != 1) pseudo = (s >> 16) + (s & 0xffff) + (d >> 16) + (d & 0xffff) + p + seg.size();
  } else {
    const Ipv6Addr& s = std::get<Ipv6Addr>(src);
    const Ipv6Addr& d = std::get<Ipv6Addr>(dst);
    put16(f, 0x86dd);
    put32(f, 0x60000000u);
    put16(f, static_cast<uint16_t>(seg.size()));
    f.push_back(p);
    f.push_back(64);
    put_bytes(f, s.b.data(), 16);
    put_bytes(f, d.b.data(), 16);
    pseudo = sum16(s.b.data(), 16, sum16(d.b.data(), 16)) + p + static_cast<uint32_t>(seg.size());
  }
  uint16_t ck = finish(sum16(seg.data(), seg.size(), pseudo));
  if (p == 17 && ck == 0) ck = 0xffff;
  set16(seg, csum_offset(p), ck);
  f.insert(f.end(), seg.begin(), seg.end());
  if (f.size() < 60) f.resize(60, 0);  // Ethernet minimum, as a sender's NIC pads it
  return f;
}

}  // namespace

Result<std::vector<uint8_t>> frame_for_query(const PolicyDoc& doc, const ExplainQuery& q) {
  if (q.proto != "udp" && q.proto != "tcp" && q.proto != "icmp")
    return make_error(ErrorCode::kInvalidArgument,
                      "proto: \"" + q.proto + "\" is not one of udp, tcp, icmp");
  if (q.dst.empty())
    return make_error(ErrorCode::kInvalidArgument, "dst: a destination address is required");
  const auto dst = parse_addr(q.dst);
  if (!dst)
    return make_error(ErrorCode::kInvalidArgument,
                      "dst: \"" + q.dst + "\" is not an IPv4 or IPv6 address");
  const bool v6 = std::holds_alternative<Ipv6Addr>(*dst);
  const MacAddr gw = doc.host.gateway_mac;

  if (!q.vnic.empty()) {
    const VnicDoc* v = doc.find_vnic(q.vnic);
    if (v == nullptr)
      return make_error(ErrorCode::kNotFound, "vnic: no vNIC \"" + q.vnic + "\" in the policy");
    Addr src = v6 ? Addr{v->ipv6.value_or(Ipv6Addr{})} : Addr{v->ip};
    return frame(L2{gw, v->mac, std::nullopt}, src, *dst, q.proto, q.dport);
  }

  std::optional<Addr> src;
  if (!q.src.empty()) {
    src = parse_addr(q.src);
    if (!src)
      return make_error(ErrorCode::kInvalidArgument,
                        "src: \"" + q.src + "\" is not an IPv4 or IPv6 address");
  }
  if (q.from_port == "uplink") {
    if (!src)
      return make_error(ErrorCode::kInvalidArgument,
                        "src: a source address is required for a frame from the uplink");
    if (src->index() != dst->index())
      return make_error(ErrorCode::kInvalidArgument, "src and dst must both be IPv4 or both IPv6");
    L2 l2{doc.host.uplink.mac, doc.host.uplink.next_hop_mac, std::nullopt};
    if (!v6) {
      for (const auto& j : doc.jobs)
        if (j.vpc && j.vpc->agent_ip == std::get<Ipv4Addr>(*dst)) {
          l2.vlan = j.vpc->vlan;
          l2.src = j.vpc->gateway_mac;
        }
    }
    return frame(l2, *src, *dst, q.proto, q.dport);
  }
  if (q.from_port == "agent") {
    if (!doc.host.agent)
      return make_error(ErrorCode::kNotFound, "from: the policy has no agent port");
    if (!src) src = Addr{doc.host.agent->service_ip};
    if (src->index() != dst->index())
      return make_error(ErrorCode::kInvalidArgument, "src and dst must both be IPv4 or both IPv6");
    return frame(L2{gw, doc.host.agent->mac, std::nullopt}, *src, *dst, q.proto, q.dport);
  }
  if (q.from_port.empty())
    return make_error(ErrorCode::kInvalidArgument,
                      "give either a vNIC id or from = \"uplink\" | \"agent\"");
  return make_error(ErrorCode::kInvalidArgument,
                    "from: \"" + q.from_port + "\" is not one of uplink, agent");
}

Result<uint16_t> port_for_query(const PolicyDoc& doc, const PortTable& ports,
                                const ExplainQuery& q) {
  std::string name;
  if (!q.vnic.empty()) {
    const VnicDoc* v = doc.find_vnic(q.vnic);
    if (v == nullptr)
      return make_error(ErrorCode::kNotFound, "vnic: no vNIC \"" + q.vnic + "\" in the policy");
    name = v->port;
  } else if (q.from_port == "uplink") {
    name = doc.host.uplink.port;
  } else if (q.from_port == "agent") {
    if (!doc.host.agent)
      return make_error(ErrorCode::kNotFound, "from: the policy has no agent port");
    name = doc.host.agent->port;
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "give either a vNIC id or from = \"uplink\" | \"agent\"");
  }
  const uint16_t i = ports.find(name);
  if (i == kNoPort)
    return make_error(ErrorCode::kNotFound, "port \"" + name + "\" is not a port of this switch");
  return i;
}

}  // namespace isoswitch::ctl
