// Unit tests of the worker's emit step (dataplane/daemon/worker.h) on
// ring-backed ethdevs: forwards go out the chosen port's TX queue, replies
// back out the ingress port, drops are freed, a full TX queue's refusals are
// freed and counted as tx_dropped of the egress port, and mbufs never leak.
#include "dataplane/daemon/worker.h"

#include <gtest/gtest.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include <string>

#include "tests/support/dpdk_test_main.h"

namespace isoswitch::dp {
namespace {

struct RingPort {
  rte_ring* rx = nullptr;
  rte_ring* tx = nullptr;
  uint16_t id = 0;
};

RingPort make_ring_port(const std::string& name, unsigned tx_size) {
  RingPort p;
  p.rx = rte_ring_create((name + "_rx").c_str(), 64, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
  p.tx = rte_ring_create((name + "_tx").c_str(), tx_size, SOCKET_ID_ANY,
                         RING_F_SP_ENQ | RING_F_SC_DEQ);
  EXPECT_NE(p.rx, nullptr);
  EXPECT_NE(p.tx, nullptr);
  int id = rte_eth_from_rings(name.c_str(), &p.rx, 1, &p.tx, 1, SOCKET_ID_ANY);
  EXPECT_GE(id, 0);
  p.id = static_cast<uint16_t>(id);
  rte_eth_conf conf{};
  EXPECT_EQ(rte_eth_dev_configure(p.id, 1, 1, &conf), 0);
  EXPECT_EQ(rte_eth_rx_queue_setup(p.id, 0, 64, SOCKET_ID_ANY, nullptr, test::test_mempool()), 0);
  EXPECT_EQ(rte_eth_tx_queue_setup(p.id, 0, 64, SOCKET_ID_ANY, nullptr), 0);
  EXPECT_EQ(rte_eth_dev_start(p.id), 0);
  return p;
}

rte_mbuf* frame(uint16_t len, uint8_t tag) {
  rte_mbuf* m = rte_pktmbuf_alloc(test::test_mempool());
  EXPECT_NE(m, nullptr);
  char* d = rte_pktmbuf_append(m, len);
  std::memset(d, tag, len);
  return m;
}

unsigned drain(rte_ring* r, std::vector<uint8_t>* tags) {
  void* objs[64];
  unsigned n = rte_ring_dequeue_burst(r, objs, 64, nullptr);
  for (unsigned i = 0; i < n; ++i) {
    auto* m = static_cast<rte_mbuf*>(objs[i]);
    if (tags) tags->push_back(*rte_pktmbuf_mtod(m, uint8_t*));
    rte_pktmbuf_free(m);
  }
  return n;
}

class WorkerEmit : public ::testing::Test {
 protected:
  void SetUp() override {
    static int seq = 0;
    std::string s = std::to_string(seq++);
    a_ = make_ring_port("wt_a" + s, 64);
    b_ = make_ring_port("wt_b" + s, 8);  // 7 free slots: a burst of 10 overflows
    pub_ = std::move(*SnapshotPublisher::create(1));
    w_ = std::make_unique<WorkerState>();
    uint16_t ids[2] = {a_.id, b_.id};
    ASSERT_TRUE(worker_state_init(*w_, 0, ids, 2, *pub_, stop_));
    avail_before_ = rte_mempool_avail_count(test::test_mempool());
  }
  void TearDown() override {
    worker_state_release(*w_);
    for (auto* p : {&a_, &b_}) {
      rte_eth_dev_stop(p->id);
      rte_eth_dev_close(p->id);
      drain(p->tx, nullptr);
      rte_ring_free(p->rx);
      rte_ring_free(p->tx);
    }
    EXPECT_EQ(rte_mempool_avail_count(test::test_mempool()), avail_before_) << "mbufs leaked";
  }
  RingPort a_, b_;
  std::unique_ptr<SnapshotPublisher> pub_;
  std::unique_ptr<WorkerState> w_;
  std::atomic<bool> stop_{false};
  unsigned avail_before_ = 0;
};

TEST_F(WorkerEmit, ForwardsRepliesAndDropsGoWhereTheActionsSay) {
  // From port 0 (a): frame 0 forward to b, 1 reply (back to a), 2 drop, 3 forward to b.
  const Verdict v[4] = {Verdict::kForward, Verdict::kReply, Verdict::kDrop, Verdict::kForward};
  const uint16_t out[4] = {1, 0, kNoPort, 1};
  for (uint16_t i = 0; i < 4; ++i) {
    w_->pkts[i] = frame(static_cast<uint16_t>(60 + i), static_cast<uint8_t>(i));
    w_->actions.verdict[i] = v[i];
    w_->actions.out_port[i] = out[i];
    w_->actions.reason[i] = DropReason::not_peer;
  }
  const unsigned before = rte_mempool_avail_count(test::test_mempool());
  emit_burst(*w_, 0, 4);
  EXPECT_EQ(rte_mempool_avail_count(test::test_mempool()), before + 1) << "the drop was freed";
  EXPECT_EQ(rte_ring_count(b_.tx), 0u) << "buffered until the drain";
  flush_tx(*w_);
  std::vector<uint8_t> on_a, on_b;
  EXPECT_EQ(drain(a_.tx, &on_a), 1u);
  EXPECT_EQ(drain(b_.tx, &on_b), 2u);
  EXPECT_EQ(on_a, std::vector<uint8_t>{1});
  EXPECT_EQ(on_b, (std::vector<uint8_t>{0, 3}));
  EXPECT_EQ(w_->counters[0].tx_frames, 1u);
  EXPECT_EQ(w_->counters[0].replies, 1u);
  EXPECT_EQ(w_->counters[0].tx_bytes, 61u);
  EXPECT_EQ(w_->counters[1].tx_frames, 2u);
  EXPECT_EQ(w_->counters[1].tx_bytes, 60u + 63u);
  EXPECT_EQ(w_->counters[1].replies, 0u);
}

TEST_F(WorkerEmit, FramesTheDeviceRefusesAreFreedAndCountedOnTheEgressPort) {
  for (uint16_t i = 0; i < 10; ++i) {
    w_->pkts[i] = frame(100, static_cast<uint8_t>(i));
    w_->actions.verdict[i] = Verdict::kForward;
    w_->actions.out_port[i] = 1;
  }
  emit_burst(*w_, 0, 10);
  flush_tx(*w_);
  EXPECT_EQ(rte_ring_count(b_.tx), 7u);
  EXPECT_EQ(w_->counters[1].tx_frames, 7u);
  EXPECT_EQ(w_->counters[1].tx_bytes, 700u);
  EXPECT_EQ(w_->counters[1].tx_dropped, 3u);
  EXPECT_EQ(w_->counters[0].tx_dropped, 0u);
}

// A batch that fills is sent at once (frames never wait for a flush past 32
// per port); the rest waits for the end of the pass, and a second flush with
// nothing queued sends nothing.
TEST_F(WorkerEmit, AFullBatchIsSentAtOnceAndTheRestAtTheFlush) {
  for (uint16_t burst = 0; burst < 2; ++burst) {
    for (uint16_t i = 0; i < 20; ++i) {
      w_->pkts[i] = frame(60, static_cast<uint8_t>(burst * 20 + i));
      w_->actions.verdict[i] = Verdict::kForward;
      w_->actions.out_port[i] = 0;
    }
    emit_burst(*w_, 1, 20);
  }
  EXPECT_EQ(rte_ring_count(a_.tx), 32u) << "the first 32 left when the batch filled";
  flush_tx(*w_);
  EXPECT_EQ(rte_ring_count(a_.tx), 40u);
  flush_tx(*w_);
  std::vector<uint8_t> tags;
  EXPECT_EQ(drain(a_.tx, &tags), 40u);
  for (uint8_t i = 0; i < 40; ++i) EXPECT_EQ(tags[i], i) << "order kept";
  EXPECT_EQ(rte_ring_count(b_.tx), 0u);
  EXPECT_EQ(w_->counters[0].tx_frames, 40u);
  EXPECT_EQ(w_->n_pending, 0u);
}

// Frames still queued when a worker is torn down are freed, not leaked
// (TearDown checks the pool).
TEST_F(WorkerEmit, ReleaseFreesFramesStillQueued) {
  w_->pkts[0] = frame(60, 1);
  w_->actions.verdict[0] = Verdict::kForward;
  w_->actions.out_port[0] = 1;
  emit_burst(*w_, 0, 1);
  worker_state_release(*w_);
  EXPECT_EQ(rte_ring_count(b_.tx), 0u);
}

TEST_F(WorkerEmit, AnOutPortBeyondThePortTableIsDroppedNotSent) {
  w_->pkts[0] = frame(64, 0);
  w_->actions.verdict[0] = Verdict::kForward;
  w_->actions.out_port[0] = 5;
  emit_burst(*w_, 0, 1);
  flush_tx(*w_);
  EXPECT_EQ(rte_ring_count(a_.tx) + rte_ring_count(b_.tx), 0u);
  EXPECT_EQ(w_->counters[0].tx_dropped, 1u);
}

// The whole loop on ring ports: frames on a's RX ring with no policy loaded
// are judged (no_policy) and freed; the worker stops when told and goes
// offline so a later publish does not wait for it.
TEST_F(WorkerEmit, WorkerLoopFailsClosedWithoutAPolicyAndStops) {
  w_->rx[0] = RxQueueRef{0, a_.id, 0};
  w_->n_rx = 1;
  for (int i = 0; i < 5; ++i) {
    rte_mbuf* m = frame(60, 1);
    ASSERT_EQ(rte_ring_enqueue(a_.rx, m), 0);
  }
  std::thread t([&] { EXPECT_EQ(worker_main(w_.get()), 0); });
  for (int i = 0; i < 2000 && w_->counters[0].rx_frames < 5; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  stop_ = true;
  t.join();
  EXPECT_EQ(w_->counters[0].rx_frames, 5u);
  EXPECT_EQ(w_->counters[0].drops[static_cast<int>(DropReason::no_policy)], 5u);
  EXPECT_EQ(rte_ring_count(a_.tx) + rte_ring_count(b_.tx), 0u);
  pub_->publish(nullptr);  // returns: the worker is offline
}

}  // namespace
}  // namespace isoswitch::dp
