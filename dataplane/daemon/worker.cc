// The worker poll loop (see worker.h).
#include "dataplane/daemon/worker.h"

namespace isoswitch::dp {
namespace {

// Zero when m is in the state rte_mbuf_raw_free requires, so it can go
// straight back to `pool` with no per-segment work: from that pool, our only
// reference, its own data buffer (not a clone, no external buffer), one
// segment, no chain. The conditions are OR-ed as bits rather than tested with
// &&, so a burst of drops costs one branch, not five per frame.
inline uintptr_t not_plain(const rte_mbuf* m, const rte_mempool* pool) noexcept {
  const uintptr_t refcnt = rte_mbuf_refcnt_read(m), nb_segs = m->nb_segs;
  return (reinterpret_cast<uintptr_t>(m->pool) ^ reinterpret_cast<uintptr_t>(pool)) |
         ((refcnt | nb_segs << 16) ^ 0x10001u) |
         (m->ol_flags & (RTE_MBUF_F_INDIRECT | RTE_MBUF_F_EXTERNAL)) |
         reinterpret_cast<uintptr_t>(m->next);
}

// Frees pkts[0..n) (n > 0), which we own; `impure` is the OR of not_plain()
// over them. What PMDs do under RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE, but checked
// per mbuf so it is always correct: when all are plain (the normal case) one
// rte_mempool_put_bulk returns them; otherwise the plain ones still go back
// in bulk and the rest (chains, clones, external buffers, shared or foreign
// mbufs) through rte_pktmbuf_free. rte_pktmbuf_free_bulk, which did the
// per-segment work for every mbuf, cost ~48 instructions per dropped frame.
void free_checked(rte_mbuf** pkts, std::size_t n, rte_mempool* pool, uintptr_t impure) noexcept {
  if (impure != 0) [[unlikely]] {
    std::size_t k = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (not_plain(pkts[i], pool) == 0)
        pkts[k++] = pkts[i];
      else
        rte_pktmbuf_free(pkts[i]);
    }
    n = k;
    if (n == 0) return;
  }
  rte_mempool_put_bulk(pool, reinterpret_cast<void* const*>(pkts), static_cast<unsigned>(n));
}

// Frees pkts[0..n) (n > 0), which we own, like rte_pktmbuf_free_bulk.
void free_mbufs(rte_mbuf** pkts, unsigned n) noexcept {
  rte_mempool* const pool = pkts[0]->pool;
  uintptr_t impure = 0;
  for (unsigned i = 0; i < n; ++i) impure |= not_plain(pkts[i], pool);
  free_checked(pkts, n, pool, impure);
}

// True when `slot` is the first slot of a TxBatches row: for a tail, the row
// is empty; for a tail just advanced, it has just filled (see TxBatches).
inline bool row_start(rte_mbuf* const* slot) noexcept {
  return (reinterpret_cast<uintptr_t>(slot) & (sizeof(TxBatches::pkts[0]) - 1)) == 0;
}

// Sends port p's batch and counts it: tx_frames/tx_bytes for what the device
// took, tx_dropped for what it refused (freed here). Counting once per batch
// at send time, not per frame at enqueue, needs no correction for refusals.
// The bytes were summed at enqueue (while the mbufs were certainly ours and
// hot); the refused ones are read back, as they are still ours.
inline void send_batch(WorkerState& w, uint16_t p) noexcept {
  rte_mbuf** const pkts = w.tx.pkts[p];
  const auto n = static_cast<uint16_t>(w.tx.tail[p] - pkts);
  uint64_t bytes = w.tx.bytes[p];
  const uint16_t sent = rte_eth_tx_burst(w.dpdk_port[p], static_cast<uint16_t>(w.id), pkts, n);
  PortCounters& c = w.counters[p];
  if (sent < n) [[unlikely]] {
    for (uint16_t i = sent; i < n; ++i) bytes -= rte_pktmbuf_pkt_len(pkts[i]);
    c.tx_dropped += static_cast<uint16_t>(n - sent);
    free_mbufs(pkts + sent, static_cast<uint16_t>(n - sent));
  }
  c.tx_frames += sent;
  c.tx_bytes += bytes;
  w.tx.tail[p] = pkts;
  w.tx.bytes[p] = 0;
}

// A batch that filled inside emit_burst. Out of line: inlined, the send took
// enough registers that emit's loop kept its locals on the stack (measured
// 28.9 against 27.8 instructions per frame in emit_burst).
[[gnu::noinline]] void send_full_batch(WorkerState& w, uint16_t p) noexcept {
  send_batch(w, p);
}

// Lists port p for the next flush_tx, the first time it gets a frame.
inline void list_port(WorkerState& w, uint16_t p) noexcept {
  w.tx.listed[p] = true;
  w.pending[w.n_pending++] = p;
}

// Queues m for port `out`; a full batch goes out at once (and stays listed,
// empty, until the next flush_tx). Only a batch's first frame looks at
// `listed`.
inline void enqueue_tx(WorkerState& w, std::size_t out, rte_mbuf* m) noexcept {
  rte_mbuf** const slot = w.tx.tail[out];
  if (row_start(slot) && !w.tx.listed[out]) list_port(w, static_cast<uint16_t>(out));
  *slot = m;
  w.tx.tail[out] = slot + 1;
  w.tx.bytes[out] += rte_pktmbuf_pkt_len(m);
  if (row_start(slot + 1)) [[unlikely]]
    send_full_batch(w, static_cast<uint16_t>(out));
}

}  // namespace

Result<void> worker_state_init(WorkerState& w, unsigned id, const uint16_t* dpdk_port,
                               uint16_t n_ports, SnapshotPublisher& pub,
                               const std::atomic<bool>& stop) {
  if (n_ports > kMaxPorts)
    return make_error(ErrorCode::kInvalidArgument, "too many ports for a worker");
  w.id = id;
  w.n_ports = n_ports;
  w.publisher = &pub;
  w.stop = &stop;
  w.n_pending = 0;
  for (uint16_t p = 0; p < n_ports; ++p) {
    w.dpdk_port[p] = dpdk_port[p];
    w.tx.tail[p] = w.tx.pkts[p];
    w.tx.bytes[p] = 0;
    w.tx.listed[p] = false;
  }
  return {};
}

void worker_state_release(WorkerState& w) noexcept {
  for (uint16_t k = 0; k < w.n_pending; ++k) {
    const uint16_t p = w.pending[k];
    rte_mbuf** const pkts = w.tx.pkts[p];
    if (w.tx.tail[p] != pkts) free_mbufs(pkts, static_cast<unsigned>(w.tx.tail[p] - pkts));
    w.tx.tail[p] = pkts;
    w.tx.bytes[p] = 0;
    w.tx.listed[p] = false;
  }
  w.n_pending = 0;
}

void emit_burst(WorkerState& w, uint16_t in_port, uint16_t n) noexcept {
  if (n == 0) return;
  const std::size_t n_ports = w.n_ports;
  // Drops are checked for the bulk free as they are collected (see
  // not_plain), against the pool the burst's first frame came from.
  rte_mempool* const pool = w.pkts[0]->pool;
  uintptr_t impure = 0;
  std::size_t nd = 0;
  for (std::size_t i = 0; i < n; ++i) {
    rte_mbuf* m = w.pkts[i];
    const Verdict v = w.actions.verdict[i];
    const std::size_t out = w.actions.out_port[i];
    // One test on the common path: plain forwards skip the drop and reply checks.
    if (v != Verdict::kForward) {
      if (v == Verdict::kDrop) {
        w.drops[nd++] = m;
        impure |= not_plain(m, pool);
        continue;
      }
      if (out < n_ports) w.counters[out].replies++;  // a reply; out of range: refused below
    }
    if (out >= n_ports) [[unlikely]] {
      // A pipeline bug: never send to a port we do not own. Counted as
      // refused on the ingress port so the counter invariant still holds.
      w.counters[in_port].tx_dropped++;
      w.drops[nd++] = m;
      impure |= not_plain(m, pool);
      continue;
    }
    enqueue_tx(w, out, m);  // tx_frames/tx_bytes are counted when the batch is sent
  }
  if (nd != 0) free_checked(w.drops, nd, pool, impure);
}

void flush_tx(WorkerState& w) noexcept {
  for (uint16_t k = 0; k < w.n_pending; ++k) {
    const uint16_t p = w.pending[k];
    if (w.tx.tail[p] != w.tx.pkts[p]) send_batch(w, p);
    w.tx.listed[p] = false;
  }
  w.n_pending = 0;
}

int worker_main(void* arg) {
  WorkerState& w = *static_cast<WorkerState*>(arg);
  SnapshotPublisher& pub = *w.publisher;
  if (!pub.worker_online(w.id)) return -1;
  while (!w.stop->load(std::memory_order_relaxed)) {
    for (uint16_t q = 0; q < w.n_rx; ++q) {
      RxQueueRef& r = w.rx[q];
      if (r.skip != 0) {  // idle back-off: see kIdleStreak
        --r.skip;
        continue;
      }
      uint16_t n = rte_eth_rx_burst(r.dpdk_port, r.queue, w.pkts, kMaxBurst);
      if (n == 0) {
        if (r.empty_polls < kIdleStreak) ++r.empty_polls;
        if (r.empty_polls == kIdleStreak) r.skip = kIdlePollEvery - 1;
        continue;
      }
      r.empty_polls = 0;
      // Up to kBurstsPerPass bursts while the queue keeps filling them (see
      // worker.h). One snapshot per burst; valid until our quiescent() below.
      for (unsigned k = 1;; ++k) {
        process_burst(pub.current(), r.port_index, w.pkts, n, w.actions, w.counters);
        emit_burst(w, r.port_index, n);
        if (n < kMaxBurst || k == kBurstsPerPass) break;
        n = rte_eth_rx_burst(r.dpdk_port, r.queue, w.pkts, kMaxBurst);
        if (n == 0) break;
      }
    }
    pub.quiescent(w.id);
    flush_tx(w);  // see worker.h: nothing waits past the pass it arrived in
  }
  flush_tx(w);
  pub.worker_offline(w.id);
  return 0;
}

}  // namespace isoswitch::dp
