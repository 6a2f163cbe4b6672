#include "dataplane/replay/merge.h"

#include <algorithm>
#include <tuple>

namespace isoswitch::replay {

std::vector<FrameId> merge_order(const std::vector<const Capture*>& inputs) {
  std::size_t total = 0;
  for (const Capture* c : inputs) total += c->frames.size();
  std::vector<FrameId> order;
  order.reserve(total);
  for (uint32_t i = 0; i < inputs.size(); ++i)
    for (uint32_t k = 0; k < inputs[i]->frames.size(); ++k) order.push_back({i, k});
  // The key is total (timestamp, input, index), so plain sort is deterministic;
  // a capture whose own timestamps go backwards is reordered by timestamp too.
  std::sort(order.begin(), order.end(), [&](const FrameId& a, const FrameId& b) {
    uint64_t ta = inputs[a.input]->frames[a.index].ts_ns;
    uint64_t tb = inputs[b.input]->frames[b.index].ts_ns;
    return std::tie(ta, a.input, a.index) < std::tie(tb, b.input, b.index);
  });
  return order;
}

std::vector<Burst> form_bursts(const std::vector<FrameId>& order, uint32_t max_burst) {
  if (max_burst == 0) max_burst = 1;
  std::vector<Burst> bursts;
  for (uint32_t i = 0; i < order.size(); ++i) {
    if (bursts.empty() || bursts.back().input != order[i].input ||
        bursts.back().end - bursts.back().begin == max_burst)
      bursts.push_back({order[i].input, i, i});
    bursts.back().end = i + 1;
  }
  return bursts;
}

}  // namespace isoswitch::replay
