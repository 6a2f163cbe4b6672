// The worker poll loop (see worker.h).
#include "dataplane/daemon/worker.h"

namespace isoswitch::dp {
namespace {

// Sends port p's batch. Frames the device refuses were counted as sent when
// they were queued: move them to tx_dropped and free them.
inline void send_batch(WorkerState& w, uint16_t p) noexcept {
  TxBatch& b = w.tx[p];
  const uint16_t sent = rte_eth_tx_burst(w.dpdk_port[p], static_cast<uint16_t>(w.id), b.pkts, b.n);
  if (sent < b.n) [[unlikely]] {
    PortCounters& c = w.counters[p];
    const uint16_t unsent = static_cast<uint16_t>(b.n - sent);
    uint64_t bytes = 0;
    for (uint16_t i = sent; i < b.n; ++i) bytes += rte_pktmbuf_pkt_len(b.pkts[i]);
    c.tx_frames -= unsent;
    c.tx_bytes -= bytes;
    c.tx_dropped += unsent;
    rte_pktmbuf_free_bulk(b.pkts + sent, unsent);
  }
  b.n = 0;
}

// Queues m for port `out`; a full batch goes out at once (and stays listed,
// empty, until the next flush_tx).
inline void enqueue_tx(WorkerState& w, uint16_t out, rte_mbuf* m) noexcept {
  TxBatch& b = w.tx[out];
  if (!b.listed) {
    b.listed = true;
    w.pending[w.n_pending++] = out;
  }
  b.pkts[b.n++] = m;
  if (b.n == kMaxBurst) send_batch(w, out);
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
    w.tx[p].n = 0;
    w.tx[p].listed = false;
  }
  return {};
}

void worker_state_release(WorkerState& w) noexcept {
  for (uint16_t k = 0; k < w.n_pending; ++k) {
    TxBatch& b = w.tx[w.pending[k]];
    if (b.n != 0) rte_pktmbuf_free_bulk(b.pkts, b.n);
    b.n = 0;
    b.listed = false;
  }
  w.n_pending = 0;
}

void emit_burst(WorkerState& w, uint16_t in_port, uint16_t n) noexcept {
  uint16_t nd = 0;
  for (uint16_t i = 0; i < n; ++i) {
    rte_mbuf* m = w.pkts[i];
    const Verdict v = w.actions.verdict[i];
    const uint16_t out = w.actions.out_port[i];
    if (v == Verdict::kDrop) {
      w.drops[nd++] = m;
      continue;
    }
    if (out >= w.n_ports) [[unlikely]] {
      // A pipeline bug: never send to a port we do not own. Counted as
      // refused on the ingress port so the counter invariant still holds.
      w.counters[in_port].tx_dropped++;
      w.drops[nd++] = m;
      continue;
    }
    PortCounters& c = w.counters[out];
    c.tx_frames++;
    c.tx_bytes += rte_pktmbuf_pkt_len(m);  // read before the mbuf may leave
    if (v == Verdict::kReply) c.replies++;
    enqueue_tx(w, out, m);
  }
  if (nd != 0) rte_pktmbuf_free_bulk(w.drops, nd);
}

void flush_tx(WorkerState& w) noexcept {
  for (uint16_t k = 0; k < w.n_pending; ++k) {
    const uint16_t p = w.pending[k];
    if (w.tx[p].n != 0) send_batch(w, p);
    w.tx[p].listed = false;
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
      const uint16_t n = rte_eth_rx_burst(r.dpdk_port, r.queue, w.pkts, kMaxBurst);
      if (n == 0) {
        if (r.empty_polls < kIdleStreak) ++r.empty_polls;
        if (r.empty_polls == kIdleStreak) r.skip = kIdlePollEvery - 1;
        continue;
      }
      r.empty_polls = 0;
      // One snapshot per burst; valid until our quiescent() below.
      const Snapshot* snap = pub.current();
      process_burst(snap, r.port_index, w.pkts, n, w.actions, w.counters);
      emit_burst(w, r.port_index, n);
    }
    pub.quiescent(w.id);
    flush_tx(w);  // see worker.h: nothing waits past the pass it arrived in
  }
  flush_tx(w);
  pub.worker_offline(w.id);
  return 0;
}

}  // namespace isoswitch::dp
