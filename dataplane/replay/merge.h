// The order in which the replay feeds frames to the pipeline, and its bursts.
//
// Frames of all inputs are judged in timestamp order; ties go to the input
// given first on the command line, then to the earlier frame of the file
// (a stable merge). Consecutive frames of the same input, up to kMaxBurst,
// form one burst, as a NIC queue would deliver them; a burst never spans two
// inputs, so no burst reorders frames across ports.
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <vector>

#include "dataplane/replay/pcap_file.h"

namespace isoswitch::replay {

struct FrameId {
  uint32_t input = 0;  // position of the input on the command line
  uint32_t index = 0;  // frame number within that input's file, from 0
  bool operator==(const FrameId&) const = default;
};

// Every frame of every input, in processing order.
std::vector<FrameId> merge_order(const std::vector<const Capture*>& inputs);

struct Burst {
  uint32_t input = 0;
  uint32_t begin = 0;  // [begin, end) into the merged order
  uint32_t end = 0;
  bool operator==(const Burst&) const = default;
};

// Splits the merged order into bursts of at most `max_burst` (>= 1) frames.
std::vector<Burst> form_bursts(const std::vector<FrameId>& order, uint32_t max_burst);

}  // namespace isoswitch::replay
