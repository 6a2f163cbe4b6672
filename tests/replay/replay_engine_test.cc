// The engine: frames reach dp::process_burst in merged order, what leaves is
// emitted byte-exact on the right port with the input's timestamp, counters
// agree with the summary, and mbuf sizing follows the MTU.
#include "dataplane/replay/replay_engine.h"

#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <memory>
#include <vector>

#include "control/policy/compile.h"
#include "tests/support/dpdk_test_main.h"
#include "tests/support/frame_builder.h"
#include "tests/support/test_policy.h"

namespace isoswitch::replay {
namespace {

using test::Bytes;
using test::FrameBuilder;
using test::ip4;
using test::mac;
namespace sa = test::std_addr;

struct Seen {
  uint32_t input;
  uint32_t index;
  Verdict verdict;
  DropReason reason;
  uint16_t out;
};
struct Emitted {
  uint16_t port;
  uint64_t ts;
  Bytes bytes;
};

class MemoryOutput final : public EngineOutput {
 public:
  explicit MemoryOutput(const std::vector<ReplayInput>& ins) : ins_(ins) {}
  Result<void> verdict(const ReplayInput& in, uint32_t index, Verdict v, DropReason r,
                       uint16_t out) override {
    seen.push_back({static_cast<uint32_t>(&in - ins_.data()), index, v, r, out});
    return {};
  }
  Result<void> emit(uint16_t port, uint64_t ts, const uint8_t* d, uint32_t len) override {
    emitted.push_back({port, ts, Bytes(d, d + len)});
    return {};
  }
  std::vector<Seen> seen;
  std::vector<Emitted> emitted;

 private:
  const std::vector<ReplayInput>& ins_;
};

void add(Capture& c, uint64_t ts, const Bytes& f) {
  c.frames.push_back(
      {ts, c.data.size(), static_cast<uint32_t>(f.size()), static_cast<uint32_t>(f.size())});
  c.data.insert(c.data.end(), f.begin(), f.end());
}

Bytes a0_to(const char* dst) {
  return FrameBuilder()
      .eth(mac(sa::kGatewayMac), mac(sa::kA0Mac))
      .ipv4(ip4(sa::kA0Ip), ip4(dst))
      .udp(1000, 2000)
      .pad()
      .build();
}

Bytes a1_to(const char* dst) {
  return FrameBuilder()
      .eth(mac(sa::kGatewayMac), mac(sa::kA1Mac))
      .ipv4(ip4(sa::kA1Ip), ip4(dst))
      .udp(1000, 2000)
      .pad()
      .build();
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ports_ = test::standard_ports();
    auto s = ctl::compile(test::standard_policy(), ports_, {.generation = 1, .mtu = 1500});
    ASSERT_TRUE(s) << s.error().message;
    snap_ = std::move(*s);
  }
  PortTable ports_;
  std::unique_ptr<Snapshot> snap_;
};

TEST_F(EngineTest, MergedOrderVerdictsAndEmittedBytes) {
  Capture c0, c1;
  add(c0, 100, a0_to(sa::kA1Ip));       // E5 -> vnic1
  add(c0, 300, a0_to("8.8.8.8"));       // E7 not_peer
  add(c1, 200, a1_to(sa::kARemoteIp));  // E6 -> uplink
  add(c1, 300, a1_to(sa::kA0Ip));       // tie at 300: input 0 first
  std::vector<ReplayInput> ins = {{"vnic0", test::kVnicA0Port, &c0},
                                  {"vnic1", test::kVnicA1Port, &c1}};
  MemoryOutput out(ins);
  std::vector<PortCounters> counters(ports_.size());
  auto sum = run_pipeline(snap_.get(), ports_, ins, test::test_mempool(), out, counters);
  ASSERT_TRUE(sum) << sum.error().message;

  ASSERT_EQ(out.seen.size(), 4u);
  EXPECT_EQ(out.seen[0].input, 0u);
  EXPECT_EQ(out.seen[0].index, 0u);
  EXPECT_EQ(out.seen[1].input, 1u);
  EXPECT_EQ(out.seen[1].index, 0u);
  EXPECT_EQ(out.seen[2].input, 0u);
  EXPECT_EQ(out.seen[2].index, 1u);
  EXPECT_EQ(out.seen[3].input, 1u);
  EXPECT_EQ(out.seen[3].index, 1u);

  EXPECT_EQ(out.seen[0].verdict, Verdict::kForward);
  EXPECT_EQ(out.seen[0].out, test::kVnicA1Port);
  EXPECT_EQ(out.seen[1].verdict, Verdict::kForward);
  EXPECT_EQ(out.seen[1].out, test::kUplinkPort);
  EXPECT_EQ(out.seen[2].verdict, Verdict::kDrop);
  EXPECT_EQ(out.seen[2].reason, DropReason::not_peer);
  EXPECT_EQ(out.seen[2].out, kNoPort);
  EXPECT_EQ(out.seen[3].out, test::kVnicA0Port);

  ASSERT_EQ(out.emitted.size(), 3u);
  // Only the MACs change; the timestamp is the input frame's.
  Bytes want = a0_to(sa::kA1Ip);
  auto m1 = mac(sa::kA1Mac), gw = mac(sa::kGatewayMac);
  std::copy(m1.b.begin(), m1.b.end(), want.begin());
  std::copy(gw.b.begin(), gw.b.end(), want.begin() + 6);
  EXPECT_EQ(out.emitted[0].port, test::kVnicA1Port);
  EXPECT_EQ(out.emitted[0].ts, 100u);
  EXPECT_EQ(out.emitted[0].bytes, want);
  EXPECT_EQ(out.emitted[1].port, test::kUplinkPort);
  EXPECT_EQ(out.emitted[1].ts, 200u);
  EXPECT_EQ(out.emitted[2].ts, 300u);

  EXPECT_EQ(sum->inputs[0].counts.forward, 1u);
  EXPECT_EQ(sum->inputs[0].counts.drop, 1u);
  EXPECT_EQ(sum->inputs[1].counts.forward, 2u);
  EXPECT_EQ(sum->outputs[test::kUplinkPort].frames, 1u);
  EXPECT_EQ(sum->outputs[test::kVnicA0Port].frames, 1u);
  EXPECT_EQ(sum->outputs[test::kVnicA1Port].frames, 1u);
  // The pipeline's own counters saw the same frames.
  EXPECT_EQ(counters[test::kVnicA0Port].rx_frames, 2u);
  EXPECT_EQ(counters[test::kVnicA1Port].rx_frames, 2u);
  EXPECT_EQ(counters[test::kVnicA0Port].drops[static_cast<int>(DropReason::not_peer)], 1u);
}

TEST_F(EngineTest, LongRunsAreSplitIntoBurstsAndAllJudged) {
  Capture c;
  for (uint64_t i = 0; i < 100; ++i) add(c, i, a0_to(i % 2 ? sa::kA1Ip : "1.2.3.4"));
  std::vector<ReplayInput> ins = {{"vnic0", test::kVnicA0Port, &c}};
  MemoryOutput out(ins);
  std::vector<PortCounters> counters(ports_.size());
  auto sum = run_pipeline(snap_.get(), ports_, ins, test::test_mempool(), out, counters);
  ASSERT_TRUE(sum) << sum.error().message;
  ASSERT_EQ(out.seen.size(), 100u);
  for (uint32_t i = 0; i < 100; ++i) {
    EXPECT_EQ(out.seen[i].index, i);
    EXPECT_EQ(out.seen[i].verdict, i % 2 ? Verdict::kForward : Verdict::kDrop) << i;
  }
  EXPECT_EQ(out.emitted.size(), 50u);
  EXPECT_EQ(counters[test::kVnicA0Port].rx_frames, 100u);
  // Every mbuf went back to the pool.
  EXPECT_EQ(rte_mempool_in_use_count(test::test_mempool()), 0u);
}

TEST_F(EngineTest, NoPolicyDropsEverything) {
  Capture c;
  add(c, 1, a0_to(sa::kA1Ip));
  std::vector<ReplayInput> ins = {{"vnic0", test::kVnicA0Port, &c}};
  MemoryOutput out(ins);
  std::vector<PortCounters> counters(ports_.size());
  auto sum = run_pipeline(nullptr, ports_, ins, test::test_mempool(), out, counters);
  ASSERT_TRUE(sum);
  ASSERT_EQ(out.seen.size(), 1u);
  EXPECT_EQ(out.seen[0].reason, DropReason::no_policy);
  EXPECT_TRUE(out.emitted.empty());
}

TEST_F(EngineTest, ArpAnswerLeavesOnTheIngressPort) {
  Capture c;
  add(c, 7,
      FrameBuilder()
          .eth(test::kBroadcast, mac(sa::kA0Mac))
          .arp_request(mac(sa::kA0Mac), ip4(sa::kA0Ip), ip4(sa::kA1Ip))
          .pad()
          .build());
  std::vector<ReplayInput> ins = {{"vnic0", test::kVnicA0Port, &c}};
  MemoryOutput out(ins);
  std::vector<PortCounters> counters(ports_.size());
  ASSERT_TRUE(run_pipeline(snap_.get(), ports_, ins, test::test_mempool(), out, counters));
  ASSERT_EQ(out.seen.size(), 1u);
  EXPECT_EQ(out.seen[0].verdict, Verdict::kReply);
  EXPECT_EQ(out.seen[0].out, test::kVnicA0Port);
  ASSERT_EQ(out.emitted.size(), 1u);
  EXPECT_EQ(out.emitted[0].port, test::kVnicA0Port);
  EXPECT_EQ(out.emitted[0].bytes.size(), 42u);
}

TEST(ReplayDataRoom, FramesWithinTheMtuFitOneSegment) {
  for (uint16_t mtu : {uint16_t{68}, uint16_t{1500}, uint16_t{9000}, uint16_t{9600}}) {
    uint32_t room = replay_data_room(mtu) - RTE_PKTMBUF_HEADROOM;
    EXPECT_GE(room, uint32_t{mtu} + 18u + 4u) << mtu;
  }
}

TEST(ReplayPoolSize, AFullBurstOfTheLongestFrameFits) {
  const uint16_t room = replay_data_room(1500);
  const uint32_t seg = room - RTE_PKTMBUF_HEADROOM;
  EXPECT_GE(replay_pool_size(60, room), 1023u);
  EXPECT_GE(replay_pool_size(262144, room), 32u * ((262144 + seg - 1) / seg));
  EXPECT_GE(replay_pool_size(seg + 1, room), 64u);
}

TEST(ReplayPoolSize, HugeCapturedFramesDoNotRunThePoolDry) {
  // tcpdump on a host with TSO captures 64 KiB "frames": a burst of them must
  // be judged (too_long), not fail the run.
  const uint16_t room = replay_data_room(1500);
  rte_mempool* pool = rte_pktmbuf_pool_create("huge_pool", replay_pool_size(65000, room), 0, 0,
                                              room, SOCKET_ID_ANY);
  ASSERT_NE(pool, nullptr);
  auto ports = test::standard_ports();
  auto snap = ctl::compile(test::standard_policy(), ports, {.generation = 1, .mtu = 1500});
  ASSERT_TRUE(snap);
  Capture c;
  Bytes big = FrameBuilder()
                  .eth(mac(sa::kGatewayMac), mac(sa::kA0Mac))
                  .ipv4(ip4(sa::kA0Ip), ip4(sa::kA1Ip))
                  .udp(1, 2)
                  .payload(Bytes(65000 - 42, 1))
                  .build();
  for (int i = 0; i < 40; ++i) add(c, i, big);
  std::vector<ReplayInput> ins = {{"vnic0", test::kVnicA0Port, &c}};
  MemoryOutput out(ins);
  std::vector<PortCounters> counters(ports.size());
  auto sum = run_pipeline(snap->get(), ports, ins, pool, out, counters);
  ASSERT_TRUE(sum) << sum.error().message;
  EXPECT_EQ(sum->inputs[0].counts.reasons[static_cast<int>(DropReason::too_long)], 40u);
  EXPECT_EQ(rte_mempool_in_use_count(pool), 0u);
  rte_mempool_free(pool);
}

class JumboTest : public EngineTest {
 protected:
  void SetUp() override {
    ports_ = test::standard_ports();
    auto s = ctl::compile(test::standard_policy(), ports_, {.generation = 1, .mtu = 9000});
    ASSERT_TRUE(s) << s.error().message;
    snap_ = std::move(*s);
    pool_ = rte_pktmbuf_pool_create("jumbo_pool", 63, 0, 0, replay_data_room(9000), SOCKET_ID_ANY);
    ASSERT_NE(pool_, nullptr);
  }
  void TearDown() override { rte_mempool_free(pool_); }
  rte_mempool* pool_ = nullptr;
};

TEST_F(JumboTest, JumboWithinMtuForwardsAndLongerDrops) {
  Bytes jumbo = FrameBuilder()
                    .eth(mac(sa::kGatewayMac), mac(sa::kA0Mac))
                    .ipv4(ip4(sa::kA0Ip), ip4(sa::kA1Ip))
                    .udp(1, 2)
                    .payload(Bytes(9000 - 28, 0x5a))
                    .build();
  ASSERT_EQ(jumbo.size(), 9014u);
  Bytes too_long = FrameBuilder()
                       .eth(mac(sa::kGatewayMac), mac(sa::kA0Mac))
                       .ipv4(ip4(sa::kA0Ip), ip4(sa::kA1Ip))
                       .udp(1, 2)
                       .payload(Bytes(12000, 0x5a))
                       .build();  // longer than one segment: a chained mbuf
  Capture c;
  add(c, 1, jumbo);
  add(c, 2, too_long);
  std::vector<ReplayInput> ins = {{"vnic0", test::kVnicA0Port, &c}};
  MemoryOutput out(ins);
  std::vector<PortCounters> counters(ports_.size());
  auto sum = run_pipeline(snap_.get(), ports_, ins, pool_, out, counters);
  ASSERT_TRUE(sum) << sum.error().message;
  ASSERT_EQ(out.seen.size(), 2u);
  EXPECT_EQ(out.seen[0].verdict, Verdict::kForward);
  EXPECT_EQ(out.seen[1].verdict, Verdict::kDrop);
  EXPECT_EQ(out.seen[1].reason, DropReason::too_long);
  ASSERT_EQ(out.emitted.size(), 1u);
  EXPECT_EQ(out.emitted[0].bytes.size(), jumbo.size());
  EXPECT_EQ(rte_mempool_in_use_count(pool_), 0u);
}

}  // namespace
}  // namespace isoswitch::replay
