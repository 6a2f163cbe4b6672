#include "perf/bench_frames.h"

#include <algorithm>
#include <cstring>
#include <new>
#include <random>
#include <utility>

#include "tests/support/frame_builder.h"

namespace isoswitch::bench {
namespace {

using test::FrameBuilder;
using Bytes = std::vector<uint8_t>;

constexpr uint16_t kDport = 4791;

Bytes udp_frame(const MacAddr& dst_mac, const MacAddr& src_mac, Ipv4Addr src, Ipv4Addr dst,
                uint16_t sport) {
  return FrameBuilder().eth(dst_mac, src_mac).ipv4(src, dst).udp(sport, kDport).pad(60).build();
}

// An address outside every policy range: 198.18.0.0/15 (benchmarking range).
Ipv4Addr outside(std::mt19937& rng) { return Ipv4Addr{0xC6120000u + static_cast<uint32_t>(rng() & 0x1ffffu)}; }
// Internet destinations for E7: 8.0.0.0/8.
Ipv4Addr internet(std::mt19937& rng) { return Ipv4Addr{0x08000000u + static_cast<uint32_t>(rng() & 0xffffffu)}; }

struct PlannedFrame {
  uint16_t in_port;
  Bytes frame;
};

// One uplink frame of `kind` (a single-family name), k-th of its kind.
Bytes uplink_frame(const ScaledPolicy& p, Family kind, uint32_t k, std::mt19937& rng) {
  const uint32_t nv = static_cast<uint32_t>(p.vnics.size());
  const MacAddr up = bench_uplink_mac(), nh = bench_next_hop_mac();
  const BenchVnic& v = p.vnics[k % nv];
  const auto& peers = p.remote_peers[v.job];
  const uint16_t sport = static_cast<uint16_t>(1024 + k % 50000);
  switch (kind) {
    case Family::uplink_allow:
      return udp_frame(up, nh, peers[(k / nv) % peers.size()], v.ip, sport);
    case Family::uplink_cross_job: {
      const uint32_t jobs = static_cast<uint32_t>(p.remote_peers.size());
      if (jobs > 1) {
        uint32_t other = (v.job + 1 + rng() % (jobs - 1)) % jobs;
        const auto& op = p.remote_peers[other];
        if (!op.empty()) return udp_frame(up, nh, op[rng() % op.size()], v.ip, sport);
      }
      return udp_frame(up, nh, outside(rng), v.ip, sport);
    }
    case Family::uplink_outside: return udp_frame(up, nh, outside(rng), v.ip, sport);
    case Family::uplink_no_route:
      return udp_frame(up, nh, peers[rng() % peers.size()], Ipv4Addr{0x0AFFFF01u + static_cast<uint32_t>(rng() % 254)},
                       sport);
    case Family::malformed:
      return FrameBuilder().eth(up, nh).ipv4(peers[0], v.ip).udp(sport, kDport).truncate(30).build();
    default: return {};
  }
}

// One frame from vNIC v of `kind`.
Bytes vnic_frame(const ScaledPolicy& p, const BenchVnic& v, Family kind, uint32_t k,
                 std::mt19937& rng) {
  const MacAddr gw = bench_gateway_mac();
  const auto& peers = p.remote_peers[v.job];
  const auto& locals = p.vnics_of_job[v.job];
  const uint16_t sport = static_cast<uint16_t>(1024 + k % 50000);
  switch (kind) {
    case Family::vnic_local: {
      const BenchVnic& w = p.vnics[locals[(k + 1) % locals.size()]];  // another one when it exists
      return udp_frame(gw, v.mac, v.ip, w.ip, sport);
    }
    case Family::vnic_remote: return udp_frame(gw, v.mac, v.ip, peers[k % peers.size()], sport);
    case Family::vnic_not_peer: return udp_frame(gw, v.mac, v.ip, internet(rng), sport);
    case Family::vnic_spoofed: return udp_frame(gw, v.mac, outside(rng), peers[0], sport);
    case Family::vnic_arp:
      return FrameBuilder()
          .eth(test::kBroadcast, v.mac)
          .arp_request(v.mac, v.ip, peers[k % peers.size()])
          .pad(60)
          .build();
    default: return {};
  }
}

std::vector<PlannedFrame> plan(const ScaledPolicy& p, Family f, uint32_t frames, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<PlannedFrame> out;
  out.reserve(frames);
  const uint32_t nv = static_cast<uint32_t>(p.vnics.size());
  switch (f) {
    case Family::uplink_allow:
    case Family::uplink_cross_job:
    case Family::uplink_outside:
    case Family::uplink_no_route:
    case Family::malformed:
      for (uint32_t k = 0; k < frames; ++k) out.push_back({0, uplink_frame(p, f, k, rng)});
      return out;
    case Family::uplink_mix: {
      const uint32_t allowed = frames * 7 / 10, denied = frames - allowed;
      const uint32_t no_route = denied / 6, outsiders = denied / 3;
      const uint32_t cross = denied - no_route - outsiders;
      for (uint32_t k = 0; k < allowed; ++k)
        out.push_back({0, uplink_frame(p, Family::uplink_allow, k, rng)});
      for (uint32_t k = 0; k < cross; ++k)
        out.push_back({0, uplink_frame(p, Family::uplink_cross_job, rng(), rng)});
      for (uint32_t k = 0; k < outsiders; ++k)
        out.push_back({0, uplink_frame(p, Family::uplink_outside, rng(), rng)});
      for (uint32_t k = 0; k < no_route; ++k)
        out.push_back({0, uplink_frame(p, Family::uplink_no_route, rng(), rng)});
      std::shuffle(out.begin(), out.end(), rng);
      return out;
    }
    default: break;
  }
  // vNIC families: burst b comes from vNIC b % nv.
  for (uint32_t k = 0; k < frames; ++k) {
    const BenchVnic& v = p.vnics[(k / kMaxBurst) % nv];
    Family kind = f;
    if (f == Family::vnic_mix) {
      const uint32_t r = rng() % 10;
      kind = r < 4 ? Family::vnic_remote : r < 7 ? Family::vnic_local : Family::vnic_not_peer;
    }
    out.push_back({v.port, vnic_frame(p, v, kind, k, rng)});
  }
  return out;
}

}  // namespace

std::string_view family_name(Family f) noexcept {
  static constexpr std::string_view kNames[] = {
#define ISOSWITCH_X(name, help) #name,
      ISOSWITCH_BENCH_FAMILIES(ISOSWITCH_X)
#undef ISOSWITCH_X
  };
  return kNames[static_cast<unsigned>(f)];
}

Result<BurstSet> BurstSet::build(const ScaledPolicy& p, Family f, uint32_t frames,
                                 rte_mempool* pool, uint32_t seed) {
  if (p.vnics.empty() || frames == 0)
    return make_error(ErrorCode::kInvalidArgument, "a burst set needs vNICs and frames");
  std::vector<PlannedFrame> planned = plan(p, f, frames, seed);
  BurstSet s;
  s.frames_ = static_cast<uint32_t>(planned.size());
  for (std::size_t k = 0; k < planned.size();) {
    BurstSet::Planned b;
    b.in_port = planned[k].in_port;
    b.first = static_cast<uint32_t>(s.frames_bytes_.size());
    while (k < planned.size() && b.n < kMaxBurst && planned[k].in_port == b.in_port) {
      s.frames_bytes_.push_back(std::move(planned[k].frame));
      ++b.n;
      ++k;
    }
    s.bursts_.push_back(b);
  }
  if (pool == nullptr) {
    constexpr std::size_t kMbufBytes = (sizeof(rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE + 63) / 64 * 64;
    s.heap_.assign(kSlots * kMaxBurst * kMbufBytes + 64, 0);
    uint8_t* base = s.heap_.data();
    base += (64 - reinterpret_cast<uintptr_t>(base) % 64) % 64;  // cache-line aligned mbufs
    for (std::size_t k = 0; k < kSlots * kMaxBurst; ++k) {
      auto* m = new (base + k * kMbufBytes) rte_mbuf{};
      m->buf_addr = reinterpret_cast<uint8_t*>(m) + sizeof(rte_mbuf);
      m->buf_len = RTE_MBUF_DEFAULT_BUF_SIZE;
      m->data_off = RTE_PKTMBUF_HEADROOM;
      m->nb_segs = 1;
      m->port = RTE_MBUF_PORT_INVALID;
      rte_mbuf_refcnt_set(m, 1);
      s.slots_[k / kMaxBurst].pkts[k % kMaxBurst] = m;
    }
    for (Burst& slot : s.slots_) slot.n = kMaxBurst;
    return s;
  }
  for (Burst& slot : s.slots_) {
    if (rte_pktmbuf_alloc_bulk(pool, slot.pkts, kMaxBurst) != 0)
      return make_error(ErrorCode::kUnavailable, "mbuf pool exhausted building a burst set");
    slot.n = kMaxBurst;  // owned: release() frees all of them
  }
  return s;
}

const Burst& BurstSet::load(std::size_t b) noexcept {
  Burst& slot = slots_[next_slot_];
  next_slot_ = (next_slot_ + 1) % kSlots;
  const Planned& pl = bursts_[b];
  slot.in_port = pl.in_port;
  for (uint16_t i = 0; i < pl.n; ++i) {
    rte_mbuf* m = slot.pkts[i];
    const auto& t = frames_bytes_[pl.first + i];
    m->data_off = RTE_PKTMBUF_HEADROOM;
    m->data_len = static_cast<uint16_t>(t.size());
    m->pkt_len = static_cast<uint32_t>(t.size());
    m->nb_segs = 1;
    m->ol_flags = 0;
    m->vlan_tci = 0;
    std::memcpy(rte_pktmbuf_mtod(m, void*), t.data(), t.size());
  }
  slot.n = pl.n;
  return slot;
}

void BurstSet::release() noexcept {
  for (Burst& slot : slots_) {
    for (rte_mbuf*& m : slot.pkts) {
      if (m != nullptr && heap_.empty()) rte_pktmbuf_free(m);
      m = nullptr;
    }
    slot.n = 0;
  }
  heap_.clear();
  bursts_.clear();
  frames_bytes_.clear();
  frames_ = 0;
}

BurstSet::BurstSet(BurstSet&& o) noexcept { *this = std::move(o); }

BurstSet& BurstSet::operator=(BurstSet&& o) noexcept {
  if (this != &o) {
    release();
    bursts_ = std::move(o.bursts_);
    frames_bytes_ = std::move(o.frames_bytes_);
    frames_ = o.frames_;
    heap_ = std::move(o.heap_);
    next_slot_ = 0;
    for (std::size_t k = 0; k < kSlots; ++k) {
      slots_[k] = o.slots_[k];
      o.slots_[k] = Burst{};
    }
    o.bursts_.clear();
    o.frames_bytes_.clear();
    o.frames_ = 0;
  }
  return *this;
}

BurstSet::~BurstSet() { release(); }

}  // namespace isoswitch::bench
