// Self-tests of the frame builder: every other suite trusts its bytes, so pin
// the layouts and checksums against independently known values.
#include "tests/support/frame_builder.h"

#include <gtest/gtest.h>

#include "tests/support/test_policy.h"

namespace isoswitch::test {
namespace {

TEST(FrameBuilder, Ipv4UdpLayoutAndChecksums) {
  Bytes f = FrameBuilder()
                .eth(mac("02:fe:00:00:00:01"), mac("02:00:00:01:00:11"))
                .ipv4(ip4("10.1.0.11"), ip4("10.1.0.12"))
                .ttl(7)
                .udp(1234, 53)
                .payload({1, 2, 3})
                .build();
  ASSERT_EQ(f.size(), 14u + 20 + 8 + 3);
  EXPECT_EQ(f[12], 0x08);
  EXPECT_EQ(f[13], 0x00);
  EXPECT_EQ(f[14], 0x45);
  auto v = parse_ipv4(f);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->ttl, 7);
  EXPECT_EQ(v->proto, 17);
  EXPECT_EQ(v->total_length, 31);
  EXPECT_EQ(v->src, ip4("10.1.0.11"));
  EXPECT_TRUE(ipv4_checksum_ok(f));
  EXPECT_TRUE(l4_checksum_ok(f));
  f[14 + 8] ^= 1;  // TTL
  EXPECT_FALSE(ipv4_checksum_ok(f));
}

TEST(FrameBuilder, KnownIpv4HeaderChecksum) {
  // The classic example header 4500 0073 0000 4000 4011 xxxx c0a8 0001 c0a8 00c7 -> b861.
  Bytes f = FrameBuilder()
                .ipv4(ip4("192.168.0.1"), ip4("192.168.0.199"))
                .ip_id(0)
                .frag(0x4000)
                .ttl(64)
                .ip_proto(17)
                .total_length(0x73)
                .build();
  auto v = parse_ipv4(f);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->checksum, 0xb861);
}

TEST(FrameBuilder, TcpAndIcmpChecksums) {
  Bytes t = FrameBuilder().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).tcp(1, 80).payload({9}).build();
  EXPECT_TRUE(l4_checksum_ok(t));
  Bytes i = FrameBuilder().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).icmp().payload({1, 2}).build();
  EXPECT_TRUE(l4_checksum_ok(i));
  i.back() ^= 0x40;
  EXPECT_FALSE(l4_checksum_ok(i));
}

TEST(FrameBuilder, VlanTagsAndQinQ) {
  Bytes f = FrameBuilder()
                .eth(kBroadcast, mac("02:00:00:00:00:01"))
                .vlan(0x1065, kTpid8021AD)
                .vlan(101)
                .arp_request(mac("02:00:00:00:00:01"), ip4("1.2.3.4"), ip4("1.2.3.5"))
                .build();
  ASSERT_EQ(f.size(), 14u + 8 + 28);
  auto e = parse_eth(f);
  ASSERT_TRUE(e);
  ASSERT_EQ(e->tags.size(), 2u);
  EXPECT_EQ(e->tags[0], (VlanTag{0x88a8, 0x1065}));
  EXPECT_EQ(e->tags[1], (VlanTag{0x8100, 101}));
  EXPECT_EQ(e->ethertype, kEthArp);
  EXPECT_EQ(vlan_tci(f), 0x1065);
  auto a = parse_arp(f);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->op, 1);
  EXPECT_EQ(a->tpa, ip4("1.2.3.5"));
  EXPECT_TRUE(a->tha.is_zero());
}

TEST(FrameBuilder, PadAndTruncate) {
  auto base = FrameBuilder().eth(kBroadcast, mac("02:00:00:00:00:01"));
  Bytes a = FrameBuilder(base)
                .arp_request(mac("02:00:00:00:00:01"), ip4("1.2.3.4"), ip4("1.2.3.5"))
                .pad()
                .build();
  EXPECT_EQ(a.size(), 60u);
  EXPECT_EQ(a[59], 0);
  Bytes t = FrameBuilder(base)
                .arp_request(mac("02:00:00:00:00:01"), ip4("1.2.3.4"), ip4("1.2.3.5"))
                .truncate(20)
                .build();
  EXPECT_EQ(t.size(), 20u);
  EXPECT_FALSE(parse_arp(t));
}

TEST(FrameBuilder, MalformedOverrides) {
  Bytes f = FrameBuilder()
                .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
                .ihl(4)
                .total_length(999)
                .ip_options({0x94, 0x04, 0, 0})  // router alert
                .build();
  auto v = parse_ipv4(f);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->ihl, 4);
  EXPECT_EQ(v->total_length, 999);
  EXPECT_EQ(f.size(), 14u + 24);
  Bytes o = FrameBuilder().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).ip_options({0x94, 0x04}).build();
  EXPECT_EQ(parse_ipv4(o)->ihl, 6);
  EXPECT_TRUE(ipv4_checksum_ok(o));
}

TEST(FrameBuilder, NeighbourSolicitationChecksum) {
  Bytes f = FrameBuilder()
                .eth(mac("33:33:ff:00:00:12"), mac("02:00:00:01:00:11"))
                .ipv6(ip6("fd00:1::11"), ip6("ff02::1:ff00:12"))
                .hop_limit(255)
                .ns(ip6("fd00:1::12"), mac("02:00:00:01:00:11"))
                .build();
  ASSERT_EQ(f.size(), 14u + 40 + 32);
  auto v6 = parse_ipv6(f);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->payload_length, 32);
  EXPECT_EQ(v6->next_header, 58);
  EXPECT_EQ(v6->hop_limit, 255);
  auto ic = parse_icmpv6(f);
  ASSERT_TRUE(ic);
  EXPECT_EQ(ic->type, 135);
  EXPECT_EQ(ic->target, ip6("fd00:1::12"));
  EXPECT_EQ(ic->lla, mac("02:00:00:01:00:11"));
  EXPECT_TRUE(icmpv6_checksum_ok(f));
  f[14 + 40 + 10] ^= 1;
  EXPECT_FALSE(icmpv6_checksum_ok(f));
}

TEST(FrameBuilder, RouterAdvertAndRedirectAndNa) {
  auto b = FrameBuilder().ipv6(ip6("fe80::1"), ip6("ff02::1"));
  Bytes ra = FrameBuilder(b).ra(mac("02:00:00:00:00:09")).build();
  EXPECT_TRUE(icmpv6_checksum_ok(ra));
  EXPECT_EQ(parse_icmpv6(ra)->lla, mac("02:00:00:00:00:09"));
  Bytes rd = FrameBuilder(b).redirect(ip6("fe80::2"), ip6("fd00:1::12")).build();
  EXPECT_TRUE(icmpv6_checksum_ok(rd));
  EXPECT_EQ(parse_icmpv6(rd)->target, ip6("fe80::2"));
  Bytes na = FrameBuilder(b).na(ip6("fd00:1::12"), 0x60000000u, mac("02:00:00:00:00:09")).build();
  EXPECT_TRUE(icmpv6_checksum_ok(na));
  EXPECT_EQ(parse_icmpv6(na)->reserved_or_flags, 0x60000000u);
}

TEST(FrameBuilder, ParsersNeverReadPastTheEnd) {
  Bytes full = FrameBuilder()
                   .eth(kBroadcast, mac("02:00:00:00:00:01"))
                   .vlan(5)
                   .ipv6(ip6("fe80::1"), ip6("ff02::1"))
                   .ns(ip6("fd00:1::12"), mac("02:00:00:01:00:11"))
                   .build();
  for (std::size_t n = 0; n <= full.size(); ++n) {
    Bytes f(full.begin(), full.begin() + static_cast<long>(n));
    (void)parse_eth(f);
    (void)parse_arp(f);
    (void)parse_ipv4(f);
    (void)parse_icmpv6(f);
    (void)icmpv6_checksum_ok(f);
    (void)ipv4_checksum_ok(f);
    EXPECT_EQ(parse_ipv6(f).has_value(), n >= 18 + 40) << n;
  }
}

TEST(StandardPolicy, ShapeMatchesTheBrief) {
  PolicyDoc d = standard_policy();
  ASSERT_EQ(d.jobs.size(), 3u);
  ASSERT_EQ(d.vnics.size(), 4u);
  EXPECT_TRUE(d.find_job("train-a")->vpc.has_value());
  EXPECT_FALSE(d.find_job("infer-b")->isolated);
  EXPECT_EQ(d.find_vnic("c-0")->port, "vnic2");
  PortTable p = standard_ports();
  EXPECT_EQ(p.find("uplink0"), kUplinkPort);
  EXPECT_EQ(p.find("agent0"), kAgentPort);
  EXPECT_EQ(p.find("vnic3"), kVnicB0Port);
  EXPECT_EQ(p.find("vnic9"), kUnboundPort);
  EXPECT_NE(standard_policy_json().find("\"train-c\""), std::string::npos);
}

}  // namespace
}  // namespace isoswitch::test
