// One worker: polls its (port, queue) pairs, judges bursts, sends.
//
// Everything a worker writes lives in its own alignas(64) WorkerState (l3fwd's
// lcore_conf): the RX queues it owns, a TX buffer per port on its own TX queue
// (queue id = worker id on every port, so no two workers share a queue),
// counters indexed by port index, and scratch arrays. Workers share nothing
// they write; the control thread only reads `counters`.
//
// The loop (worker_main): for each owned (port, queue) due for a poll:
// rx_burst(32) → load the snapshot once (acquire) → dp::process_burst → emit
// (TX buffer per output port; replies go back out the ingress port; drops
// freed in bulk) → count tx → flush the TX buffers (one tx_burst per port the
// burst touched), so no mbuf waits in a buffer across bursts: with frames
// spread over many ports, parked mbufs (up to 32 per port) overflow the
// mempool cache. A queue that returned nothing kIdleStreak polls in a row is
// polled only every kIdlePollEvery-th pass until it returns frames again.
// After each pass over the queues: report quiescence (QSBR); every ~100 µs of
// TSC: flush the TX buffers (a no-op now unless emit_burst is driven directly).
// On stop: flush, go offline, return.
//
// Thread-safety: setup (worker_state_init, assigning queues) on the main
// thread before launch; worker_main on the worker's lcore only; `counters`
// read by any thread with relaxed loads (see isoswitch/counters.h).
#pragma once

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include <atomic>
#include <cstdint>

#include "dataplane/daemon/options.h"
#include "dataplane/daemon/snapshot_publisher.h"
#include "dataplane/pipeline/pipeline.h"
#include "isoswitch/counters.h"

namespace isoswitch::dp {

inline constexpr uint64_t kTxDrainUs = 100;
inline constexpr std::size_t kMaxRxPerWorker = kMaxPorts + kMaxRxQueues;
// Idle back-off: after kIdleStreak empty polls in a row a queue is polled on
// every kIdlePollEvery-th pass only, so it waits at most kIdlePollEvery - 1
// passes before its next poll; any frames end the back-off.
inline constexpr uint16_t kIdleStreak = 8;
inline constexpr uint16_t kIdlePollEvery = 8;

struct RxQueueRef {
  uint16_t port_index = 0;  // PortTable index (what the pipeline speaks)
  uint16_t dpdk_port = 0;   // the ethdev
  uint16_t queue = 0;       // RX queue id on that ethdev
  // Written by the worker only (idle back-off, see kIdleStreak).
  uint16_t empty_polls = 0; // consecutive empty polls, saturating at kIdleStreak
  uint16_t skip = 0;        // passes to skip before the next poll
};

struct alignas(64) WorkerState {
  // Set up by the main thread before launch, read-only afterwards.
  unsigned id = 0;          // QSBR thread id and TX queue id on every port
  uint16_t n_rx = 0;
  uint16_t n_ports = 0;
  SnapshotPublisher* publisher = nullptr;
  const std::atomic<bool>* stop = nullptr;
  uint64_t drain_tsc = 0;
  RxQueueRef rx[kMaxRxPerWorker];
  uint16_t dpdk_port[kMaxPorts];           // port index -> ethdev port id
  rte_eth_dev_tx_buffer* txb[kMaxPorts];   // port index -> this worker's TX buffer

  // Written by the worker only.
  alignas(64) PortCounters counters[kMaxPorts];
  BurstActions actions;
  rte_mbuf* pkts[kMaxBurst];
  rte_mbuf* drops[kMaxBurst];
};

// Allocates the TX buffers (kMaxBurst each, on `socket`) for ports
// [0, n_ports) and installs the refusal callback that frees and counts
// (tx_dropped of the egress port). `dpdk_port` maps port index -> ethdev id.
Result<void> worker_state_init(WorkerState& w, unsigned id, const uint16_t* dpdk_port,
                               uint16_t n_ports, SnapshotPublisher& pub,
                               const std::atomic<bool>& stop, int socket);
// Frees the TX buffers (after the worker returned; mbufs were flushed).
void worker_state_release(WorkerState& w) noexcept;

// rte_eal_remote_launch entry point; `arg` is a WorkerState*. Returns 0, or -1
// when the worker could not register with QSBR.
int worker_main(void* arg);

// Emits one judged burst: the part of the loop that tests drive directly.
void emit_burst(WorkerState& w, uint16_t in_port, uint16_t n) noexcept;

// Flushes every TX buffer of this worker.
void flush_tx(WorkerState& w) noexcept;

}  // namespace isoswitch::dp
