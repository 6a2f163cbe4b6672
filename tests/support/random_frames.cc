// Random frames and policies for the autovalidator (see random_frames.h).
#include "tests/support/random_frames.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

namespace isoswitch::test {
namespace {

MacAddr random_unicast_mac(std::mt19937_64& rng) {
  MacAddr m;
  uint64_t r = rng();
  for (int i = 0; i < 6; ++i) m.b[i] = static_cast<uint8_t>(r >> (8 * i));
  m.b[0] = static_cast<uint8_t>((m.b[0] & 0xfc) | 0x02);  // locally administered unicast
  return m;
}

Ipv6Addr v6_with_suffix(uint16_t hi, uint32_t lo) {
  Ipv6Addr a;
  a.b[0] = static_cast<uint8_t>(hi >> 8);
  a.b[1] = static_cast<uint8_t>(hi);
  a.b[12] = static_cast<uint8_t>(lo >> 24);
  a.b[13] = static_cast<uint8_t>(lo >> 16);
  a.b[14] = static_cast<uint8_t>(lo >> 8);
  a.b[15] = static_cast<uint8_t>(lo);
  return a;
}

}  // namespace

FrameGenerator::FrameGenerator(const PolicyDoc& doc, const PortTable& ports, uint64_t seed)
    : rng_(seed), num_ports_(ports.size()) {
  const HostDoc& h = doc.host;
  self_.assign(ports.size(), PortSelf{});
  for (uint16_t i = 0; i < ports.size(); ++i) {
    self_[i].role = ports.ports[i].role;
    self_[i].mac = random_unicast_mac(rng_);
  }
  auto port_of = [&ports](const std::string& name) { return ports.find(name); };

  // Uplink: senders are the next hop or the VPC gateways, to the uplink MAC.
  if (uint16_t p = port_of(h.uplink.port); p != kNoPort) {
    self_[p].mac = h.uplink.next_hop_mac;
    self_[p].dst = h.uplink.mac;
  }
  if (h.agent) {
    if (uint16_t p = port_of(h.agent->port); p != kNoPort) {
      self_[p].mac = h.agent->mac;
      self_[p].dst = h.gateway_mac;
      self_[p].ip4.push_back(h.agent->service_ip.value);
      for (const JobDoc& j : doc.jobs)
        if (j.vpc) self_[p].ip4.push_back(j.vpc->agent_ip.value);
    }
  }
  for (const VnicDoc& v : doc.vnics) {
    uint16_t p = port_of(v.port);
    if (p == kNoPort) continue;
    self_[p].mac = v.mac;
    self_[p].dst = h.gateway_mac;
    self_[p].ip4.push_back(v.ip.value);
    if (v.ipv6) self_[p].ip6.push_back(*v.ipv6);
  }
  for (PortSelf& s : self_)
    if (s.dst.is_zero()) s.dst = h.gateway_mac;

  // What each port's rules are about, so that frames reach the forwarding
  // and answering rules often, not only the drops of random addresses.
  const uint16_t up = port_of(h.uplink.port);
  uplink_port_ = up;
  const uint16_t ag = h.agent ? port_of(h.agent->port) : kNoPort;
  for (const JobDoc& j : doc.jobs) {
    std::vector<uint32_t> inside;
    if (j.vpc) {
      for (const Ipv4Prefix& p : j.vpc->prefixes) {
        inside.push_back(p.first());
        inside.push_back(p.last());
        inside.push_back(p.first() + static_cast<uint32_t>(rng_() & ~p.mask()));
      }
      vpcs_.push_back(Vpc{j.vpc->vlan, j.vpc->gateway_mac, j.vpc->agent_ip.value, inside});
      if (ag != kNoPort) {
        self_[ag].dst4.insert(self_[ag].dst4.end(), inside.begin(), inside.end());
      }
    }
    for (const VnicDoc& v : doc.vnics) {
      if (v.job != j.id) continue;
      uint16_t p = port_of(v.port);
      if (p == kNoPort) continue;
      for (Ipv4Addr a : j.peers) self_[p].dst4.push_back(a.value);
      for (const Ipv6Addr& a : j.peers6) self_[p].dst6.push_back(a);
    }
    if (up != kNoPort) {
      for (Ipv4Addr a : j.peers) self_[up].src4.push_back(a.value);
      for (const Ipv6Addr& a : j.peers6) self_[up].src6.push_back(a);
    }
  }
  if (up != kNoPort) {
    for (const VnicDoc& v : doc.vnics) {
      self_[up].dst4.push_back(v.ip.value);
      if (v.ipv6) self_[up].dst6.push_back(*v.ipv6);
    }
    if (h.agent) self_[up].dst4.push_back(h.agent->service_ip.value);
  }
  if (ag != kNoPort) {
    self_[ag].dst4.insert(self_[ag].dst4.end(), {0x08080808u, 0x34d80101u});
  }

  // Address pools: everything the policy names, prefix edges, special ranges.
  ip4_ = {0x00000000u, 0x00010203u, 0x7f000001u, 0xa9fea9feu, 0xa9fe0101u, 0xe0000001u,
          0xeffffffau, 0xf0000001u, 0xffffffffu, 0x08080808u, 0x0a000001u};
  ip4_.push_back(h.uplink.ip.value);
  if (h.gateway_ip) ip4_.push_back(h.gateway_ip->value);
  if (h.agent) ip4_.push_back(h.agent->service_ip.value);
  for (const JobDoc& j : doc.jobs) {
    for (Ipv4Addr a : j.peers) ip4_.push_back(a.value);
    for (const Ipv6Addr& a : j.peers6) ip6_.push_back(a);
    if (j.vpc) {
      ip4_.push_back(j.vpc->agent_ip.value);
      vids_.push_back(j.vpc->vlan);
      macs_.push_back(j.vpc->gateway_mac);
      for (const Ipv4Prefix& p : j.vpc->prefixes) {
        ip4_.push_back(p.first());
        ip4_.push_back(p.last());
        ip4_.push_back(p.first() - 1);
        ip4_.push_back(p.last() + 1);
        ip4_.push_back(p.first() + static_cast<uint32_t>(rng_() & ~p.mask()));
      }
    }
  }
  for (const VnicDoc& v : doc.vnics)
    if (v.ipv6) ip6_.push_back(*v.ipv6);
  ip6_.push_back(Ipv6Addr{});                          // ::
  ip6_.push_back(v6_with_suffix(0xfe80, 0x11));        // fe80::11
  ip6_.push_back(v6_with_suffix(0xff02, 1));           // ff02::1
  ip6_.push_back(v6_with_suffix(0xff02, 0x01ff0012));  // solicited-node
  ip6_.push_back(v6_with_suffix(0x2001, 1));           // 2001::1

  macs_.insert(macs_.end(), {h.gateway_mac, h.uplink.mac, h.uplink.next_hop_mac, kBroadcast,
                             MacAddr{{0x01, 0x00, 0x5e, 0x00, 0x00, 0x01}},
                             MacAddr{{0x33, 0x33, 0xff, 0x00, 0x00, 0x12}}, MacAddr{}});
  if (h.agent) macs_.push_back(h.agent->mac);
  for (const VnicDoc& v : doc.vnics) macs_.push_back(v.mac);
  vids_.insert(vids_.end(), {0, 1, 4095});
}

uint32_t FrameGenerator::pick_ip4() {
  if (chance(0.15)) return static_cast<uint32_t>(rng_());
  return ip4_[below(static_cast<uint32_t>(ip4_.size()))];
}

Ipv6Addr FrameGenerator::pick_ip6() {
  if (chance(0.1) || ip6_.empty()) {
    Ipv6Addr a;
    uint64_t x = rng_(), y = rng_();
    for (int i = 0; i < 8; ++i) {
      a.b[i] = static_cast<uint8_t>(x >> (8 * i));
      a.b[8 + i] = static_cast<uint8_t>(y >> (8 * i));
    }
    return a;
  }
  return ip6_[below(static_cast<uint32_t>(ip6_.size()))];
}

MacAddr FrameGenerator::pick_mac() {
  if (chance(0.1)) return random_unicast_mac(rng_);
  return macs_[below(static_cast<uint32_t>(macs_.size()))];
}

uint16_t FrameGenerator::pick_vid() {
  if (chance(0.1)) return static_cast<uint16_t>(rng_() & 0xfff);
  return vids_[below(static_cast<uint32_t>(vids_.size()))];
}

Bytes FrameGenerator::random_bytes(std::size_t n) {
  Bytes b(n);
  for (auto& x : b) x = static_cast<uint8_t>(rng_());
  return b;
}

void FrameGenerator::mutate(Bytes& f) {
  switch (below(6)) {
    case 0:  // truncate anywhere (every header boundary is hit over many frames)
      f.resize(below(static_cast<uint32_t>(f.size()) + 1));
      break;
    case 1: {  // flip a few bytes
      if (f.empty()) break;
      for (uint32_t k = 1 + below(3); k > 0; --k)
        f[below(static_cast<uint32_t>(f.size()))] ^= static_cast<uint8_t>(1 + below(255));
      break;
    }
    case 2: {  // overwrite an ethertype / TPID position
      static constexpr uint16_t kTypes[] = {0x0800, 0x0806, 0x86dd, 0x8100, 0x88a8,
                                            0x9100, 0x88cc, 0x05dc, 0x0600, 0x0000};
      std::size_t off = chance(0.5) ? 12 : 16;
      if (f.size() < off + 2) break;
      uint16_t t = chance(0.8) ? kTypes[below(10)] : static_cast<uint16_t>(rng_());
      f[off] = static_cast<uint8_t>(t >> 8);
      f[off + 1] = static_cast<uint8_t>(t);
      break;
    }
    case 3: {  // overwrite a length/version byte of the L3 header (14 or 18)
      std::size_t l3 = (f.size() > 13 && f[12] == 0x81 && f[13] == 0x00) ? 18 : 14;
      static constexpr std::size_t kOffsets[] = {0, 2, 3, 4, 5, 6, 7};
      std::size_t off = l3 + kOffsets[below(7)];
      if (off < f.size()) f[off] = static_cast<uint8_t>(rng_());
      break;
    }
    case 4:  // Ethernet padding / trailing garbage
      for (uint32_t k = below(40); k > 0; --k) f.push_back(static_cast<uint8_t>(rng_()));
      break;
    case 5: {  // replace a random byte range with random bytes
      if (f.empty()) break;
      uint32_t a = below(static_cast<uint32_t>(f.size()));
      uint32_t n = 1 + below(static_cast<uint32_t>(std::min<std::size_t>(8, f.size() - a)));
      for (uint32_t i = 0; i < n; ++i) f[a + i] = static_cast<uint8_t>(rng_());
      break;
    }
  }
}

GeneratedFrame FrameGenerator::vpc_inbound() {
  GeneratedFrame g;
  g.in_port = uplink_port_;
  const Vpc& v = vpcs_[below(static_cast<uint32_t>(vpcs_.size()))];
  const uint16_t tci = static_cast<uint16_t>((chance(0.3) ? (rng_() & 0xf000) : 0) | v.vlan);
  FrameBuilder b;
  const bool arp = chance(0.3);
  b.eth(arp && chance(0.5) ? kBroadcast : self_[uplink_port_].dst, v.gateway_mac);
  if (chance(0.5)) {
    g.meta_vlan = true;
    g.tci = tci;
  } else {
    b.vlan(tci);
  }
  const uint32_t src =
      chance(0.8) ? v.inside[below(static_cast<uint32_t>(v.inside.size()))] : pick_ip4();
  const uint32_t dst = chance(0.8) ? v.agent_ip : pick_ip4();
  if (arp)
    b.arp_request(v.gateway_mac, Ipv4Addr{src}, Ipv4Addr{dst});
  else
    b.ipv4(Ipv4Addr{src}, Ipv4Addr{dst})
        .tcp(443, static_cast<uint16_t>(rng_()))
        .payload(random_bytes(below(40)));
  if (chance(0.5)) b.pad();
  g.bytes = b.build();
  if (chance(0.2)) mutate(g.bytes);
  return g;
}

uint16_t FrameGenerator::pick_port() {
  // Ports without a role (P3) and ports beyond the table are rare on purpose.
  uint16_t p;
  do {
    p = chance(0.005) ? static_cast<uint16_t>(num_ports_ + below(3))
                      : static_cast<uint16_t>(below(num_ports_));
  } while (p < num_ports_ && self_[p].role == PortRole::kVnic && self_[p].ip4.empty() &&
           chance(0.8));
  return p;
}

GeneratedFrame FrameGenerator::next() {
  return next_on(pick_port());
}

GeneratedFrame FrameGenerator::next_on(uint16_t port) {
  if (port == uplink_port_ && !vpcs_.empty() && chance(0.12)) return vpc_inbound();
  GeneratedFrame g;
  g.in_port = port;
  const PortSelf* me = g.in_port < self_.size() ? &self_[g.in_port] : nullptr;
  const bool polite = chance(0.85);  // use the port's own addresses
  auto own_ip4 = [&] {
    if (polite && me && !me->ip4.empty() && chance(0.8))
      return me->ip4[below(static_cast<uint32_t>(me->ip4.size()))];
    return pick_ip4();
  };
  auto own_ip6 = [&] {
    if (polite && me && !me->ip6.empty() && chance(0.7)) return me->ip6[0];
    if (chance(0.2)) return v6_with_suffix(0xfe80, static_cast<uint32_t>(rng_()));
    return pick_ip6();
  };

  FrameBuilder b;
  MacAddr src = (polite && me) ? me->mac : pick_mac();
  MacAddr dst = (polite && me && chance(0.8)) ? me->dst : pick_mac();
  b.eth(dst, src);

  // Tags: none, inline, metadata, two.
  const uint32_t tag_kind = below(100);
  auto tpid = [&] {
    static constexpr uint16_t kTpids[] = {0x8100, 0x88a8, 0x9100};
    return chance(0.8) ? uint16_t{0x8100} : kTpids[below(3)];
  };
  auto tci = [&] {
    return static_cast<uint16_t>((chance(0.3) ? (rng_() & 0xf000) : 0) | pick_vid());
  };
  if (tag_kind < 8) {
    b.vlan(tci(), tpid());
  } else if (tag_kind < 16) {
    g.meta_vlan = true;
    g.tci = tci();
  } else if (tag_kind < 18) {
    b.vlan(tci(), tpid()).vlan(tci(), tpid());
  } else if (tag_kind < 20) {
    g.meta_vlan = true;
    g.tci = tci();
    b.vlan(tci(), tpid());
  }

  const uint32_t kind = below(100);
  if (kind < 40) {  // IPv4
    uint32_t s4 = own_ip4();
    if (me && !me->src4.empty() && chance(0.6))
      s4 = me->src4[below(static_cast<uint32_t>(me->src4.size()))];
    uint32_t d4 = (me && !me->dst4.empty() && chance(0.5))
                      ? me->dst4[below(static_cast<uint32_t>(me->dst4.size()))]
                      : pick_ip4();
    b.ipv4(Ipv4Addr{s4}, Ipv4Addr{d4}).ttl(static_cast<uint8_t>(rng_()));
    if (chance(0.1)) b.frag(static_cast<uint16_t>(rng_() & 0x3fff));
    if (chance(0.05)) b.ip_options(random_bytes(4 * (1 + below(3))));
    if (chance(0.05)) b.ihl(static_cast<uint8_t>(below(16)));
    if (chance(0.05)) b.total_length(static_cast<uint16_t>(below(200)));
    if (chance(0.03)) b.ip_version(static_cast<uint8_t>(below(16)));
    switch (below(4)) {
      case 0:
        b.udp(static_cast<uint16_t>(rng_()), 53);
        break;
      case 1:
        b.tcp(static_cast<uint16_t>(rng_()), 443);
        break;
      case 2:
        b.icmp();
        break;
      default:
        b.ip_proto(static_cast<uint8_t>(rng_()));
        break;
    }
    if (chance(0.01))
      b.payload(random_bytes(1400 + below(200)));  // around the MTU
    else
      b.payload(random_bytes(below(48)));
  } else if (kind < 62) {  // ARP
    uint16_t op = chance(0.8) ? 1 : (chance(0.7) ? 2 : static_cast<uint16_t>(rng_()));
    MacAddr sha = (polite && chance(0.9)) ? src : pick_mac();
    Ipv4Addr spa{chance(0.05) ? 0u : own_ip4()};
    uint32_t tpa = (me && !me->dst4.empty() && chance(0.5))
                       ? me->dst4[below(static_cast<uint32_t>(me->dst4.size()))]
                       : pick_ip4();
    b.arp(op, sha, spa, chance(0.8) ? MacAddr{} : pick_mac(), Ipv4Addr{tpa});
    if (chance(0.05)) {
      b.arp_hw(chance(0.5) ? 1 : static_cast<uint16_t>(rng_()), chance(0.5) ? 0x0800 : 0x86dd,
               static_cast<uint8_t>(chance(0.5) ? 6 : below(256)),
               static_cast<uint8_t>(chance(0.5) ? 4 : below(256)));
    }
  } else if (kind < 90) {  // IPv6
    Ipv6Addr s6 = own_ip6();
    if (me && !me->src6.empty() && chance(0.5))
      s6 = me->src6[below(static_cast<uint32_t>(me->src6.size()))];
    auto target6 = [&] {
      return (me && !me->dst6.empty() && chance(0.6))
                 ? me->dst6[below(static_cast<uint32_t>(me->dst6.size()))]
                 : pick_ip6();
    };
    Ipv6Addr d6 = target6();
    b.ipv6(s6, d6).hop_limit(255);
    switch (below(8)) {
      case 0:
        b.ns(target6(), chance(0.7) ? std::optional<MacAddr>(src) : std::nullopt);
        break;
      case 1:
        b.ns(target6());
        break;
      case 2:
        b.na(pick_ip6());
        break;
      case 3:
        b.rs();
        break;
      case 4:
        b.ra();
        break;
      case 5:
        b.redirect(pick_ip6(), pick_ip6());
        break;
      case 6:
        b.icmpv6(static_cast<uint8_t>(chance(0.5) ? 135 : rng_()), 0, random_bytes(below(30)));
        break;
      default:
        b.udp(1000, 2000).payload(random_bytes(below(32)));
        break;
    }
    if (chance(0.05)) b.next_header(static_cast<uint8_t>(chance(0.5) ? 58 : rng_()));
    if (chance(0.05)) b.payload_length(static_cast<uint16_t>(below(80)));
    if (chance(0.03)) b.ip_version(static_cast<uint8_t>(below(16)));
  } else {  // another ethertype
    static constexpr uint16_t kOther[] = {0x88cc, 0x888e, 0x0600, 0x05dc, 0x8847, 0x88b5};
    b.ethertype(chance(0.8) ? kOther[below(6)] : static_cast<uint16_t>(rng_()));
    b.payload(random_bytes(below(60)));
  }
  if (chance(0.5)) b.pad();
  g.bytes = b.build();
  for (int k = chance(0.35) ? 1 + static_cast<int>(below(2)) : 0; k > 0; --k) mutate(g.bytes);
  return g;
}

namespace {

PolicyDoc build_random_policy(std::mt19937_64& rng) {
  auto below = [&rng](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  auto chance = [&rng](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  std::set<MacAddr, decltype([](const MacAddr& a, const MacAddr& b) { return a.b < b.b; })>
      used_macs;
  auto fresh_mac = [&] {
    for (;;) {
      MacAddr m = random_unicast_mac(rng);
      if (used_macs.insert(m).second) return m;
    }
  };

  PolicyDoc d;
  d.version = kPolicyVersion;
  d.host.gateway_mac = fresh_mac();
  if (chance(0.7)) d.host.gateway_ip = Ipv4Addr{chance(0.5) ? 0xa9fe0101u : 0x64400001u};
  d.host.uplink =
      UplinkDoc{"up0", fresh_mac(), Ipv4Addr{0xc0000200u | (10 + below(100))}, fresh_mac()};
  const bool agent = chance(0.8);
  if (agent)
    d.host.agent = AgentDoc{"ag0", fresh_mac(), Ipv4Addr{0xc0000200u | (120 + below(100))}};

  const uint32_t njobs = 1 + below(4);
  std::set<uint16_t> vlans;
  int vnic_no = 0;
  for (uint32_t j = 0; j < njobs; ++j) {
    JobDoc job;
    job.id = "job" + std::to_string(j);
    job.isolated = chance(0.6);
    const uint32_t npeers = 1 + below(5);
    std::set<uint32_t> peers;
    while (peers.size() < npeers)
      peers.insert(0x0a000000u | (j << 16) | (below(2) << 8) | (1 + below(250)));
    for (uint32_t p : peers) job.peers.push_back(Ipv4Addr{p});
    if (chance(0.5)) {
      std::set<uint32_t> p6;
      for (uint32_t k = 1 + below(3); k > 0; --k) p6.insert((j << 16) | (1 + below(200)));
      for (uint32_t s : p6) job.peers6.push_back(v6_with_suffix(0xfd00, s));
    }
    if (agent && chance(0.5)) {
      VpcDoc vpc;
      do vpc.vlan = static_cast<uint16_t>(1 + below(4094));
      while (!vlans.insert(vpc.vlan).second);
      vpc.gateway_mac = fresh_mac();
      vpc.agent_ip = Ipv4Addr{0xac1f0000u | (j << 8) | 10};  // 172.31.j.10
      for (uint32_t k = 1 + below(3); k > 0; --k) {
        uint8_t len = static_cast<uint8_t>(8 + below(23));
        uint32_t base = (chance(0.5) ? 0x34000000u : 0x03000000u) |
                        (static_cast<uint32_t>(rng()) & 0x00ffffffu);
        Ipv4Prefix p{Ipv4Addr{base & (~uint32_t{0} << (32 - len))}, len};
        vpc.prefixes.push_back(p);
      }
      job.vpc = vpc;
    }
    // Some of the IPv4 peers live here, as vNICs.
    uint32_t nlocal = below(static_cast<uint32_t>(std::min<std::size_t>(3, job.peers.size() + 1)));
    for (uint32_t k = 0; k < nlocal; ++k) {
      VnicDoc v;
      v.id = "v" + std::to_string(vnic_no);
      v.port = "vnic" + std::to_string(vnic_no);
      ++vnic_no;
      v.mac = fresh_mac();
      v.ip = job.peers[k];
      v.job = job.id;
      if (k < job.peers6.size() && chance(0.7)) v.ipv6 = job.peers6[k];
      d.vnics.push_back(v);
    }
    d.jobs.push_back(job);
  }
  return d;
}

}  // namespace

RandomPolicy random_policy(uint64_t seed, const std::function<bool(const PolicyDoc&)>& accept) {
  std::mt19937_64 rng(seed);
  for (int attempt = 0;; ++attempt) {
    if (attempt == 1000) {
      std::fprintf(stderr, "random_policy: 1000 generated policies rejected (seed %llu)\n",
                   static_cast<unsigned long long>(seed));
      std::abort();
    }
    PolicyDoc d = build_random_policy(rng);
    if (!accept(d)) continue;
    RandomPolicy r;
    r.doc = d;
    r.ports.ports.push_back({d.host.uplink.port, PortRole::kUplink});
    if (d.host.agent) r.ports.ports.push_back({d.host.agent->port, PortRole::kAgent});
    for (const VnicDoc& v : d.vnics) r.ports.ports.push_back({v.port, PortRole::kVnic});
    r.ports.ports.push_back({"unbound", PortRole::kVnic});
    return r;
  }
}

}  // namespace isoswitch::test
