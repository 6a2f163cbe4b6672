// dp::process_burst against the standard policy, rule by rule (docs/rules.md):
// verdict, reason, egress port, the exact bytes that leave, and the counters.
#include "dataplane/pipeline/pipeline.h"

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <memory>
#include <string>
#include <vector>

#include "control/policy/compile.h"
#include "tests/dataplane/pipeline_harness.h"
#include "tests/support/frame_builder.h"
#include "tests/support/test_policy.h"

namespace isoswitch::test {
namespace {

using namespace std_addr;

constexpr std::size_t kCounterSlots = 128;  // covers the out-of-range port test

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = ctl::compile(standard_policy(), standard_ports(), ctl::CompileOptions{7, 1500});
    ASSERT_TRUE(s.has_value()) << s.error().message;
    snap_ = std::move(*s);
    counters_.assign(kCounterSlots, PortCounters{});
  }

  Outcome run(uint16_t port, const Bytes& f, bool meta = false, uint16_t tci = 0) {
    auto r = run_burst(snap_.get(), port, {FrameSpec{f, meta, tci}}, counters_.data());
    return r.at(0);
  }
  void expect_drop(uint16_t port, const Bytes& f, DropReason want, bool meta = false,
                   uint16_t tci = 0) {
    Outcome o = run(port, f, meta, tci);
    EXPECT_EQ(o.verdict, Verdict::kDrop) << hex_dump(f);
    EXPECT_EQ(drop_reason_name(o.reason), drop_reason_name(want)) << hex_dump(f);
    EXPECT_EQ(o.out_port, kNoPort);
    EXPECT_EQ(o.out, f) << "a dropped frame is never modified";
  }
  // Forward: the frame leaves with only its MACs (and, for VPC, tag) changed.
  void expect_forward(uint16_t port, const Bytes& f, uint16_t out_port, const Bytes& want,
                      bool meta = false, uint16_t tci = 0) {
    Outcome o = run(port, f, meta, tci);
    EXPECT_EQ(o.verdict, Verdict::kForward) << drop_reason_name(o.reason) << "\n" << hex_dump(f);
    EXPECT_EQ(o.out_port, out_port);
    EXPECT_EQ(o.out, want) << "got\n" << hex_dump(o.out) << "\nwant\n" << hex_dump(want);
    EXPECT_FALSE(o.vlan_flags);
    EXPECT_TRUE(o.pkt_len_ok);
  }

  static Bytes with_macs(Bytes f, const char* src, const char* dst) {
    MacAddr s = mac(src), d = mac(dst);
    std::copy(d.b.begin(), d.b.end(), f.begin());
    std::copy(s.b.begin(), s.b.end(), f.begin() + 6);
    return f;
  }

  PortCounters& c(uint16_t port) { return counters_[port]; }
  uint64_t drops(uint16_t port, DropReason r) {
    return counters_[port].drops[static_cast<unsigned>(r)];
  }

  std::unique_ptr<Snapshot> snap_;
  std::vector<PortCounters> counters_;
};

// --- frames used again and again ---------------------------------------------

Bytes v4(const char* smac, const char* dmac, const char* sip, const char* dip) {
  return FrameBuilder()
      .eth(mac(dmac), mac(smac))
      .ipv4(ip4(sip), ip4(dip))
      .ttl(7)
      .udp(1000, 2000)
      .payload({1, 2, 3, 4})
      .pad()
      .build();
}
Bytes from_a0(const char* dip) {
  return v4(kA0Mac, kGatewayMac, kA0Ip, dip);
}
Bytes from_b0(const char* dip) {
  return v4(kB0Mac, kGatewayMac, kB0Ip, dip);
}
Bytes from_uplink(const char* sip, const char* dip) {
  return v4("02:00:00:00:aa:fe", kUplinkMac, sip, dip);
}
Bytes from_agent(const char* sip, const char* dip) {
  return v4(kAgentMac, kGatewayMac, sip, dip);
}
Bytes arp_req(const char* smac, const char* dmac, const char* sip, const char* tip) {
  return FrameBuilder()
      .eth(mac(dmac), mac(smac))
      .arp_request(mac(smac), ip4(sip), ip4(tip))
      .pad()
      .build();
}
Bytes v6(const char* smac, const char* dmac, const char* sip, const char* dip) {
  return FrameBuilder()
      .eth(mac(dmac), mac(smac))
      .ipv6(ip6(sip), ip6(dip))
      .udp(1000, 2000)
      .payload({9, 9})
      .build();
}
Bytes ns_frame(const char* smac, const char* sip, const char* target) {
  return FrameBuilder()
      .eth(mac("33:33:ff:00:00:12"), mac(smac))
      .ipv6(ip6(sip), ip6("ff02::1:ff00:12"))
      .hop_limit(255)
      .ns(ip6(target), mac(smac))
      .build();
}

// The exact ARP reply docs/rules.md specifies.
Bytes want_arp_reply(const char* answer, const char* req_mac, const char* req_ip,
                     const char* target_ip, std::optional<uint16_t> tci = std::nullopt) {
  FrameBuilder b;
  b.eth(mac(req_mac), mac(answer));
  if (tci) b.vlan(*tci);
  b.arp(2, mac(answer), ip4(target_ip), mac(req_mac), ip4(req_ip));
  return b.build();
}

Bytes want_na(const char* answer, const char* dst_mac, const char* ns_src, const char* target) {
  return FrameBuilder()
      .eth(mac(dst_mac), mac(answer))
      .ipv6(ip6(target), ip6(ns_src))
      .hop_limit(255)
      .na(ip6(target), 0x60000000u, mac(answer))
      .build();
}

// --- every port first (P0-P3) ------------------------------------------------

TEST_F(PipelineTest, P0NoPolicyDropsEverythingAndCounts) {
  std::vector<FrameSpec> fs(5, FrameSpec{from_a0(kA1Ip)});
  auto r = run_burst(nullptr, kVnicA0Port, fs, counters_.data());
  for (const Outcome& o : r) {
    EXPECT_EQ(o.verdict, Verdict::kDrop);
    EXPECT_EQ(o.reason, DropReason::no_policy);
    EXPECT_EQ(o.out_port, kNoPort);
  }
  EXPECT_EQ(c(kVnicA0Port).rx_frames, 5u);
  EXPECT_EQ(c(kVnicA0Port).rx_bytes, 5u * 60);
  EXPECT_EQ(drops(kVnicA0Port, DropReason::no_policy), 5u);
}

TEST_F(PipelineTest, P1TooLongAndMultiSegment) {
  Bytes max = FrameBuilder()
                  .eth(mac(kGatewayMac), mac(kA0Mac))
                  .ipv4(ip4(kA0Ip), ip4(kA1Ip))
                  .payload(Bytes(1480, 0xab))
                  .build();
  ASSERT_EQ(max.size(), 1514u);
  Bytes big = max;
  big.resize(1519, 0);  // mtu + 18 + 1
  expect_drop(kVnicA0Port, big, DropReason::too_long);
  Bytes edge = max;
  edge.resize(1518, 0);  // mtu + 18: padding after the IP packet, allowed
  EXPECT_EQ(run(kVnicA0Port, edge).verdict, Verdict::kForward);

  // Two segments: too_long however short.
  Bytes f = from_a0(kA1Ip);
  MbufPtr a = make_mbuf({Bytes(f.begin(), f.begin() + 30)});
  MbufPtr b = make_mbuf({Bytes(f.begin() + 30, f.end())});
  ASSERT_EQ(rte_pktmbuf_chain(a.get(), b.release()), 0);
  rte_mbuf* raw = a.get();
  dp::BurstActions act{};
  dp::process_burst(snap_.get(), kVnicA0Port, &raw, 1, act, counters_.data());
  EXPECT_EQ(act.verdict[0], Verdict::kDrop);
  EXPECT_EQ(act.reason[0], DropReason::too_long);
}

// The burst loop judges untagged single-segment IPv4 inline and sends every
// other frame through the general parse (pipeline.cc, is_plain_ipv4). A
// frame that looks plain in its bytes but carries two tags in mbuf metadata
// must still take the general path: QinQ on the uplink is unknown_vlan.
TEST_F(PipelineTest, QinQInMetadataIsNotAPlainIpv4Frame) {
  const Bytes f = from_uplink(kARemoteIp, kA0Ip);
  ASSERT_EQ(run(kUplinkPort, f).verdict, Verdict::kForward) << "the frame alone is allowed";
  // As a NIC reports it, and the QinQ flag alone (each flag must divert).
  for (uint64_t flags : {RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_QINQ |
                             RTE_MBUF_F_RX_QINQ_STRIPPED,
                         RTE_MBUF_F_RX_QINQ | RTE_MBUF_F_RX_QINQ_STRIPPED}) {
    MbufPtr m = make_mbuf({f});
    ASSERT_TRUE(m);
    m->ol_flags |= flags;
    m->vlan_tci = kVpcVlan;
    m->vlan_tci_outer = kVpcVlan;
    rte_mbuf* raw = m.get();
    dp::BurstActions act{};
    dp::process_burst(snap_.get(), kUplinkPort, &raw, 1, act, counters_.data());
    EXPECT_EQ(act.verdict[0], Verdict::kDrop) << std::hex << flags;
    EXPECT_EQ(act.reason[0], DropReason::unknown_vlan) << std::hex << flags;
  }
}

TEST_F(PipelineTest, P1UsesTheSnapshotMtu) {
  auto s = ctl::compile(standard_policy(), standard_ports(), ctl::CompileOptions{1, 100});
  ASSERT_TRUE(s.has_value());
  Bytes f = from_a0(kA1Ip);
  f.resize(119, 0);
  auto r = run_burst(s->get(), kVnicA0Port, {{f}}, counters_.data());
  EXPECT_EQ(r[0].reason, DropReason::too_long);
  f.resize(118);
  r = run_burst(s->get(), kVnicA0Port, {{f}}, counters_.data());
  EXPECT_EQ(r[0].verdict, Verdict::kForward);
}

TEST_F(PipelineTest, P2ShortFramesAreMalformedOnEveryPort) {
  for (uint16_t port : {kUplinkPort, kAgentPort, kVnicA0Port, kUnboundPort}) {
    for (std::size_t len : {0u, 1u, 13u}) {
      Bytes f = from_a0(kA1Ip);
      f.resize(len);
      expect_drop(port, f, DropReason::malformed);
    }
  }
}

TEST_F(PipelineTest, P3PortWithoutRole) {
  expect_drop(kUnboundPort, from_a0(kA1Ip), DropReason::no_vnic);
  expect_drop(100, from_a0(kA1Ip), DropReason::no_vnic);  // beyond the snapshot's ports
  EXPECT_EQ(drops(100, DropReason::no_vnic), 1u);
}

// --- container egress (E1-E13) -----------------------------------------------

TEST_F(PipelineTest, E1SpoofedSourceMacOrIp) {
  expect_drop(kVnicA0Port, v4(kA1Mac, kGatewayMac, kA0Ip, kA1Ip), DropReason::spoofed_src);
  expect_drop(kVnicA0Port, v4(kA0Mac, kGatewayMac, kA1Ip, kA1Ip), DropReason::spoofed_src);
  expect_drop(kVnicA0Port, v6(kA0Mac, kGatewayMac, kA1Ip6, kA1Ip6), DropReason::spoofed_src);
}

TEST_F(PipelineTest, E2TaggedFromVnicInlineOrMetadata) {
  Bytes tagged = FrameBuilder()
                     .eth(mac(kGatewayMac), mac(kA0Mac))
                     .vlan(5)
                     .ipv4(ip4(kA0Ip), ip4(kA1Ip))
                     .udp(1, 2)
                     .pad()
                     .build();
  expect_drop(kVnicA0Port, tagged, DropReason::vlan_from_vnic);
  Bytes ad = FrameBuilder()
                 .eth(mac(kGatewayMac), mac(kA0Mac))
                 .vlan(5, kTpid8021AD)
                 .ipv4(ip4(kA0Ip), ip4(kA1Ip))
                 .pad()
                 .build();
  expect_drop(kVnicA0Port, ad, DropReason::vlan_from_vnic);
  expect_drop(kVnicA0Port, from_a0(kA1Ip), DropReason::vlan_from_vnic, true, 5);
  expect_drop(kVnicA0Port, from_a0(kA1Ip), DropReason::vlan_from_vnic, true, 0);
}

TEST_F(PipelineTest, E3ProxyArpForPeersGatewayAndDefaultRoute) {
  struct Case {
    uint16_t port;
    const char* smac;
    const char* sip;
    const char* tip;
  };
  for (Case k : {Case{kVnicA0Port, kA0Mac, kA0Ip, kA1Ip},       // E3a local peer
                 Case{kVnicA0Port, kA0Mac, kA0Ip, kARemoteIp},  // E3a remote peer
                 Case{kVnicA0Port, kA0Mac, kA0Ip, kGatewayIp},  // E3b
                 Case{kVnicB0Port, kB0Mac, kB0Ip, "8.8.8.8"},   // E3c
                 Case{kVnicB0Port, kB0Mac, kB0Ip, kBRemoteIp}}) {
    Bytes req = arp_req(k.smac, "ff:ff:ff:ff:ff:ff", k.sip, k.tip);
    Outcome o = run(k.port, req);
    EXPECT_EQ(o.verdict, Verdict::kReply) << k.tip << " " << drop_reason_name(o.reason);
    EXPECT_EQ(o.out_port, k.port);
    Bytes want = want_arp_reply(kGatewayMac, k.smac, k.sip, k.tip);
    ASSERT_EQ(want.size(), 42u);
    EXPECT_EQ(o.out, want) << hex_dump(o.out);
    EXPECT_FALSE(o.vlan_flags);
  }
  EXPECT_EQ(c(kVnicA0Port).total_drops(), 0u);
}

TEST_F(PipelineTest, E4ArpThatIsNotAnswered) {
  const char* bc = "ff:ff:ff:ff:ff:ff";
  // Isolated job, non-peer target; another job's container; E8-forbidden targets.
  expect_drop(kVnicA0Port, arp_req(kA0Mac, bc, kA0Ip, "8.8.8.8"), DropReason::arp_denied);
  expect_drop(kVnicA0Port, arp_req(kA0Mac, bc, kA0Ip, kC0Ip), DropReason::arp_denied);
  expect_drop(kVnicB0Port, arp_req(kB0Mac, bc, kB0Ip, "169.254.169.254"), DropReason::arp_denied);
  expect_drop(kVnicB0Port, arp_req(kB0Mac, bc, kB0Ip, kA0Ip), DropReason::arp_denied);
  expect_drop(kVnicB0Port, arp_req(kB0Mac, bc, kB0Ip, kUplinkIp), DropReason::arp_denied);
  expect_drop(kVnicB0Port, arp_req(kB0Mac, bc, kB0Ip, kVpcAgentIp), DropReason::arp_denied);
  // E3c answers only what E8 would forward; E9 drops multicast before E8.
  expect_drop(kVnicB0Port, arp_req(kB0Mac, bc, kB0Ip, "239.255.255.250"), DropReason::arp_denied);
  // Gratuitous, probe, reply.
  expect_drop(kVnicA0Port, arp_req(kA0Mac, bc, kA0Ip, kA0Ip), DropReason::arp_denied);
  expect_drop(kVnicA0Port, arp_req(kA0Mac, bc, "0.0.0.0", kA1Ip), DropReason::arp_denied);
  Bytes reply = FrameBuilder()
                    .eth(mac(kGatewayMac), mac(kA0Mac))
                    .arp(2, mac(kA0Mac), ip4(kA0Ip), mac(kGatewayMac), ip4(kA1Ip))
                    .pad()
                    .build();
  expect_drop(kVnicA0Port, reply, DropReason::arp_denied);
  // Claims for someone else's IP or MAC.
  expect_drop(kVnicA0Port, arp_req(kA0Mac, bc, kA1Ip, kA1Ip), DropReason::spoofed_src);
  Bytes other_sha = FrameBuilder()
                        .eth(mac(bc), mac(kA0Mac))
                        .arp_request(mac(kA1Mac), ip4(kA0Ip), ip4(kA1Ip))
                        .pad()
                        .build();
  expect_drop(kVnicA0Port, other_sha, DropReason::spoofed_src);
  Bytes bad_hw = FrameBuilder()
                     .eth(mac(bc), mac(kA0Mac))
                     .arp_request(mac(kA0Mac), ip4(kA0Ip), ip4(kA1Ip))
                     .arp_hw(6, 0x0800, 6, 4)
                     .pad()
                     .build();
  expect_drop(kVnicA0Port, bad_hw, DropReason::malformed);
  Bytes short_arp = arp_req(kA0Mac, bc, kA0Ip, kA1Ip);
  short_arp.resize(41);
  expect_drop(kVnicA0Port, short_arp, DropReason::malformed);
}

TEST_F(PipelineTest, E5LocalPeerMacsRewrittenRestUnchanged) {
  Bytes f = from_a0(kA1Ip);
  Bytes want = with_macs(f, kGatewayMac, kA1Mac);
  expect_forward(kVnicA0Port, f, kVnicA1Port, want);
  ASSERT_TRUE(parse_ipv4(want).has_value());
  EXPECT_EQ(parse_ipv4(want)->ttl, 7) << "TTL is never decremented";
  EXPECT_TRUE(ipv4_checksum_ok(want));
  // Hairpin to itself.
  expect_forward(kVnicA0Port, from_a0(kA0Ip), kVnicA0Port,
                 with_macs(from_a0(kA0Ip), kGatewayMac, kA0Mac));
  // Ethernet padding (total length < frame) is kept byte for byte.
  Bytes padded = FrameBuilder()
                     .eth(mac(kGatewayMac), mac(kA0Mac))
                     .ipv4(ip4(kA0Ip), ip4(kA1Ip))
                     .pad(80)
                     .build();
  padded.back() = 0x5a;
  expect_forward(kVnicA0Port, padded, kVnicA1Port, with_macs(padded, kGatewayMac, kA1Mac));
}

TEST_F(PipelineTest, E6RemotePeerViaUplink) {
  Bytes f = from_a0(kARemoteIp);
  expect_forward(kVnicA0Port, f, kUplinkPort, with_macs(f, kUplinkMac, kNextHopMac));
}

TEST_F(PipelineTest, E7IsolatedJobReachesOnlyPeers) {
  for (const char* d : {"8.8.8.8", "169.254.169.254", "52.216.1.1", kC0Ip, kB0Ip, kUplinkIp,
                        kGatewayIp, kAgentServiceIp, kVpcAgentIp, "10.1.0.13"})
    expect_drop(kVnicA0Port, from_a0(d), DropReason::not_peer);
}

TEST_F(PipelineTest, E8NonIsolatedDefaultRouteAndItsExceptions) {
  Bytes f = from_b0("8.8.8.8");
  expect_forward(kVnicB0Port, f, kUplinkPort, with_macs(f, kUplinkMac, kNextHopMac));
  Bytes peer = from_b0(kBRemoteIp);
  expect_forward(kVnicB0Port, peer, kUplinkPort, with_macs(peer, kUplinkMac, kNextHopMac));
  for (const char* d :
       {"0.1.2.3", "127.0.0.1", "169.254.169.254", "169.254.1.1", "240.0.0.1", kUplinkIp,
        kAgentServiceIp, kVpcAgentIp, kA0Ip, kARemoteIp, kC0Ip, kCRemoteIp})
    expect_drop(kVnicB0Port, from_b0(d), DropReason::forbidden_dst);
}

TEST_F(PipelineTest, E9BroadcastAndMulticast) {
  expect_drop(kVnicA0Port, v4(kA0Mac, "ff:ff:ff:ff:ff:ff", kA0Ip, kA1Ip), DropReason::bcast_mcast);
  expect_drop(kVnicA0Port, v4(kA0Mac, "01:00:5e:00:00:01", kA0Ip, kA1Ip), DropReason::bcast_mcast);
  expect_drop(kVnicA0Port, from_a0("255.255.255.255"), DropReason::bcast_mcast);
  expect_drop(kVnicA0Port, from_a0("224.0.0.251"), DropReason::bcast_mcast);
  expect_drop(kVnicB0Port, from_b0("239.1.1.1"), DropReason::bcast_mcast);
  expect_drop(kVnicA0Port, v6(kA0Mac, "33:33:00:00:00:01", kA0Ip6, kA1Ip6),
              DropReason::bcast_mcast);
  expect_drop(kVnicA0Port, v6(kA0Mac, kGatewayMac, kA0Ip6, "ff02::1"), DropReason::bcast_mcast);
}

TEST_F(PipelineTest, E10Ipv6) {
  expect_drop(kVnicC0Port, v6(kC0Mac, kGatewayMac, "fd00:3::7", "fd00:3::9"),
              DropReason::ipv6_disabled);
  Bytes trunc = v6(kC0Mac, kGatewayMac, "fd00:3::7", "fd00:3::9");
  trunc.resize(20);
  expect_drop(kVnicC0Port, trunc, DropReason::ipv6_disabled);  // before any parsing

  Bytes f = v6(kA0Mac, kGatewayMac, kA0Ip6, kA1Ip6);
  expect_forward(kVnicA0Port, f, kVnicA1Port, with_macs(f, kGatewayMac, kA1Mac));
  Bytes r = v6(kA0Mac, kGatewayMac, kA0Ip6, kARemoteIp6);
  expect_forward(kVnicA0Port, r, kUplinkPort, with_macs(r, kUplinkMac, kNextHopMac));
  expect_drop(kVnicA0Port, v6(kA0Mac, kGatewayMac, kA0Ip6, "2001:db8::1"), DropReason::not_peer);

  // Proxy ND for a peer, from the vNIC's address or its link-local one.
  for (const char* src : {kA0Ip6, "fe80::11"}) {
    Bytes ns = ns_frame(kA0Mac, src, kA1Ip6);
    Outcome o = run(kVnicA0Port, ns);
    EXPECT_EQ(o.verdict, Verdict::kReply) << drop_reason_name(o.reason);
    EXPECT_EQ(o.out_port, kVnicA0Port);
    Bytes want = want_na(kGatewayMac, kA0Mac, src, kA1Ip6);
    ASSERT_EQ(want.size(), 86u);
    EXPECT_EQ(o.out, want) << hex_dump(o.out) << "\nwant\n" << hex_dump(want);
    EXPECT_TRUE(icmpv6_checksum_ok(o.out));
  }
  expect_drop(kVnicA0Port, ns_frame(kA0Mac, kA0Ip6, "2001:db8::1"), DropReason::nd_denied);
  expect_drop(kVnicA0Port, ns_frame(kA0Mac, "::", kA1Ip6), DropReason::nd_denied);
  expect_drop(kVnicA0Port, ns_frame(kA0Mac, kA1Ip6, kA1Ip6), DropReason::spoofed_src);
  Bytes ns_short = ns_frame(kA0Mac, kA0Ip6, kA1Ip6);
  ns_short = FrameBuilder()
                 .eth(mac(kGatewayMac), mac(kA0Mac))
                 .ipv6(ip6(kA0Ip6), ip6(kA1Ip6))
                 .icmpv6(135, 0, Bytes(8, 0))
                 .build();  // 12 ICMPv6 bytes
  expect_drop(kVnicA0Port, ns_short, DropReason::malformed);
  Bytes rs = FrameBuilder()
                 .eth(mac("33:33:00:00:00:02"), mac(kA0Mac))
                 .ipv6(ip6(kA0Ip6), ip6("ff02::2"))
                 .rs()
                 .build();
  expect_drop(kVnicA0Port, rs, DropReason::nd_denied);
  Bytes ra = FrameBuilder()
                 .eth(mac("33:33:00:00:00:01"), mac(kA0Mac))
                 .ipv6(ip6("fe80::11"), ip6("ff02::1"))
                 .ra()
                 .build();
  expect_drop(kVnicA0Port, ra, DropReason::nd_denied);
  Bytes bad_version = FrameBuilder()
                          .eth(mac(kGatewayMac), mac(kA0Mac))
                          .ipv6(ip6(kA0Ip6), ip6(kA1Ip6))
                          .ip_version(4)
                          .udp(1, 2)
                          .build();
  expect_drop(kVnicA0Port, bad_version, DropReason::malformed);
  Bytes bad_plen = FrameBuilder()
                       .eth(mac(kGatewayMac), mac(kA0Mac))
                       .ipv6(ip6(kA0Ip6), ip6(kA1Ip6))
                       .payload_length(100)
                       .udp(1, 2)
                       .build();
  expect_drop(kVnicA0Port, bad_plen, DropReason::malformed);
}

TEST_F(PipelineTest, E11OtherEthertypes) {
  for (uint16_t t : {0x88cc, 0x888e, 0x0600, 0x05dc, 0x0000, 0x8847}) {
    Bytes f = FrameBuilder()
                  .eth(mac(kGatewayMac), mac(kA0Mac))
                  .ethertype(t)
                  .payload(Bytes(46, 0))
                  .build();
    expect_drop(kVnicA0Port, f, DropReason::unsupported);
  }
}

TEST_F(PipelineTest, E12MalformedIpv4) {
  auto base = [] {
    FrameBuilder b;
    b.eth(mac(kGatewayMac), mac(kA0Mac)).ipv4(ip4(kA0Ip), ip4(kA1Ip)).udp(1, 2);
    return b;
  };
  expect_drop(kVnicA0Port, base().ihl(4).build(), DropReason::malformed);
  expect_drop(kVnicA0Port, base().ip_version(5).build(), DropReason::malformed);
  expect_drop(kVnicA0Port, base().total_length(200).build(), DropReason::malformed);
  expect_drop(kVnicA0Port, base().total_length(19).build(), DropReason::malformed);
  expect_drop(kVnicA0Port, base().ihl(15).build(), DropReason::malformed);  // IHL*4 > total
  for (std::size_t n = 14; n < 34; ++n) {
    Bytes f = base().build();
    f.resize(n);
    expect_drop(kVnicA0Port, f, DropReason::malformed);
  }
  // Options are fine; the checksum is not verified (the header leaves as is).
  Bytes opts = base().ip_options({1, 1, 1, 0}).build();
  expect_forward(kVnicA0Port, opts, kVnicA1Port, with_macs(opts, kGatewayMac, kA1Mac));
  Bytes badsum = base().ip_checksum(0xdead).build();
  expect_forward(kVnicA0Port, badsum, kVnicA1Port, with_macs(badsum, kGatewayMac, kA1Mac));
}

TEST_F(PipelineTest, E13FragmentsJudgedByAddresses) {
  for (uint16_t frag : {0x2000, 0x2010, 0x0010}) {
    Bytes f = FrameBuilder()
                  .eth(mac(kGatewayMac), mac(kA0Mac))
                  .ipv4(ip4(kA0Ip), ip4(kA1Ip))
                  .frag(frag)
                  .ip_proto(17)
                  .payload({1, 2})
                  .pad()
                  .build();
    expect_forward(kVnicA0Port, f, kVnicA1Port, with_macs(f, kGatewayMac, kA1Mac));
    Bytes g = FrameBuilder()
                  .eth(mac(kGatewayMac), mac(kA0Mac))
                  .ipv4(ip4(kA0Ip), ip4("8.8.8.8"))
                  .frag(frag)
                  .ip_proto(17)
                  .payload({1, 2})
                  .pad()
                  .build();
    expect_drop(kVnicA0Port, g, DropReason::not_peer);
  }
}

// --- uplink ingress (U1-U5) --------------------------------------------------

TEST_F(PipelineTest, U1PeersReachIsolatedContainers) {
  Bytes f = from_uplink(kARemoteIp, kA0Ip);
  expect_forward(kUplinkPort, f, kVnicA0Port, with_macs(f, kGatewayMac, kA0Mac));
  expect_drop(kUplinkPort, from_uplink("8.8.8.8", kA0Ip), DropReason::not_peer_inbound);
  expect_drop(kUplinkPort, from_uplink(kCRemoteIp, kA0Ip), DropReason::not_peer_inbound);
  Bytes g = v6("02:00:00:00:aa:fe", kUplinkMac, kARemoteIp6, kA1Ip6);
  expect_forward(kUplinkPort, g, kVnicA1Port, with_macs(g, kGatewayMac, kA1Mac));
  expect_drop(kUplinkPort, v6("02:00:00:00:aa:fe", kUplinkMac, "2001:db8::1", kA1Ip6),
              DropReason::not_peer_inbound);
}

TEST_F(PipelineTest, U2AnySourceReachesNonIsolatedContainers) {
  Bytes f = from_uplink("8.8.8.8", kB0Ip);
  expect_forward(kUplinkPort, f, kVnicB0Port, with_macs(f, kGatewayMac, kB0Mac));
}

TEST_F(PipelineTest, U3VpcVlanToAgentTagRemovedInlineOrMetadata) {
  Bytes tagged = FrameBuilder()
                     .eth(mac(kUplinkMac), mac(kVpcGatewayMac))
                     .vlan(kVpcVlan)
                     .ipv4(ip4("52.217.3.4"), ip4(kVpcAgentIp))
                     .tcp(443, 40000)
                     .pad()
                     .build();
  Bytes untagged = FrameBuilder()
                       .eth(mac(kUplinkMac), mac(kVpcGatewayMac))
                       .ipv4(ip4("52.217.3.4"), ip4(kVpcAgentIp))
                       .tcp(443, 40000)
                       .pad(56)
                       .build();
  ASSERT_EQ(tagged.size(), 60u);
  ASSERT_EQ(untagged.size(), 56u);
  Bytes want = with_macs(untagged, kGatewayMac, kAgentMac);
  expect_forward(kUplinkPort, tagged, kAgentPort, want);
  // The same frame with the tag in metadata (PCP bits set: the VID decides).
  expect_forward(kUplinkPort, untagged, kAgentPort, want, true, 0x2000 | kVpcVlan);
  // Not from the job's prefixes.
  Bytes other = FrameBuilder()
                    .eth(mac(kUplinkMac), mac(kVpcGatewayMac))
                    .vlan(kVpcVlan)
                    .ipv4(ip4("8.8.8.8"), ip4(kVpcAgentIp))
                    .pad()
                    .build();
  expect_drop(kUplinkPort, other, DropReason::not_peer_inbound);
  // To a container over the VLAN: no route.
  Bytes to_c = FrameBuilder()
                   .eth(mac(kUplinkMac), mac(kVpcGatewayMac))
                   .vlan(kVpcVlan)
                   .ipv4(ip4("52.217.3.4"), ip4(kA0Ip))
                   .pad()
                   .build();
  expect_drop(kUplinkPort, to_c, DropReason::no_route);
  // Unknown VLAN, VLAN 0, QinQ (inline+inline and metadata+inline).
  for (uint16_t vid : {0, 102, 4095}) {
    Bytes u = FrameBuilder()
                  .eth(mac(kUplinkMac), mac(kVpcGatewayMac))
                  .vlan(vid)
                  .ipv4(ip4("52.217.3.4"), ip4(kVpcAgentIp))
                  .pad()
                  .build();
    expect_drop(kUplinkPort, u, DropReason::unknown_vlan);
    expect_drop(kUplinkPort, untagged, DropReason::unknown_vlan, true, vid);
  }
  Bytes qinq = FrameBuilder()
                   .eth(mac(kUplinkMac), mac(kVpcGatewayMac))
                   .vlan(kVpcVlan, kTpid8021AD)
                   .vlan(kVpcVlan)
                   .ipv4(ip4("52.217.3.4"), ip4(kVpcAgentIp))
                   .pad()
                   .build();
  expect_drop(kUplinkPort, qinq, DropReason::unknown_vlan);
  expect_drop(kUplinkPort, tagged, DropReason::unknown_vlan, true, kVpcVlan);
  // Tagged IPv6 / other: unsupported. Cut inline tag: malformed.
  Bytes t6 = FrameBuilder()
                 .eth(mac(kUplinkMac), mac(kVpcGatewayMac))
                 .vlan(kVpcVlan)
                 .ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"))
                 .build();
  expect_drop(kUplinkPort, t6, DropReason::unsupported);
  Bytes cut = tagged;
  cut.resize(17);
  expect_drop(kUplinkPort, cut, DropReason::malformed);
}

TEST_F(PipelineTest, U3bAgentServiceReturnPath) {
  Bytes f = from_uplink("52.216.1.1", kAgentServiceIp);
  expect_forward(kUplinkPort, f, kAgentPort, with_macs(f, kGatewayMac, kAgentMac));
  expect_drop(kUplinkPort, from_uplink(kARemoteIp, kAgentServiceIp), DropReason::not_peer_inbound);
}

TEST_F(PipelineTest, U4ArpAndNdAnsweredWithUplinkMac) {
  const char* peer_mac = "02:00:00:00:aa:fe";
  for (const char* t : {kA0Ip, kB0Ip, kAgentServiceIp}) {
    Bytes req = arp_req(peer_mac, "ff:ff:ff:ff:ff:ff", "192.0.2.1", t);
    Outcome o = run(kUplinkPort, req);
    EXPECT_EQ(o.verdict, Verdict::kReply) << t;
    EXPECT_EQ(o.out_port, kUplinkPort);
    EXPECT_EQ(o.out, want_arp_reply(kUplinkMac, peer_mac, "192.0.2.1", t)) << hex_dump(o.out);
  }
  for (const char* t : {kARemoteIp, kUplinkIp, kVpcAgentIp, "8.8.8.8"})
    expect_drop(kUplinkPort, arp_req(peer_mac, "ff:ff:ff:ff:ff:ff", "192.0.2.1", t),
                DropReason::arp_denied);

  // Tagged request for the VPC agent address: the reply keeps the tag (inline),
  // whether the request's tag was inline or in metadata.
  const uint16_t tci = 0x6000 | kVpcVlan;
  Bytes treq = FrameBuilder()
                   .eth(mac("ff:ff:ff:ff:ff:ff"), mac(kVpcGatewayMac))
                   .vlan(tci)
                   .arp_request(mac(kVpcGatewayMac), ip4("172.31.5.1"), ip4(kVpcAgentIp))
                   .pad()
                   .build();
  Bytes want = want_arp_reply(kUplinkMac, kVpcGatewayMac, "172.31.5.1", kVpcAgentIp, tci);
  ASSERT_EQ(want.size(), 46u);
  Outcome o = run(kUplinkPort, treq);
  EXPECT_EQ(o.verdict, Verdict::kReply);
  EXPECT_EQ(o.out, want) << hex_dump(o.out);
  Bytes mreq = arp_req(kVpcGatewayMac, "ff:ff:ff:ff:ff:ff", "172.31.5.1", kVpcAgentIp);
  mreq.resize(42);  // unpadded: the reply has to grow by the tag
  o = run(kUplinkPort, mreq, true, tci);
  EXPECT_EQ(o.verdict, Verdict::kReply);
  EXPECT_EQ(o.out, want) << hex_dump(o.out);
  EXPECT_FALSE(o.vlan_flags);
  EXPECT_TRUE(o.pkt_len_ok);
  Bytes tother = FrameBuilder()
                     .eth(mac("ff:ff:ff:ff:ff:ff"), mac(kVpcGatewayMac))
                     .vlan(tci)
                     .arp_request(mac(kVpcGatewayMac), ip4("172.31.5.1"), ip4(kA0Ip))
                     .build();
  expect_drop(kUplinkPort, tother, DropReason::arp_denied);

  Bytes ns = ns_frame(peer_mac, "fe80::1", kA0Ip6);
  o = run(kUplinkPort, ns);
  EXPECT_EQ(o.verdict, Verdict::kReply) << drop_reason_name(o.reason);
  EXPECT_EQ(o.out, want_na(kUplinkMac, peer_mac, "fe80::1", kA0Ip6)) << hex_dump(o.out);
  EXPECT_TRUE(icmpv6_checksum_ok(o.out));
  expect_drop(kUplinkPort, ns_frame(peer_mac, "::", kA0Ip6), DropReason::nd_denied);
  // An NS shorter than 24 ICMPv6 bytes fails the header checks, so it is not
  // "an NS" for the multicast filter; unicast, it is malformed.
  Bytes short_ns = FrameBuilder()
                       .eth(mac("33:33:ff:00:00:11"), mac(peer_mac))
                       .ipv6(ip6("fe80::1"), ip6("ff02::1:ff00:11"))
                       .icmpv6(135, 0, Bytes(8, 0))
                       .build();
  expect_drop(kUplinkPort, short_ns, DropReason::bcast_mcast);
  const MacAddr up = mac(kUplinkMac);
  Bytes short_ns_uni = short_ns;
  std::copy(up.b.begin(), up.b.end(), short_ns_uni.begin());
  expect_drop(kUplinkPort, short_ns_uni, DropReason::malformed);
  expect_drop(kUplinkPort, ns_frame(peer_mac, "fe80::1", kARemoteIp6), DropReason::nd_denied);
}

TEST_F(PipelineTest, U5EverythingElse) {
  expect_drop(kUplinkPort, v4("02:00:00:00:aa:fe", "02:00:00:00:99:99", kARemoteIp, kA0Ip),
              DropReason::not_for_us);
  expect_drop(kUplinkPort, v4("02:00:00:00:aa:fe", "ff:ff:ff:ff:ff:ff", kARemoteIp, kA0Ip),
              DropReason::bcast_mcast);
  expect_drop(kUplinkPort, from_uplink(kA1Ip, kA0Ip), DropReason::spoofed_src);
  expect_drop(kUplinkPort, from_uplink("8.8.8.8", kARemoteIp), DropReason::no_route);
  expect_drop(kUplinkPort, from_uplink("8.8.8.8", kUplinkIp), DropReason::no_route);
  expect_drop(kUplinkPort, from_uplink("52.216.1.1", kVpcAgentIp), DropReason::no_route);
  expect_drop(kUplinkPort, v6("02:00:00:00:aa:fe", kUplinkMac, kA1Ip6, kA0Ip6),
              DropReason::spoofed_src);
  expect_drop(kUplinkPort, v6("02:00:00:00:aa:fe", kUplinkMac, kARemoteIp6, "ff02::1"),
              DropReason::bcast_mcast);
  expect_drop(kUplinkPort, v6("02:00:00:00:aa:fe", kUplinkMac, kARemoteIp6, "2001:db8::5"),
              DropReason::no_route);
  Bytes lldp = FrameBuilder()
                   .eth(mac(kUplinkMac), mac("02:00:00:00:aa:fe"))
                   .ethertype(0x88cc)
                   .payload(Bytes(46, 0))
                   .build();
  expect_drop(kUplinkPort, lldp, DropReason::unsupported);
}

// --- transfer agent (A1-A5) --------------------------------------------------

TEST_F(PipelineTest, A1VpcEgressTaggedToVpcGateway) {
  Bytes f = from_agent(kVpcAgentIp, "52.216.7.7");
  Bytes want = FrameBuilder()
                   .eth(mac(kVpcGatewayMac), mac(kUplinkMac))
                   .vlan(kVpcVlan)
                   .ipv4(ip4(kVpcAgentIp), ip4("52.216.7.7"))
                   .ttl(7)
                   .udp(1000, 2000)
                   .payload({1, 2, 3, 4})
                   .pad()
                   .build();
  want.resize(64);  // the 60-byte frame plus the tag, padding kept
  Bytes expect = with_macs(f, kUplinkMac, kVpcGatewayMac);
  expect.insert(expect.begin() + 12, {0x81, 0x00, 0x00, kVpcVlan});
  ASSERT_EQ(Bytes(want.begin(), want.begin() + 18), Bytes(expect.begin(), expect.begin() + 18));
  expect_forward(kAgentPort, f, kUplinkPort, expect);
  Bytes g = from_agent(kVpcAgentIp, "3.5.200.1");
  Bytes expect_g = with_macs(g, kUplinkMac, kVpcGatewayMac);
  expect_g.insert(expect_g.begin() + 12, {0x81, 0x00, 0x00, kVpcVlan});
  expect_forward(kAgentPort, g, kUplinkPort, expect_g);
}

TEST_F(PipelineTest, A2ServiceAddressDefaultRoute) {
  Bytes f = from_agent(kAgentServiceIp, "52.216.7.7");
  expect_forward(kAgentPort, f, kUplinkPort, with_macs(f, kUplinkMac, kNextHopMac));
}

TEST_F(PipelineTest, A3A4AgentDrops) {
  for (const char* d : {kA0Ip, kARemoteIp, kB0Ip})
    expect_drop(kAgentPort, from_agent(kAgentServiceIp, d), DropReason::agent_to_container);
  expect_drop(kAgentPort, from_agent(kVpcAgentIp, kA0Ip), DropReason::agent_to_container);
  expect_drop(kAgentPort, from_agent(kVpcAgentIp, "8.8.8.8"), DropReason::no_route);
  expect_drop(kAgentPort, from_agent("192.0.2.99", "8.8.8.8"), DropReason::no_route);
  expect_drop(kAgentPort, v4(kA0Mac, kGatewayMac, kAgentServiceIp, "8.8.8.8"),
              DropReason::spoofed_src);
  expect_drop(kAgentPort, from_agent(kAgentServiceIp, "8.8.8.8"), DropReason::vlan_from_vnic, true,
              kVpcVlan);
  expect_drop(kAgentPort, from_agent(kAgentServiceIp, "255.255.255.255"), DropReason::bcast_mcast);
  expect_drop(kAgentPort, v6(kAgentMac, kGatewayMac, "fd00::1", "fd00::2"),
              DropReason::ipv6_disabled);
  Bytes lldp = FrameBuilder()
                   .eth(mac(kGatewayMac), mac(kAgentMac))
                   .ethertype(0x88cc)
                   .payload(Bytes(46, 0))
                   .build();
  expect_drop(kAgentPort, lldp, DropReason::unsupported);
}

TEST_F(PipelineTest, A5AgentArp) {
  const char* bc = "ff:ff:ff:ff:ff:ff";
  for (auto [sip, tip] :
       {std::pair{kVpcAgentIp, "52.216.0.1"}, std::pair{kVpcAgentIp, "3.5.0.9"},
        std::pair{kAgentServiceIp, "8.8.8.8"}, std::pair{kAgentServiceIp, "192.0.2.1"}}) {
    Outcome o = run(kAgentPort, arp_req(kAgentMac, bc, sip, tip));
    EXPECT_EQ(o.verdict, Verdict::kReply) << sip << "->" << tip;
    EXPECT_EQ(o.out, want_arp_reply(kGatewayMac, kAgentMac, sip, tip)) << hex_dump(o.out);
  }
  expect_drop(kAgentPort, arp_req(kAgentMac, bc, kVpcAgentIp, "8.8.8.8"), DropReason::arp_denied);
  expect_drop(kAgentPort, arp_req(kAgentMac, bc, kAgentServiceIp, kA0Ip), DropReason::arp_denied);
  expect_drop(kAgentPort, arp_req(kAgentMac, bc, "192.0.2.99", "8.8.8.8"), DropReason::spoofed_src);
  Bytes other_sha = FrameBuilder()
                        .eth(mac(bc), mac(kAgentMac))
                        .arp_request(mac(kA0Mac), ip4(kAgentServiceIp), ip4("8.8.8.8"))
                        .build();
  expect_drop(kAgentPort, other_sha, DropReason::spoofed_src);
}

// --- bursts and counters -----------------------------------------------------

struct Expect {
  FrameSpec frame;
  Verdict verdict;
  DropReason reason;
  uint16_t out_port;
};

TEST_F(PipelineTest, MixedBurstsOfEverySizeMatchSingleFrameResults) {
  std::vector<FrameSpec> pool = {
      {from_a0(kA1Ip)},
      {from_a0("8.8.8.8")},
      {from_a0(kARemoteIp)},
      {arp_req(kA0Mac, "ff:ff:ff:ff:ff:ff", kA0Ip, kA1Ip)},
      {ns_frame(kA0Mac, kA0Ip6, kA1Ip6)},
      {v6(kA0Mac, kGatewayMac, kA0Ip6, kA1Ip6)},
      {Bytes(10, 0)},
      {from_a0(kA1Ip), true, 7},
      {v4(kA1Mac, kGatewayMac, kA0Ip, kA1Ip)},
  };
  // Reference: every frame alone.
  std::vector<Outcome> single;
  for (const FrameSpec& f : pool)
    single.push_back(run_burst(snap_.get(), kVnicA0Port, {f}, nullptr)[0]);

  for (uint16_t n = 1; n <= kMaxBurst; ++n) {
    counters_.assign(kCounterSlots, PortCounters{});
    std::vector<FrameSpec> burst;
    std::vector<std::size_t> which;
    for (uint16_t i = 0; i < n; ++i) {
      std::size_t k = (i * 7u + n) % pool.size();
      burst.push_back(pool[k]);
      which.push_back(k);
    }
    auto r = run_burst(snap_.get(), kVnicA0Port, burst, counters_.data());
    uint64_t dropped = 0, bytes = 0;
    for (uint16_t i = 0; i < n; ++i) {
      const Outcome& want = single[which[i]];
      EXPECT_EQ(r[i].verdict, want.verdict) << "n=" << n << " i=" << i;
      EXPECT_EQ(r[i].out_port, want.out_port) << "n=" << n << " i=" << i;
      EXPECT_EQ(r[i].out, want.out) << "n=" << n << " i=" << i;
      if (want.verdict == Verdict::kDrop) {
        EXPECT_EQ(r[i].reason, want.reason);
        ++dropped;
      }
      bytes += burst[i].bytes.size();
    }
    EXPECT_EQ(c(kVnicA0Port).rx_frames, n);
    EXPECT_EQ(c(kVnicA0Port).rx_bytes, bytes);
    EXPECT_EQ(c(kVnicA0Port).total_drops(), dropped);
    EXPECT_EQ(c(kVnicA1Port).rx_frames, 0u) << "only the ingress port counts";
  }
}

TEST_F(PipelineTest, CountersPerReason) {
  std::vector<FrameSpec> b = {{from_a0(kA1Ip)},       {from_a0("8.8.8.8")},
                              {from_a0("8.8.4.4")},   {v4(kA1Mac, kGatewayMac, kA0Ip, kA1Ip)},
                              {from_a0("224.0.0.1")}, {Bytes(5, 1)}};
  run_burst(snap_.get(), kVnicA0Port, b, counters_.data());
  EXPECT_EQ(c(kVnicA0Port).rx_frames, 6u);
  EXPECT_EQ(drops(kVnicA0Port, DropReason::not_peer), 2u);
  EXPECT_EQ(drops(kVnicA0Port, DropReason::spoofed_src), 1u);
  EXPECT_EQ(drops(kVnicA0Port, DropReason::bcast_mcast), 1u);
  EXPECT_EQ(drops(kVnicA0Port, DropReason::malformed), 1u);
  EXPECT_EQ(c(kVnicA0Port).total_drops(), 5u);
  EXPECT_EQ(c(kVnicA0Port).tx_frames, 0u) << "the caller counts tx";
  // A null counters array is allowed (benchmarks, explain comparisons).
  auto r = run_burst(snap_.get(), kVnicA0Port, b, nullptr);
  EXPECT_EQ(r[0].verdict, Verdict::kForward);
}

TEST_F(PipelineTest, NewSnapshotAppliesToTheNextBurst) {
  PolicyDoc d = standard_policy();
  d.jobs[0].isolated = false;  // train-a may now use the default route
  auto s2 = ctl::compile(d, standard_ports(), ctl::CompileOptions{8, 1500});
  ASSERT_TRUE(s2.has_value()) << s2.error().message;
  expect_drop(kVnicA0Port, from_a0("8.8.8.8"), DropReason::not_peer);
  auto r = run_burst(s2->get(), kVnicA0Port, {{from_a0("8.8.8.8")}}, counters_.data());
  EXPECT_EQ(r[0].verdict, Verdict::kForward);
  EXPECT_EQ(r[0].out_port, kUplinkPort);
}

}  // namespace
}  // namespace isoswitch::test
