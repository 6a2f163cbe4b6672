// What a replay did, per input port: frames per verdict and drops per reason,
// and how many frames each egress pcap received. Printed as a table, or as
// JSON with --json:
//
//   {"inputs": [{"port": "vnic0", "file": "...", "frames": 9, "forward": 4,
//                "reply": 1, "drop": 4, "reasons": {"not_peer": 3, ...}}, ...],
//    "total": {"frames": ..., "forward": ..., "reply": ..., "drop": ...,
//              "reasons": {...}},
//    "outputs": {"uplink0": 5, "vnic0": 1, ...}}
//
// `reasons` lists only reasons that occurred, in the X-macro's order.
//
// Thread-safety: value type, one thread.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "isoswitch/drop_reason.h"
#include "isoswitch/verdict.h"

namespace isoswitch::replay {

struct VerdictCounts {
  uint64_t frames = 0;
  uint64_t forward = 0;
  uint64_t reply = 0;
  uint64_t drop = 0;
  std::array<uint64_t, kNumDropReasons> reasons{};

  void add(Verdict v, DropReason r) noexcept;
  VerdictCounts& operator+=(const VerdictCounts& o) noexcept;
};

struct InputSummary {
  std::string port;
  std::string file;
  VerdictCounts counts;
};

struct OutputSummary {
  std::string port;
  uint64_t frames = 0;
};

struct Summary {
  std::vector<InputSummary> inputs;    // command-line order
  std::vector<OutputSummary> outputs;  // port-table order

  VerdictCounts total() const noexcept;
  nlohmann::json to_json() const;
  std::string to_table() const;
};

}  // namespace isoswitch::replay
