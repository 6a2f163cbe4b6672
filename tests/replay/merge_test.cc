// Processing order across inputs and the bursts handed to the pipeline.
#include "dataplane/replay/merge.h"

#include <gtest/gtest.h>

#include <vector>

namespace isoswitch::replay {
namespace {

Capture cap_with(std::vector<uint64_t> ts) {
  Capture c;
  for (uint64_t t : ts) c.frames.push_back({t, 0, 0, 0});
  return c;
}

TEST(MergeOrder, TimestampOrderAcrossInputs) {
  Capture a = cap_with({10, 30, 50}), b = cap_with({20, 40});
  auto o = merge_order({&a, &b});
  std::vector<FrameId> want = {{0, 0}, {1, 0}, {0, 1}, {1, 1}, {0, 2}};
  EXPECT_EQ(o, want);
}

TEST(MergeOrder, TiesGoToArgumentOrderThenFileOrder) {
  Capture a = cap_with({5, 5}), b = cap_with({5, 5});
  // b given first on the command line: all of b's tied frames come first.
  auto o = merge_order({&b, &a});
  std::vector<FrameId> want = {{0, 0}, {0, 1}, {1, 0}, {1, 1}};
  EXPECT_EQ(o, want);
}

TEST(MergeOrder, BackwardsTimestampsInOneFileAreSorted) {
  Capture a = cap_with({30, 10, 20});
  auto o = merge_order({&a});
  std::vector<FrameId> want = {{0, 1}, {0, 2}, {0, 0}};
  EXPECT_EQ(o, want);
}

TEST(MergeOrder, EmptyInputs) {
  Capture a, b = cap_with({1});
  EXPECT_EQ(merge_order({&a, &b}), (std::vector<FrameId>{{1, 0}}));
  EXPECT_TRUE(merge_order({}).empty());
}

TEST(Bursts, ConsecutiveFramesOfOnePortUpTo32) {
  std::vector<FrameId> order;
  for (uint32_t i = 0; i < 70; ++i) order.push_back({0, i});
  auto b = form_bursts(order, 32);
  std::vector<Burst> want = {{0, 0, 32}, {0, 32, 64}, {0, 64, 70}};
  EXPECT_EQ(b, want);
}

TEST(Bursts, NeverSpanTwoInputs) {
  std::vector<FrameId> order = {{0, 0}, {0, 1}, {1, 0}, {0, 2}, {1, 1}, {1, 2}};
  auto b = form_bursts(order, 32);
  std::vector<Burst> want = {{0, 0, 2}, {1, 2, 3}, {0, 3, 4}, {1, 4, 6}};
  EXPECT_EQ(b, want);
  // Together the bursts cover the order exactly once, in order.
  uint32_t next = 0;
  for (const auto& x : b) {
    EXPECT_EQ(x.begin, next);
    for (uint32_t i = x.begin; i < x.end; ++i) EXPECT_EQ(order[i].input, x.input);
    next = x.end;
  }
  EXPECT_EQ(next, order.size());
}

TEST(Bursts, EmptyOrderHasNoBursts) {
  EXPECT_TRUE(form_bursts({}, 32).empty());
}

}  // namespace
}  // namespace isoswitch::replay
