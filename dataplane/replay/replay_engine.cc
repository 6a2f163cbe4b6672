#include "dataplane/replay/replay_engine.h"

#include <rte_mbuf.h>

#include <algorithm>
#include <cstring>

#include "dataplane/pipeline/pipeline.h"

namespace isoswitch::replay {
namespace {

// Copies one frame into a (possibly chained) mbuf. A frame longer than one
// segment becomes a multi-segment mbuf, as a NIC with scatter RX would
// deliver it; the pipeline drops those as too_long.
rte_mbuf* frame_to_mbuf(rte_mempool* pool, const uint8_t* data, uint32_t len, uint16_t port) {
  rte_mbuf* head = rte_pktmbuf_alloc(pool);
  if (!head) return nullptr;
  head->port = port;
  rte_mbuf* seg = head;
  uint32_t done = 0;
  for (;;) {
    uint32_t room = rte_pktmbuf_tailroom(seg);
    uint32_t chunk = std::min(room, len - done);
    std::memcpy(rte_pktmbuf_mtod(seg, uint8_t*), data + done, chunk);
    seg->data_len = static_cast<uint16_t>(chunk);
    done += chunk;
    if (done == len) break;
    rte_mbuf* next = rte_pktmbuf_alloc(pool);
    if (!next) {
      rte_pktmbuf_free(head);
      return nullptr;
    }
    seg->next = next;
    ++head->nb_segs;
    seg = next;
  }
  head->pkt_len = len;
  return head;
}

struct BurstMbufs {
  rte_mbuf* m[kMaxBurst] = {};
  uint16_t n = 0;
  ~BurstMbufs() {
    for (uint16_t i = 0; i < n; ++i) rte_pktmbuf_free(m[i]);
  }
};

}  // namespace

uint16_t replay_data_room(uint16_t mtu) noexcept {
  uint32_t need = uint32_t{mtu} + 18u + 4u;  // Ethernet + one tag + FCS-less slack for a push
  uint32_t room = std::max<uint32_t>(need, 2048u);
  return static_cast<uint16_t>(RTE_PKTMBUF_HEADROOM + room);
}

uint32_t replay_pool_size(uint32_t max_frame_len, uint16_t data_room) noexcept {
  uint32_t seg = data_room > RTE_PKTMBUF_HEADROOM ? data_room - RTE_PKTMBUF_HEADROOM : 1u;
  // The first segment has the headroom in front of it, later ones too
  // (rte_pktmbuf_alloc resets every mbuf the same way).
  uint32_t per_frame = max_frame_len == 0 ? 1u : (max_frame_len + seg - 1) / seg;
  uint32_t need = uint32_t{kMaxBurst} * per_frame + 64u;
  return std::max<uint32_t>(need, 1023u);
}

Result<Summary> run_pipeline(const Snapshot* snap, const PortTable& ports,
                             const std::vector<ReplayInput>& inputs, rte_mempool* pool,
                             EngineOutput& out, std::vector<PortCounters>& counters) {
  if (counters.size() < ports.size()) counters.resize(ports.size());
  Summary summary;
  for (const auto& in : inputs) summary.inputs.push_back({in.port, in.capture->path, {}});
  for (const auto& p : ports.ports) summary.outputs.push_back({p.name, 0});

  std::vector<const Capture*> caps;
  for (const auto& in : inputs) caps.push_back(in.capture);
  const std::vector<FrameId> order = merge_order(caps);
  std::vector<uint8_t> linear;  // for multi-segment output (never expected)

  dp::BurstActions act{};
  for (const Burst& b : form_bursts(order, kMaxBurst)) {
    const ReplayInput& in = inputs[b.input];
    const Capture& cap = *in.capture;
    BurstMbufs mb;
    for (uint32_t i = b.begin; i < b.end; ++i) {
      const FrameRef& f = cap.frames[order[i].index];
      rte_mbuf* m = frame_to_mbuf(pool, cap.bytes(f), f.len, in.port_index);
      if (!m) return make_error(ErrorCode::kUnavailable, "the mbuf pool ran dry");
      mb.m[mb.n++] = m;
    }

    dp::process_burst(snap, in.port_index, mb.m, mb.n, act, counters.data());

    for (uint16_t k = 0; k < mb.n; ++k) {
      const uint32_t index = order[b.begin + k].index;
      const Verdict v = act.verdict[k];
      uint16_t outp = v == Verdict::kDrop ? kNoPort : act.out_port[k];
      if (v != Verdict::kDrop && outp >= ports.size())
        return make_error(ErrorCode::kInternal,
                          "the pipeline forwarded " + in.port + " frame " + std::to_string(index) +
                              " to port index " + std::to_string(outp) + ", which does not exist");
      if (v == Verdict::kReply && outp != in.port_index)
        return make_error(ErrorCode::kInternal, "the pipeline replied to " + in.port + " frame " +
                                                    std::to_string(index) + " on another port");
      summary.inputs[b.input].counts.add(v, act.reason[k]);
      if (auto r = out.verdict(in, index, v, act.reason[k], outp); !r)
        return std::unexpected(r.error());
      if (v == Verdict::kDrop) continue;

      rte_mbuf* m = mb.m[k];
      const uint8_t* data = rte_pktmbuf_mtod(m, const uint8_t*);
      if (m->nb_segs > 1) {
        linear.resize(m->pkt_len);
        data = static_cast<const uint8_t*>(rte_pktmbuf_read(m, 0, m->pkt_len, linear.data()));
      }
      const uint64_t ts = cap.frames[index].ts_ns;
      if (auto r = out.emit(outp, ts, data, m->pkt_len); !r) return std::unexpected(r.error());
      ++summary.outputs[outp].frames;
    }
  }
  return summary;
}

}  // namespace isoswitch::replay
