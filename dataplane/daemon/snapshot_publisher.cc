// QSBR snapshot publication (see snapshot_publisher.h, docs/concurrency.md).
#include "dataplane/daemon/snapshot_publisher.h"

#include <rte_common.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

namespace isoswitch::dp {

Result<std::unique_ptr<SnapshotPublisher>> SnapshotPublisher::create(unsigned max_workers) {
  if (max_workers == 0)
    return make_error(ErrorCode::kInvalidArgument, "snapshot publisher: need at least one worker");
  std::size_t size = rte_rcu_qsbr_get_memsize(max_workers);
  // Plain aligned memory rather than rte_zmalloc: the QS variable is shared by
  // threads of one process only, and the publisher stays usable in pure tests.
  std::size_t rounded = (size + RTE_CACHE_LINE_SIZE - 1) / RTE_CACHE_LINE_SIZE * RTE_CACHE_LINE_SIZE;
  void* mem = std::aligned_alloc(RTE_CACHE_LINE_SIZE, rounded);
  if (mem == nullptr) return make_error(ErrorCode::kInternal, "snapshot publisher: out of memory");
  std::memset(mem, 0, rounded);
  auto* q = static_cast<rte_rcu_qsbr*>(mem);
  if (rte_rcu_qsbr_init(q, max_workers) != 0) {
    std::free(mem);
    return make_error(ErrorCode::kInternal, "rte_rcu_qsbr_init failed");
  }
  return std::unique_ptr<SnapshotPublisher>(new SnapshotPublisher(q, max_workers));
}

SnapshotPublisher::~SnapshotPublisher() {
  delete current_.exchange(nullptr, std::memory_order_acq_rel);
  std::free(qsbr_);
}

std::unique_ptr<Snapshot> SnapshotPublisher::exchange(std::unique_ptr<Snapshot> snap) {
  uint64_t gen = snap ? snap->generation : 0;
  uint64_t jobs = snap ? snap->jobs.size() : 0;
  uint64_t vnics = snap ? snap->vnic_ids.size() : 0;
  // Release: a worker that loads the new pointer sees the fully built snapshot.
  const Snapshot* old = current_.exchange(snap.release(), std::memory_order_acq_rel);
  generation_.store(gen, std::memory_order_relaxed);
  jobs_.store(jobs, std::memory_order_relaxed);
  vnics_.store(vnics, std::memory_order_relaxed);
  publishes_.fetch_add(1, std::memory_order_relaxed);

  // Grace period: every worker online now reports a quiescent state after the
  // token below, i.e. after it finished the burst that may still use `old`.
  auto t0 = std::chrono::steady_clock::now();
  uint64_t token = rte_rcu_qsbr_start(qsbr_);
  rte_rcu_qsbr_check(qsbr_, token, true);
  auto waited = std::chrono::steady_clock::now() - t0;
  last_grace_ns_.store(
      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(waited).count()),
      std::memory_order_relaxed);

  if (old != nullptr && retire_observer_) retire_observer_(old->generation);
  // Workers only ever read snapshots; the const was theirs.
  return std::unique_ptr<Snapshot>(const_cast<Snapshot*>(old));
}

Result<void> SnapshotPublisher::worker_online(unsigned id) {
  if (id >= max_workers_)
    return make_error(ErrorCode::kInvalidArgument,
                      "worker id " + std::to_string(id) + " >= " + std::to_string(max_workers_));
  if (rte_rcu_qsbr_thread_register(qsbr_, id) != 0)
    return make_error(ErrorCode::kInternal, "rte_rcu_qsbr_thread_register failed");
  rte_rcu_qsbr_thread_online(qsbr_, id);
  return {};
}

void SnapshotPublisher::worker_offline(unsigned id) noexcept {
  rte_rcu_qsbr_thread_offline(qsbr_, id);
  rte_rcu_qsbr_thread_unregister(qsbr_, id);
}

PolicyInfo SnapshotPublisher::info() const noexcept {
  PolicyInfo i;
  i.generation = generation_.load(std::memory_order_relaxed);
  i.jobs = jobs_.load(std::memory_order_relaxed);
  i.vnics = vnics_.load(std::memory_order_relaxed);
  i.publishes = publishes_.load(std::memory_order_relaxed);
  i.last_grace_ns = last_grace_ns_.load(std::memory_order_relaxed);
  return i;
}

}  // namespace isoswitch::dp
