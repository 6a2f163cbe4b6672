// Per-port counters, written by one worker, summed by the control thread.
//
// Each worker owns a PortCounters array indexed by port index (one per port
// the data plane has). Only that worker writes it, with plain stores; the
// control thread reads all workers' arrays and sums them for `stats`
// (a torn read of one 64-bit field is impossible on x86-64, and a count that
// is one poll pass stale is acceptable: tx is counted when a batch is sent).
// A vNIC's counters are its port's. Invariant once traffic stops:
// sum(rx_frames) == sum(tx_frames) + sum(drops) + sum(tx_dropped) over all
// ports and workers.
//
// Thread-safety: single writer (the owning worker), many relaxed readers.
#pragma once

#include <cstdint>

#include "isoswitch/drop_reason.h"

namespace isoswitch {

struct alignas(64) PortCounters {
  uint64_t rx_frames = 0;  // frames received on the port and judged
  uint64_t rx_bytes = 0;
  uint64_t tx_frames = 0;  // frames sent out the port (forwards and replies)
  uint64_t tx_bytes = 0;
  uint64_t replies = 0;  // ARP/ND answers sent back out this port (also in tx_frames)
  uint64_t drops[kNumDropReasons] = {};  // frames *received* on this port, dropped, by reason
  uint64_t tx_dropped = 0;  // frames the egress queue refused, counted on the *egress* port

  PortCounters& operator+=(const PortCounters& o) noexcept {
    rx_frames += o.rx_frames;
    rx_bytes += o.rx_bytes;
    tx_frames += o.tx_frames;
    tx_bytes += o.tx_bytes;
    replies += o.replies;
    for (unsigned i = 0; i < kNumDropReasons; ++i) drops[i] += o.drops[i];
    tx_dropped += o.tx_dropped;
    return *this;
  }
  uint64_t total_drops() const noexcept {
    uint64_t s = 0;
    for (uint64_t d : drops) s += d;
    return s;
  }
};

}  // namespace isoswitch
