// The three outcomes of judging one frame.
//
// Thread-safety: constants only.
#pragma once

#include <cstdint>
#include <string_view>

namespace isoswitch {

enum class Verdict : uint8_t {
  kDrop = 0,     // freed and counted under a DropReason
  kForward = 1,  // sent out another (or the same, for hairpin) port, rewritten
  kReply = 2,    // an ARP/ND answer built by the switch, sent out the ingress port
};

constexpr std::string_view verdict_name(Verdict v) noexcept {
  switch (v) {
    case Verdict::kDrop: return "drop";
    case Verdict::kForward: return "forward";
    case Verdict::kReply: return "reply";
  }
  return "drop";
}

// Burst size, pinned: per-worker scratch arrays and TX buffers are sized by it.
inline constexpr uint16_t kMaxBurst = 32;
static_assert(kMaxBurst == 32, "scratch arrays and TX buffers assume bursts of 32");

// Port indices are dense indices into a PortTable (not DPDK port ids).
inline constexpr uint16_t kNoPort = 0xffff;

}  // namespace isoswitch
