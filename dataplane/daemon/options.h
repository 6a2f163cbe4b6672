// isoswitchd's command line and config file, parsed into plain values.
//
// Parsing is pure (no DPDK, no file system except reading --config and
// resolving --group), so the rules of the CLI are unit-tested: exactly one
// uplink, at most one agent, unique port names, ROLE after the LAST ':' of
// `--port NAME=DEVARGS:ROLE` (DEVARGS may hold ':' and '=' of its own, e.g. a
// PCI address or `net_pcap0,rx_pcap=a.pcap`). Port index = order of --port.
// Command-line values win over the config file; --port lines on the command
// line replace all `port =` lines of the file (the order is the port index,
// so the two are never merged).
//
// Thread-safety: pure functions; call from the main thread before EAL init.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "isoswitch/port_table.h"
#include "isoswitch/result.h"

namespace isoswitch::dp {

inline constexpr const char* kDefaultStatePath = "/var/lib/isoswitch/state.json";
inline constexpr uint16_t kMinMtu = 68;     // RFC 791's smallest IPv4 MTU
inline constexpr uint16_t kMaxMtu = 9702;   // 9728-byte jumbo frames minus L2 overhead
inline constexpr unsigned kMaxWorkers = 64;
inline constexpr uint16_t kMaxRxQueues = 64;
inline constexpr std::size_t kMaxPorts = 256;  // telemetry dicts hold 256 entries

struct PortSpec {
  std::string name;     // the policy refers to the port by this name
  std::string devargs;  // "0000:03:00.0", "net_af_packet0,iface=veth1", ...
  PortRole role = PortRole::kNone;
};

// Daemon log levels, most severe first; a message is printed when its level
// is <= the configured one.
enum class LogLevel : uint8_t { kError = 0, kWarning = 1, kInfo = 2, kDebug = 3 };

struct DaemonOptions {
  std::vector<PortSpec> ports;
  unsigned workers = 0;          // 0: one per worker lcore the EAL gives us
  uint16_t rx_queues = 1;        // uplink RSS queues
  std::string socket_path;       // default ctl::kDefaultSocketPath
  std::string state_file = kDefaultStatePath;  // "" disables persistence
  std::optional<std::string> policy_file;
  std::optional<std::string> group;   // name as given
  std::optional<gid_t> group_gid;     // resolved
  uint16_t mtu = 1500;
  LogLevel log_level = LogLevel::kInfo;
  std::vector<std::string> eal_args;  // everything after "--"

  PortTable port_table() const;
};

// What the command line asks for.
struct ParseOutcome {
  enum class Action { kRun, kHelp, kVersion } action = Action::kRun;
  DaemonOptions options;
  std::string text;  // help or version text for kHelp / kVersion
};

// Parses argv (argv[0] is the program name). Errors are kInvalidArgument with
// a message a user can act on ("--port 'x': ..."); the daemon prints it and
// exits 2. `group_lookup` resolves --group (tests pass a fake).
using GroupLookup = std::optional<gid_t> (*)(const std::string& name);
Result<ParseOutcome> parse_options(int argc, const char* const* argv,
                                   GroupLookup group_lookup = nullptr);

// One `NAME=DEVARGS:ROLE` value.
Result<PortSpec> parse_port_spec(const std::string& text);

// Cross-port rules: one uplink, at most one agent, unique names, limits.
Result<void> check_ports(const std::vector<PortSpec>& ports);

Result<LogLevel> parse_log_level(const std::string& text);
const char* log_level_name(LogLevel l) noexcept;

// The --help text (also the reference for docs/deploy.md).
std::string help_text();

}  // namespace isoswitch::dp
