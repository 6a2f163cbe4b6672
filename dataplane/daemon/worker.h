// One worker: polls its (port, queue) pairs, judges bursts, sends.
//
// Everything a worker writes lives in its own cache-aligned WorkerState (l3fwd's
// lcore_conf): the RX queues it owns, a TX batch per port for its own TX queue
// (queue id = worker id on every port, so no two workers share a queue),
// counters indexed by port index, and scratch arrays. Workers share nothing
// they write; the control thread only reads `counters`.
//
// The loop (worker_main): for each owned (port, queue) due for a poll:
// rx_burst(32) (again, up to kBurstsPerPass, while bursts come back full) →
// load the snapshot once per burst (acquire) → dp::process_burst → emit:
// each forward or reply is appended to its output port's TX batch (sent at
// once if it fills); drops are freed in bulk, with one rte_mempool_put_bulk
// when every one is a plain mbuf (one segment, direct, sole reference, from
// the burst's pool), the others through rte_pktmbuf_free. After each pass
// over the queues: report quiescence (QSBR), then send every batch the pass
// filled (OVS's per-iteration output batching). So one tx_burst per output
// port and pass, not per burst and port; only ports that got frames are
// visited (a list, not a scan of all ports); and no mbuf waits past the pass
// it arrived in — batching across passes with a drain timer (l3fwd) measured
// no faster here, parked mbufs overflow the mempool cache, and it adds
// latency. tx_frames/tx_bytes are counted per batch when it is sent, for what
// the device took. A queue that returned nothing kIdleStreak polls in a row is
// polled only every kIdlePollEvery-th pass until it returns frames again. On
// stop: send, go offline, return.
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

inline constexpr std::size_t kMaxRxPerWorker = kMaxPorts + kMaxRxQueues;
// Idle back-off: after kIdleStreak empty polls in a row a queue is polled on
// every kIdlePollEvery-th pass only, so it waits at most kIdlePollEvery - 1
// passes before its next poll; any frames end the back-off.
inline constexpr uint16_t kIdleStreak = 8;
inline constexpr uint16_t kIdlePollEvery = 8;
// A queue whose burst came back full is polled again, up to this many bursts
// per pass, before the pass's flush: frames spread over many output ports
// then leave with up to twice as many per rte_eth_tx_burst call (perf/
// throughput, 31 vNIC ports: +4%; no change with 2 ports). Bounded, so a busy
// queue cannot starve the others or delay quiescent() by more than a burst.
inline constexpr unsigned kBurstsPerPass = 2;

struct RxQueueRef {
  uint16_t port_index = 0;  // PortTable index (what the pipeline speaks)
  uint16_t dpdk_port = 0;   // the ethdev
  uint16_t queue = 0;       // RX queue id on that ethdev
  // Written by the worker only (idle back-off, see kIdleStreak).
  uint16_t empty_polls = 0;  // consecutive empty polls, saturating at kIdleStreak
  uint16_t skip = 0;         // passes to skip before the next poll
};

// Frames waiting for the output ports' TX queues, by port index. Port p's
// frames are pkts[p][0..tail[p]), and each row is one 256-byte-aligned block
// of kMaxBurst pointers, so queueing a frame is a store through tail[p] and an
// increment, and "row empty" / "row just filled" are tests of the low byte of
// a slot address (a row never stays full: it is sent when it fills).
struct TxBatches {
  alignas(256) rte_mbuf* pkts[kMaxPorts][kMaxBurst];
  rte_mbuf** tail[kMaxPorts];  // next free slot of pkts[p]
  uint64_t bytes[kMaxPorts];   // pkt_len sum of the waiting frames, tx_bytes once sent
  bool listed[kMaxPorts];      // p is in WorkerState::pending
};
static_assert(sizeof(TxBatches::pkts[0]) == 256, "a row is 256 bytes: see TxBatches");

// 256-byte aligned (a multiple of the cache line) for TxBatches' rows.
struct alignas(256) WorkerState {
  // Set up by the main thread before launch, read-only afterwards.
  unsigned id = 0;  // QSBR thread id and TX queue id on every port
  uint16_t n_rx = 0;
  uint16_t n_ports = 0;
  SnapshotPublisher* publisher = nullptr;
  const std::atomic<bool>* stop = nullptr;
  RxQueueRef rx[kMaxRxPerWorker];
  uint16_t dpdk_port[kMaxPorts];  // port index -> ethdev port id

  // Written by the worker only.
  alignas(64) PortCounters counters[kMaxPorts];
  BurstActions actions;
  rte_mbuf* pkts[kMaxBurst];
  rte_mbuf* drops[kMaxBurst];
  uint16_t n_pending = 0;       // ports with frames queued since the last flush ...
  uint16_t pending[kMaxPorts];  // ... their indices, in first-use order
  TxBatches tx;                 // frames waiting to be sent, by port index
};

// Sets up ports [0, n_ports); `dpdk_port` maps port index -> ethdev id.
Result<void> worker_state_init(WorkerState& w, unsigned id, const uint16_t* dpdk_port,
                               uint16_t n_ports, SnapshotPublisher& pub,
                               const std::atomic<bool>& stop);
// Frees any frame still waiting in a TX batch (after the worker returned).
void worker_state_release(WorkerState& w) noexcept;

// rte_eal_remote_launch entry point; `arg` is a WorkerState*. Returns 0, or -1
// when the worker could not register with QSBR.
int worker_main(void* arg);

// Emits one judged burst: the part of the loop that tests drive directly.
void emit_burst(WorkerState& w, uint16_t in_port, uint16_t n) noexcept;

// Sends every non-empty TX batch of this worker. tx_frames/tx_bytes of the
// egress port count what the device took, when it took it; frames it refuses
// are freed and counted as tx_dropped there (replies are counted at emit).
void flush_tx(WorkerState& w) noexcept;

}  // namespace isoswitch::dp
