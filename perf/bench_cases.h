// Shared by the pipeline benchmarks and the scale sweep: cached policies and
// the timed burst loop.
//
// time_bursts() is the one place that measures process_burst: the TSC is read
// around each call only (restoring rewritten frames happens outside), so the
// figure is the pipeline's own cost per frame, without RX/TX.
//
// Thread-safety: single benchmark thread.
#pragma once

#include <cstdint>
#include <vector>

#include "isoswitch/counters.h"
#include "perf/bench_frames.h"
#include "perf/bench_policy.h"

namespace isoswitch::bench {

// Built once per size and kept for the process (compiling 64k peers takes a while).
const ScaledPolicy& cached_policy(const PolicySize& size);

struct BurstTiming {
  uint64_t cycles = 0;  // TSC cycles inside process_burst, summed
  uint64_t frames = 0;
  uint64_t forwarded = 0;
  // The median burst's cycles per frame. The machine is shared: a burst
  // during which the thread was preempted costs 100x more, and the mean
  // follows those outliers; the median of ~128 bursts does not.
  double median_cycles_per_frame = 0;
};

// One pass over every burst of `set`, judged against `p`'s snapshot.
// `scratch` holds per-burst figures (reused to avoid allocating per pass).
BurstTiming time_bursts(const ScaledPolicy& p, BurstSet& set, std::vector<PortCounters>& counters,
                        std::vector<double>& scratch) noexcept;

// The median of `v` (reorders it); 0 when empty.
double median(std::vector<double>& v) noexcept;

}  // namespace isoswitch::bench
