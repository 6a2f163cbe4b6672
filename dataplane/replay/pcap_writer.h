// Writing a classic pcap file (DLT_EN10MB), with every write checked.
//
// Written by hand rather than with pcap_dump(): pcap_dump() returns nothing,
// so a full disk would go unnoticed and a truncated file would be claimed as
// complete. The format is the classic one every tool reads (tshark, tcpdump,
// scapy): a 24-byte file header, then a 16-byte record header per frame.
//
// Thread-safety: one writer per file, one thread.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "isoswitch/result.h"

namespace isoswitch::replay {

inline constexpr uint32_t kPcapSnaplen = 262144;

class PcapWriter {
 public:
  PcapWriter() = default;
  PcapWriter(const PcapWriter&) = delete;
  PcapWriter& operator=(const PcapWriter&) = delete;
  PcapWriter(PcapWriter&& o) noexcept;
  PcapWriter& operator=(PcapWriter&& o) noexcept;
  ~PcapWriter();

  // Creates (truncates) `path` and writes the file header. `nanosecond`
  // selects the nanosecond magic (0xa1b23c4d) instead of microseconds.
  static Result<PcapWriter> create(const std::string& path, bool nanosecond);

  // Appends one frame; ts_ns is rounded down to the file's precision.
  Result<void> write(uint64_t ts_ns, const uint8_t* data, uint32_t len);

  // Flushes and closes; reports any write error seen so far.
  Result<void> close();

  uint64_t frames() const noexcept { return frames_; }

 private:
  std::FILE* f_ = nullptr;
  std::string path_;
  bool nanosecond_ = false;
  bool failed_ = false;
  uint64_t frames_ = 0;
};

}  // namespace isoswitch::replay
