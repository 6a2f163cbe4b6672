// The ports a data plane instance owns, by name and role.
//
// A port index is the position in `ports` (dense, 0-based): the pipeline and
// the snapshot speak in these indices; the daemon maps them to DPDK port ids
// and the replay tool to pcap writers. The policy names ports; compilation
// checks every name exists here with the right role.
//
// Thread-safety: built once at start-up, then read-only.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "isoswitch/verdict.h"

namespace isoswitch {

enum class PortRole : uint8_t { kNone = 0, kUplink = 1, kVnic = 2, kAgent = 3 };

constexpr std::string_view port_role_name(PortRole r) noexcept {
  switch (r) {
    case PortRole::kUplink: return "uplink";
    case PortRole::kVnic: return "vnic";
    case PortRole::kAgent: return "agent";
    case PortRole::kNone: return "none";
  }
  return "none";
}

struct PortDesc {
  std::string name;
  PortRole role = PortRole::kNone;
};

struct PortTable {
  std::vector<PortDesc> ports;

  uint16_t find(std::string_view name) const noexcept {
    for (std::size_t i = 0; i < ports.size(); ++i)
      if (ports[i].name == name) return static_cast<uint16_t>(i);
    return kNoPort;
  }
  uint16_t size() const noexcept { return static_cast<uint16_t>(ports.size()); }
};

}  // namespace isoswitch
