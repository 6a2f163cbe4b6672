// Unit tests of the worker's emit step (dataplane/daemon/worker.h) on
// ring-backed ethdevs: forwards go out the chosen port's TX queue, replies
// back out the ingress port, drops are freed, a full TX queue's refusals are
// freed and counted as tx_dropped of the egress port (not as tx_frames or
// tx_bytes), and mbufs never leak — chains, clones, shared and foreign-pool
// mbufs included, which the bulk free must not put straight back.
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

// Frame i of the burst, judged "forward to port `out`".
void set_forward(WorkerState& w, uint16_t i, rte_mbuf* m, uint16_t out) {
  w.pkts[i] = m;
  w.actions.verdict[i] = Verdict::kForward;
  w.actions.out_port[i] = out;
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
    set_forward(*w_, i, frame(100, static_cast<uint8_t>(i)), 1);
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
      set_forward(*w_, i, frame(60, static_cast<uint8_t>(burst * 20 + i)), 0);
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

// Refused frames count neither as frames nor as bytes, also when the batch
// was sent mid-emit because it filled; and a later batch starts from zero.
TEST_F(WorkerEmit, RefusedFramesCountNeitherFramesNorBytes) {
  uint64_t accepted_bytes = 0;
  for (uint16_t burst = 0; burst < 2; ++burst) {
    for (uint16_t i = 0; i < 20; ++i) {
      const uint16_t k = static_cast<uint16_t>(burst * 20 + i);
      const uint16_t len = static_cast<uint16_t>(60 + k);
      if (k < 7) accepted_bytes += len;  // b's TX ring takes 7
      set_forward(*w_, i, frame(len, static_cast<uint8_t>(k)), 1);
    }
    emit_burst(*w_, 0, 20);
  }
  EXPECT_EQ(w_->counters[1].tx_frames, 7u) << "the first 32 went out when the batch filled";
  EXPECT_EQ(w_->counters[1].tx_dropped, 25u);
  flush_tx(*w_);
  EXPECT_EQ(rte_ring_count(b_.tx), 7u);
  EXPECT_EQ(w_->counters[1].tx_frames, 7u);
  EXPECT_EQ(w_->counters[1].tx_bytes, accepted_bytes);
  EXPECT_EQ(w_->counters[1].tx_dropped, 33u);
  EXPECT_EQ(w_->counters[1].tx_frames + w_->counters[1].tx_dropped, 40u)
      << "every frame counted once";

  drain(b_.tx, nullptr);
  for (uint16_t i = 0; i < 5; ++i) {
    set_forward(*w_, i, frame(100, 0), 1);
  }
  emit_burst(*w_, 0, 5);
  flush_tx(*w_);
  EXPECT_EQ(w_->counters[1].tx_frames, 12u);
  EXPECT_EQ(w_->counters[1].tx_bytes, accepted_bytes + 500u);
  EXPECT_EQ(w_->counters[1].tx_dropped, 33u);
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

// --- Freeing drops and refusals ---------------------------------------------
// Plain mbufs (one segment, direct, sole reference, the burst's pool) go back
// to the mempool in one bulk put; every other kind must still be freed the
// way rte_pktmbuf_free does. The pool counts prove it (and TearDown checks
// the test pool is whole again).

// A chain of `segs` mbufs of 100 bytes each.
rte_mbuf* chain(unsigned segs, rte_mempool* pool = test::test_mempool()) {
  rte_mbuf* head = nullptr;
  for (unsigned s = 0; s < segs; ++s) {
    rte_mbuf* m = rte_pktmbuf_alloc(pool);
    EXPECT_NE(m, nullptr);
    EXPECT_NE(rte_pktmbuf_append(m, 100), nullptr);
    if (head == nullptr)
      head = m;
    else
      EXPECT_EQ(rte_pktmbuf_chain(head, m), 0);
  }
  return head;
}

void set_drop(WorkerState& w, uint16_t i, rte_mbuf* m) {
  w.pkts[i] = m;
  w.actions.verdict[i] = Verdict::kDrop;
  w.actions.out_port[i] = kNoPort;
  w.actions.reason[i] = DropReason::too_long;
}

unsigned avail() {
  return rte_mempool_avail_count(test::test_mempool());
}

TEST_F(WorkerEmit, DroppedMultiSegmentFramesAreFreedWholly) {
  const unsigned before = avail();
  // The first frame is plain, so the burst's pool is the test pool and only
  // the chains take the careful path.
  set_drop(*w_, 0, frame(60, 0));
  set_drop(*w_, 1, chain(3));
  set_drop(*w_, 2, frame(60, 2));
  set_drop(*w_, 3, chain(5));
  ASSERT_EQ(avail(), before - 10);
  emit_burst(*w_, 0, 4);
  EXPECT_EQ(avail(), before) << "every segment of every chain is back";
}

TEST_F(WorkerEmit, ABurstOfOnlyMultiSegmentDropsIsFreedWholly) {
  const unsigned before = avail();
  for (uint16_t i = 0; i < kMaxBurst; ++i) set_drop(*w_, i, chain(2));
  ASSERT_EQ(avail(), before - 2 * kMaxBurst);
  emit_burst(*w_, 0, kMaxBurst);
  EXPECT_EQ(avail(), before);
}

// A dropped mbuf someone else also references loses our reference only; a
// dropped clone (indirect) detaches, giving back itself and its reference
// on the direct mbuf.
TEST_F(WorkerEmit, SharedAndClonedDropsReleaseOnlyTheirReference) {
  const unsigned before = avail();
  rte_mbuf* shared = frame(60, 1);
  rte_mbuf_refcnt_update(shared, 1);  // a second owner
  rte_mbuf* direct = frame(60, 2);
  rte_mbuf* clone = rte_pktmbuf_clone(direct, test::test_mempool());
  ASSERT_NE(clone, nullptr);
  ASSERT_EQ(rte_mbuf_refcnt_read(direct), 2);
  set_drop(*w_, 0, frame(60, 0));
  set_drop(*w_, 1, shared);
  set_drop(*w_, 2, clone);
  set_drop(*w_, 3, frame(60, 3));
  emit_burst(*w_, 0, 4);
  EXPECT_EQ(avail(), before - 2)
      << "the plain ones and the clone are back; shared and direct are not";
  EXPECT_EQ(rte_mbuf_refcnt_read(shared), 1);
  EXPECT_EQ(rte_mbuf_refcnt_read(direct), 1);
  EXPECT_TRUE(RTE_MBUF_DIRECT(direct));
  // Our references are gone: the other owners' frees return the rest.
  rte_pktmbuf_free(shared);
  rte_pktmbuf_free(direct);
  EXPECT_EQ(avail(), before);
}

// A burst whose mbufs come from two pools: each goes back to its own.
TEST_F(WorkerEmit, DropsFromAnotherPoolGoBackToThatPool) {
  rte_mempool* other =
      rte_pktmbuf_pool_create("wt_other", 63, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  ASSERT_NE(other, nullptr);
  const unsigned before = avail();
  const unsigned other_before = rte_mempool_avail_count(other);
  rte_mbuf* o1 = rte_pktmbuf_alloc(other);
  rte_mbuf* o2 = rte_pktmbuf_alloc(other);
  ASSERT_NE(o1, nullptr);
  ASSERT_NE(o2, nullptr);
  set_drop(*w_, 0, frame(60, 0));
  set_drop(*w_, 1, o1);
  set_drop(*w_, 2, frame(60, 2));
  set_drop(*w_, 3, o2);
  emit_burst(*w_, 0, 4);
  EXPECT_EQ(avail(), before);
  EXPECT_EQ(rte_mempool_avail_count(other), other_before);
  // And the other way round: the burst's first frame is the foreign one.
  set_drop(*w_, 0, rte_pktmbuf_alloc(other));
  set_drop(*w_, 1, frame(60, 1));
  emit_burst(*w_, 0, 2);
  EXPECT_EQ(avail(), before);
  EXPECT_EQ(rte_mempool_avail_count(other), other_before);
  rte_mempool_free(other);
}

// Forwards and drops mixed, plain and not: only the drops come back, the
// forwards leave through the TX queue.
TEST_F(WorkerEmit, MixedBurstFreesDropsAndSendsForwards) {
  const unsigned before = avail();
  set_drop(*w_, 0, chain(2));
  w_->pkts[1] = frame(60, 1);
  w_->actions.verdict[1] = Verdict::kForward;
  w_->actions.out_port[1] = 1;
  set_drop(*w_, 2, frame(60, 2));
  w_->pkts[3] = chain(4);  // a chain may be forwarded, too
  w_->actions.verdict[3] = Verdict::kForward;
  w_->actions.out_port[3] = 0;
  emit_burst(*w_, 0, 4);
  flush_tx(*w_);
  EXPECT_EQ(avail(), before - 5) << "the forwarded frames (1 + 4 segments) are on the TX rings";
  EXPECT_EQ(rte_ring_count(a_.tx), 1u);
  EXPECT_EQ(rte_ring_count(b_.tx), 1u);
  EXPECT_EQ(w_->counters[0].tx_bytes, 400u) << "a chain's pkt_len is all its segments";
  drain(a_.tx, nullptr);
  drain(b_.tx, nullptr);
  EXPECT_EQ(avail(), before);
}

// Frames the device refuses take the same free: chains among them come back
// whole.
TEST_F(WorkerEmit, RefusedMultiSegmentFramesAreFreedWholly) {
  const unsigned before = avail();
  for (uint16_t i = 0; i < 10; ++i) {
    // b takes 7: the chains are refused
    set_forward(*w_, i, i < 7 ? frame(100, 0) : chain(3), 1);
  }
  emit_burst(*w_, 0, 10);
  flush_tx(*w_);
  EXPECT_EQ(rte_ring_count(b_.tx), 7u);
  EXPECT_EQ(w_->counters[1].tx_dropped, 3u);
  EXPECT_EQ(w_->counters[1].tx_bytes, 700u);
  EXPECT_EQ(avail(), before - 7) << "only the 7 sent frames are out";
  drain(b_.tx, nullptr);
  EXPECT_EQ(avail(), before);
}

}  // namespace
}  // namespace isoswitch::dp
