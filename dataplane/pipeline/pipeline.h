// The isolation pipeline: judge a burst of frames received on one port.
//
// One entry point serves every source (NIC queues in isoswitchd, pcap frames
// in isoswitch-replay, benchmarks): the caller receives a burst, calls
// process_burst(), then emits once according to the actions (CONVENTIONS.md
// §3, §9). The rules are ISOLATION.md's, pinned down in docs/rules.md; the
// scalar reference control/explain must agree with this on every frame.
//
// Per packet: no allocation, lock, syscall, log or exception.
//
// Thread-safety: call from one worker per (port, queue) at a time. `snap` must
// stay valid for the duration of the call (the worker loads it once per burst
// and reports quiescence only after the burst is emitted). `counters` is the
// calling worker's own array, indexed by port index.
#pragma once

#include <cstdint>

#include <rte_mbuf.h>

#include "isoswitch/counters.h"
#include "isoswitch/drop_reason.h"
#include "isoswitch/snapshot.h"
#include "isoswitch/verdict.h"

namespace isoswitch::dp {

// What to do with each frame of a burst, index-aligned with the input.
struct BurstActions {
  Verdict verdict[kMaxBurst];
  uint16_t out_port[kMaxBurst];   // forward: egress port index; reply: the ingress port; drop: kNoPort
  DropReason reason[kMaxBurst];   // meaningful for kDrop only
};

// Judges pkts[0..n) (n <= kMaxBurst) received on port index `in_port`.
// - Forwarded frames are rewritten in place (MACs; VLAN tag pushed for VPC
//   egress, removed for VPC ingress; metadata VLAN flags cleared) and answers
//   (ARP/ND replies) are built in place in the request's mbuf.
// - snap == nullptr (no policy yet): every frame drops as no_policy.
// - Counts rx_frames/rx_bytes and drops[reason] into counters[in_port]; the
//   caller counts tx_frames/tx_bytes/replies/tx_dropped when it sends.
// - Never frees or sends: the caller owns every mbuf afterwards.
void process_burst(const Snapshot* snap, uint16_t in_port, rte_mbuf* const* pkts, uint16_t n,
                   BurstActions& out, PortCounters* counters) noexcept;

}  // namespace isoswitch::dp
