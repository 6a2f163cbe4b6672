// Prebuilt bursts of frames in mbufs, by rule family, for the burst benchmarks.
//
// A BurstSet holds `frames` frames of one family (or a realistic mix) for a
// ScaledPolicy, cut into bursts of kMaxBurst that each come from one port:
// uplink families from the uplink, vNIC families from one vNIC per burst,
// rotating over every vNIC of the policy (so lookups spread over the whole
// address table, as in a host with many containers). process_burst rewrites
// forwarded frames and builds answers in place, so after each burst the
// benchmark calls restore(), which copies back only the frames that were not
// dropped (restoring outside the timed region keeps the figure the pipeline's).
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
  rte_mbuf* pkts[kMaxBurst] = {};
};

class BurstSet {
 public:
  // Fails (kUnavailable) when the pool runs out of mbufs.
  static Result<BurstSet> build(const ScaledPolicy& p, Family f, uint32_t frames,
                                rte_mempool* pool, uint32_t seed = 1);

  BurstSet() = default;
  BurstSet(BurstSet&& o) noexcept;
  BurstSet& operator=(BurstSet&& o) noexcept;
  BurstSet(const BurstSet&) = delete;
  BurstSet& operator=(const BurstSet&) = delete;
  ~BurstSet();

  const std::vector<Burst>& bursts() const noexcept { return bursts_; }
  uint32_t frames() const noexcept { return frames_; }
  // The frame bytes as built (for parse/classify benchmarks without mbufs).
  const std::vector<std::vector<uint8_t>>& templates() const noexcept { return tmpl_; }

  // Puts back every frame of burst `b` that `a` did not drop.
  void restore(std::size_t b, const dp::BurstActions& a) noexcept;

 private:
  void release() noexcept;
  std::vector<Burst> bursts_;
  std::vector<std::vector<uint8_t>> tmpl_;  // frame b*kMaxBurst+i of burst b
  uint32_t frames_ = 0;
};

}  // namespace isoswitch::bench
