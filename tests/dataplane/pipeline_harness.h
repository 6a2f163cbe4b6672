// Running frames through dp::process_burst from tests: bytes in, bytes out.
//
// Copies each frame into an mbuf from the shared test pool (optionally with
// the tag in metadata, as a stripping NIC or the af_packet PMD delivers it),
// runs one burst and reads back verdict, reason, egress port, the frame bytes
// as they would leave, and whether any VLAN offload flag is still set.
//
// Thread-safety: test main thread only (the test mempool is not shared).
#pragma once

#include <rte_mbuf.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "dataplane/pipeline/pipeline.h"
#include "tests/support/dpdk_test_main.h"
#include "tests/support/frame_builder.h"

namespace isoswitch::test {

struct MbufFree {
  void operator()(rte_mbuf* m) const noexcept { rte_pktmbuf_free(m); }
};
using MbufPtr = std::unique_ptr<rte_mbuf, MbufFree>;

struct FrameSpec {
  Bytes bytes;
  bool meta_vlan = false;  // tag delivered in metadata (RTE_MBUF_F_RX_VLAN_STRIPPED)
  uint16_t tci = 0;
};

inline MbufPtr make_mbuf(const FrameSpec& f) {
  MbufPtr m(rte_pktmbuf_alloc(test_mempool()));
  if (!m) return m;
  char* p = rte_pktmbuf_append(m.get(), static_cast<uint16_t>(f.bytes.size()));
  if (p == nullptr) return nullptr;
  if (!f.bytes.empty()) std::memcpy(p, f.bytes.data(), f.bytes.size());
  if (f.meta_vlan) {
    m->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
    m->vlan_tci = f.tci;
  }
  return m;
}

inline Bytes mbuf_bytes(const rte_mbuf* m) {
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  return Bytes(p, p + rte_pktmbuf_data_len(m));
}

struct Outcome {
  Verdict verdict = Verdict::kDrop;
  DropReason reason = DropReason::no_route;
  uint16_t out_port = kNoPort;
  Bytes out;                // the frame after processing (what leaves, for non-drops)
  bool vlan_flags = false;  // any RX/TX VLAN flag left on the mbuf
  bool pkt_len_ok = true;   // pkt_len == data_len afterwards
};

inline constexpr uint64_t kAnyVlanFlag = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED |
                                         RTE_MBUF_F_RX_QINQ | RTE_MBUF_F_RX_QINQ_STRIPPED |
                                         RTE_MBUF_F_TX_VLAN | RTE_MBUF_F_TX_QINQ;

// Runs frames[0..n) as one burst on `in_port`; n <= kMaxBurst.
inline std::vector<Outcome> run_burst(const Snapshot* snap, uint16_t in_port,
                                      const std::vector<FrameSpec>& frames,
                                      PortCounters* counters) {
  std::vector<MbufPtr> owned;
  std::vector<rte_mbuf*> raw;
  for (const FrameSpec& f : frames) {
    owned.push_back(make_mbuf(f));
    raw.push_back(owned.back().get());
  }
  dp::BurstActions act{};
  dp::process_burst(snap, in_port, raw.data(), static_cast<uint16_t>(raw.size()), act, counters);
  std::vector<Outcome> res(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    Outcome& o = res[i];
    o.verdict = act.verdict[i];
    o.reason = act.reason[i];
    o.out_port = act.out_port[i];
    o.out = mbuf_bytes(raw[i]);
    o.vlan_flags = (raw[i]->ol_flags & kAnyVlanFlag) != 0;
    o.pkt_len_ok = rte_pktmbuf_pkt_len(raw[i]) == rte_pktmbuf_data_len(raw[i]);
  }
  return res;
}

}  // namespace isoswitch::test
