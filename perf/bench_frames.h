// Prebuilt bursts of frames in mbufs, by rule family, for the burst benchmarks.
//
// A BurstSet holds `frames` frames of one family (or a realistic mix) for a
// ScaledPolicy, cut into bursts of kMaxBurst that each come from one port:
// uplink families from the uplink, vNIC families from one vNIC per burst,
// rotating over every vNIC of the policy (so lookups spread over the whole
// address table, as in a host with many containers).
//
// The frames are kept as bytes; load(b) copies burst b into one of a few
// recycled mbuf slots just before it is judged, as an RX PMD does (the
// pcap PMD's infinite_rx copies each stored frame into a fresh mbuf from the
// mempool cache): the frame data is hot, as in the daemon, and rewrites of
// the previous pass never leak into the next. Loading is outside the timed
// region, so the figure is the pipeline's.
//
// Mixes (shuffled with a fixed seed):
//   uplink_mix  70% U1 allowed (remote peer -> local vNIC), 15% from another
//               job's container, 10% from outside, 5% to an unrouted address
//               (gen_traffic.py's mix);
//   vnic_mix    40% E6 remote peer, 30% E5 local peer, 30% E7 not_peer.
//
// Thread-safety: one benchmark thread owns a set and its mbufs.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <rte_mbuf.h>
#include <rte_mempool.h>

#include "dataplane/pipeline/pipeline.h"
#include "isoswitch/result.h"
#include "perf/bench_policy.h"

namespace isoswitch::bench {

#define ISOSWITCH_BENCH_FAMILIES(X)                                    \
  X(uplink_allow, "U1: remote peer -> local vNIC (forward)")           \
  X(uplink_cross_job, "U5: another job's container -> vNIC (drop)")    \
  X(uplink_outside, "U5: outside address -> vNIC (drop)")              \
  X(uplink_no_route, "U5: peer -> unrouted address (drop)")            \
  X(uplink_mix, "70% U1 / 30% U5, gen_traffic.py's mix")               \
  X(vnic_local, "E5: vNIC -> local peer vNIC (forward)")               \
  X(vnic_remote, "E6: vNIC -> remote peer via uplink (forward)")       \
  X(vnic_not_peer, "E7: vNIC -> internet (drop)")                      \
  X(vnic_spoofed, "E1: vNIC with a foreign source IP (drop)")          \
  X(vnic_arp, "E3a: ARP request for a peer (proxy reply)")             \
  X(vnic_mix, "40% E6 / 30% E5 / 30% E7")                              \
  X(malformed, "E12: IPv4 header cut short on the uplink (drop)")

enum class Family : uint8_t {
#define ISOSWITCH_X(name, help) name,
  ISOSWITCH_BENCH_FAMILIES(ISOSWITCH_X)
#undef ISOSWITCH_X
};

std::string_view family_name(Family f) noexcept;

struct Burst {
  uint16_t in_port = 0;
  uint16_t n = 0;
  rte_mbuf* pkts[kMaxBurst] = {};  // valid from load() until the slot is reused
};

class BurstSet {
 public:
  // Fails (kUnavailable) when the pool runs out of mbufs. pool == nullptr:
  // the few slot mbufs are laid out by hand in heap memory, so the set works
  // without an EAL (the callgrind counter runs under valgrind, where DPDK's
  // EAL is best avoided); process_burst only reads/moves within the buffer.
  static Result<BurstSet> build(const ScaledPolicy& p, Family f, uint32_t frames,
                                rte_mempool* pool, uint32_t seed = 1);

  BurstSet() = default;
  BurstSet(BurstSet&& o) noexcept;
  BurstSet& operator=(BurstSet&& o) noexcept;
  BurstSet(const BurstSet&) = delete;
  BurstSet& operator=(const BurstSet&) = delete;
  ~BurstSet();

  std::size_t size() const noexcept { return bursts_.size(); }  // number of bursts
  uint32_t frames() const noexcept { return frames_; }
  uint16_t in_port(std::size_t b) const noexcept { return bursts_[b].in_port; }
  // Frame i of burst b as built (for parse/classify benchmarks without mbufs).
  const std::vector<uint8_t>& frame(std::size_t b, uint16_t i) const noexcept {
    return frames_bytes_[bursts_[b].first + i];
  }
  uint16_t burst_len(std::size_t b) const noexcept { return bursts_[b].n; }

  // Copies burst b into a recycled slot of mbufs (fresh lengths, offsets and
  // flags) and returns it. The previous load's slot stays valid too.
  const Burst& load(std::size_t b) noexcept;

 private:
  static constexpr std::size_t kSlots = 4;
  struct Planned {
    uint16_t in_port = 0;
    uint16_t n = 0;
    uint32_t first = 0;  // index of its first frame in frames_bytes_
  };
  void release() noexcept;
  std::vector<Planned> bursts_;
  std::vector<std::vector<uint8_t>> frames_bytes_;
  Burst slots_[kSlots];
  std::size_t next_slot_ = 0;
  uint32_t frames_ = 0;
  std::vector<uint8_t> heap_;  // hand-made mbufs when built without a pool
};

}  // namespace isoswitch::bench
