// The burst loop: P0-P3, L2 parse, per-role classification, then apply.
//
// The ingress port's role is the same for the whole burst, so it is looked up
// once and the loop is instantiated per role (no per-frame role switch). For
// each frame i the loop prefetches the data of frame i+kPrefetchData and, once
// the address table outgrows the L1, the lines frame i+kPrefetchSlot will look
// up (its IPv4 destination, and source on the uplink), then judges frame i:
// untagged IPv4 inline, anything else out of line (judge_apply_frame); decide
// (classify_*.h, read-only), then apply (rewrite.h, reply_*.h). Counters go to
// counters[in_port] with plain stores.
#include "dataplane/pipeline/pipeline.h"

#include <rte_mbuf.h>
#include <rte_prefetch.h>

#include "dataplane/pipeline/classify_agent.h"
#include "dataplane/pipeline/classify_uplink.h"
#include "dataplane/pipeline/classify_vnic.h"
#include "dataplane/pipeline/decision.h"
#include "dataplane/pipeline/frame_parse.h"
#include "dataplane/pipeline/reply_arp.h"
#include "dataplane/pipeline/reply_nd.h"
#include "dataplane/pipeline/rewrite.h"
#include "dataplane/pipeline/snapshot_view.h"

namespace isoswitch::dp {
namespace {

constexpr uint16_t kPrefetchData = 4;
static_assert(kPrefetchData < kMaxBurst);

// The IPv4 destination (and source) of an untagged IPv4 frame, read without
// trusting the frame: false when the frame is too short or not IPv4. The
// classifier re-parses and re-checks everything; this only picks lines to warm.
inline bool peek_ipv4(const rte_mbuf* m, uint32_t& src, uint32_t& dst) noexcept {
  if (rte_pktmbuf_data_len(m) < kEthHdrLen + kIpv4MinHdr) return false;
  const uint8_t* p = rte_pktmbuf_mtod(m, const uint8_t*);
  if (load_be16(p + 12) != kEthTypeIpv4) return false;
  src = load_be32(p + 26);
  dst = load_be32(p + 30);
  return true;
}

// Warms the address-table slot the classifier of this role will read first:
// the IPv4 destination of an untagged IPv4 frame (the source too on the
// uplink, which checks it for U1/U5). A guess only: any frame is safe here.
template <PortRole R>
inline void prefetch_lookup(const SnapshotView& v, const rte_mbuf* m) noexcept {
  uint32_t src = 0, dst = 0;
  if (!peek_ipv4(m, src, dst)) return;
  if constexpr (R == PortRole::kAgent) {
    v.addr4.prefetch(dst);
  } else {  // the uplink and vNIC fast paths look up the host-local table
    v.local4.prefetch(dst);
    if constexpr (R == PortRole::kUplink) v.local4.prefetch(src);
  }
}

// Up to this many IPv4 slots (32 KB) the table lives in the L1.
constexpr std::size_t kWarmMinSlots = 2048;
// How many frames ahead the address-table slots are prefetched.
constexpr uint16_t kPrefetchSlot = 2;
static_assert(kPrefetchSlot < kPrefetchData, "the frame's data line is warm by then");

// The role's table (docs/rules.md "vNIC ingress", "Uplink ingress", "Agent
// port ingress") for a parsed frame.
template <PortRole R>
[[gnu::always_inline]] inline Decision classify(const SnapshotView& v, uint16_t in_port,
                                                const PortEntry* port, const L2View& l2) noexcept {
  if constexpr (R == PortRole::kVnic) return classify_vnic(v, in_port, *port, l2);
  if constexpr (R == PortRole::kUplink) return classify_uplink(v, in_port, l2);
  if constexpr (R == PortRole::kAgent) return classify_agent(v, in_port, l2);
}

// P1, P2, P3 (docs/rules.md "Every port, first"), the L2 parse, then the
// role's table.
template <PortRole R>
[[gnu::always_inline]] inline Decision judge(const SnapshotView& v, uint16_t in_port,
                                             const PortEntry* port, rte_mbuf* m,
                                             L2View& l2) noexcept {
  const uint32_t len = rte_pktmbuf_data_len(m);
  if (m->nb_segs != 1 || len > v.max_frame_len) return drop(DropReason::too_long);  // P1
  if (len < kEthHdrLen) return drop(DropReason::malformed);                         // P2
  if constexpr (R == PortRole::kNone) {
    return drop(DropReason::no_vnic);  // P3
  } else {
    const bool meta_tag = (m->ol_flags & RTE_MBUF_F_RX_VLAN_STRIPPED) != 0;
    if (!parse_l2(rte_pktmbuf_mtod(m, uint8_t*), len, meta_tag, m->vlan_tci, l2))
      return drop(DropReason::malformed);
    // Two tags stripped into metadata: QinQ, whatever follows inline.
    if ((m->ol_flags & RTE_MBUF_F_RX_QINQ_STRIPPED) != 0) l2.tagged = l2.qinq = true;
    return classify<R>(v, in_port, port, l2);
  }
}

// Writes the decision into the mbuf and the action arrays. A frame that cannot
// be grown for its tag or answer (no headroom nor tailroom) is dropped as
// too_long: it does not fit the buffer it came in.
inline void record_drop(DropReason r, uint16_t i, BurstActions& out, PortCounters* c) noexcept {
  out.verdict[i] = Verdict::kDrop;
  out.out_port[i] = kNoPort;
  out.reason[i] = r;
  if (c != nullptr) ++c->drops[static_cast<unsigned>(r)];
}

__attribute__((always_inline)) inline void apply(rte_mbuf* m, const Decision& d, const L2View& l2,
                                                 uint16_t i, BurstActions& out,
                                                 PortCounters* c) noexcept {
  bool ok = true;
  switch (d.action) {
    case Action::kDrop:
      break;
    case Action::kForward:
    case Action::kForwardPushTag:
    case Action::kForwardPopTag:
      ok = apply_forward(m, d, l2.tag_inline);
      break;
    case Action::kArpReply:
      ok = build_arp_reply(m, l2.l3, *d.answer, d.tagged, d.tci);
      break;
    case Action::kNaReply:
      ok = build_na_reply(m, *d.answer);
      break;
  }
  if (d.action == Action::kDrop) return record_drop(d.reason, i, out, c);
  if (!ok) return record_drop(DropReason::too_long, i, out, c);
  const bool reply = d.action == Action::kArpReply || d.action == Action::kNaReply;
  out.verdict[i] = reply ? Verdict::kReply : Verdict::kForward;
  out.out_port[i] = d.out_port;
  out.reason[i] = DropReason::no_route;  // unused for non-drops; a fixed value for replay logs
}

// The common frame: untagged IPv4 in one segment, P1 and P2 passed, no VLAN
// offload flags. Its L2 view is known without parsing, and built from
// constants the role's classifier folds: the tagged, ARP and IPv6 branches
// vanish, nothing is passed out of line, so the view, the Decision and the
// SnapshotView all stay in registers. Every other frame takes judge_apply()
// below, out of line, which runs the very same classifier after the general
// parse: one set of rules, two entry points.
inline bool is_plain_ipv4(const SnapshotView& v, const rte_mbuf* m, uint32_t len) noexcept {
  constexpr uint64_t kTagFlags = RTE_MBUF_F_RX_VLAN_STRIPPED | RTE_MBUF_F_RX_QINQ_STRIPPED;
  return m->nb_segs == 1 && len >= kEthHdrLen && len <= v.max_frame_len &&
         (m->ol_flags & kTagFlags) == 0 &&
         load_be16(rte_pktmbuf_mtod(m, const uint8_t*) + 12) == kEthTypeIpv4;
}

// Judges and applies frame i, whichever path it takes.
template <PortRole R>
[[gnu::noinline]] void judge_apply(const Snapshot& s, uint16_t in_port, rte_mbuf* m, uint16_t i,
                                   BurstActions& out, PortCounters* c) noexcept {
  const SnapshotView v(s);
  const PortEntry* port = R == PortRole::kNone ? nullptr : &v.ports[in_port];
  L2View l2;
  const Decision d = judge<R>(v, in_port, port, m, l2);
  apply(m, d, l2, i, out, c);
}

template <PortRole R>
[[gnu::always_inline]] inline void judge_apply_frame(const SnapshotView& v, uint16_t in_port,
                                                     const PortEntry* port, rte_mbuf* m, uint16_t i,
                                                     BurstActions& out, PortCounters* c) noexcept {
  if constexpr (R != PortRole::kNone) {
    const uint32_t len = rte_pktmbuf_data_len(m);
    if (is_plain_ipv4(v, m, len)) [[likely]] {
      L2View l2;
      l2.data = rte_pktmbuf_mtod(m, uint8_t*);
      l2.len = len;
      l2.ethertype = kEthTypeIpv4;
      const Decision d = classify<R>(v, in_port, port, l2);
      apply(m, d, l2, i, out, c);
      return;
    }
  }
  judge_apply<R>(v.s, in_port, m, i, out, c);
}

// The burst loop: data kPrefetchData frames ahead and, when `Warm`, the
// address-table slots kPrefetchSlot frames ahead. Split in two so the bulk of
// the burst prefetches without a bounds test; the last kPrefetchData frames'
// data was prefetched already.
template <PortRole R, bool Warm>
[[gnu::always_inline]] inline uint64_t run_flat(const SnapshotView& v, uint16_t in_port,
                                                const PortEntry* port, rte_mbuf* const* pkts,
                                                uint16_t n, BurstActions& out,
                                                PortCounters* c) noexcept {
  uint64_t bytes = 0;
  for (uint16_t i = 0; i < n && i < kPrefetchData; ++i)
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void*));
  if (Warm)
    for (uint16_t i = 0; i < n && i < kPrefetchSlot; ++i) prefetch_lookup<R>(v, pkts[i]);
  uint16_t i = 0;
  for (; i + kPrefetchData < n; ++i) {
    rte_prefetch0(rte_pktmbuf_mtod(pkts[i + kPrefetchData], void*));
    if (Warm) prefetch_lookup<R>(v, pkts[i + kPrefetchSlot]);
    bytes += rte_pktmbuf_pkt_len(pkts[i]);
    judge_apply_frame<R>(v, in_port, port, pkts[i], i, out, c);
  }
  for (; i < n; ++i) {
    if (Warm && i + kPrefetchSlot < n) prefetch_lookup<R>(v, pkts[i + kPrefetchSlot]);
    bytes += rte_pktmbuf_pkt_len(pkts[i]);
    judge_apply_frame<R>(v, in_port, port, pkts[i], i, out, c);
  }
  return bytes;
}

// Returns the bytes of the burst (rx_bytes), summed while each frame's mbuf
// header is in hand anyway.
template <PortRole R>
uint64_t run_burst(const Snapshot& s, uint16_t in_port, rte_mbuf* const* pkts, uint16_t n,
                   BurstActions& out, PortCounters* c) noexcept {
  const SnapshotView v(s);  // in locals for the burst: see snapshot_view.h
  const PortEntry* port = R == PortRole::kNone ? nullptr : &v.ports[in_port];
  // A table that fits the L1 needs no warming: the prefetch would cost more
  // instructions than it saves. (A staged loop, VPP style: slots 16 frames
  // ahead, PortEntry/JobEntry 8 ahead, measured slower than this one at every
  // policy size once the inline fast path existed: 38.2 vs 30.1 cycles/frame
  // at 64k peers, 43.1 vs 36.6 at 262k; the out-of-order core overlaps the
  // misses of neighbouring frames by itself, and the stages cost ~30
  // instructions per frame.)
  const Addr4Table& table = R == PortRole::kAgent ? s.addr4 : s.local4;
  if (table.capacity() > kWarmMinSlots)
    return run_flat<R, true>(v, in_port, port, pkts, n, out, c);
  return run_flat<R, false>(v, in_port, port, pkts, n, out, c);
}

}  // namespace

void process_burst(const Snapshot* snap, uint16_t in_port, rte_mbuf* const* pkts, uint16_t n,
                   BurstActions& out, PortCounters* counters) noexcept {
  if (n > kMaxBurst) n = kMaxBurst;  // the action arrays hold kMaxBurst; callers never pass more
  PortCounters* c = counters != nullptr ? &counters[in_port] : nullptr;
  if (c != nullptr) c->rx_frames += n;
  if (snap == nullptr) {  // P0: fail closed
    for (uint16_t i = 0; i < n; ++i) {
      out.verdict[i] = Verdict::kDrop;
      out.out_port[i] = kNoPort;
      out.reason[i] = DropReason::no_policy;
    }
    if (c != nullptr) {
      c->drops[static_cast<unsigned>(DropReason::no_policy)] += n;
      for (uint16_t i = 0; i < n; ++i) c->rx_bytes += rte_pktmbuf_pkt_len(pkts[i]);
    }
    return;
  }
  const PortRole role = in_port < snap->ports.size() ? snap->ports[in_port].role : PortRole::kNone;
  uint64_t bytes = 0;
  switch (role) {
    case PortRole::kVnic:
      bytes = run_burst<PortRole::kVnic>(*snap, in_port, pkts, n, out, c);
      break;
    case PortRole::kUplink:
      bytes = run_burst<PortRole::kUplink>(*snap, in_port, pkts, n, out, c);
      break;
    case PortRole::kAgent:
      bytes = run_burst<PortRole::kAgent>(*snap, in_port, pkts, n, out, c);
      break;
    case PortRole::kNone:
      bytes = run_burst<PortRole::kNone>(*snap, in_port, pkts, n, out, c);
      break;
  }
  if (c != nullptr) c->rx_bytes += bytes;
}

}  // namespace isoswitch::dp
