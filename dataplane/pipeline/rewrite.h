// Applying a forward decision to the mbuf: MAC rewrite, VLAN push and pop.
//
// Only the MACs change, plus the tag for VPC traffic (docs/rules.md
// "Forwarded frames"). Every frame leaves with its tag, if any, inline and the
// mbuf's VLAN offload flags cleared, so no TX path can re-insert or strip a
// tag behind our back. A push needs 4 bytes of headroom (128 in every DPDK
// pool we create); without it, the frame is shifted into tailroom instead.
//
// Thread-safety: touches only the given mbuf, owned by the calling worker.
#pragma once

#include <cstdint>
#include <cstring>

#include <rte_mbuf.h>

#include "dataplane/pipeline/decision.h"
#include "dataplane/pipeline/frame_parse.h"

namespace isoswitch::dp {

inline constexpr uint64_t kVlanOlFlags = RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED |
                                         RTE_MBUF_F_RX_QINQ | RTE_MBUF_F_RX_QINQ_STRIPPED |
                                         RTE_MBUF_F_TX_VLAN | RTE_MBUF_F_TX_QINQ;

inline void clear_vlan_metadata(rte_mbuf* m) noexcept {
  m->ol_flags &= ~kVlanOlFlags;
  m->vlan_tci = 0;
  m->vlan_tci_outer = 0;
}

// One 12-byte copy: the destination and source MACs are adjacent in both.
inline void rewrite_macs(uint8_t* p, const EthRewrite& macs) noexcept {
  std::memcpy(p, &macs, sizeof macs);
}

// Inserts an 802.1Q tag (TPID 0x8100, `tci`) after the MACs of an untagged
// frame. Returns false when the mbuf has neither headroom nor tailroom.
inline bool push_vlan(rte_mbuf* m, uint16_t tci) noexcept {
  uint8_t* p;
  if (char* h = rte_pktmbuf_prepend(m, kVlanTagLen); h != nullptr) {
    p = reinterpret_cast<uint8_t*>(h);
    std::memmove(p, p + kVlanTagLen, 12);
  } else {
    const uint16_t old_len = rte_pktmbuf_data_len(m);
    if (rte_pktmbuf_append(m, kVlanTagLen) == nullptr) return false;
    p = rte_pktmbuf_mtod(m, uint8_t*);
    std::memmove(p + 12 + kVlanTagLen, p + 12, old_len - 12u);
  }
  store_be16(p + 12, kTpid8021Q);
  store_be16(p + 14, tci);
  return true;
}

// Removes the frame's single tag: cut inline, or forget the metadata one.
inline void pop_vlan(rte_mbuf* m, bool tag_inline) noexcept {
  if (tag_inline) {
    uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
    std::memmove(p + kVlanTagLen, p, 12);
    rte_pktmbuf_adj(m, kVlanTagLen);
  }
}

// Applies kForward / kForwardPushTag / kForwardPopTag. False: could not grow
// the frame for a tag (the caller drops it).
// Always inlined: on the allow path a call cost as much as the rewrite itself.
__attribute__((always_inline)) inline bool apply_forward(rte_mbuf* m, const Decision& d,
                                                         bool tag_inline) noexcept {
  if (d.action == Action::kForwardPushTag) {
    if (!push_vlan(m, d.tci)) return false;
  } else if (d.action == Action::kForwardPopTag) {
    pop_vlan(m, tag_inline);
  }
  clear_vlan_metadata(m);
  rewrite_macs(rte_pktmbuf_mtod(m, uint8_t*), *d.rewrite);
  return true;
}

// Makes the single-segment mbuf exactly `len` bytes long (trim or grow into
// tailroom). False when it cannot grow.
inline bool set_frame_len(rte_mbuf* m, uint16_t len) noexcept {
  const uint16_t cur = rte_pktmbuf_data_len(m);
  if (cur > len) return rte_pktmbuf_trim(m, static_cast<uint16_t>(cur - len)) == 0;
  if (cur < len) return rte_pktmbuf_append(m, static_cast<uint16_t>(len - cur)) != nullptr;
  return true;
}

}  // namespace isoswitch::dp
