// isoswitch-replay's command line.
//
//   isoswitch-replay --policy P --in PORT=FILE [--in PORT=FILE ...]
//                    --out-dir DIR [--json] [--mtu N] [--eal ARGS]
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "isoswitch/result.h"

namespace isoswitch::replay {

inline constexpr uint16_t kMinMtu = 68;    // RFC 791's smallest
inline constexpr uint16_t kMaxMtu = 9600;  // the largest jumbo MTU in common use

struct InputSpec {
  std::string port;  // a port name of the policy
  std::string path;  // a pcap/pcapng file
};

struct Options {
  bool help = false;
  bool version = false;
  std::string policy_path;
  std::vector<InputSpec> inputs;
  std::string out_dir;
  bool json = false;
  uint16_t mtu = 1500;
  std::vector<std::string> eal_args;  // extra EAL arguments, appended to the built-in ones
};

// "vnic0=examples/vnic0.pcap" -> {vnic0, examples/vnic0.pcap}; splits at the
// first '='; both sides must be non-empty.
Result<InputSpec> parse_input_spec(std::string_view spec);

// Parses argv. Unknown options, missing required options (unless --help or
// --version), a port given twice, and an MTU outside kMinMtu..kMaxMtu are
// kInvalidArgument with a message naming the option.
Result<Options> parse_options(int argc, const char* const* argv);

std::string usage_text();

}  // namespace isoswitch::replay
