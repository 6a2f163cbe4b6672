// One line of out/verdicts.jsonl per input frame.
//
//   {"in": "vnic0", "index": 0, "verdict": "drop", "reason": "not_peer"}
//   {"in": "vnic0", "index": 1, "verdict": "forward", "out": "vnic1"}
//
// Keys in that fixed order, `reason` only for drops, `out` only for forward
// and reply; no trailing newline in the returned string.
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "isoswitch/drop_reason.h"
#include "isoswitch/verdict.h"

namespace isoswitch::replay {

std::string verdict_line(std::string_view in_port, uint32_t index, Verdict verdict,
                         DropReason reason, std::string_view out_port);

}  // namespace isoswitch::replay
