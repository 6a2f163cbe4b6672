// The worker poll loop (see worker.h).
#include "dataplane/daemon/worker.h"

#include <rte_cycles.h>
#include <rte_malloc.h>

namespace isoswitch::dp {
namespace {

// Called by rte_eth_tx_buffer_flush for frames the device refused. They were
// counted as sent when buffered; move them to tx_dropped and free them.
void on_tx_refused(rte_mbuf** pkts, uint16_t unsent, void* userdata) {
  auto* c = static_cast<PortCounters*>(userdata);
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < unsent; ++i) bytes += rte_pktmbuf_pkt_len(pkts[i]);
  c->tx_frames -= unsent;
  c->tx_bytes -= bytes;
  c->tx_dropped += unsent;
  rte_pktmbuf_free_bulk(pkts, unsent);
}

}  // namespace

Result<void> worker_state_init(WorkerState& w, unsigned id, const uint16_t* dpdk_port,
                               uint16_t n_ports, SnapshotPublisher& pub,
                               const std::atomic<bool>& stop, int socket) {
  if (n_ports > kMaxPorts)
    return make_error(ErrorCode::kInvalidArgument, "too many ports for a worker");
  w.id = id;
  w.n_ports = n_ports;
  w.publisher = &pub;
  w.stop = &stop;
  w.drain_tsc = (rte_get_tsc_hz() + 1000000 - 1) / 1000000 * kTxDrainUs;
  for (uint16_t p = 0; p < n_ports; ++p) {
    w.dpdk_port[p] = dpdk_port[p];
    auto* b = static_cast<rte_eth_dev_tx_buffer*>(
        rte_zmalloc_socket("isosw_txb", RTE_ETH_TX_BUFFER_SIZE(kMaxBurst), 0, socket));
    if (b == nullptr) {
      worker_state_release(w);
      return make_error(ErrorCode::kInternal, "cannot allocate a TX buffer (DPDK memory, -m)");
    }
    rte_eth_tx_buffer_init(b, kMaxBurst);
    rte_eth_tx_buffer_set_err_callback(b, on_tx_refused, &w.counters[p]);
    w.txb[p] = b;
  }
  return {};
}

void worker_state_release(WorkerState& w) noexcept {
  for (uint16_t p = 0; p < w.n_ports; ++p) {
    rte_free(w.txb[p]);
    w.txb[p] = nullptr;
  }
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
    rte_eth_tx_buffer(w.dpdk_port[out], static_cast<uint16_t>(w.id), w.txb[out], m);
  }
  if (nd != 0) rte_pktmbuf_free_bulk(w.drops, nd);
}

void flush_tx(WorkerState& w) noexcept {
  for (uint16_t p = 0; p < w.n_ports; ++p)
    rte_eth_tx_buffer_flush(w.dpdk_port[p], static_cast<uint16_t>(w.id), w.txb[p]);
}

int worker_main(void* arg) {
  WorkerState& w = *static_cast<WorkerState*>(arg);
  SnapshotPublisher& pub = *w.publisher;
  if (!pub.worker_online(w.id)) return -1;
  uint64_t last_drain = rte_rdtsc();
  while (!w.stop->load(std::memory_order_relaxed)) {
    const uint64_t now = rte_rdtsc();
    if (now - last_drain > w.drain_tsc) {
      flush_tx(w);
      last_drain = now;
    }
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
      // Send now rather than park mbufs until the buffer fills (see worker.h).
      flush_tx(w);
    }
    pub.quiescent(w.id);
  }
  flush_tx(w);
  pub.worker_offline(w.id);
  return 0;
}

}  // namespace isoswitch::dp
