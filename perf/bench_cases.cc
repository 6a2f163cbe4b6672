#include "perf/bench_cases.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <tuple>

#include <rte_cycles.h>

#include "dataplane/pipeline/pipeline.h"

namespace isoswitch::bench {

const ScaledPolicy& cached_policy(const PolicySize& size) {
  static std::map<std::tuple<uint32_t, uint32_t, uint32_t>, std::unique_ptr<ScaledPolicy>> cache;
  auto key = std::make_tuple(size.jobs, size.vnics, size.peers);
  auto it = cache.find(key);
  if (it != cache.end()) return *it->second;
  auto p = make_scaled_policy(size);
  if (!p) {
    std::fprintf(stderr, "benchmark: policy %s: %s\n", size.label().c_str(),
                 p.error().message.c_str());
    std::abort();
  }
  auto owned = std::make_unique<ScaledPolicy>(std::move(*p));
  const ScaledPolicy& ref = *owned;
  cache.emplace(key, std::move(owned));
  return ref;
}

double median(std::vector<double>& v) noexcept {
  if (v.empty()) return 0.0;
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

BurstTiming time_bursts(const ScaledPolicy& p, BurstSet& set, std::vector<PortCounters>& counters,
                        std::vector<double>& scratch) noexcept {
  BurstTiming t;
  scratch.clear();
  dp::BurstActions actions;
  for (std::size_t b = 0; b < set.size(); ++b) {
    const Burst& burst = set.load(b);
    const uint64_t t0 = rte_rdtsc();
    dp::process_burst(p.snap.get(), burst.in_port, burst.pkts, burst.n, actions, counters.data());
    const uint64_t t1 = rte_rdtsc();
    t.cycles += t1 - t0;
    t.frames += burst.n;
    if (burst.n != 0) scratch.push_back(static_cast<double>(t1 - t0) / burst.n);
    for (uint16_t i = 0; i < burst.n; ++i) t.forwarded += actions.verdict[i] != Verdict::kDrop;
  }
  t.median_cycles_per_frame = median(scratch);
  return t;
}

}  // namespace isoswitch::bench
