// The scalar reference, rule by rule (docs/rules.md), on exact frames against
// the standard policy. Every forward/reply asserts the whole output frame, so
// a wrong MAC, tag or a touched IP header byte fails here.
#include "control/explain/explain.h"

#include <gtest/gtest.h>

#include <string>

#include "control/explain/frame_from_query.h"
#include "tests/support/frame_builder.h"
#include "tests/support/test_policy.h"

namespace isoswitch::test {
namespace {

using ctl::Explanation;
using ctl::FrameIn;
using namespace std_addr;

const PolicyDoc& doc() {
  static const PolicyDoc d = standard_policy();
  return d;
}
const PortTable& ports() {
  static const PortTable p = standard_ports();
  return p;
}

Explanation judge(uint16_t port, const Bytes& f, bool meta = false, uint16_t tci = 0,
                  uint16_t mtu = 1500, const PolicyDoc* d = nullptr) {
  // A copy of exactly f.size() bytes on the heap, so ASan sees any over-read.
  auto* buf = new uint8_t[f.empty() ? 1 : f.size()];
  std::copy(f.begin(), f.end(), buf);
  FrameIn in{port, buf, f.size(), meta, tci};
  Explanation e = ctl::explain(d ? *d : doc(), ports(), in, mtu);
  delete[] buf;
  return e;
}

std::string show(const Explanation& e) {
  return std::string(verdict_name(e.verdict)) + " " + std::string(drop_reason_name(e.reason)) +
         " rule=" + e.rule + " port=" + std::to_string(e.out_port) + " : " + e.detail;
}

testing::AssertionResult is_drop(const Explanation& e, DropReason why, const std::string& rule) {
  if (e.verdict != Verdict::kDrop || e.reason != why || e.rule != rule || e.out_port != kNoPort ||
      !e.out_frame.empty() || e.detail.empty())
    return testing::AssertionFailure()
           << "want drop " << drop_reason_name(why) << " rule=" << rule << "\n got " << show(e);
  return testing::AssertionSuccess();
}

testing::AssertionResult is_forward(const Explanation& e, uint16_t port, const std::string& rule,
                                    const Bytes& bytes) {
  if (e.verdict != Verdict::kForward || e.out_port != port || e.rule != rule || e.detail.empty())
    return testing::AssertionFailure()
           << "want forward to " << port << " rule=" << rule << "\n got " << show(e);
  if (e.out_frame != bytes)
    return testing::AssertionFailure() << "bytes differ; got\n"
                                       << hex_dump(e.out_frame) << "\nwant\n"
                                       << hex_dump(bytes);
  return testing::AssertionSuccess();
}

#define EXPECT_DROP(e, why, id) EXPECT_TRUE(is_drop((e), DropReason::why, (id)))
#define EXPECT_FORWARD(e, port, id, bytes) EXPECT_TRUE(is_forward((e), (port), (id), (bytes)))

MacAddr M(const char* s) {
  return mac(s);
}
Ipv4Addr I(const char* s) {
  return ip4(s);
}
Ipv6Addr I6(const char* s) {
  return ip6(s);
}

// A UDP datagram from vNIC a-0 (correct MAC/IP) to `dst`.
FrameBuilder from_a0(const char* dst) {
  FrameBuilder b;
  b.eth(M(kGatewayMac), M(kA0Mac))
      .ipv4(I(kA0Ip), I(dst))
      .ttl(9)
      .ip_id(77)
      .udp(40000, 5000)
      .payload({1, 2, 3, 4});
  return b;
}
FrameBuilder from_b0(const char* dst) {
  FrameBuilder b;
  b.eth(M(kGatewayMac), M(kB0Mac)).ipv4(I(kB0Ip), I(dst)).udp(40000, 443).payload({5, 6});
  return b;
}
FrameBuilder from_uplink(const char* src, const char* dst) {
  FrameBuilder b;
  b.eth(M(kUplinkMac), M(kNextHopMac)).ipv4(I(src), I(dst)).ttl(3).tcp(443, 50000).payload({9, 9});
  return b;
}
FrameBuilder from_agent(const char* src, const char* dst) {
  FrameBuilder b;
  b.eth(M(kGatewayMac), M(kAgentMac)).ipv4(I(src), I(dst)).tcp(50000, 443).payload({7});
  return b;
}
FrameBuilder v6_from_a0(const char* dst) {
  FrameBuilder b;
  b.eth(M(kGatewayMac), M(kA0Mac)).ipv6(I6(kA0Ip6), I6(dst)).hop_limit(5).udp(1, 2).payload({1});
  return b;
}
FrameBuilder ns_from_a0(const char* src, const char* target) {
  FrameBuilder b;
  b.eth(M("33:33:ff:00:00:12"), M(kA0Mac))
      .ipv6(I6(src), I6("ff02::1:ff00:12"))
      .hop_limit(255)
      .ns(I6(target), M(kA0Mac));
  return b;
}

// The same bytes with Ethernet dst/src replaced.
Bytes rewritten(Bytes f, const char* dst, const char* src) {
  MacAddr d = M(dst), s = M(src);
  std::copy(d.b.begin(), d.b.end(), f.begin());
  std::copy(s.b.begin(), s.b.end(), f.begin() + 6);
  return f;
}

// ---- P0-P3 -------------------------------------------------------------------

TEST(ExplainPort, P0NoPolicyDropsEverything) {
  PolicyDoc empty;
  Bytes f = from_a0(kA1Ip).build();
  EXPECT_DROP(judge(kVnicA0Port, f, false, 0, 1500, &empty), no_policy, "P0");
  EXPECT_DROP(judge(kUplinkPort, Bytes{}, false, 0, 1500, &empty), no_policy, "P0");
}

TEST(ExplainPort, P1TooLongAtMtuPlus18) {
  // 1518 bytes = MTU 1500 + 14 Ethernet + 4 tag: the longest allowed.
  Bytes ok = from_a0(kA1Ip).payload(Bytes(1518 - 14 - 20 - 8, 0xab)).build();
  ASSERT_EQ(ok.size(), 1518u);
  EXPECT_EQ(judge(kVnicA0Port, ok).verdict, Verdict::kForward);
  Bytes big = from_a0(kA1Ip).payload(Bytes(1519 - 14 - 20 - 8, 0xab)).build();
  EXPECT_DROP(judge(kVnicA0Port, big), too_long, "P1");
  EXPECT_DROP(judge(kUplinkPort, big), too_long, "P1");
  // A larger MTU admits it.
  EXPECT_EQ(judge(kVnicA0Port, big, false, 0, 9000).verdict, Verdict::kForward);
  // P1 comes before P3: even an unbound port counts too_long.
  EXPECT_DROP(judge(kUnboundPort, big), too_long, "P1");
}

TEST(ExplainPort, P2ShorterThanEthernet) {
  Bytes f = from_a0(kA1Ip).build();
  for (std::size_t n = 0; n < 14; ++n) {
    Bytes t(f.begin(), f.begin() + static_cast<long>(n));
    EXPECT_DROP(judge(kVnicA0Port, t), malformed, "P2");
    EXPECT_DROP(judge(kUplinkPort, t), malformed, "P2");
  }
  // A null pointer is an empty frame, never a read.
  FrameIn in{kVnicA0Port, nullptr, 100, false, 0};
  EXPECT_DROP(ctl::explain(doc(), ports(), in), malformed, "P2");
}

TEST(ExplainPort, P2InlineTagNeeds18Bytes) {
  Bytes f = FrameBuilder().eth(M(kUplinkMac), M(kNextHopMac)).vlan(101).truncate(16).build();
  EXPECT_DROP(judge(kUplinkPort, f), malformed, "P2");
  EXPECT_DROP(judge(kVnicA0Port, rewritten(f, kGatewayMac, kA0Mac)), malformed, "P2");
}

TEST(ExplainPort, P3PortWithoutRole) {
  Bytes f = from_a0(kA1Ip).build();
  EXPECT_DROP(judge(kUnboundPort, f), no_vnic, "P3");
  EXPECT_DROP(judge(99, f), no_vnic, "P3");
  EXPECT_DROP(judge(kNoPort, f), no_vnic, "P3");
  // A policy without an agent: the agent-role port has no role.
  PolicyDoc d = standard_policy();
  d.host.agent.reset();
  EXPECT_DROP(judge(kAgentPort, from_agent(kAgentServiceIp, "8.8.8.8").build(), false, 0, 1500, &d),
              no_vnic, "P3");
  // The table's uplink-role port is not the policy's uplink: no role.
  PolicyDoc e = standard_policy();
  e.host.uplink.port = "uplink7";
  EXPECT_DROP(judge(kUplinkPort, from_uplink(kARemoteIp, kA0Ip).build(), false, 0, 1500, &e),
              no_vnic, "P3");
  // A port the table gives no role, even if the policy binds a vNIC to its name.
  PortTable t = standard_ports();
  t.ports[kVnicA0Port].role = PortRole::kNone;
  FrameIn in{kVnicA0Port, f.data(), f.size(), false, 0};
  EXPECT_DROP(ctl::explain(doc(), t, in), no_vnic, "P3");
}

// ---- E1, E2 ------------------------------------------------------------------

TEST(ExplainVnic, E1SpoofedSourceMac) {
  Bytes f = from_a0(kA1Ip).build();
  EXPECT_DROP(judge(kVnicA0Port, rewritten(f, kGatewayMac, kA1Mac)), spoofed_src, "E1");
  // E1 (MAC) is judged before anything else about the frame, even its tag.
  Bytes t = FrameBuilder(from_a0(kA1Ip)).vlan(5).build();
  EXPECT_DROP(judge(kVnicA0Port, rewritten(t, kGatewayMac, kC0Mac)), spoofed_src, "E1");
}

TEST(ExplainVnic, E1SpoofedSourceIp) {
  // a-0 claiming its peer a-1's address.
  Bytes f =
      FrameBuilder().eth(M(kGatewayMac), M(kA0Mac)).ipv4(I(kA1Ip), I(kA1Ip)).udp(1, 2).build();
  EXPECT_DROP(judge(kVnicA0Port, f), spoofed_src, "E1");
  Bytes g =
      FrameBuilder().eth(M(kGatewayMac), M(kA0Mac)).ipv6(I6(kA1Ip6), I6(kA1Ip6)).udp(1, 2).build();
  EXPECT_DROP(judge(kVnicA0Port, g), spoofed_src, "E1");
}

TEST(ExplainVnic, E2AnyTagInlineOrMetadata) {
  for (uint16_t tpid : {kTpid8021Q, kTpid8021AD, uint16_t{0x9100}}) {
    Bytes f = FrameBuilder(from_a0(kA1Ip)).vlan(101, tpid).build();
    EXPECT_DROP(judge(kVnicA0Port, f), vlan_from_vnic, "E2");
  }
  // VID 0 (priority tag) is still a tag.
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(from_a0(kA1Ip)).vlan(0x2000).build()), vlan_from_vnic,
              "E2");
  // The same frame with the tag in metadata is judged the same.
  EXPECT_DROP(judge(kVnicA0Port, from_a0(kA1Ip).build(), true, 101), vlan_from_vnic, "E2");
  // QinQ from a container.
  Bytes q = FrameBuilder(from_a0(kA1Ip)).vlan(101, kTpid8021AD).vlan(101).build();
  EXPECT_DROP(judge(kVnicA0Port, q), vlan_from_vnic, "E2");
  // The VPC VLAN on a frame from a container grants nothing either.
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(from_a0("52.216.1.1")).vlan(kVpcVlan).build()),
              vlan_from_vnic, "E2");
}

// ---- E3, E4 (ARP from a container) ------------------------------------------

Bytes arp_req(const char* sha, const char* spa, const char* tpa, std::size_t pad = 0) {
  return FrameBuilder()
      .eth(kBroadcast, M(sha))
      .arp_request(M(sha), I(spa), I(tpa))
      .pad(pad)
      .build();
}

void expect_arp_reply(const Explanation& e, uint16_t port, const char* rule, const char* answer,
                      const char* asker_mac, const char* asker_ip, const char* target,
                      std::optional<uint16_t> tci = std::nullopt) {
  EXPECT_EQ(e.verdict, Verdict::kReply) << show(e);
  EXPECT_EQ(e.out_port, port) << show(e);
  EXPECT_EQ(e.rule, rule) << show(e);
  FrameBuilder want;
  want.eth(M(asker_mac), M(answer));
  if (tci) want.vlan(*tci);
  want.arp(2, M(answer), I(target), M(asker_mac), I(asker_ip));
  Bytes w = want.build();
  EXPECT_EQ(e.out_frame.size(), tci ? 46u : 42u);
  EXPECT_EQ(e.out_frame, w) << "got\n" << hex_dump(e.out_frame) << "\nwant\n" << hex_dump(w);
}

TEST(ExplainVnic, E3aArpForPeerIsAnswered) {
  // Local peer, remote peer, and itself padded to 60 bytes: the reply is 42.
  expect_arp_reply(judge(kVnicA0Port, arp_req(kA0Mac, kA0Ip, kA1Ip)), kVnicA0Port, "E3a",
                   kGatewayMac, kA0Mac, kA0Ip, kA1Ip);
  expect_arp_reply(judge(kVnicA0Port, arp_req(kA0Mac, kA0Ip, kARemoteIp, 60)), kVnicA0Port, "E3a",
                   kGatewayMac, kA0Mac, kA0Ip, kARemoteIp);
  // A unicast request (ARP refresh to the gateway MAC) is answered the same.
  Bytes u = FrameBuilder()
                .eth(M(kGatewayMac), M(kC0Mac))
                .arp_request(M(kC0Mac), I(kC0Ip), I(kCRemoteIp))
                .build();
  expect_arp_reply(judge(kVnicC0Port, u), kVnicC0Port, "E3a", kGatewayMac, kC0Mac, kC0Ip,
                   kCRemoteIp);
}

TEST(ExplainVnic, E3bArpForGatewayIp) {
  expect_arp_reply(judge(kVnicC0Port, arp_req(kC0Mac, kC0Ip, kGatewayIp)), kVnicC0Port, "E3b",
                   kGatewayMac, kC0Mac, kC0Ip, kGatewayIp);
  PolicyDoc d = standard_policy();
  d.host.gateway_ip.reset();
  EXPECT_DROP(judge(kVnicC0Port, arp_req(kC0Mac, kC0Ip, kGatewayIp), false, 0, 1500, &d),
              arp_denied, "E4");
}

TEST(ExplainVnic, E3cNonIsolatedArpForWhatE8Forwards) {
  expect_arp_reply(judge(kVnicB0Port, arp_req(kB0Mac, kB0Ip, "8.8.8.8")), kVnicB0Port, "E3c",
                   kGatewayMac, kB0Mac, kB0Ip, "8.8.8.8");
  for (const char* t :
       {"169.254.169.254", kA0Ip, kARemoteIp, kUplinkIp, kAgentServiceIp, kVpcAgentIp, "127.0.0.1",
        "0.0.0.1", "240.0.0.1", "224.0.0.5", "255.255.255.255"})
    EXPECT_DROP(judge(kVnicB0Port, arp_req(kB0Mac, kB0Ip, t)), arp_denied, "E4") << t;
}

TEST(ExplainVnic, E4ArpThatIsNotAnswered) {
  // Isolated job, non-peer: metadata endpoint, internet, another job, the agent.
  for (const char* t : {"169.254.169.254", "8.8.8.8", kC0Ip, kAgentServiceIp, "52.216.1.1"})
    EXPECT_DROP(judge(kVnicA0Port, arp_req(kA0Mac, kA0Ip, t)), arp_denied, "E4") << t;
  // Reply (op 2) from a container.
  Bytes rep = FrameBuilder()
                  .eth(kBroadcast, M(kA0Mac))
                  .arp(2, M(kA0Mac), I(kA0Ip), M(kA1Mac), I(kA1Ip))
                  .build();
  EXPECT_DROP(judge(kVnicA0Port, rep), arp_denied, "E4");
  // Gratuitous ARP for its own address.
  EXPECT_DROP(judge(kVnicA0Port, arp_req(kA0Mac, kA0Ip, kA0Ip)), arp_denied, "E4");
  // Probe (sender 0.0.0.0).
  EXPECT_DROP(judge(kVnicA0Port, arp_req(kA0Mac, "0.0.0.0", kA1Ip)), arp_denied, "E4");
}

TEST(ExplainVnic, E4ArpClaimingSomeoneElse) {
  // Gratuitous ARP / reply claiming a peer's or the gateway's IP: spoofed_src.
  EXPECT_DROP(judge(kVnicA0Port, arp_req(kA0Mac, kA1Ip, kA1Ip)), spoofed_src, "E4");
  Bytes rep = FrameBuilder()
                  .eth(kBroadcast, M(kA0Mac))
                  .arp(2, M(kA0Mac), I(kGatewayIp), M(kA1Mac), I(kA1Ip))
                  .build();
  EXPECT_DROP(judge(kVnicA0Port, rep), spoofed_src, "E4");
  // Sender MAC inside ARP differs from the frame's (and the vNIC's).
  Bytes sha =
      FrameBuilder().eth(kBroadcast, M(kA0Mac)).arp_request(M(kA1Mac), I(kA0Ip), I(kA1Ip)).build();
  EXPECT_DROP(judge(kVnicA0Port, sha), spoofed_src, "E4");
}

TEST(ExplainVnic, E12MalformedArp) {
  Bytes hw = FrameBuilder()
                 .eth(kBroadcast, M(kA0Mac))
                 .arp_request(M(kA0Mac), I(kA0Ip), I(kA1Ip))
                 .arp_hw(6, 0x0800, 6, 4)
                 .build();
  EXPECT_DROP(judge(kVnicA0Port, hw), malformed, "E12");
  Bytes pl = FrameBuilder()
                 .eth(kBroadcast, M(kA0Mac))
                 .arp_request(M(kA0Mac), I(kA0Ip), I(kA1Ip))
                 .arp_hw(1, 0x0800, 6, 16)
                 .build();
  EXPECT_DROP(judge(kVnicA0Port, pl), malformed, "E12");
}

// ---- E5-E8 -------------------------------------------------------------------

TEST(ExplainVnic, E5LocalPeerRewritesOnlyMacs) {
  Bytes f = from_a0(kA1Ip).build();
  Explanation e = judge(kVnicA0Port, f);
  EXPECT_FORWARD(e, kVnicA1Port, "E5", rewritten(f, kA1Mac, kGatewayMac));
  // TTL not decremented, IP checksum untouched (and still valid).
  EXPECT_EQ(parse_ipv4(e.out_frame)->ttl, 9);
  EXPECT_EQ(parse_ipv4(e.out_frame)->checksum, parse_ipv4(f)->checksum);
  EXPECT_TRUE(ipv4_checksum_ok(e.out_frame));
  EXPECT_TRUE(l4_checksum_ok(e.out_frame));
  EXPECT_FALSE(e.detail.empty());
}

TEST(ExplainVnic, E5HairpinToItself) {
  Bytes f = from_a0(kA0Ip).build();
  EXPECT_FORWARD(judge(kVnicA0Port, f), kVnicA0Port, "E5", rewritten(f, kA0Mac, kGatewayMac));
}

TEST(ExplainVnic, E5PaddingKept) {
  // Total length shorter than the frame is Ethernet padding: kept as is.
  Bytes f = FrameBuilder(from_a0(kA1Ip)).payload({}).pad(60).build();
  f[59] = 0xee;  // non-zero padding survives byte for byte
  ASSERT_EQ(f.size(), 60u);
  EXPECT_FORWARD(judge(kVnicA0Port, f), kVnicA1Port, "E5", rewritten(f, kA1Mac, kGatewayMac));
}

TEST(ExplainVnic, E6RemotePeerOutTheUplink) {
  Bytes f = from_a0(kARemoteIp).build();
  EXPECT_FORWARD(judge(kVnicA0Port, f), kUplinkPort, "E6", rewritten(f, kNextHopMac, kUplinkMac));
  Bytes b = from_b0(kBRemoteIp).build();
  EXPECT_FORWARD(judge(kVnicB0Port, b), kUplinkPort, "E6", rewritten(b, kNextHopMac, kUplinkMac));
}

TEST(ExplainVnic, E7IsolatedJobReachesOnlyPeers) {
  for (const char* d : {"8.8.8.8", "169.254.169.254", "52.216.1.1", kC0Ip, kCRemoteIp, kB0Ip,
                        kAgentServiceIp, kVpcAgentIp, kUplinkIp, kGatewayIp, "10.1.0.13"})
    EXPECT_DROP(judge(kVnicA0Port, from_a0(d).build()), not_peer, "E7") << d;
  // DNS to anything: still not a peer.
  Bytes dns = FrameBuilder()
                  .eth(M(kGatewayMac), M(kC0Mac))
                  .ipv4(I(kC0Ip), I("1.1.1.1"))
                  .udp(5353, 53)
                  .build();
  EXPECT_DROP(judge(kVnicC0Port, dns), not_peer, "E7");
}

TEST(ExplainVnic, E8NonIsolatedInternetButNotForbidden) {
  Bytes f = from_b0("8.8.8.8").build();
  EXPECT_FORWARD(judge(kVnicB0Port, f), kUplinkPort, "E8", rewritten(f, kNextHopMac, kUplinkMac));
  for (const char* d : {"169.254.169.254", "169.254.0.1", kGatewayIp, kUplinkIp, kAgentServiceIp,
                        kVpcAgentIp, kA0Ip, kARemoteIp, kC0Ip, kCRemoteIp, "127.0.0.1", "0.0.0.0",
                        "0.255.1.1", "240.0.0.1", "250.1.2.3"})
    EXPECT_DROP(judge(kVnicB0Port, from_b0(d).build()), forbidden_dst, "E8") << d;
}

// ---- E9 ----------------------------------------------------------------------

TEST(ExplainVnic, E9BroadcastMulticastNeverFlooded) {
  Bytes f = from_a0(kA1Ip).build();
  EXPECT_DROP(judge(kVnicA0Port, rewritten(f, "ff:ff:ff:ff:ff:ff", kA0Mac)), bcast_mcast, "E9");
  EXPECT_DROP(judge(kVnicA0Port, rewritten(f, "01:00:5e:00:00:01", kA0Mac)), bcast_mcast, "E9");
  EXPECT_DROP(judge(kVnicA0Port, from_a0("255.255.255.255").build()), bcast_mcast, "E9");
  EXPECT_DROP(judge(kVnicA0Port, from_a0("224.0.0.251").build()), bcast_mcast, "E9");
  EXPECT_DROP(judge(kVnicB0Port, from_b0("239.1.1.1").build()), bcast_mcast, "E9");
  EXPECT_DROP(judge(kVnicA0Port, v6_from_a0("ff02::1").build()), bcast_mcast, "E9");
  EXPECT_DROP(
      judge(kVnicA0Port, rewritten(v6_from_a0(kA1Ip6).build(), "33:33:00:00:00:01", kA0Mac)),
      bcast_mcast, "E9");
  // Subnet-directed broadcast is just an address: not a peer.
  EXPECT_DROP(judge(kVnicA0Port, from_a0("10.1.0.255").build()), not_peer, "E7");
}

// ---- E10 (IPv6) --------------------------------------------------------------

TEST(ExplainVnic, E10NoIpv6AddressDropsAllIpv6BeforeParsing) {
  // The CVE-2020-10749 class: RA from an IPv4-only container.
  Bytes ra = FrameBuilder()
                 .eth(M("33:33:00:00:00:01"), M(kC0Mac))
                 .ipv6(I6("fe80::1"), I6("ff02::1"))
                 .hop_limit(255)
                 .ra(M(kC0Mac))
                 .build();
  EXPECT_DROP(judge(kVnicC0Port, ra), ipv6_disabled, "E10");
  // Even a truncated IPv6 header.
  EXPECT_DROP(
      judge(kVnicC0Port, FrameBuilder().eth(M(kGatewayMac), M(kC0Mac)).ethertype(kEthIpv6).build()),
      ipv6_disabled, "E10");
}

TEST(ExplainVnic, E10RouterAdvertRedirectNaFromContainerDenied) {
  auto b = FrameBuilder()
               .eth(M("33:33:00:00:00:01"), M(kA0Mac))
               .ipv6(I6(kA0Ip6), I6("ff02::1"))
               .hop_limit(255);
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(b).rs().build()), nd_denied, "E10");
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(b).ra(M(kA0Mac)).build()), nd_denied, "E10");
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(b).na(I6(kA1Ip6)).build()), nd_denied, "E10");
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(b).redirect(I6("fe80::9"), I6(kA1Ip6)).build()),
              nd_denied, "E10");
  // Even with a spoofed IPv6 source: ND types are judged before E1's IP check.
  auto s =
      FrameBuilder().eth(M("33:33:00:00:00:01"), M(kA0Mac)).ipv6(I6("fe80::99"), I6("ff02::1"));
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(s).ra().build()), nd_denied, "E10");
}

TEST(ExplainVnic, E10NeighbourSolicitationForPeerAnswered) {
  for (const char* src : {kA0Ip6, "fe80::11"}) {
    for (const char* target : {kA1Ip6, kARemoteIp6}) {
      Bytes ns = ns_from_a0(src, target).build();
      Explanation e = judge(kVnicA0Port, ns);
      ASSERT_EQ(e.verdict, Verdict::kReply) << show(e);
      EXPECT_EQ(e.rule, "E10");
      EXPECT_EQ(e.out_port, kVnicA0Port);
      Bytes want = FrameBuilder()
                       .eth(M(kA0Mac), M(kGatewayMac))
                       .ipv6(I6(target), I6(src))
                       .hop_limit(255)
                       .na(I6(target), 0x60000000u, M(kGatewayMac))
                       .build();
      ASSERT_EQ(want.size(), 86u);
      EXPECT_EQ(e.out_frame, want) << "got\n"
                                   << hex_dump(e.out_frame) << "\nwant\n"
                                   << hex_dump(want);
      EXPECT_TRUE(icmpv6_checksum_ok(e.out_frame));
      auto na = parse_icmpv6(e.out_frame);
      ASSERT_TRUE(na);
      EXPECT_EQ(na->type, 136);
      EXPECT_EQ(na->target, I6(target));
      EXPECT_EQ(na->lla, M(kGatewayMac));
    }
  }
}

TEST(ExplainVnic, E10NeighbourSolicitationDenied) {
  EXPECT_DROP(judge(kVnicA0Port, ns_from_a0("::", kA1Ip6).build()), nd_denied, "E10");  // DAD
  EXPECT_DROP(judge(kVnicA0Port, ns_from_a0(kA1Ip6, kA1Ip6).build()), spoofed_src, "E10");
  EXPECT_DROP(judge(kVnicA0Port, ns_from_a0("fd00:9::1", kA1Ip6).build()), spoofed_src, "E10");
  EXPECT_DROP(judge(kVnicA0Port, ns_from_a0(kA0Ip6, "fd00:9::1").build()), nd_denied, "E10");
  EXPECT_DROP(judge(kVnicA0Port, ns_from_a0(kA0Ip6, "fe80::1").build()), nd_denied, "E10");
}

TEST(ExplainVnic, E10Ipv6UnicastToPeers) {
  Bytes l = v6_from_a0(kA1Ip6).build();
  Explanation e = judge(kVnicA0Port, l);
  EXPECT_FORWARD(e, kVnicA1Port, "E5", rewritten(l, kA1Mac, kGatewayMac));
  EXPECT_EQ(parse_ipv6(e.out_frame)->hop_limit, 5);  // not decremented
  Bytes r = v6_from_a0(kARemoteIp6).build();
  EXPECT_FORWARD(judge(kVnicA0Port, r), kUplinkPort, "E6", rewritten(r, kNextHopMac, kUplinkMac));
  for (const char* d : {"2001:db8::1", "fd00:9::1", "fe80::1", "::1"})
    EXPECT_DROP(judge(kVnicA0Port, v6_from_a0(d).build()), not_peer, "E10") << d;
}

TEST(ExplainVnic, E10MalformedIpv6) {
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(v6_from_a0(kA1Ip6)).payload_length(200).build()),
              malformed, "E12");
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(v6_from_a0(kA1Ip6)).ip_version(4).build()), malformed,
              "E12");
  // An NS needs 24 ICMPv6 bytes.
  Bytes shortns = FrameBuilder()
                      .eth(M(kGatewayMac), M(kA0Mac))
                      .ipv6(I6(kA0Ip6), I6(kA1Ip6))
                      .icmpv6(135, 0, Bytes(16, 0))
                      .build();
  EXPECT_DROP(judge(kVnicA0Port, shortns), malformed, "E12");
  // ICMPv6 with fewer than 4 bytes is not ICMPv6 to the rules: a plain packet to a peer.
  Bytes tiny = FrameBuilder()
                   .eth(M(kGatewayMac), M(kA0Mac))
                   .ipv6(I6(kA0Ip6), I6(kA1Ip6))
                   .next_header(58)
                   .payload({135, 0})
                   .build();
  EXPECT_EQ(judge(kVnicA0Port, tiny).verdict, Verdict::kForward);
  // ND behind an extension header is not recognised as ND: judged as a packet.
  Bytes hidden = FrameBuilder()
                     .eth(M(kGatewayMac), M(kA0Mac))
                     .ipv6(I6(kA0Ip6), I6("fd00:9::1"))
                     .next_header(0)
                     .payload({58, 0, 1, 4, 0, 0, 0, 0, 134, 0, 0, 0, 0, 0, 0, 0})
                     .build();
  EXPECT_DROP(judge(kVnicA0Port, hidden), not_peer, "E10");
}

// ---- E11, E12, E13 -----------------------------------------------------------

TEST(ExplainVnic, E11OtherEthertypes) {
  for (uint16_t t : {uint16_t{0x88cc}, uint16_t{0x888e}, uint16_t{0x8035}, uint16_t{0x0040},
                     uint16_t{0x05dc}, uint16_t{0x8847}}) {
    Bytes f = FrameBuilder()
                  .eth(M("01:80:c2:00:00:0e"), M(kA0Mac))
                  .ethertype(t)
                  .payload(Bytes(46, 1))
                  .build();
    EXPECT_DROP(judge(kVnicA0Port, f), unsupported, "E11") << t;
  }
}

TEST(ExplainVnic, E12MalformedIpv4) {
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(from_a0(kA1Ip)).ihl(4).build()), malformed, "E12");
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(from_a0(kA1Ip)).ihl(0).build()), malformed, "E12");
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(from_a0(kA1Ip)).total_length(200).build()), malformed,
              "E12");
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(from_a0(kA1Ip)).total_length(19).build()), malformed,
              "E12");
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(from_a0(kA1Ip)).ip_version(6).build()), malformed,
              "E12");
  // IHL*4 > total length.
  EXPECT_DROP(judge(kVnicA0Port, FrameBuilder(from_a0(kA1Ip)).ihl(15).build()), malformed, "E12");
  // Total length exactly the frame: fine; a bad checksum is not checked.
  Bytes ck = FrameBuilder(from_a0(kA1Ip)).ip_checksum(0xdead).build();
  EXPECT_FORWARD(judge(kVnicA0Port, ck), kVnicA1Port, "E5", rewritten(ck, kA1Mac, kGatewayMac));
}

TEST(ExplainVnic, E13FragmentsJudgedByAddresses) {
  // Non-first fragment (offset 185*8, no L4 header) to a peer: forwarded as is.
  Bytes nf = FrameBuilder()
                 .eth(M(kGatewayMac), M(kA0Mac))
                 .ipv4(I(kA0Ip), I(kA1Ip))
                 .ip_proto(17)
                 .frag(0x00b9)
                 .payload(Bytes(3, 0x42))
                 .build();
  EXPECT_FORWARD(judge(kVnicA0Port, nf), kVnicA1Port, "E5", rewritten(nf, kA1Mac, kGatewayMac));
  // ... to a non-peer: dropped like any packet.
  Bytes nx = FrameBuilder()
                 .eth(M(kGatewayMac), M(kA0Mac))
                 .ipv4(I(kA0Ip), I("8.8.8.8"))
                 .ip_proto(6)
                 .frag(0x00b9)
                 .payload(Bytes(1, 0))
                 .build();
  EXPECT_DROP(judge(kVnicA0Port, nx), not_peer, "E7");
  // First fragment (MF) and a tiny overlapping fragment to a peer.
  Bytes mf = FrameBuilder(from_a0(kA1Ip)).frag(0x2000).build();
  EXPECT_EQ(judge(kVnicA0Port, mf).verdict, Verdict::kForward);
  Bytes tiny = FrameBuilder()
                   .eth(M(kGatewayMac), M(kA0Mac))
                   .ipv4(I(kA0Ip), I(kA1Ip))
                   .ip_proto(6)
                   .frag(0x2001)
                   .build();
  EXPECT_EQ(judge(kVnicA0Port, tiny).verdict, Verdict::kForward);
}

TEST(ExplainVnic, E13OptionsAndAnyProtocol) {
  Bytes opt =
      FrameBuilder(from_a0(kA1Ip)).ip_options({0x94, 0x04, 0x00, 0x00, 0x07, 0x07, 0x04}).build();
  ASSERT_EQ(parse_ipv4(opt)->ihl, 7);
  EXPECT_FORWARD(judge(kVnicA0Port, opt), kVnicA1Port, "E5", rewritten(opt, kA1Mac, kGatewayMac));
  for (uint8_t proto : {uint8_t{0}, uint8_t{47}, uint8_t{255}}) {
    Bytes p = FrameBuilder()
                  .eth(M(kGatewayMac), M(kA0Mac))
                  .ipv4(I(kA0Ip), I(kARemoteIp))
                  .ip_proto(proto)
                  .build();
    EXPECT_FORWARD(judge(kVnicA0Port, p), kUplinkPort, "E6", rewritten(p, kNextHopMac, kUplinkMac));
  }
}

// Truncation at every offset: malformed (or P2), never a crash, never an over-read (ASan).
void truncations(uint16_t port, const Bytes& full, const char* rule, bool meta = false,
                 uint16_t tci = 0) {
  for (std::size_t n = 0; n < full.size(); ++n) {
    Bytes t(full.begin(), full.begin() + static_cast<long>(n));
    Explanation e = judge(port, t, meta, tci);
    EXPECT_EQ(e.verdict, Verdict::kDrop) << n << " " << show(e);
    EXPECT_EQ(e.reason, DropReason::malformed) << n << " " << show(e);
    EXPECT_EQ(e.rule, n < 14 ? std::string("P2") : std::string(rule)) << n << " " << show(e);
  }
}

TEST(ExplainVnic, TruncationAtEveryOffset) {
  truncations(kVnicA0Port, arp_req(kA0Mac, kA0Ip, kA1Ip), "E12");
  truncations(kVnicA0Port, from_a0(kA1Ip).build(), "E12");
  truncations(kVnicA0Port, v6_from_a0(kA1Ip6).build(), "E12");
  truncations(kVnicA0Port, ns_from_a0(kA0Ip6, kA1Ip6).build(), "E12");
}

// ---- uplink ------------------------------------------------------------------

TEST(ExplainUplink, U1RemotePeerToIsolatedVnic) {
  Bytes f = from_uplink(kARemoteIp, kA0Ip).build();
  Explanation e = judge(kUplinkPort, f);
  EXPECT_FORWARD(e, kVnicA0Port, "U1", rewritten(f, kA0Mac, kGatewayMac));
  EXPECT_EQ(parse_ipv4(e.out_frame)->ttl, 3);
  Bytes c = from_uplink(kCRemoteIp, kC0Ip).build();
  EXPECT_FORWARD(judge(kUplinkPort, c), kVnicC0Port, "U1", rewritten(c, kC0Mac, kGatewayMac));
}

TEST(ExplainUplink, U5NonPeerToIsolatedVnic) {
  EXPECT_DROP(judge(kUplinkPort, from_uplink("8.8.8.8", kA0Ip).build()), not_peer_inbound, "U5");
  EXPECT_DROP(judge(kUplinkPort, from_uplink(kCRemoteIp, kA0Ip).build()), not_peer_inbound, "U5");
  EXPECT_DROP(judge(kUplinkPort, from_uplink("52.216.1.1", kA0Ip).build()), not_peer_inbound, "U5");
  // A peer's address that belongs to this host: spoofed.
  EXPECT_DROP(judge(kUplinkPort, from_uplink(kA1Ip, kA0Ip).build()), spoofed_src, "U5");
}

TEST(ExplainUplink, U2NonIsolatedReturnPath) {
  Bytes f = from_uplink("8.8.8.8", kB0Ip).build();
  EXPECT_FORWARD(judge(kUplinkPort, f), kVnicB0Port, "U2", rewritten(f, kB0Mac, kGatewayMac));
  Bytes g = from_uplink(kARemoteIp, kB0Ip).build();
  EXPECT_FORWARD(judge(kUplinkPort, g), kVnicB0Port, "U2", rewritten(g, kB0Mac, kGatewayMac));
}

Bytes vpc_frame(const char* src, const char* dst, uint16_t tci = kVpcVlan) {
  return FrameBuilder()
      .eth(M(kUplinkMac), M(kVpcGatewayMac))
      .vlan(tci)
      .ipv4(I(src), I(dst))
      .tcp(443, 40000)
      .payload({1, 2, 3})
      .build();
}
// The same frame with the tag stripped into metadata.
Bytes untag(const Bytes& f) {
  Bytes u(f);
  u.erase(u.begin() + 12, u.begin() + 16);
  return u;
}

TEST(ExplainUplink, U3VpcToAgentTagRemovedInlineOrMetadata) {
  Bytes f = vpc_frame("52.217.9.9", kVpcAgentIp);
  Bytes want = rewritten(untag(f), kAgentMac, kGatewayMac);
  EXPECT_FORWARD(judge(kUplinkPort, f), kAgentPort, "U3", want);
  EXPECT_FORWARD(judge(kUplinkPort, untag(f), true, kVpcVlan), kAgentPort, "U3", want);
  // PCP bits in the TCI do not change the VLAN id.
  Bytes p = vpc_frame("3.5.1.1", kVpcAgentIp, 0xa000 | kVpcVlan);
  EXPECT_FORWARD(judge(kUplinkPort, p), kAgentPort, "U3",
                 rewritten(untag(p), kAgentMac, kGatewayMac));
}

TEST(ExplainUplink, U5VpcVlanRefusals) {
  for (bool meta : {false, true}) {
    auto run = [&](const Bytes& f, uint16_t tci = kVpcVlan) {
      return meta ? judge(kUplinkPort, untag(f), true, tci) : judge(kUplinkPort, f);
    };
    EXPECT_DROP(run(vpc_frame("8.8.8.8", kVpcAgentIp)), not_peer_inbound, "U5");
    EXPECT_DROP(run(vpc_frame("52.216.1.1", kA0Ip)), no_route, "U5");
    EXPECT_DROP(run(vpc_frame("52.216.1.1", kAgentServiceIp)), no_route, "U5");
    EXPECT_DROP(run(vpc_frame("52.216.1.1", kVpcAgentIp, 102), 102), unknown_vlan, "U5");
    EXPECT_DROP(run(vpc_frame("52.216.1.1", kVpcAgentIp, 0), 0), unknown_vlan, "U5");
    Bytes v6 = FrameBuilder()
                   .eth(M(kUplinkMac), M(kVpcGatewayMac))
                   .vlan(kVpcVlan)
                   .ipv6(I6("2001:db8::1"), I6(kA0Ip6))
                   .udp(1, 2)
                   .build();
    EXPECT_DROP(run(v6), unsupported, "U5");
    Bytes bad = FrameBuilder()
                    .eth(M(kUplinkMac), M(kVpcGatewayMac))
                    .vlan(kVpcVlan)
                    .ipv4(I("52.216.1.1"), I(kVpcAgentIp))
                    .ihl(3)
                    .build();
    EXPECT_DROP(run(bad), malformed, "U5");
  }
}

TEST(ExplainUplink, U5VpcWithoutAgentPortIsNoRoute) {
  PolicyDoc d = standard_policy();
  d.host.agent.reset();
  EXPECT_DROP(judge(kUplinkPort, vpc_frame("52.216.1.1", kVpcAgentIp), false, 0, 1500, &d),
              no_route, "U5");
}

TEST(ExplainUplink, U4ArpOnVpcVlanTaggedLikeTheRequest) {
  Bytes req = FrameBuilder()
                  .eth(kBroadcast, M(kVpcGatewayMac))
                  .vlan(kVpcVlan)
                  .arp_request(M(kVpcGatewayMac), I("172.31.5.1"), I(kVpcAgentIp))
                  .pad(64)
                  .build();
  expect_arp_reply(judge(kUplinkPort, req), kUplinkPort, "U4", kUplinkMac, kVpcGatewayMac,
                   "172.31.5.1", kVpcAgentIp, kVpcVlan);
  // Metadata tag: the reply carries it inline.
  expect_arp_reply(judge(kUplinkPort, untag(req), true, kVpcVlan), kUplinkPort, "U4", kUplinkMac,
                   kVpcGatewayMac, "172.31.5.1", kVpcAgentIp, kVpcVlan);
  // The request's whole TCI (PCP included) is echoed; an 802.1ad request is answered with 0x8100.
  Bytes ad = FrameBuilder()
                 .eth(kBroadcast, M(kVpcGatewayMac))
                 .vlan(0x6000 | kVpcVlan, kTpid8021AD)
                 .arp_request(M(kVpcGatewayMac), I("172.31.5.1"), I(kVpcAgentIp))
                 .build();
  expect_arp_reply(judge(kUplinkPort, ad), kUplinkPort, "U4", kUplinkMac, kVpcGatewayMac,
                   "172.31.5.1", kVpcAgentIp, 0x6000 | kVpcVlan);
  // On the VPC VLAN only the agent's VPC address is answered.
  for (const char* t : {kA0Ip, kAgentServiceIp, "172.31.5.11"}) {
    Bytes o = FrameBuilder()
                  .eth(kBroadcast, M(kVpcGatewayMac))
                  .vlan(kVpcVlan)
                  .arp_request(M(kVpcGatewayMac), I("172.31.5.1"), I(t))
                  .build();
    EXPECT_DROP(judge(kUplinkPort, o), arp_denied, "U5") << t;
  }
  Bytes rep = FrameBuilder()
                  .eth(M(kUplinkMac), M(kVpcGatewayMac))
                  .vlan(kVpcVlan)
                  .arp(2, M(kVpcGatewayMac), I("172.31.5.1"), M(kUplinkMac), I(kVpcAgentIp))
                  .build();
  EXPECT_DROP(judge(kUplinkPort, rep), arp_denied, "U5");
}

TEST(ExplainUplink, U4ArpUntagged) {
  for (const char* t : {kA0Ip, kC0Ip, kB0Ip, kAgentServiceIp}) {
    Bytes req = FrameBuilder()
                    .eth(kBroadcast, M(kNextHopMac))
                    .arp_request(M(kNextHopMac), I("192.0.2.1"), I(t))
                    .pad(60)
                    .build();
    expect_arp_reply(judge(kUplinkPort, req), kUplinkPort, "U4", kUplinkMac, kNextHopMac,
                     "192.0.2.1", t);
  }
  for (const char* t : {kARemoteIp, kVpcAgentIp, kUplinkIp, kGatewayIp, "192.0.2.99"}) {
    Bytes req = FrameBuilder()
                    .eth(kBroadcast, M(kNextHopMac))
                    .arp_request(M(kNextHopMac), I("192.0.2.1"), I(t))
                    .build();
    EXPECT_DROP(judge(kUplinkPort, req), arp_denied, "U5") << t;
  }
  Bytes rep = FrameBuilder()
                  .eth(M(kUplinkMac), M(kNextHopMac))
                  .arp(2, M(kNextHopMac), I("192.0.2.1"), M(kUplinkMac), I(kA0Ip))
                  .build();
  EXPECT_DROP(judge(kUplinkPort, rep), arp_denied, "U5");
}

TEST(ExplainUplink, U3bAgentServiceReturnPath) {
  Bytes f = from_uplink("8.8.8.8", kAgentServiceIp).build();
  EXPECT_FORWARD(judge(kUplinkPort, f), kAgentPort, "U3b", rewritten(f, kAgentMac, kGatewayMac));
  EXPECT_DROP(judge(kUplinkPort, from_uplink(kCRemoteIp, kAgentServiceIp).build()),
              not_peer_inbound, "U5");
  EXPECT_DROP(judge(kUplinkPort, from_uplink(kBRemoteIp, kAgentServiceIp).build()),
              not_peer_inbound, "U5");
}

TEST(ExplainUplink, U5FilteringBeforeRouting) {
  // QinQ: two inline tags, or metadata + inline.
  Bytes q = FrameBuilder()
                .eth(M(kUplinkMac), M(kVpcGatewayMac))
                .vlan(kVpcVlan, kTpid8021AD)
                .vlan(kVpcVlan)
                .ipv4(I("52.216.1.1"), I(kVpcAgentIp))
                .build();
  EXPECT_DROP(judge(kUplinkPort, q), unknown_vlan, "U5");
  EXPECT_DROP(judge(kUplinkPort, vpc_frame("52.216.1.1", kVpcAgentIp), true, kVpcVlan),
              unknown_vlan, "U5");
  // Not for us.
  Bytes f = from_uplink(kARemoteIp, kA0Ip).build();
  EXPECT_DROP(judge(kUplinkPort, rewritten(f, "02:00:00:00:aa:02", kNextHopMac)), not_for_us, "U5");
  EXPECT_DROP(judge(kUplinkPort, rewritten(f, kGatewayMac, kNextHopMac)), not_for_us, "U5");
  // Broadcast / multicast other than ARP and NS.
  EXPECT_DROP(judge(kUplinkPort, rewritten(f, "ff:ff:ff:ff:ff:ff", kNextHopMac)), bcast_mcast,
              "U5");
  Bytes lldp = FrameBuilder()
                   .eth(M("01:80:c2:00:00:0e"), M(kNextHopMac))
                   .ethertype(0x88cc)
                   .payload(Bytes(46, 0))
                   .build();
  EXPECT_DROP(judge(kUplinkPort, lldp), bcast_mcast, "U5");
  Bytes uni = rewritten(lldp, kUplinkMac, kNextHopMac);
  EXPECT_DROP(judge(kUplinkPort, uni), unsupported, "U5");
  // Unknown destination.
  EXPECT_DROP(judge(kUplinkPort, from_uplink("8.8.8.8", "10.9.9.9").build()), no_route, "U5");
  EXPECT_DROP(judge(kUplinkPort, from_uplink("8.8.8.8", kARemoteIp).build()), no_route, "U5");
  EXPECT_DROP(judge(kUplinkPort, from_uplink("8.8.8.8", kVpcAgentIp).build()), no_route, "U5");
  EXPECT_DROP(judge(kUplinkPort, from_uplink("8.8.8.8", kUplinkIp).build()), no_route, "U5");
  EXPECT_DROP(
      judge(kUplinkPort, FrameBuilder(from_uplink("8.8.8.8", kA0Ip)).total_length(900).build()),
      malformed, "U5");
}

TEST(ExplainUplink, U4NeighbourSolicitationForLocalVnic) {
  Bytes ns = FrameBuilder()
                 .eth(M("33:33:ff:00:00:11"), M(kNextHopMac))
                 .ipv6(I6("fe80::fe"), I6("ff02::1:ff00:11"))
                 .hop_limit(255)
                 .ns(I6(kA0Ip6), M(kNextHopMac))
                 .build();
  Explanation e = judge(kUplinkPort, ns);
  ASSERT_EQ(e.verdict, Verdict::kReply) << show(e);
  EXPECT_EQ(e.rule, "U4");
  EXPECT_EQ(e.out_port, kUplinkPort);
  Bytes want = FrameBuilder()
                   .eth(M(kNextHopMac), M(kUplinkMac))
                   .ipv6(I6(kA0Ip6), I6("fe80::fe"))
                   .hop_limit(255)
                   .na(I6(kA0Ip6), 0x60000000u, M(kUplinkMac))
                   .build();
  EXPECT_EQ(e.out_frame, want) << hex_dump(e.out_frame);
  EXPECT_TRUE(icmpv6_checksum_ok(e.out_frame));
  // DAD, remote peers, RA: not answered.
  Bytes dad = FrameBuilder()
                  .eth(M("33:33:ff:00:00:11"), M(kNextHopMac))
                  .ipv6(I6("::"), I6("ff02::1:ff00:11"))
                  .ns(I6(kA0Ip6))
                  .build();
  EXPECT_DROP(judge(kUplinkPort, dad), nd_denied, "U5");
  Bytes rem = FrameBuilder()
                  .eth(M("33:33:ff:00:00:21"), M(kNextHopMac))
                  .ipv6(I6("fe80::fe"), I6("ff02::1:ff00:21"))
                  .ns(I6(kARemoteIp6))
                  .build();
  EXPECT_DROP(judge(kUplinkPort, rem), nd_denied, "U5");
  Bytes ra = FrameBuilder()
                 .eth(M("33:33:00:00:00:01"), M(kNextHopMac))
                 .ipv6(I6("fe80::fe"), I6("ff02::1"))
                 .ra()
                 .build();
  EXPECT_DROP(judge(kUplinkPort, ra), bcast_mcast, "U5");
  Bytes ra_uni = rewritten(ra, kUplinkMac, kNextHopMac);
  EXPECT_DROP(judge(kUplinkPort, ra_uni), nd_denied, "U5");
}

TEST(ExplainUplink, U1U2Ipv6) {
  auto v6 = [](const char* s, const char* d) {
    return FrameBuilder()
        .eth(M(kUplinkMac), M(kNextHopMac))
        .ipv6(I6(s), I6(d))
        .hop_limit(9)
        .udp(1, 2)
        .build();
  };
  Bytes ok = v6(kARemoteIp6, kA0Ip6);
  EXPECT_FORWARD(judge(kUplinkPort, ok), kVnicA0Port, "U1", rewritten(ok, kA0Mac, kGatewayMac));
  EXPECT_DROP(judge(kUplinkPort, v6("2001:db8::1", kA0Ip6)), not_peer_inbound, "U5");
  EXPECT_DROP(judge(kUplinkPort, v6(kA1Ip6, kA0Ip6)), spoofed_src, "U5");
  EXPECT_DROP(judge(kUplinkPort, v6(kARemoteIp6, "ff02::1")), bcast_mcast, "U5");
  EXPECT_DROP(judge(kUplinkPort, v6(kARemoteIp6, kARemoteIp6)), no_route, "U5");
  EXPECT_DROP(judge(kUplinkPort, FrameBuilder()
                                     .eth(M(kUplinkMac), M(kNextHopMac))
                                     .ethertype(kEthIpv6)
                                     .payload(Bytes(30, 0x60))
                                     .build()),
              malformed, "U5");
  // A non-isolated job with an IPv6 vNIC accepts any source (U2).
  PolicyDoc d = standard_policy();
  d.jobs[2].peers6.push_back(I6("fd00:2::5"));
  d.vnics[3].ipv6 = I6("fd00:2::5");
  Bytes b = v6("2001:db8::1", "fd00:2::5");
  Explanation e = judge(kUplinkPort, b, false, 0, 1500, &d);
  EXPECT_FORWARD(e, kVnicB0Port, "U2", rewritten(b, kB0Mac, kGatewayMac));
}

TEST(ExplainUplink, TruncationAtEveryOffset) {
  truncations(kUplinkPort,
              FrameBuilder()
                  .eth(kBroadcast, M(kNextHopMac))
                  .arp_request(M(kNextHopMac), I("192.0.2.1"), I(kA0Ip))
                  .build(),
              "U5");
  truncations(kUplinkPort, from_uplink(kARemoteIp, kA0Ip).build(), "U5");
  Bytes tagged_arp = FrameBuilder()
                         .eth(kBroadcast, M(kVpcGatewayMac))
                         .vlan(kVpcVlan)
                         .arp_request(M(kVpcGatewayMac), I("172.31.5.1"), I(kVpcAgentIp))
                         .build();
  for (std::size_t n = 14; n < tagged_arp.size(); ++n) {
    Bytes t(tagged_arp.begin(), tagged_arp.begin() + static_cast<long>(n));
    Explanation e = judge(kUplinkPort, t);
    EXPECT_EQ(e.reason, DropReason::malformed) << n << show(e);
    EXPECT_EQ(e.rule, n < 18 ? "P2" : "U5") << n;
  }
  truncations(kUplinkPort, untag(vpc_frame("52.216.1.1", kVpcAgentIp)), "U5", true, kVpcVlan);
  Bytes v6 = FrameBuilder()
                 .eth(M(kUplinkMac), M(kNextHopMac))
                 .ipv6(I6(kARemoteIp6), I6(kA0Ip6))
                 .udp(1, 2)
                 .build();
  truncations(kUplinkPort, v6, "U5");
}

// ---- agent -------------------------------------------------------------------

TEST(ExplainAgent, A1VpcTransferTaggedToVpcGateway) {
  Bytes f = from_agent(kVpcAgentIp, "52.216.77.1").build();
  Bytes want = FrameBuilder()
                   .eth(M(kVpcGatewayMac), M(kUplinkMac))
                   .vlan(kVpcVlan)
                   .ipv4(I(kVpcAgentIp), I("52.216.77.1"))
                   .tcp(50000, 443)
                   .payload({7})
                   .build();
  Explanation e = judge(kAgentPort, f);
  EXPECT_FORWARD(e, kUplinkPort, "A1", want);
  EXPECT_EQ(e.out_frame.size(), f.size() + 4);
  EXPECT_EQ(vlan_tci(e.out_frame), kVpcVlan);  // PCP 0
  EXPECT_TRUE(ipv4_checksum_ok(e.out_frame));
  Bytes g = from_agent(kVpcAgentIp, "3.5.255.255").build();
  EXPECT_EQ(judge(kAgentPort, g).rule, "A1");
}

TEST(ExplainAgent, A2ServiceAddressUntaggedDefaultRoute) {
  Bytes f = from_agent(kAgentServiceIp, "52.216.1.1").build();
  EXPECT_FORWARD(judge(kAgentPort, f), kUplinkPort, "A2", rewritten(f, kNextHopMac, kUplinkMac));
  Bytes g = from_agent(kAgentServiceIp, "169.254.169.254").build();
  EXPECT_FORWARD(judge(kAgentPort, g), kUplinkPort, "A2", rewritten(g, kNextHopMac, kUplinkMac));
}

TEST(ExplainAgent, A3NeverToAContainer) {
  for (const char* d : {kA0Ip, kARemoteIp, kC0Ip, kB0Ip, kBRemoteIp}) {
    EXPECT_DROP(judge(kAgentPort, from_agent(kAgentServiceIp, d).build()), agent_to_container, "A3")
        << d;
    EXPECT_DROP(judge(kAgentPort, from_agent(kVpcAgentIp, d).build()), agent_to_container, "A3")
        << d;
  }
}

TEST(ExplainAgent, A4Refusals) {
  Bytes f = from_agent(kAgentServiceIp, "8.8.8.8").build();
  EXPECT_DROP(judge(kAgentPort, rewritten(f, kGatewayMac, kA0Mac)), spoofed_src, "A4");
  EXPECT_DROP(
      judge(kAgentPort, FrameBuilder(from_agent(kVpcAgentIp, "52.216.1.1")).vlan(kVpcVlan).build()),
      vlan_from_vnic, "A4");
  EXPECT_DROP(judge(kAgentPort, f, true, kVpcVlan), vlan_from_vnic, "A4");
  // VPC address outside the prefixes, unknown sources.
  EXPECT_DROP(judge(kAgentPort, from_agent(kVpcAgentIp, "8.8.8.8").build()), no_route, "A4");
  EXPECT_DROP(judge(kAgentPort, from_agent("1.2.3.4", "52.216.1.1").build()), no_route, "A4");
  EXPECT_DROP(judge(kAgentPort, from_agent(kUplinkIp, "8.8.8.8").build()), no_route, "A4");
  // IPv6 and other ethertypes.
  Bytes v6 = FrameBuilder()
                 .eth(M(kGatewayMac), M(kAgentMac))
                 .ipv6(I6("fd00:ff::1"), I6("2001:db8::1"))
                 .udp(1, 2)
                 .build();
  EXPECT_DROP(judge(kAgentPort, v6), ipv6_disabled, "A4");
  Bytes lldp = FrameBuilder().eth(M("01:80:c2:00:00:0e"), M(kAgentMac)).ethertype(0x88cc).build();
  EXPECT_DROP(judge(kAgentPort, lldp), unsupported, "A4");
  // Broadcast / multicast.
  EXPECT_DROP(judge(kAgentPort, rewritten(f, "ff:ff:ff:ff:ff:ff", kAgentMac)), bcast_mcast, "E9");
  EXPECT_DROP(judge(kAgentPort, from_agent(kAgentServiceIp, "224.0.0.1").build()), bcast_mcast,
              "E9");
  EXPECT_DROP(
      judge(kAgentPort, FrameBuilder(from_agent(kAgentServiceIp, "8.8.8.8")).ihl(2).build()),
      malformed, "A4");
  truncations(kAgentPort, from_agent(kVpcAgentIp, "52.216.1.1").build(), "A4");
}

Bytes agent_arp(const char* spa, const char* tpa, uint16_t op = 1) {
  return FrameBuilder()
      .eth(kBroadcast, M(kAgentMac))
      .arp(op, M(kAgentMac), I(spa), MacAddr{}, I(tpa))
      .build();
}

TEST(ExplainAgent, A5ArpForRoutableAddresses) {
  expect_arp_reply(judge(kAgentPort, agent_arp(kVpcAgentIp, "52.216.0.1")), kAgentPort, "A5",
                   kGatewayMac, kAgentMac, kVpcAgentIp, "52.216.0.1");
  expect_arp_reply(judge(kAgentPort, agent_arp(kAgentServiceIp, "192.0.2.1")), kAgentPort, "A5",
                   kGatewayMac, kAgentMac, kAgentServiceIp, "192.0.2.1");
  EXPECT_DROP(judge(kAgentPort, agent_arp(kVpcAgentIp, "8.8.8.8")), arp_denied, "A4");
  EXPECT_DROP(judge(kAgentPort, agent_arp(kAgentServiceIp, kA0Ip)), arp_denied, "A4");
  EXPECT_DROP(judge(kAgentPort, agent_arp(kVpcAgentIp, kA0Ip)), arp_denied, "A4");
  EXPECT_DROP(judge(kAgentPort, agent_arp(kAgentServiceIp, "192.0.2.1", 2)), arp_denied, "A4");
  EXPECT_DROP(judge(kAgentPort, agent_arp("1.2.3.4", "192.0.2.1")), spoofed_src, "A4");
  EXPECT_DROP(judge(kAgentPort, agent_arp(kA0Ip, "192.0.2.1")), spoofed_src, "A4");
  Bytes sha = FrameBuilder()
                  .eth(kBroadcast, M(kAgentMac))
                  .arp_request(M(kA0Mac), I(kAgentServiceIp), I("192.0.2.1"))
                  .build();
  EXPECT_DROP(judge(kAgentPort, sha), spoofed_src, "A4");
  truncations(kAgentPort, agent_arp(kAgentServiceIp, "192.0.2.1"), "A4");
}

// ---- robustness ---------------------------------------------------------------

TEST(ExplainRobustness, RandomBytesOnEveryPortNeverCrash) {
  uint64_t x = 0x9E3779B97F4A7C15ull;
  auto next = [&x] {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  const Bytes seeds[] = {from_a0(kA1Ip).build(), arp_req(kA0Mac, kA0Ip, kA1Ip),
                         ns_from_a0(kA0Ip6, kA1Ip6).build(), vpc_frame("52.216.1.1", kVpcAgentIp),
                         from_agent(kVpcAgentIp, "52.216.1.1").build()};
  for (int i = 0; i < 20000; ++i) {
    Bytes f = seeds[next() % 5];
    const int flips = static_cast<int>(next() % 4);
    for (int k = 0; k < flips; ++k) f[next() % f.size()] = static_cast<uint8_t>(next());
    f.resize(next() % (f.size() + 8));
    const uint16_t port = static_cast<uint16_t>(next() % 8);
    Explanation e = judge(port, f, next() % 4 == 0, static_cast<uint16_t>(next()));
    if (e.verdict == Verdict::kDrop) {
      EXPECT_TRUE(e.out_frame.empty());
    } else {
      EXPECT_FALSE(e.out_frame.empty());
      EXPECT_NE(e.out_port, kNoPort);
    }
  }
}

// ---- frame_for_query ------------------------------------------------------------

Explanation ask(const ctl::ExplainQuery& q) {
  auto f = ctl::frame_for_query(doc(), q);
  EXPECT_TRUE(f.has_value()) << f.error().message;
  auto port = ctl::port_for_query(doc(), ports(), q);
  EXPECT_TRUE(port.has_value());
  if (!f || !port) return {};
  return judge(*port, *f);
}

TEST(ExplainQuery, FromVnic) {
  ctl::ExplainQuery q;
  q.vnic = "a-0";
  q.dst = kA1Ip;
  q.proto = "tcp";
  q.dport = 443;
  auto f = ctl::frame_for_query(doc(), q);
  ASSERT_TRUE(f);
  EXPECT_TRUE(ipv4_checksum_ok(*f));
  EXPECT_TRUE(l4_checksum_ok(*f));
  EXPECT_EQ(eth_src(*f), M(kA0Mac));
  EXPECT_EQ(ask(q).rule, "E5");
  q.dst = "169.254.169.254";
  Explanation e = ask(q);
  EXPECT_EQ(e.reason, DropReason::not_peer);
  EXPECT_NE(e.detail.find("169.254.169.254"), std::string::npos) << e.detail;
  EXPECT_NE(e.detail.find("train-a"), std::string::npos) << e.detail;
  q.proto = "icmp";
  q.dst = kARemoteIp;
  EXPECT_EQ(ask(q).rule, "E6");
  q.proto = "udp";
  q.dst = kA1Ip6;
  EXPECT_EQ(ask(q).rule, "E5");
  q.vnic = "c-0";  // no IPv6 address
  EXPECT_EQ(ask(q).reason, DropReason::ipv6_disabled);
  q.vnic = "b-0";
  q.dst = "8.8.8.8";
  EXPECT_EQ(ask(q).rule, "E8");
}

TEST(ExplainQuery, FromUplinkAndAgent) {
  ctl::ExplainQuery q;
  q.from_port = "uplink";
  q.src = "52.216.1.1";
  q.dst = kVpcAgentIp;
  auto f = ctl::frame_for_query(doc(), q);
  ASSERT_TRUE(f);
  EXPECT_EQ(vlan_tci(*f), kVpcVlan);
  EXPECT_EQ(ask(q).rule, "U3");
  q.src = kARemoteIp;
  q.dst = kA0Ip;
  EXPECT_EQ(ask(q).rule, "U1");
  q.src = kARemoteIp6;
  q.dst = kA0Ip6;
  q.proto = "icmp";
  EXPECT_EQ(ask(q).rule, "U1");
  ctl::ExplainQuery a;
  a.from_port = "agent";
  a.dst = "8.8.8.8";
  EXPECT_EQ(ask(a).rule, "A2");
  a.src = kVpcAgentIp;
  a.dst = "52.216.1.1";
  EXPECT_EQ(ask(a).rule, "A1");
}

TEST(ExplainQuery, ErrorsAreValues) {
  auto err = [](ctl::ExplainQuery q, ErrorCode code, const char* needle) {
    auto f = ctl::frame_for_query(doc(), q);
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error().code, code);
    EXPECT_NE(f.error().message.find(needle), std::string::npos) << f.error().message;
  };
  ctl::ExplainQuery q;
  q.vnic = "nope";
  q.dst = "1.2.3.4";
  err(q, ErrorCode::kNotFound, "nope");
  q.vnic = "a-0";
  q.dst = "1.2.3";
  err(q, ErrorCode::kInvalidArgument, "dst");
  q.dst = "";
  err(q, ErrorCode::kInvalidArgument, "dst");
  q.dst = "1.2.3.4";
  q.proto = "sctp";
  err(q, ErrorCode::kInvalidArgument, "proto");
  ctl::ExplainQuery u;
  u.from_port = "uplink";
  u.dst = kA0Ip;
  err(u, ErrorCode::kInvalidArgument, "src");
  u.src = kA1Ip6;
  err(u, ErrorCode::kInvalidArgument, "IPv4");
  u.from_port = "sideways";
  err(u, ErrorCode::kInvalidArgument, "sideways");
  u.from_port = "";
  err(u, ErrorCode::kInvalidArgument, "vNIC");
  PolicyDoc d = standard_policy();
  d.host.agent.reset();
  ctl::ExplainQuery a;
  a.from_port = "agent";
  a.dst = "8.8.8.8";
  auto f = ctl::frame_for_query(d, a);
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().code, ErrorCode::kNotFound);
  PortTable none;
  q.proto = "udp";
  EXPECT_EQ(ctl::port_for_query(doc(), none, q).error().code, ErrorCode::kNotFound);
}

}  // namespace
}  // namespace isoswitch::test
