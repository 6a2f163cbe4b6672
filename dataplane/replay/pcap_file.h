// Reading one capture file (pcap or pcapng, via libpcap) into memory.
//
// The replay tool loads every input completely before it starts: the merge
// across inputs needs every timestamp, and a corrupt file must be reported
// before any output is written (no partial output). Frame bytes live in one
// contiguous buffer per capture; frames refer to it by offset.
// Timestamps are read at nanosecond precision whatever the file's precision.
//
// Thread-safety: plain functions and value types; call from one thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isoswitch/result.h"

namespace isoswitch::replay {

struct FrameRef {
  uint64_t ts_ns = 0;     // capture timestamp, nanoseconds since the epoch
  uint64_t offset = 0;    // into Capture::data
  uint32_t len = 0;       // captured bytes (what the switch is fed)
  uint32_t orig_len = 0;  // length on the wire; > len when the snaplen cut it
};

struct Capture {
  std::string path;
  bool nanosecond = false;  // the file itself stores nanoseconds
  std::vector<uint8_t> data;
  std::vector<FrameRef> frames;
  uint64_t truncated = 0;  // frames with len < orig_len

  const uint8_t* bytes(const FrameRef& f) const noexcept { return data.data() + f.offset; }
};

// Errors (all kInvalidArgument or kNotFound/kIo, message starts with the path):
// the file is missing or unreadable, not a capture, corrupt or cut short, or
// its link type is not Ethernet (DLT_EN10MB).
Result<Capture> read_capture(const std::string& path);

}  // namespace isoswitch::replay
