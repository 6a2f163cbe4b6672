// Boost.Program_options front end of isoswitchd (see options.h).
#include "dataplane/daemon/options.h"

#include <grp.h>

#include <boost/program_options.hpp>
#include <charconv>
#include <fstream>
#include <set>
#include <sstream>

#include "control/server/server_config.h"

namespace isoswitch::dp {
namespace po = boost::program_options;

namespace {

constexpr const char* kVersion = "isoswitchd 0.1.0 (DPDK 22.11)";

std::optional<gid_t> system_group_lookup(const std::string& name) {
  group g{};
  group* out = nullptr;
  std::vector<char> buf(16384);
  if (getgrnam_r(name.c_str(), &g, buf.data(), buf.size(), &out) != 0 || out == nullptr)
    return std::nullopt;
  return out->gr_gid;
}

po::options_description describe() {
  po::options_description d("Options (also accepted as 'name = value' lines in --config)", 120, 80);
  // clang-format off
  d.add_options()
    ("help,h", "print this help and exit")
    ("version", "print the version and exit")
    ("config", po::value<std::string>()->value_name("FILE"),
     "INI file of the same options, one 'name = value' per line\n"
     "  e.g. --config /etc/isoswitch/isoswitchd.conf")
    ("port", po::value<std::vector<std::string>>()->value_name("NAME=DEVARGS:ROLE"),
     "a port, repeated; ROLE (after the last ':') is uplink, vnic or agent;\n"
     "DEVARGS is a PCI address or a vdev; port index = order given;\n"
     "exactly one uplink, at most one agent, unique names\n"
     "  e.g. --port up=0000:03:00.0:uplink\n"
     "       --port c1=net_af_packet0,iface=veth-c1:vnic\n"
     "       --port c2=net_tap0,iface=ctap0:vnic\n"
     "       --port agent=net_memif0,role=server,socket=/run/agent.sock:agent\n"
     "       --port up=net_pcap0,rx_pcap=in.pcap,tx_pcap=out.pcap:uplink")
    ("workers", po::value<unsigned>()->value_name("N"),
     "worker threads, one per worker lcore (default: every worker lcore\n"
     "of the EAL's -l list, i.e. all but the main lcore)\n"
     "  e.g. --workers 2 -- -l 0-2")
    ("rx-queues", po::value<unsigned>()->value_name("N")->default_value(1),
     "uplink RX queues (RSS), spread over the workers; falls back to 1\n"
     "with a warning when the device has no RSS\n"
     "  e.g. --rx-queues 4")
    ("socket", po::value<std::string>()->value_name("PATH")->default_value(ctl::kDefaultSocketPath),
     "control socket (isoswitchctl talks to it)\n"
     "  e.g. --socket /run/isoswitch/control.sock")
    ("state", po::value<std::string>()->value_name("FILE")->default_value(kDefaultStatePath),
     "where every applied policy is persisted and reloaded from at start\n"
     "(empty string: no persistence)\n"
     "  e.g. --state /var/lib/isoswitch/state.json")
    ("policy", po::value<std::string>()->value_name("FILE"),
     "initial policy (JSON, docs/policy.md), used when the state file\n"
     "does not exist; without either, every frame drops as no_policy\n"
     "until one is loaded through the socket\n"
     "  e.g. --policy /etc/isoswitch/policy.json")
    ("group", po::value<std::string>()->value_name("NAME"),
     "members of this group may use the control socket (root always may)\n"
     "  e.g. --group isoswitch")
    ("mtu", po::value<unsigned>()->value_name("N")->default_value(1500),
     "largest IP packet carried (68..9702); set on every port; longer\n"
     "frames drop as too_long\n"
     "  e.g. --mtu 9001")
    ("log-level", po::value<std::string>()->value_name("LEVEL")->default_value("info"),
     "error, warning, info or debug\n"
     "  e.g. --log-level debug");
  // clang-format on
  return d;
}

Result<unsigned> bounded(const po::variables_map& vm, const char* name, unsigned lo, unsigned hi) {
  unsigned v = vm[name].as<unsigned>();
  if (v < lo || v > hi)
    return make_error(ErrorCode::kInvalidArgument, std::string("--") + name + " " +
                                                       std::to_string(v) + ": must be in " +
                                                       std::to_string(lo) + ".." +
                                                       std::to_string(hi));
  return v;
}

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '.';
}

}  // namespace

PortTable DaemonOptions::port_table() const {
  PortTable t;
  for (const auto& p : ports) t.ports.push_back(PortDesc{p.name, p.role});
  return t;
}

Result<PortSpec> parse_port_spec(const std::string& text) {
  auto bad = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--port '" + text + "': " + why + " (expected NAME=DEVARGS:ROLE)");
  };
  auto eq = text.find('=');
  if (eq == std::string::npos) return bad("missing '=' after the port name");
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon < eq) return bad("missing ':ROLE' at the end");
  PortSpec p;
  p.name = text.substr(0, eq);
  p.devargs = text.substr(eq + 1, colon - eq - 1);
  std::string role = text.substr(colon + 1);
  if (p.name.empty()) return bad("empty port name");
  if (p.name.size() > 32) return bad("port name longer than 32 characters");
  for (char c : p.name)
    if (!valid_name_char(c)) return bad("port name may hold only letters, digits, '_', '-', '.'");
  if (p.devargs.empty()) return bad("empty DEVARGS");
  for (char c : p.devargs)
    if (c == ' ' || c == '\t') return bad("DEVARGS must not contain spaces");
  if (role == "uplink")
    p.role = PortRole::kUplink;
  else if (role == "vnic")
    p.role = PortRole::kVnic;
  else if (role == "agent")
    p.role = PortRole::kAgent;
  else
    return bad("unknown role '" + role + "' (uplink, vnic or agent)");
  return p;
}

Result<void> check_ports(const std::vector<PortSpec>& ports) {
  if (ports.empty())
    return make_error(ErrorCode::kInvalidArgument,
                      "no --port given: need exactly one uplink (e.g. --port up=0000:03:00.0:uplink)");
  if (ports.size() > kMaxPorts)
    return make_error(ErrorCode::kInvalidArgument,
                      "too many ports: " + std::to_string(ports.size()) + " (at most " +
                          std::to_string(kMaxPorts) + ")");
  std::set<std::string> names, devs;
  unsigned uplinks = 0, agents = 0;
  for (const auto& p : ports) {
    if (!names.insert(p.name).second)
      return make_error(ErrorCode::kInvalidArgument, "duplicate port name '" + p.name + "'");
    // One ethdev per port: the device name is DEVARGS up to the first ','.
    const std::string dev = p.devargs.substr(0, p.devargs.find(','));
    if (!devs.insert(dev).second)
      return make_error(ErrorCode::kInvalidArgument,
                        "port '" + p.name + "': device '" + dev + "' used twice");
    uplinks += p.role == PortRole::kUplink;
    agents += p.role == PortRole::kAgent;
  }
  if (uplinks != 1)
    return make_error(ErrorCode::kInvalidArgument,
                      "need exactly one uplink port, got " + std::to_string(uplinks));
  if (agents > 1)
    return make_error(ErrorCode::kInvalidArgument,
                      "at most one agent port, got " + std::to_string(agents));
  return {};
}

Result<LogLevel> parse_log_level(const std::string& text) {
  if (text == "error") return LogLevel::kError;
  if (text == "warning" || text == "warn") return LogLevel::kWarning;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return make_error(ErrorCode::kInvalidArgument,
                    "--log-level '" + text + "': expected error, warning, info or debug");
}

const char* log_level_name(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::kError: return "error";
    case LogLevel::kWarning: return "warning";
    case LogLevel::kInfo: return "info";
    case LogLevel::kDebug: return "debug";
  }
  return "info";
}

std::string help_text() {
  std::ostringstream os;
  os << "Usage: isoswitchd [OPTIONS] -- [EAL ARGUMENTS]\n\n"
        "isoswitch data plane: forwards frames between the uplink, container vNICs\n"
        "and the transfer agent's port as the loaded policy allows (default deny).\n\n"
     << describe()
     << "\nEAL arguments (after '--') go to DPDK unchanged: the main lcore runs the\n"
        "control socket, every other lcore of -l runs one worker.\n\n"
        "Example (no NIC, no hugepages):\n"
        "  isoswitchd --port up=net_af_packet0,iface=veth-up:uplink \\\n"
        "             --port c1=net_af_packet1,iface=veth-c1:vnic \\\n"
        "             --policy policy.json --socket /tmp/isosw.sock --state /tmp/state.json \\\n"
        "             -- -l 0-1 --no-huge -m 256 --no-pci --file-prefix=isosw\n\n"
        "Exit status: 0 after SIGTERM/SIGINT, 1 on a start-up failure, 2 on bad options.\n";
  return os.str();
}

Result<ParseOutcome> parse_options(int argc, const char* const* argv, GroupLookup group_lookup) {
  if (group_lookup == nullptr) group_lookup = &system_group_lookup;
  ParseOutcome out;
  // Everything after the first "--" belongs to the EAL.
  int own = argc;
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]) == "--") {
      own = i;
      for (int j = i + 1; j < argc; ++j) out.options.eal_args.emplace_back(argv[j]);
      break;
    }

  po::options_description desc = describe();
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(own, argv).options(desc).run(), vm);
    if (vm.count("config")) {
      const std::string path = vm["config"].as<std::string>();
      std::ifstream in(path);
      if (!in)
        return make_error(ErrorCode::kInvalidArgument, "--config '" + path + "': cannot open");
      po::options_description file_desc;
      for (const auto& o : desc.options())
        if (o->long_name() != "help" && o->long_name() != "version" && o->long_name() != "config")
          file_desc.add(o);
      try {
        po::store(po::parse_config_file(in, file_desc, false), vm);
      } catch (const po::error& e) {
        return make_error(ErrorCode::kInvalidArgument,
                          "--config '" + path + "': " + std::string(e.what()));
      }
    }
    po::notify(vm);
  } catch (const po::error& e) {
    return make_error(ErrorCode::kInvalidArgument, std::string(e.what()));
  }

  if (vm.count("help")) {
    out.action = ParseOutcome::Action::kHelp;
    out.text = help_text();
    return out;
  }
  if (vm.count("version")) {
    out.action = ParseOutcome::Action::kVersion;
    out.text = std::string(kVersion) + "\n";
    return out;
  }

  DaemonOptions& o = out.options;
  if (vm.count("port"))
    for (const auto& s : vm["port"].as<std::vector<std::string>>()) {
      auto p = parse_port_spec(s);
      if (!p) return std::unexpected(p.error());
      o.ports.push_back(std::move(*p));
    }
  if (auto r = check_ports(o.ports); !r) return std::unexpected(r.error());

  if (vm.count("workers")) {
    auto w = bounded(vm, "workers", 1, kMaxWorkers);
    if (!w) return std::unexpected(w.error());
    o.workers = *w;
  }
  auto q = bounded(vm, "rx-queues", 1, kMaxRxQueues);
  if (!q) return std::unexpected(q.error());
  o.rx_queues = static_cast<uint16_t>(*q);
  auto mtu = bounded(vm, "mtu", kMinMtu, kMaxMtu);
  if (!mtu) return std::unexpected(mtu.error());
  o.mtu = static_cast<uint16_t>(*mtu);

  o.socket_path = vm["socket"].as<std::string>();
  if (o.socket_path.empty())
    return make_error(ErrorCode::kInvalidArgument, "--socket: empty path");
  o.state_file = vm["state"].as<std::string>();
  if (vm.count("policy")) {
    o.policy_file = vm["policy"].as<std::string>();
    if (o.policy_file->empty())
      return make_error(ErrorCode::kInvalidArgument, "--policy: empty path");
  }
  if (vm.count("group")) {
    o.group = vm["group"].as<std::string>();
    o.group_gid = group_lookup(*o.group);
    if (!o.group_gid)
      return make_error(ErrorCode::kInvalidArgument, "--group '" + *o.group + "': no such group");
  }
  auto lvl = parse_log_level(vm["log-level"].as<std::string>());
  if (!lvl) return std::unexpected(lvl.error());
  o.log_level = *lvl;
  return out;
}

}  // namespace isoswitch::dp
