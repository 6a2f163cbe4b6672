// Unit tests of QSBR publication (dataplane/daemon/snapshot_publisher.h) and
// the counter sums the control server reads (daemon_hooks.h).
#include "dataplane/daemon/snapshot_publisher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include "dataplane/daemon/daemon_hooks.h"

namespace isoswitch::dp {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Snapshot> snap(uint64_t gen, std::size_t ports = 2) {
  auto s = std::make_unique<Snapshot>();
  s->generation = gen;
  s->ports.resize(ports);
  s->jobs.resize(3);
  s->vnic_ids = {"a", "b"};
  return s;
}

TEST(SnapshotPublisher, StartsEmptySoTheDataPlaneFailsClosed) {
  auto p = SnapshotPublisher::create(1);
  ASSERT_TRUE(p);
  EXPECT_EQ((*p)->current(), nullptr);
  EXPECT_EQ((*p)->info().generation, 0u);
}

TEST(SnapshotPublisher, PublishWithNoWorkerOnlineReturnsAndRetiresTheOld) {
  auto p = std::move(*SnapshotPublisher::create(2));
  std::vector<uint64_t> retired;
  p->set_retire_observer([&](uint64_t g) { retired.push_back(g); });
  p->publish(snap(1));
  EXPECT_EQ(p->current()->generation, 1u);
  EXPECT_TRUE(retired.empty());
  p->publish(snap(2));
  EXPECT_EQ(p->current()->generation, 2u);
  EXPECT_EQ(retired, std::vector<uint64_t>{1});
  PolicyInfo i = p->info();
  EXPECT_EQ(i.generation, 2u);
  EXPECT_EQ(i.jobs, 3u);
  EXPECT_EQ(i.vnics, 2u);
  EXPECT_EQ(i.publishes, 2u);
  p->publish(nullptr);  // back to "no policy"
  EXPECT_EQ(p->current(), nullptr);
  EXPECT_EQ(p->info().generation, 0u);
  EXPECT_EQ(retired, (std::vector<uint64_t>{1, 2}));
}

TEST(SnapshotPublisher, RejectsOutOfRangeWorkerIds) {
  EXPECT_FALSE(SnapshotPublisher::create(0));
  auto p = std::move(*SnapshotPublisher::create(2));
  EXPECT_FALSE(p->worker_online(2));
  ASSERT_TRUE(p->worker_online(1));
  p->worker_offline(1);
}

// A worker that loaded generation 1 and is still inside its burst: publish(2)
// must not return (nor free generation 1) until that worker reports quiescence.
TEST(SnapshotPublisher, PublishWaitsForAWorkerMidBurstThenFreesTheOld) {
  auto p = std::move(*SnapshotPublisher::create(2));
  p->publish(snap(1));
  std::atomic<bool> retired1{false};
  p->set_retire_observer([&](uint64_t g) {
    if (g == 1) retired1 = true;
  });

  std::promise<void> loaded, finish;
  std::atomic<uint64_t> seen_gen{0};
  std::atomic<bool> freed_while_in_use{false};
  std::thread worker([&] {
    ASSERT_TRUE(p->worker_online(0));
    const Snapshot* s = p->current();  // the start of a burst
    loaded.set_value();
    finish.get_future().wait();  // ... the burst takes a long time ...
    if (retired1) freed_while_in_use = true;
    seen_gen = s->generation;  // still valid: we have not reported quiescence
    p->quiescent(0);           // end of this loop iteration
    // Keep polling like a real worker until the test says stop.
    while (p->current()->generation != 2) p->quiescent(0);
    p->worker_offline(0);
  });
  loaded.get_future().wait();

  auto publishing = std::async(std::launch::async, [&] { p->publish(snap(2)); });
  EXPECT_EQ(publishing.wait_for(200ms), std::future_status::timeout)
      << "publish returned while a worker could still use the old snapshot";
  EXPECT_FALSE(retired1);
  EXPECT_EQ(p->current()->generation, 2u) << "the new pointer is visible at once";

  finish.set_value();
  ASSERT_EQ(publishing.wait_for(5s), std::future_status::ready);
  publishing.get();
  worker.join();
  EXPECT_TRUE(retired1) << "old snapshot freed after the grace period";
  EXPECT_FALSE(freed_while_in_use);
  EXPECT_EQ(seen_gen, 1u);
  EXPECT_GT(p->info().last_grace_ns, 100'000'000u) << "the wait was measured";
}

// Several workers judging bursts in a loop while the control thread keeps
// publishing: every burst sees one whole snapshot that is alive (ASan would
// flag a read of a freed one), and generations never go backwards.
TEST(SnapshotPublisher, ManyPublishesUnderLoadNeverExposeAFreedSnapshot) {
  constexpr unsigned kWorkers = 2;
  auto p = std::move(*SnapshotPublisher::create(kWorkers));
  p->publish(snap(1, 64));
  std::atomic<bool> stop{false};
  std::atomic<unsigned> online{0};
  std::atomic<bool> bad{false};
  std::vector<std::thread> ts;
  for (unsigned id = 0; id < kWorkers; ++id)
    ts.emplace_back([&, id] {
      ASSERT_TRUE(p->worker_online(id));
      ++online;
      uint64_t last = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        const Snapshot* s = p->current();
        uint64_t g = s->generation;
        // Touch the whole port array, as process_burst would.
        std::size_t sum = 0;
        for (const auto& e : s->ports) sum += e.reserved;
        if (g < last || s->ports.size() != 64 || sum != 0) bad = true;
        last = g;
        p->quiescent(id);
        std::this_thread::yield();  // 2 shared cores: let the publisher run
      }
      p->worker_offline(id);
    });
  while (online < kWorkers) std::this_thread::yield();
  for (uint64_t g = 2; g <= 100; ++g) p->publish(snap(g, 64));
  stop = true;
  for (auto& t : ts) t.join();
  EXPECT_FALSE(bad);
  EXPECT_EQ(p->current()->generation, 100u);
}

TEST(DaemonHooks, SumsEveryWorkersCountersPerPort) {
  constexpr uint16_t kPorts = 3;
  std::vector<PortCounters> w0(kPorts), w1(kPorts);
  w0[0].rx_frames = 10;
  w0[0].drops[static_cast<int>(DropReason::not_peer)] = 4;
  w1[0].rx_frames = 5;
  w1[0].drops[static_cast<int>(DropReason::not_peer)] = 1;
  w0[2].tx_frames = 7;
  w0[2].tx_bytes = 700;
  w1[2].tx_frames = 3;
  w1[2].tx_bytes = 300;
  w1[2].tx_dropped = 2;
  w1[1].replies = 9;
  auto p = std::move(*SnapshotPublisher::create(2));
  DaemonHooks hooks(*p, {w0.data(), w1.data()}, kPorts);
  auto sum = hooks.port_counters();
  ASSERT_EQ(sum.size(), kPorts);
  EXPECT_EQ(sum[0].rx_frames, 15u);
  EXPECT_EQ(sum[0].drops[static_cast<int>(DropReason::not_peer)], 5u);
  EXPECT_EQ(sum[0].total_drops(), 5u);
  EXPECT_EQ(sum[1].replies, 9u);
  EXPECT_EQ(sum[2].tx_frames, 10u);
  EXPECT_EQ(sum[2].tx_bytes, 1000u);
  EXPECT_EQ(sum[2].tx_dropped, 2u);
  EXPECT_EQ(sum[1].rx_frames, 0u);
}

TEST(DaemonHooks, PublishesThroughTheQsbrPublisherAndChecksThePortCount) {
  auto p = std::move(*SnapshotPublisher::create(1));
  std::vector<PortCounters> w0(2);
  DaemonHooks hooks(*p, {w0.data()}, 2);
  ASSERT_TRUE(hooks.publish(snap(7, 2)));
  EXPECT_EQ(p->current()->generation, 7u);
  auto bad = hooks.publish(snap(8, 3));
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
  EXPECT_EQ(p->current()->generation, 7u) << "a mismatched snapshot is never published";
}

}  // namespace
}  // namespace isoswitch::dp
