// compile(): PolicyDoc + PortTable -> Snapshot, field by field, and at scale.
#include <memory>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/policy/compile.h"
#include "control/policy/validate.h"
#include "tests/support/test_policy.h"

namespace isoswitch::ctl {
namespace {

using ::testing::StartsWith;
namespace sa = test::std_addr;

uint32_t ip4(const char* s) {
  return parse_ipv4(s)->value;
}
Ipv6Addr ip6(const char* s) {
  return *parse_ipv6(s);
}
MacAddr mac(const char* s) {
  return *parse_mac(s);
}

std::unique_ptr<Snapshot> compile_standard(const CompileOptions& o = {}) {
  auto s = compile(test::standard_policy(), test::standard_ports(), o);
  EXPECT_TRUE(s) << s.error().message;
  return s ? std::move(*s) : nullptr;
}

std::string compile_error(const PolicyDoc& d, const PortTable& t) {
  auto s = compile(d, t, {});
  if (s) return "(compiled)";
  EXPECT_EQ(s.error().code, ErrorCode::kInvalidArgument);
  return s.error().message;
}

TEST(Compile, HostFieldsGenerationAndMtu) {
  auto s = compile_standard({.generation = 42, .mtu = 9000});
  ASSERT_TRUE(s);
  EXPECT_EQ(s->generation, 42u);
  EXPECT_EQ(s->mtu, 9000);
  EXPECT_EQ(s->gateway_mac, mac(sa::kGatewayMac));
  EXPECT_EQ(s->uplink_mac, mac(sa::kUplinkMac));
  EXPECT_EQ(s->next_hop_mac, mac(sa::kNextHopMac));
  EXPECT_EQ(s->agent_mac, mac(sa::kAgentMac));
  // The header rewrites: destination first, then source.
  EXPECT_EQ(s->to_uplink.dst, mac(sa::kNextHopMac));
  EXPECT_EQ(s->to_uplink.src, mac(sa::kUplinkMac));
  EXPECT_EQ(s->to_agent.dst, mac(sa::kAgentMac));
  EXPECT_EQ(s->to_agent.src, mac(sa::kGatewayMac));
  EXPECT_EQ(s->uplink_ip, ip4(sa::kUplinkIp));
  EXPECT_EQ(s->gateway_ip, ip4(sa::kGatewayIp));
  EXPECT_EQ(s->agent_service_ip, ip4(sa::kAgentServiceIp));
  EXPECT_EQ(s->uplink_port, test::kUplinkPort);
  EXPECT_EQ(s->agent_port, test::kAgentPort);
}

TEST(Compile, NoAgentNoGatewayIpMeansZeroAndNoPort) {
  PolicyDoc d = test::standard_policy();
  d.host.agent.reset();
  d.host.gateway_ip.reset();
  auto s = compile(d, test::standard_ports(), {});
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ((*s)->agent_port, kNoPort);
  EXPECT_EQ((*s)->agent_service_ip, 0u);
  EXPECT_EQ((*s)->gateway_ip, 0u);
  // The agent-role port exists in the table but the policy gives it no role.
  EXPECT_EQ((*s)->ports[test::kAgentPort].role, PortRole::kNone);
  EXPECT_EQ((*s)->addr4.find(ip4(sa::kAgentServiceIp)), nullptr);
  EXPECT_EQ((*s)->addr4.find(ip4(sa::kGatewayIp)), nullptr);
}

TEST(Compile, PortEntriesFollowThePortTable) {
  auto s = compile_standard();
  ASSERT_TRUE(s);
  const PortTable t = test::standard_ports();
  ASSERT_EQ(s->ports.size(), t.size());
  EXPECT_EQ(s->ports[test::kUplinkPort].role, PortRole::kUplink);
  EXPECT_EQ(s->ports[test::kUplinkPort].mac, mac(sa::kUplinkMac));
  EXPECT_EQ(s->ports[test::kAgentPort].role, PortRole::kAgent);
  EXPECT_EQ(s->ports[test::kAgentPort].mac, mac(sa::kAgentMac));
  EXPECT_EQ(s->ports[test::kUnboundPort].role, PortRole::kNone) << "kVnic only when bound";

  const PolicyDoc d = test::standard_policy();
  ASSERT_EQ(s->vnic_ids.size(), d.vnics.size());
  for (std::size_t i = 0; i < d.vnics.size(); ++i) {
    const VnicDoc& v = d.vnics[i];
    const PortEntry& e = s->ports[t.find(v.port)];
    EXPECT_EQ(e.role, PortRole::kVnic) << v.id;
    EXPECT_EQ(e.mac, v.mac) << v.id;
    EXPECT_EQ(e.deliver.dst, v.mac) << v.id;
    EXPECT_EQ(e.deliver.src, mac(sa::kGatewayMac)) << v.id;
    EXPECT_EQ(e.ip, v.ip) << v.id;
    EXPECT_EQ(e.has_ipv6, v.ipv6 ? 1 : 0) << v.id;
    if (v.ipv6) {
      EXPECT_EQ(e.ip6, *v.ipv6) << v.id;
    }
    ASSERT_LT(e.vnic, s->vnic_ids.size());
    EXPECT_EQ(s->vnic_ids[e.vnic], v.id);
    ASSERT_LT(e.job, s->job_ids.size());
    EXPECT_EQ(s->job_ids[e.job], v.job);
  }
  EXPECT_EQ(s->ports[test::kVnicA0Port].vnic, 0u);
  EXPECT_EQ(s->job_ids[s->ports[test::kVnicB0Port].job], "infer-b");
}

TEST(Compile, JobsInPolicyOrder) {
  auto s = compile_standard();
  ASSERT_TRUE(s);
  const PolicyDoc d = test::standard_policy();
  ASSERT_EQ(s->jobs.size(), d.jobs.size());
  for (std::size_t i = 0; i < d.jobs.size(); ++i) {
    EXPECT_EQ(s->job_ids[i], d.jobs[i].id);
    EXPECT_EQ(s->jobs[i].isolated, d.jobs[i].isolated ? 1 : 0);
    EXPECT_EQ(s->jobs[i].has_vpc, d.jobs[i].vpc ? 1 : 0);
    if (!d.jobs[i].vpc) {
      EXPECT_EQ(s->jobs[i].range_begin, s->jobs[i].range_end);
      continue;
    }
    EXPECT_EQ(s->jobs[i].vlan, d.jobs[i].vpc->vlan);
    EXPECT_EQ(s->jobs[i].vpc_egress.dst, d.jobs[i].vpc->gateway_mac);
    EXPECT_EQ(s->jobs[i].vpc_egress.src, mac(sa::kUplinkMac));
    EXPECT_EQ(s->jobs[i].vpc_agent_ip, d.jobs[i].vpc->agent_ip);
  }
}

TEST(Compile, VlanToJob) {
  auto s = compile_standard();
  ASSERT_TRUE(s);
  uint32_t a = 0;
  while (s->job_ids[a] != "train-a") ++a;
  for (uint32_t vid = 0; vid < 4096; ++vid)
    EXPECT_EQ(s->vlan_to_job[vid], vid == sa::kVpcVlan ? a : kNoJob) << vid;
}

TEST(Compile, Addr4HoldsEveryAddressWithItsKind) {
  auto s = compile_standard();
  ASSERT_TRUE(s);
  const PolicyDoc d = test::standard_policy();
  const PortTable t = test::standard_ports();
  for (std::size_t j = 0; j < d.jobs.size(); ++j)
    for (Ipv4Addr a : d.jobs[j].peers) {
      const AddrInfo* info = s->addr4.find(a.value);
      ASSERT_NE(info, nullptr) << to_string(a);
      EXPECT_EQ(info->kind, AddrKind::kContainer);
      EXPECT_EQ(info->job, j);
      uint16_t want = kNoPort;
      for (const VnicDoc& v : d.vnics)
        if (v.ip == a) want = t.find(v.port);
      EXPECT_EQ(info->port, want) << to_string(a);
    }
  EXPECT_EQ(s->addr4.find(ip4(sa::kA0Ip))->port, test::kVnicA0Port);
  EXPECT_EQ(s->addr4.find(ip4(sa::kARemoteIp))->port, kNoPort);
  EXPECT_EQ(s->addr4.find(ip4(sa::kBRemoteIp))->port, kNoPort);

  EXPECT_EQ(s->addr4.find(ip4(sa::kUplinkIp))->kind, AddrKind::kHost);
  EXPECT_EQ(s->addr4.find(ip4(sa::kGatewayIp))->kind, AddrKind::kHost);
  EXPECT_EQ(s->addr4.find(ip4(sa::kAgentServiceIp))->kind, AddrKind::kAgentService);
  const AddrInfo* vpc = s->addr4.find(ip4(sa::kVpcAgentIp));
  ASSERT_NE(vpc, nullptr);
  EXPECT_EQ(vpc->kind, AddrKind::kAgentVpc);
  EXPECT_EQ(s->job_ids[vpc->job], "train-a");

  for (const char* other : {"10.1.0.13", "8.8.8.8", "169.254.169.254", "52.216.0.1", "0.0.0.0",
                            "255.255.255.255", "192.0.2.12"})
    EXPECT_EQ(s->addr4.find(ip4(other)), nullptr) << other;
}

TEST(Compile, Addr6HoldsIpv6PeersWithLocalPorts) {
  auto s = compile_standard();
  ASSERT_TRUE(s);
  auto find = [&](const char* a) { return s->addr6.find(ip6(a).b.data()); };
  ASSERT_NE(find(sa::kA0Ip6), nullptr);
  EXPECT_EQ(find(sa::kA0Ip6)->kind, AddrKind::kContainer);
  EXPECT_EQ(find(sa::kA0Ip6)->port, test::kVnicA0Port);
  EXPECT_EQ(find(sa::kA1Ip6)->port, test::kVnicA1Port);
  ASSERT_NE(find(sa::kARemoteIp6), nullptr);
  EXPECT_EQ(find(sa::kARemoteIp6)->port, kNoPort);
  EXPECT_EQ(s->job_ids[find(sa::kARemoteIp6)->job], "train-a");
  EXPECT_EQ(find("fd00:1::13"), nullptr);
  EXPECT_EQ(find("::"), nullptr);
  EXPECT_EQ(find("fe80::1"), nullptr);
}

TEST(Compile, VpcRangesAreSortedMergedAndPerJob) {
  PolicyDoc d = test::standard_policy();
  auto& pa = d.jobs[0].vpc->prefixes;  // train-a
  ASSERT_EQ(d.jobs[0].id, "train-a");
  pa.clear();
  for (const char* p : {"100.64.1.0/24", "100.64.0.0/24",  // adjacent: one range
                        "100.64.0.128/25",                 // inside: absorbed
                        "3.5.0.0/16", "198.51.100.7/32", "255.255.255.0/24",
                        "255.255.255.255/32"})  // touches the top: no overflow
    pa.push_back(*parse_ipv4_prefix(p));
  // A second VPC job whose range sits between train-a's.
  JobDoc& c = d.jobs[1];
  ASSERT_EQ(c.id, "train-c");
  c.vpc = VpcDoc{.vlan = 202,
                 .gateway_mac = mac("02:00:00:00:bb:fd"),
                 .agent_ip = *parse_ipv4("172.31.6.10"),
                 .prefixes = {*parse_ipv4_prefix("60.0.0.0/8"), *parse_ipv4_prefix("60.0.0.0/8")}};
  auto r = compile(d, test::standard_ports(), {});
  ASSERT_TRUE(r) << r.error().message;
  const Snapshot& s = **r;
  const JobEntry& a = s.jobs[0];
  const JobEntry& cj = s.jobs[1];
  ASSERT_EQ(a.range_end - a.range_begin, 4u);
  ASSERT_EQ(cj.range_end - cj.range_begin, 1u);
  for (uint32_t i = a.range_begin; i + 1 < a.range_end; ++i) {
    EXPECT_LE(s.vpc_ranges[i].lo, s.vpc_ranges[i].hi);
    EXPECT_LT(s.vpc_ranges[i].hi + 1, s.vpc_ranges[i + 1].lo) << "disjoint and not adjacent";
  }
  EXPECT_EQ(s.vpc_ranges[a.range_begin].lo, ip4("3.5.0.0"));
  EXPECT_EQ(s.vpc_ranges[a.range_end - 1].hi, 0xffffffffu);
  EXPECT_EQ(s.vlan_to_job[202], 1u);

  struct Case {
    const char* ip;
    bool a, c;
  };
  for (Case k : {Case{"3.5.0.0", true, false},
                 {"3.5.255.255", true, false},
                 {"3.4.255.255", false, false},
                 {"3.6.0.0", false, false},
                 {"100.64.0.0", true, false},
                 {"100.64.0.200", true, false},
                 {"100.64.1.255", true, false},
                 {"100.64.2.0", false, false},
                 {"100.63.255.255", false, false},
                 {"198.51.100.7", true, false},
                 {"198.51.100.6", false, false},
                 {"198.51.100.8", false, false},
                 {"255.255.255.255", true, false},
                 {"255.255.254.255", false, false},
                 {"60.1.2.3", false, true},
                 {"0.0.0.0", false, false},
                 {"52.216.0.1", false, false}}) {
    EXPECT_EQ(s.vpc_allows(a, ip4(k.ip)), k.a) << k.ip;
    EXPECT_EQ(s.vpc_allows(cj, ip4(k.ip)), k.c) << k.ip;
    EXPECT_FALSE(s.vpc_allows(s.jobs[2], ip4(k.ip))) << "no VPC, nothing allowed: " << k.ip;
  }
}

TEST(Compile, PortMustExist) {
  PolicyDoc d = test::standard_policy();
  d.host.uplink.port = "x";
  EXPECT_EQ(compile_error(d, test::standard_ports()),
            "host.uplink.port: \"x\" is not a port of this switch");
  d = test::standard_policy();
  d.host.agent->port = "agent9";
  EXPECT_EQ(compile_error(d, test::standard_ports()),
            "host.agent.port: \"agent9\" is not a port of this switch");
  d = test::standard_policy();
  d.vnics[2].port = "vnic7";
  EXPECT_EQ(compile_error(d, test::standard_ports()),
            "vnics[2].port: \"vnic7\" is not a port of this switch");
}

TEST(Compile, PortMustHaveTheRightRole) {
  PolicyDoc d = test::standard_policy();
  PortTable t = test::standard_ports();
  // Swap: the policy binds vNIC a-0 to the port the daemon calls the uplink.
  t.ports[test::kUplinkPort].name = "up-x";
  d.host.uplink.port = "up-x";
  d.vnics[0].port = "up-x-not";
  t.ports.push_back({"up-x-not", PortRole::kUplink});
  EXPECT_EQ(compile_error(d, t), "vnics[0].port: \"up-x-not\" has role uplink, not vnic");
  d = test::standard_policy();
  d.host.uplink.port = "vnic9";
  EXPECT_EQ(compile_error(d, test::standard_ports()),
            "host.uplink.port: \"vnic9\" has role vnic, not uplink");
  d = test::standard_policy();
  d.host.agent->port = "vnic9";
  EXPECT_EQ(compile_error(d, test::standard_ports()),
            "host.agent.port: \"vnic9\" has role vnic, not agent");
  t = test::standard_ports();
  t.ports[test::kAgentPort].role = PortRole::kNone;
  EXPECT_EQ(compile_error(test::standard_policy(), t),
            "host.agent.port: \"agent0\" has role none, not agent");
}

TEST(Compile, RevalidatesAndChecksMtu) {
  PolicyDoc d = test::standard_policy();
  d.vnics[0].job = "ghost";
  EXPECT_EQ(compile_error(d, test::standard_ports()), "vnics[0].job: unknown job \"ghost\"");
  auto r = compile(test::standard_policy(), test::standard_ports(), {.generation = 1, .mtu = 60});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, StartsWith("mtu: 60"));
}

TEST(Compile, SpareUplinkRolePortGetsNoRole) {
  PortTable t = test::standard_ports();
  t.ports.push_back({"uplink1", PortRole::kUplink});
  auto s = compile(test::standard_policy(), t, {});
  ASSERT_TRUE(s);
  EXPECT_EQ((*s)->ports.back().role, PortRole::kNone);
  EXPECT_EQ((*s)->uplink_port, test::kUplinkPort);
}

TEST(PortTableFromPolicy, UplinkAgentThenVnicsInOrder) {
  const PolicyDoc d = test::standard_policy();
  PortTable t = port_table_from_policy(d);
  ASSERT_EQ(t.size(), 2 + d.vnics.size());
  EXPECT_EQ(t.ports[0].name, d.host.uplink.port);
  EXPECT_EQ(t.ports[0].role, PortRole::kUplink);
  EXPECT_EQ(t.ports[1].name, d.host.agent->port);
  EXPECT_EQ(t.ports[1].role, PortRole::kAgent);
  for (std::size_t i = 0; i < d.vnics.size(); ++i) {
    EXPECT_EQ(t.ports[2 + i].name, d.vnics[i].port);
    EXPECT_EQ(t.ports[2 + i].role, PortRole::kVnic);
  }
  EXPECT_TRUE(compile(d, t, {}));
  PolicyDoc no_agent = d;
  no_agent.host.agent.reset();
  PortTable t2 = port_table_from_policy(no_agent);
  ASSERT_EQ(t2.size(), 1 + d.vnics.size());
  EXPECT_EQ(t2.ports[1].name, d.vnics[0].port);
  EXPECT_TRUE(compile(no_agent, t2, {}));
}

// 1,000 jobs, 4,096 local vNICs, 65,536 peers (IPv4) + 4,096 IPv6, 500 VPCs.
// local4 (what the uplink and vNIC fast paths look up) holds exactly the
// container addresses of the jobs that have a vNIC bound here, with addr4's
// info; a job whose vNICs are all unbound or gone drops out of it.
TEST(Compile, Local4HoldsTheContainersOfJobsWithALocalVnic) {
  auto check = [](const Snapshot& s) {
    std::vector<bool> local(s.jobs.size(), false);
    for (const PortEntry& e : s.ports)
      if (e.role == PortRole::kVnic) local[e.job] = true;
    std::size_t want = 0;
    s.addr4.for_each([&](const Addr4Slot& slot) {
      const AddrInfo* l = s.local4.find(slot.ip);
      if (slot.info.kind == AddrKind::kContainer && local[slot.info.job]) {
        ++want;
        ASSERT_NE(l, nullptr) << to_string(Ipv4Addr{slot.ip});
        EXPECT_EQ(l->kind, slot.info.kind);
        EXPECT_EQ(l->job, slot.info.job);
        EXPECT_EQ(l->port, slot.info.port);
      } else {
        EXPECT_EQ(l, nullptr) << to_string(Ipv4Addr{slot.ip});
      }
    });
    EXPECT_EQ(s.local4.count(), want);
    return want;
  };
  auto s = compile_standard();
  ASSERT_TRUE(s);
  const std::size_t with_all = check(*s);
  EXPECT_GT(with_all, 0u);
  // Without its vNICs, no job is local.
  PolicyDoc d = test::standard_policy();
  d.vnics.clear();
  auto r = compile(d, test::standard_ports(), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(check(**r), 0u);
}

TEST(Compile, LargePolicyCompilesAndEveryAddressIsFound) {
  PolicyDoc d = test::standard_policy();
  d.jobs.clear();
  d.vnics.clear();
  constexpr uint32_t kJobs = 1000, kVnics = 4096, kPeers = 65536;
  d.jobs.resize(kJobs);
  for (uint32_t j = 0; j < kJobs; ++j) {
    d.jobs[j].id = "job-" + std::to_string(j);
    d.jobs[j].isolated = j % 3 != 0;
    if (j % 2 == 0) {
      VpcDoc v;
      v.vlan = static_cast<uint16_t>(1 + j);
      v.gateway_mac = mac("02:00:00:00:bb:fe");
      v.agent_ip = Ipv4Addr{0xAC100000u + j};  // 172.16.x.x
      v.prefixes.push_back(Ipv4Prefix{Ipv4Addr{0x34000000u + (j << 12)}, 20});
      d.jobs[j].vpc = v;
    }
  }
  // Peer p = 10.0.0.0 + p + 1 belongs to job p % kJobs; the first kVnics are local.
  for (uint32_t p = 0; p < kPeers; ++p)
    d.jobs[p % kJobs].peers.push_back(Ipv4Addr{0x0A000001u + p});
  for (uint32_t v = 0; v < kVnics; ++v) {
    Ipv6Addr a6 = ip6("fd00::");
    a6.b[12] = static_cast<uint8_t>(v >> 8);
    a6.b[13] = static_cast<uint8_t>(v);
    a6.b[15] = 1;
    d.jobs[v % kJobs].peers6.push_back(a6);
    MacAddr m = mac("02:00:00:00:00:00");
    m.b[4] = static_cast<uint8_t>(v >> 8);
    m.b[5] = static_cast<uint8_t>(v);
    m.b[3] = 1;
    d.vnics.push_back(VnicDoc{.id = "v-" + std::to_string(v),
                              .port = "p" + std::to_string(v),
                              .mac = m,
                              .ip = Ipv4Addr{0x0A000001u + v},
                              .ipv6 = a6,
                              .job = "job-" + std::to_string(v % kJobs)});
  }
  ASSERT_TRUE(validate(d)) << validate(d).error().message;
  const PortTable t = port_table_from_policy(d);
  auto r = compile(d, t, {.generation = 7});
  ASSERT_TRUE(r) << r.error().message;
  const Snapshot& s = **r;
  EXPECT_EQ(s.jobs.size(), kJobs);
  EXPECT_EQ(s.ports.size(), kVnics + 2);
  EXPECT_GE(s.addr4.capacity(), 2u * (kPeers + kJobs / 2 + 3));

  for (uint32_t p = 0; p < kPeers; ++p) {
    const AddrInfo* info = s.addr4.find(0x0A000001u + p);
    ASSERT_NE(info, nullptr) << p;
    ASSERT_EQ(info->kind, AddrKind::kContainer);
    ASSERT_EQ(info->job, p % kJobs);
    ASSERT_EQ(info->port, p < kVnics ? static_cast<uint16_t>(2 + p) : kNoPort) << p;
  }
  for (uint32_t j = 0; j < kJobs; j += 2) {
    const AddrInfo* info = s.addr4.find(0xAC100000u + j);
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->kind, AddrKind::kAgentVpc);
    EXPECT_EQ(info->job, j);
    EXPECT_EQ(s.vlan_to_job[1 + j], j);
    EXPECT_TRUE(s.vpc_allows(s.jobs[j], 0x34000000u + (j << 12) + 5));
    EXPECT_FALSE(s.vpc_allows(s.jobs[j], 0x34000000u + ((j + 1) << 12)));
  }
  // Misses: just past the peers, the gaps around them, and a spread of others.
  for (uint32_t x = 0; x < 200000; ++x) {
    uint32_t ip = 0x0A000001u + kPeers + x;
    ASSERT_EQ(s.addr4.find(ip), nullptr) << ip;
    uint32_t other = x * 2654435761u;
    bool is_ours = (other >= 0x0A000001u && other < 0x0A000001u + kPeers) ||
                   (other >= 0xAC100000u && other < 0xAC100000u + kJobs) ||
                   other == ip4(sa::kUplinkIp) || other == ip4(sa::kGatewayIp) ||
                   other == ip4(sa::kAgentServiceIp);
    if (!is_ours) {
      ASSERT_EQ(s.addr4.find(other), nullptr) << other;
    }
  }
  ASSERT_EQ(s.addr4.find(0x0A000000u), nullptr);
  for (uint32_t v = 0; v < kVnics; ++v) {
    Ipv6Addr a6 = ip6("fd00::");
    a6.b[12] = static_cast<uint8_t>(v >> 8);
    a6.b[13] = static_cast<uint8_t>(v);
    a6.b[15] = 1;
    const AddrInfo* info = s.addr6.find(a6.b.data());
    ASSERT_NE(info, nullptr) << v;
    ASSERT_EQ(info->port, 2 + v);
    a6.b[15] = 2;
    ASSERT_EQ(s.addr6.find(a6.b.data()), nullptr);
  }
}

}  // namespace
}  // namespace isoswitch::ctl
