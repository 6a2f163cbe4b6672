#include "dataplane/replay/options.h"

#include <boost/program_options.hpp>

#include <set>
#include <sstream>

namespace isoswitch::replay {

namespace po = boost::program_options;

namespace {

po::options_description describe() {
  po::options_description d("Options");
  d.add_options()("help,h", "print this help and exit")("version", "print the version and exit")(
      "policy", po::value<std::string>(), "policy document (the daemon's JSON format)")(
      "in", po::value<std::vector<std::string>>(),
      "PORT=FILE: frames received on the policy's port PORT, from a pcap/pcapng file "
      "(repeatable; each port at most once)")(
      "out-dir", po::value<std::string>(),
      "directory for <port>.pcap (one per port of the policy) and verdicts.jsonl; "
      "created when missing")("json", "print the summary as JSON instead of a table")(
      "mtu", po::value<unsigned>()->default_value(1500),
      "port MTU: frames longer than MTU+18 bytes drop as too_long")(
      "eal", po::value<std::vector<std::string>>(),
      "extra DPDK EAL arguments, whitespace-separated (repeatable)");
  return d;
}

std::vector<std::string> split_ws(const std::string& s) {
  std::istringstream is(s);
  std::vector<std::string> out;
  for (std::string w; is >> w;) out.push_back(w);
  return out;
}

}  // namespace

std::string usage_text() {
  std::ostringstream os;
  os << "Usage: isoswitch-replay --policy POLICY.json --in PORT=FILE.pcap [--in ...]\n"
        "                        --out-dir DIR [--json] [--mtu N] [--eal ARGS]\n\n"
        "Runs isoswitch's forwarding pipeline (the daemon's own code) over captured\n"
        "frames, without a NIC and without root. Frames of all inputs are judged in\n"
        "timestamp order (ties: argument order, then file order). Writes DIR/<port>.pcap\n"
        "for every port of the policy (the frames that leave it, byte for byte) and\n"
        "DIR/verdicts.jsonl (one line per input frame), then prints a summary.\n"
        "Exit status: 0 done, 2 bad arguments or input (nothing written), 1 internal error.\n\n"
     << describe();
  return os.str();
}

Result<InputSpec> parse_input_spec(std::string_view spec) {
  auto eq = spec.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == spec.size())
    return make_error(ErrorCode::kInvalidArgument,
                      "--in " + std::string(spec) + ": expected PORT=FILE");
  return InputSpec{std::string(spec.substr(0, eq)), std::string(spec.substr(eq + 1))};
}

Result<Options> parse_options(int argc, const char* const* argv) {
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(describe()).run(), vm);
    po::notify(vm);
  } catch (const std::exception& e) {
    return make_error(ErrorCode::kInvalidArgument, e.what());
  }
  Options o;
  o.help = vm.count("help") != 0;
  o.version = vm.count("version") != 0;
  if (o.help || o.version) return o;

  if (!vm.count("policy")) return make_error(ErrorCode::kInvalidArgument, "--policy is required");
  if (!vm.count("in"))
    return make_error(ErrorCode::kInvalidArgument, "at least one --in PORT=FILE is required");
  if (!vm.count("out-dir")) return make_error(ErrorCode::kInvalidArgument, "--out-dir is required");
  o.policy_path = vm["policy"].as<std::string>();
  o.out_dir = vm["out-dir"].as<std::string>();
  o.json = vm.count("json") != 0;

  unsigned mtu = vm["mtu"].as<unsigned>();
  if (mtu < kMinMtu || mtu > kMaxMtu)
    return make_error(ErrorCode::kInvalidArgument,
                      "--mtu " + std::to_string(mtu) + ": must be within " +
                          std::to_string(kMinMtu) + ".." + std::to_string(kMaxMtu));
  o.mtu = static_cast<uint16_t>(mtu);

  std::set<std::string> seen;
  for (const auto& s : vm["in"].as<std::vector<std::string>>()) {
    auto spec = parse_input_spec(s);
    if (!spec) return std::unexpected(spec.error());
    // One file per port keeps verdicts.jsonl's (in, index) unambiguous.
    if (!seen.insert(spec->port).second)
      return make_error(ErrorCode::kInvalidArgument,
                        "--in " + s + ": port \"" + spec->port + "\" is given twice");
    o.inputs.push_back(std::move(*spec));
  }
  if (vm.count("eal"))
    for (const auto& e : vm["eal"].as<std::vector<std::string>>())
      for (auto& w : split_ws(e)) o.eal_args.push_back(std::move(w));
  return o;
}

}  // namespace isoswitch::replay
