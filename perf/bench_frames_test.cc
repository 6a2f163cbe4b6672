// The benchmarks measure what they claim: every rule family's frames get the
// verdict and reason that family names, for both policy sizes, and the mixes
// have the advertised shares. A benchmark whose "allow" frames were silently
// dropped (a policy or address-plan drift) would report a fast, wrong figure.
//
// Pure: BurstSet without a pool lays mbufs out by hand, so no EAL is needed.
#include <gtest/gtest.h>

#include <vector>

#include "dataplane/pipeline/pipeline.h"
#include "perf/bench_frames.h"
#include "perf/bench_policy.h"

namespace isoswitch::bench {
namespace {

struct Tally {
  uint64_t frames = 0, forwarded = 0, replies = 0;
  uint64_t to_uplink = 0, to_vnic = 0;
  uint64_t drops[kNumDropReasons] = {};
};

Tally judge_all(const ScaledPolicy& p, Family f, uint32_t frames) {
  auto set = BurstSet::build(p, f, frames, nullptr);
  EXPECT_TRUE(set.has_value());
  Tally t;
  if (!set) return t;
  std::vector<PortCounters> counters(p.ports.size());
  dp::BurstActions a;
  for (std::size_t b = 0; b < set->size(); ++b) {
    const Burst& burst = set->load(b);
    dp::process_burst(p.snap.get(), burst.in_port, burst.pkts, burst.n, a, counters.data());
    for (uint16_t i = 0; i < burst.n; ++i) {
      ++t.frames;
      switch (a.verdict[i]) {
        case Verdict::kDrop: ++t.drops[static_cast<unsigned>(a.reason[i])]; break;
        case Verdict::kReply: ++t.replies; break;
        case Verdict::kForward:
          ++t.forwarded;
          (a.out_port[i] == p.snap->uplink_port ? t.to_uplink : t.to_vnic)++;
          break;
      }
    }
  }
  return t;
}

uint64_t dropped(const Tally& t, DropReason r) { return t.drops[static_cast<unsigned>(r)]; }

class BenchFramesTest : public ::testing::TestWithParam<int> {
 protected:
  const ScaledPolicy& policy() {
    static auto small = make_scaled_policy(kSmallPolicy);
    static auto large = make_scaled_policy(kLargePolicy);
    auto& p = GetParam() == 0 ? small : large;
    EXPECT_TRUE(p.has_value()) << (p ? "" : p.error().message);
    return *p;
  }
};

TEST_P(BenchFramesTest, PolicyHasTheAdvertisedSize) {
  const ScaledPolicy& p = policy();
  EXPECT_EQ(p.doc.jobs.size(), p.size.jobs);
  EXPECT_EQ(p.doc.vnics.size(), p.size.vnics);
  std::size_t peers = 0;
  for (const auto& j : p.doc.jobs) peers += j.peers.size();
  EXPECT_EQ(peers, p.size.peers);
  EXPECT_EQ(p.ports.size(), p.size.vnics + 1u);
}

TEST_P(BenchFramesTest, AllowFamiliesForward) {
  const ScaledPolicy& p = policy();
  Tally u = judge_all(p, Family::uplink_allow, 2048);
  EXPECT_EQ(u.forwarded, u.frames);
  EXPECT_EQ(u.to_vnic, u.frames);
  Tally l = judge_all(p, Family::vnic_local, 2048);
  EXPECT_EQ(l.to_vnic, l.frames);
  Tally r = judge_all(p, Family::vnic_remote, 2048);
  EXPECT_EQ(r.to_uplink, r.frames);
  Tally a = judge_all(p, Family::vnic_arp, 2048);
  EXPECT_EQ(a.replies, a.frames);
}

TEST_P(BenchFramesTest, DenyFamiliesDropForTheirReason) {
  const ScaledPolicy& p = policy();
  Tally c = judge_all(p, Family::uplink_cross_job, 2048);
  EXPECT_EQ(dropped(c, DropReason::not_peer_inbound), c.frames);
  Tally o = judge_all(p, Family::uplink_outside, 2048);
  EXPECT_EQ(dropped(o, DropReason::not_peer_inbound), o.frames);
  Tally n = judge_all(p, Family::uplink_no_route, 2048);
  EXPECT_EQ(dropped(n, DropReason::no_route), n.frames);
  Tally e7 = judge_all(p, Family::vnic_not_peer, 2048);
  EXPECT_EQ(dropped(e7, DropReason::not_peer), e7.frames);
  Tally e1 = judge_all(p, Family::vnic_spoofed, 2048);
  EXPECT_EQ(dropped(e1, DropReason::spoofed_src), e1.frames);
  Tally m = judge_all(p, Family::malformed, 2048);
  EXPECT_EQ(dropped(m, DropReason::malformed), m.frames);
}

TEST_P(BenchFramesTest, MixesHaveTheAdvertisedShares) {
  const ScaledPolicy& p = policy();
  Tally u = judge_all(p, Family::uplink_mix, 8192);
  EXPECT_EQ(u.frames, 8192u);
  EXPECT_EQ(u.forwarded, 8192u * 7 / 10);  // exactly 70% U1
  EXPECT_EQ(u.forwarded + dropped(u, DropReason::not_peer_inbound) +
                dropped(u, DropReason::no_route),
            u.frames);
  Tally v = judge_all(p, Family::vnic_mix, 8192);
  EXPECT_NEAR(static_cast<double>(v.forwarded) / v.frames, 0.7, 0.03);
  EXPECT_EQ(v.forwarded + dropped(v, DropReason::not_peer), v.frames);
}

TEST_P(BenchFramesTest, LoadRestoresRewrittenFrames) {
  // Judging the same set twice gives the same verdicts: rewrites of the first
  // pass never leak into the second.
  const ScaledPolicy& p = policy();
  Tally first = judge_all(p, Family::uplink_mix, 1024);
  auto set = BurstSet::build(p, Family::uplink_mix, 1024, nullptr);
  ASSERT_TRUE(set.has_value());
  std::vector<PortCounters> counters(p.ports.size());
  dp::BurstActions a;
  uint64_t fwd = 0;
  for (int pass = 0; pass < 3; ++pass) {
    fwd = 0;
    for (std::size_t b = 0; b < set->size(); ++b) {
      const Burst& burst = set->load(b);
      dp::process_burst(p.snap.get(), burst.in_port, burst.pkts, burst.n, a, counters.data());
      for (uint16_t i = 0; i < burst.n; ++i) fwd += a.verdict[i] == Verdict::kForward;
    }
    EXPECT_EQ(fwd, first.forwarded) << "pass " << pass;
  }
}

INSTANTIATE_TEST_SUITE_P(Sizes, BenchFramesTest, ::testing::Values(0, 1),
                         [](const auto& info) { return info.param == 0 ? "small" : "large"; });

}  // namespace
}  // namespace isoswitch::bench
