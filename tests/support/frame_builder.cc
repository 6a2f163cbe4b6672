// Frame builder and readers for tests (see frame_builder.h).
#include "tests/support/frame_builder.h"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace isoswitch::test {
namespace {

[[noreturn]] void die(const char* what, std::string_view s) {
  std::fprintf(stderr, "frame_builder: bad %s literal \"%.*s\"\n", what, static_cast<int>(s.size()),
               s.data());
  std::abort();
}

void put16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& b, uint32_t v) {
  put16(b, static_cast<uint16_t>(v >> 16));
  put16(b, static_cast<uint16_t>(v));
}
void put_mac(Bytes& b, const MacAddr& m) {
  b.insert(b.end(), m.b.begin(), m.b.end());
}
void put_ip4(Bytes& b, Ipv4Addr a) {
  put32(b, a.value);
}
void put_ip6(Bytes& b, const Ipv6Addr& a) {
  b.insert(b.end(), a.b.begin(), a.b.end());
}
void set16(Bytes& b, std::size_t off, uint16_t v) {
  b[off] = static_cast<uint8_t>(v >> 8);
  b[off + 1] = static_cast<uint8_t>(v);
}

uint16_t get16(const Bytes& f, std::size_t off) {
  return static_cast<uint16_t>(f[off] << 8 | f[off + 1]);
}
uint32_t get32(const Bytes& f, std::size_t off) {
  return static_cast<uint32_t>(get16(f, off)) << 16 | get16(f, off + 2);
}
MacAddr get_mac(const Bytes& f, std::size_t off) {
  MacAddr m;
  std::memcpy(m.b.data(), f.data() + off, 6);
  return m;
}
Ipv6Addr get_ip6(const Bytes& f, std::size_t off) {
  Ipv6Addr a;
  std::memcpy(a.b.data(), f.data() + off, 16);
  return a;
}

bool is_tpid(uint16_t t) {
  return t == 0x8100 || t == 0x88a8 || t == 0x9100;
}

uint32_t pseudo4(Ipv4Addr s, Ipv4Addr d, uint8_t proto, std::size_t len) {
  Bytes p;
  put_ip4(p, s);
  put_ip4(p, d);
  p.push_back(0);
  p.push_back(proto);
  put16(p, static_cast<uint16_t>(len));
  return ones_sum(p.data(), p.size());
}
uint32_t pseudo6(const Ipv6Addr& s, const Ipv6Addr& d, uint8_t nh, std::size_t len) {
  Bytes p;
  put_ip6(p, s);
  put_ip6(p, d);
  put32(p, static_cast<uint32_t>(len));
  put32(p, nh);
  return ones_sum(p.data(), p.size());
}

}  // namespace

MacAddr mac(std::string_view s) {
  MacAddr m;
  unsigned v[6];
  char tail;
  std::string str(s);
  if (s.size() != 17 || std::sscanf(str.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2],
                                    &v[3], &v[4], &v[5], &tail) != 6)
    die("MAC", s);
  for (int i = 0; i < 6; ++i) m.b[i] = static_cast<uint8_t>(v[i]);
  return m;
}

Ipv4Addr ip4(std::string_view s) {
  in_addr a{};
  std::string str(s);
  if (inet_pton(AF_INET, str.c_str(), &a) != 1) die("IPv4", s);
  return Ipv4Addr{ntohl(a.s_addr)};
}

Ipv6Addr ip6(std::string_view s) {
  Ipv6Addr r;
  std::string str(s);
  if (inet_pton(AF_INET6, str.c_str(), r.b.data()) != 1) die("IPv6", s);
  return r;
}

// ---- builder setters --------------------------------------------------------

FrameBuilder& FrameBuilder::eth(MacAddr dst, MacAddr src) {
  dst_ = dst;
  src_ = src;
  return *this;
}
FrameBuilder& FrameBuilder::vlan(uint16_t tci, uint16_t tpid) {
  tags_.push_back({tpid, tci});
  return *this;
}
FrameBuilder& FrameBuilder::ethertype(uint16_t type) {
  ethertype_ = type;
  return *this;
}
FrameBuilder& FrameBuilder::arp(uint16_t op, MacAddr sha, Ipv4Addr spa, MacAddr tha, Ipv4Addr tpa) {
  l3_ = L3::kArp;
  arp_op_ = op;
  sha_ = sha;
  spa_ = spa;
  tha_ = tha;
  tpa_ = tpa;
  return *this;
}
FrameBuilder& FrameBuilder::arp_request(MacAddr sha, Ipv4Addr spa, Ipv4Addr tpa) {
  return arp(1, sha, spa, MacAddr{}, tpa);
}
FrameBuilder& FrameBuilder::arp_hw(uint16_t htype, uint16_t ptype, uint8_t hlen, uint8_t plen) {
  arp_htype_ = htype;
  arp_ptype_ = ptype;
  arp_hlen_ = hlen;
  arp_plen_ = plen;
  return *this;
}
FrameBuilder& FrameBuilder::ipv4(Ipv4Addr src, Ipv4Addr dst) {
  l3_ = L3::kIpv4;
  src4_ = src;
  dst4_ = dst;
  return *this;
}
FrameBuilder& FrameBuilder::ttl(uint8_t v) {
  ttl_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::tos(uint8_t v) {
  tos_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::ip_id(uint16_t v) {
  ip_id_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::frag(uint16_t v) {
  frag_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::ip_proto(uint8_t v) {
  proto_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::ip_options(Bytes opts) {
  options_ = std::move(opts);
  while (options_.size() % 4) options_.push_back(0);  // EOL padding
  return *this;
}
FrameBuilder& FrameBuilder::ihl(uint8_t v) {
  ihl_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::total_length(uint16_t v) {
  total_length_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::ip_version(uint8_t v) {
  version_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::ip_checksum(uint16_t v) {
  ip_checksum_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::ipv6(Ipv6Addr src, Ipv6Addr dst) {
  l3_ = L3::kIpv6;
  src6_ = src;
  dst6_ = dst;
  return *this;
}
FrameBuilder& FrameBuilder::hop_limit(uint8_t v) {
  hop_limit_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::next_header(uint8_t v) {
  next_header_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::payload_length(uint16_t v) {
  payload_length_ = v;
  return *this;
}
FrameBuilder& FrameBuilder::udp(uint16_t sport, uint16_t dport) {
  l4_ = L4::kUdp;
  sport_ = sport;
  dport_ = dport;
  return *this;
}
FrameBuilder& FrameBuilder::tcp(uint16_t sport, uint16_t dport, uint8_t flags) {
  l4_ = L4::kTcp;
  sport_ = sport;
  dport_ = dport;
  tcp_flags_ = flags;
  return *this;
}
FrameBuilder& FrameBuilder::icmp(uint8_t type, uint8_t code) {
  l4_ = L4::kIcmp;
  icmp_type_ = type;
  icmp_code_ = code;
  return *this;
}
FrameBuilder& FrameBuilder::icmpv6(uint8_t type, uint8_t code, Bytes body) {
  l4_ = L4::kIcmpv6;
  icmp_type_ = type;
  icmp_code_ = code;
  icmp_body_ = std::move(body);
  return *this;
}
FrameBuilder& FrameBuilder::ns(Ipv6Addr target, std::optional<MacAddr> slla) {
  Bytes b;
  put32(b, 0);
  put_ip6(b, target);
  if (slla) {
    b.push_back(1);
    b.push_back(1);
    put_mac(b, *slla);
  }
  return icmpv6(135, 0, std::move(b));
}
FrameBuilder& FrameBuilder::na(Ipv6Addr target, uint32_t flags, std::optional<MacAddr> tlla) {
  Bytes b;
  put32(b, flags);
  put_ip6(b, target);
  if (tlla) {
    b.push_back(2);
    b.push_back(1);
    put_mac(b, *tlla);
  }
  return icmpv6(136, 0, std::move(b));
}
FrameBuilder& FrameBuilder::rs(std::optional<MacAddr> slla) {
  Bytes b;
  put32(b, 0);
  if (slla) {
    b.push_back(1);
    b.push_back(1);
    put_mac(b, *slla);
  }
  return icmpv6(133, 0, std::move(b));
}
FrameBuilder& FrameBuilder::ra(std::optional<MacAddr> slla) {
  Bytes b;
  b.push_back(64);  // cur hop limit
  b.push_back(0);   // M/O flags
  put16(b, 1800);   // router lifetime
  put32(b, 0);      // reachable time
  put32(b, 0);      // retrans timer
  if (slla) {
    b.push_back(1);
    b.push_back(1);
    put_mac(b, *slla);
  }
  return icmpv6(134, 0, std::move(b));
}
FrameBuilder& FrameBuilder::redirect(Ipv6Addr target, Ipv6Addr dst) {
  Bytes b;
  put32(b, 0);
  put_ip6(b, target);
  put_ip6(b, dst);
  return icmpv6(137, 0, std::move(b));
}
FrameBuilder& FrameBuilder::payload(Bytes p) {
  payload_ = std::move(p);
  return *this;
}
FrameBuilder& FrameBuilder::pad(std::size_t min_len) {
  pad_to_ = min_len;
  return *this;
}
FrameBuilder& FrameBuilder::truncate(std::size_t n) {
  truncate_ = n;
  return *this;
}

// ---- serialisation ----------------------------------------------------------

Bytes FrameBuilder::build_l4() const {
  Bytes b;
  uint8_t proto = 0;
  std::size_t csum_off = 0;
  switch (l4_) {
    case L4::kNone:
      return payload_;
    case L4::kUdp:
      proto = 17;
      put16(b, sport_);
      put16(b, dport_);
      put16(b, static_cast<uint16_t>(8 + payload_.size()));
      put16(b, 0);
      csum_off = 6;
      break;
    case L4::kTcp:
      proto = 6;
      put16(b, sport_);
      put16(b, dport_);
      put32(b, 1);        // seq
      put32(b, 0);        // ack
      b.push_back(0x50);  // data offset 5
      b.push_back(tcp_flags_);
      put16(b, 65535);  // window
      put16(b, 0);      // checksum
      put16(b, 0);      // urgent
      csum_off = 16;
      break;
    case L4::kIcmp:
      proto = 1;
      b.push_back(icmp_type_);
      b.push_back(icmp_code_);
      put16(b, 0);
      put16(b, 0x1234);  // id
      put16(b, 1);       // seq
      csum_off = 2;
      break;
    case L4::kIcmpv6:
      proto = 58;
      b.push_back(icmp_type_);
      b.push_back(icmp_code_);
      put16(b, 0);
      b.insert(b.end(), icmp_body_.begin(), icmp_body_.end());
      csum_off = 2;
      break;
  }
  b.insert(b.end(), payload_.begin(), payload_.end());
  uint32_t initial = 0;
  // ICMP (v4) has no pseudo-header; everything else sums one of the L3 present.
  if (l3_ == L3::kIpv4 && proto != 1)
    initial = pseudo4(src4_, dst4_, proto, b.size());
  else if (l3_ == L3::kIpv6 && proto != 1)
    initial = pseudo6(src6_, dst6_, proto, b.size());
  uint16_t c = inet_checksum(b.data(), b.size(), initial);
  if (proto == 17 && c == 0) c = 0xffff;  // RFC 768: 0 means "no checksum"
  set16(b, csum_off, c);
  return b;
}

Bytes FrameBuilder::build() const {
  Bytes l4 = build_l4();
  Bytes l3;
  uint16_t type = 0x88b5;
  auto l4_proto = [&]() -> uint8_t {
    switch (l4_) {
      case L4::kUdp:
        return 17;
      case L4::kTcp:
        return 6;
      case L4::kIcmp:
        return 1;
      case L4::kIcmpv6:
        return 58;
      case L4::kNone:
        break;
    }
    return l3_ == L3::kIpv6 ? 59 : 0;
  };
  switch (l3_) {
    case L3::kNone:
      l3 = l4;
      break;
    case L3::kArp:
      type = kEthArp;
      put16(l3, arp_htype_);
      put16(l3, arp_ptype_);
      l3.push_back(arp_hlen_);
      l3.push_back(arp_plen_);
      put16(l3, arp_op_);
      put_mac(l3, sha_);
      put_ip4(l3, spa_);
      put_mac(l3, tha_);
      put_ip4(l3, tpa_);
      l3.insert(l3.end(), l4.begin(), l4.end());
      break;
    case L3::kIpv4: {
      type = kEthIpv4;
      std::size_t hl = 20 + options_.size();
      uint8_t ihl = ihl_ ? *ihl_ : static_cast<uint8_t>(hl / 4);
      l3.push_back(static_cast<uint8_t>((version_ ? *version_ : 4) << 4 | (ihl & 0x0f)));
      l3.push_back(tos_);
      put16(l3, total_length_ ? *total_length_ : static_cast<uint16_t>(hl + l4.size()));
      put16(l3, ip_id_);
      put16(l3, frag_);
      l3.push_back(ttl_);
      l3.push_back(proto_ ? *proto_ : l4_proto());
      put16(l3, 0);
      put_ip4(l3, src4_);
      put_ip4(l3, dst4_);
      l3.insert(l3.end(), options_.begin(), options_.end());
      set16(l3, 10, ip_checksum_ ? *ip_checksum_ : inet_checksum(l3.data(), l3.size()));
      l3.insert(l3.end(), l4.begin(), l4.end());
      break;
    }
    case L3::kIpv6:
      type = kEthIpv6;
      put32(l3, static_cast<uint32_t>(version_ ? *version_ : 6) << 28);
      put16(l3, payload_length_ ? *payload_length_ : static_cast<uint16_t>(l4.size()));
      l3.push_back(next_header_ ? *next_header_ : l4_proto());
      l3.push_back(hop_limit_);
      put_ip6(l3, src6_);
      put_ip6(l3, dst6_);
      l3.insert(l3.end(), l4.begin(), l4.end());
      break;
  }
  if (ethertype_) type = *ethertype_;

  Bytes f;
  put_mac(f, dst_);
  put_mac(f, src_);
  for (const auto& t : tags_) {
    put16(f, t.tpid);
    put16(f, t.tci);
  }
  put16(f, type);
  f.insert(f.end(), l3.begin(), l3.end());
  if (f.size() < pad_to_) f.resize(pad_to_, 0);
  if (truncate_ && *truncate_ < f.size()) f.resize(*truncate_);
  return f;
}

// ---- checksums --------------------------------------------------------------

uint32_t ones_sum(const uint8_t* p, std::size_t n, uint32_t initial) {
  uint64_t s = initial;
  for (std::size_t i = 0; i + 1 < n; i += 2) s += static_cast<uint32_t>(p[i] << 8 | p[i + 1]);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint32_t>(s);
}

uint16_t inet_checksum(const uint8_t* p, std::size_t n, uint32_t initial) {
  return static_cast<uint16_t>(~ones_sum(p, n, initial) & 0xffff);
}

// ---- readers ----------------------------------------------------------------

std::optional<EthView> parse_eth(const Bytes& f) {
  if (f.size() < 14) return std::nullopt;
  EthView v;
  v.dst = get_mac(f, 0);
  v.src = get_mac(f, 6);
  std::size_t off = 12;
  uint16_t t = get16(f, off);
  while (is_tpid(t)) {
    if (f.size() < off + 6) return std::nullopt;
    v.tags.push_back({t, get16(f, off + 2)});
    off += 4;
    t = get16(f, off);
  }
  v.ethertype = t;
  v.l3 = off + 2;
  return v;
}

MacAddr eth_dst(const Bytes& f) {
  return f.size() >= 6 ? get_mac(f, 0) : MacAddr{};
}
MacAddr eth_src(const Bytes& f) {
  return f.size() >= 12 ? get_mac(f, 6) : MacAddr{};
}

std::optional<uint16_t> vlan_tci(const Bytes& f) {
  auto e = parse_eth(f);
  if (!e || e->tags.empty()) return std::nullopt;
  return e->tags.front().tci;
}

std::optional<ArpView> parse_arp(const Bytes& f) {
  auto e = parse_eth(f);
  if (!e || e->ethertype != kEthArp || f.size() < e->l3 + 28) return std::nullopt;
  std::size_t o = e->l3;
  ArpView a;
  a.htype = get16(f, o);
  a.ptype = get16(f, o + 2);
  a.hlen = f[o + 4];
  a.plen = f[o + 5];
  a.op = get16(f, o + 6);
  a.sha = get_mac(f, o + 8);
  a.spa = Ipv4Addr{get32(f, o + 14)};
  a.tha = get_mac(f, o + 18);
  a.tpa = Ipv4Addr{get32(f, o + 24)};
  return a;
}

std::optional<Ipv4View> parse_ipv4(const Bytes& f) {
  auto e = parse_eth(f);
  if (!e || e->ethertype != kEthIpv4 || f.size() < e->l3 + 20) return std::nullopt;
  std::size_t o = e->l3;
  Ipv4View v;
  v.offset = o;
  v.version = f[o] >> 4;
  v.ihl = f[o] & 0x0f;
  v.tos = f[o + 1];
  v.total_length = get16(f, o + 2);
  v.id = get16(f, o + 4);
  v.frag = get16(f, o + 6);
  v.ttl = f[o + 8];
  v.proto = f[o + 9];
  v.checksum = get16(f, o + 10);
  v.src = Ipv4Addr{get32(f, o + 12)};
  v.dst = Ipv4Addr{get32(f, o + 16)};
  return v;
}

bool ipv4_checksum_ok(const Bytes& f) {
  auto v = parse_ipv4(f);
  if (!v || v->ihl < 5 || f.size() < v->offset + v->ihl * 4u) return false;
  return inet_checksum(f.data() + v->offset, v->ihl * 4u) == 0;
}

bool l4_checksum_ok(const Bytes& f) {
  auto v = parse_ipv4(f);
  if (!v || v->ihl < 5 || (v->frag & 0x3fff) != 0) return false;
  std::size_t hl = v->ihl * 4u;
  if (v->total_length < hl || f.size() < v->offset + v->total_length) return false;
  std::size_t n = v->total_length - hl;
  const uint8_t* p = f.data() + v->offset + hl;
  uint32_t initial = v->proto == 1 ? 0 : pseudo4(v->src, v->dst, v->proto, n);
  if (v->proto == 17 && n >= 8 && p[6] == 0 && p[7] == 0) return true;  // no checksum
  return ones_sum(p, n, initial) == 0xffff;
}

std::optional<Ipv6View> parse_ipv6(const Bytes& f) {
  auto e = parse_eth(f);
  if (!e || e->ethertype != kEthIpv6 || f.size() < e->l3 + 40) return std::nullopt;
  std::size_t o = e->l3;
  Ipv6View v;
  v.offset = o;
  uint32_t w = get32(f, o);
  v.version = static_cast<uint8_t>(w >> 28);
  v.traffic_class = static_cast<uint8_t>(w >> 20);
  v.flow = w & 0xfffff;
  v.payload_length = get16(f, o + 4);
  v.next_header = f[o + 6];
  v.hop_limit = f[o + 7];
  v.src = get_ip6(f, o + 8);
  v.dst = get_ip6(f, o + 24);
  return v;
}

std::optional<Icmpv6View> parse_icmpv6(const Bytes& f) {
  auto v = parse_ipv6(f);
  if (!v || v->next_header != 58) return std::nullopt;
  std::size_t o = v->offset + 40;
  std::size_t end = o + v->payload_length;
  if (end > f.size()) end = f.size();
  if (end < o + 8) return std::nullopt;
  Icmpv6View r;
  r.offset = o;
  r.type = f[o];
  r.code = f[o + 1];
  r.checksum = get16(f, o + 2);
  r.reserved_or_flags = get32(f, o + 4);
  std::size_t opts = o + 8;
  if ((r.type == 135 || r.type == 136 || r.type == 137) && end >= o + 24) {
    r.target = get_ip6(f, o + 8);
    opts = o + 24;
    if (r.type == 137) opts = o + 40;
  } else if (r.type == 134) {
    opts = o + 16;
  }
  while (opts + 2 <= end) {
    uint8_t t = f[opts], l = f[opts + 1];
    if (l == 0 || opts + l * 8u > end) break;
    if ((t == 1 || t == 2) && l == 1) {
      r.lla = get_mac(f, opts + 2);
      break;
    }
    opts += l * 8u;
  }
  return r;
}

bool icmpv6_checksum_ok(const Bytes& f) {
  auto v = parse_ipv6(f);
  if (!v || v->next_header != 58) return false;
  std::size_t o = v->offset + 40;
  if (f.size() < o + v->payload_length || v->payload_length < 4) return false;
  uint32_t initial = pseudo6(v->src, v->dst, 58, v->payload_length);
  return ones_sum(f.data() + o, v->payload_length, initial) == 0xffff;
}

std::string hex_dump(const Bytes& f) {
  std::string s;
  char buf[4];
  for (std::size_t i = 0; i < f.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", f[i]);
    s += buf;
    s += (i % 16 == 15) ? '\n' : ' ';
  }
  return s;
}

}  // namespace isoswitch::test
