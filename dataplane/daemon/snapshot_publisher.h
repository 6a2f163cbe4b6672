// Publishing a policy snapshot to the workers under QSBR (rte_rcu_qsbr).
//
// The one place that decides when a Snapshot may be freed. Workers load the
// current pointer once per burst (acquire) and report a quiescent state after
// each poll-loop iteration, never holding a snapshot across it. publish()
// swaps the pointer (release), starts a grace period, waits until every
// online worker has reported quiescence, then deletes the previous snapshot
// and returns. A frame is therefore judged wholly by the old or wholly by the
// new snapshot, no worker ever stops, and nothing in the data path takes a
// lock (docs/concurrency.md).
//
// Thread-safety:
//   - publish(), exchange(), set_retire_observer(), the destructor: the control thread
//     only (one publisher at a time).
//   - current(), quiescent(): a worker, with its own thread id, between
//     worker_online() and worker_offline(), called on that worker's thread.
//   - info() and the atomics behind it: any thread (telemetry); they never
//     give out a snapshot pointer.
#pragma once

#include <rte_rcu_qsbr.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "isoswitch/result.h"
#include "isoswitch/snapshot.h"

namespace isoswitch::dp {

// Numbers about the running policy that telemetry may read at any time.
struct PolicyInfo {
  uint64_t generation = 0;  // 0: no policy loaded
  uint64_t jobs = 0;
  uint64_t vnics = 0;
  uint64_t publishes = 0;   // snapshots published since start
  uint64_t last_grace_ns = 0;  // how long the last publish waited for the workers
};

class SnapshotPublisher {
 public:
  // `max_workers` readers, thread ids 0..max_workers-1.
  static Result<std::unique_ptr<SnapshotPublisher>> create(unsigned max_workers);
  ~SnapshotPublisher();  // deletes the current snapshot: workers must be offline
  SnapshotPublisher(const SnapshotPublisher&) = delete;
  SnapshotPublisher& operator=(const SnapshotPublisher&) = delete;

  // --- control thread ---------------------------------------------------
  // Makes `snap` current, waits for the grace period, frees the previous one.
  // nullptr is allowed (back to "no policy": every frame drops no_policy).
  void publish(std::unique_ptr<Snapshot> snap) { exchange(std::move(snap)); }
  // publish() that returns the previous snapshot instead of deleting it
  // (after the grace period and the retire observer): the control thread
  // may reuse its storage for the next one.
  std::unique_ptr<Snapshot> exchange(std::unique_ptr<Snapshot> snap);
  // Called with the generation of each retired snapshot just before it is
  // deleted, after its grace period (tests, logging).
  void set_retire_observer(std::function<void(uint64_t generation)> f) {
    retire_observer_ = std::move(f);
  }

  // --- worker threads ---------------------------------------------------
  // Registers `id` and puts it online: from now on publish() waits for it.
  Result<void> worker_online(unsigned id);
  // Takes `id` out of every future grace period (on exit).
  void worker_offline(unsigned id) noexcept;
  // Once per burst; the pointer is valid until this worker's next quiescent().
  const Snapshot* current() const noexcept { return current_.load(std::memory_order_acquire); }
  void quiescent(unsigned id) noexcept { rte_rcu_qsbr_quiescent(qsbr_, id); }

  // --- any thread -------------------------------------------------------
  PolicyInfo info() const noexcept;
  unsigned max_workers() const noexcept { return max_workers_; }

 private:
  SnapshotPublisher(rte_rcu_qsbr* q, unsigned max_workers) : qsbr_(q), max_workers_(max_workers) {}

  rte_rcu_qsbr* qsbr_;
  unsigned max_workers_;
  std::atomic<const Snapshot*> current_{nullptr};
  std::function<void(uint64_t)> retire_observer_;
  std::atomic<uint64_t> generation_{0}, jobs_{0}, vnics_{0}, publishes_{0}, last_grace_ns_{0};
};

}  // namespace isoswitch::dp
