// isoswitchctl: the operator's client for isoswitchd's control socket.
//
// Builds one request from the command line, sends it, prints the reply
// (readable by default, the raw reply with --json). Exit codes: 0 ok,
// 1 refused by the server (its code and message are printed), 2 usage,
// input or connection errors. docs/control-protocol.md lists the commands.
#include <unistd.h>

#include <boost/program_options.hpp>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "control/cli/ctl_client.h"
#include "control/cli/render.h"
#include "control/policy/policy_json.h"
#include "control/server/server_config.h"

namespace po = boost::program_options;
using nlohmann::json;

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRefused = 1;
constexpr int kExitUsage = 2;
// Publishing waits for the data plane's grace period; be patient.
constexpr int kReplyTimeoutMs = 30000;

const char* kUsage =
    "usage: isoswitchctl [--socket PATH] [--json] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  ping                       check the daemon answers; print the generation\n"
    "  get                        print the running policy document\n"
    "  apply FILE|-               replace the whole policy\n"
    "  job add FILE|-             add or replace a job (a job JSON object)\n"
    "  job del ID                 delete a job (its vNICs must be deleted first)\n"
    "  vnic add FILE|-            add or replace a vNIC (a vNIC JSON object)\n"
    "  vnic del ID                delete a vNIC\n"
    "  txn FILE|-                 apply a JSON array of operations all-or-nothing\n"
    "  stats                      counters per vNIC and port, drops by reason\n"
    "  explain --vnic ID --dst IP [--proto udp|tcp|icmp] [--dport N]\n"
    "  explain --from uplink --src IP --dst IP [--proto P] [--dport N]\n"
    "                             what the switch does with such a frame, and why\n"
    "  ports                      the daemon's ports and the vNICs bound to them\n"
    "\n"
    "mutations (apply, job, vnic, txn) accept --expect-generation N: refused\n"
    "(conflict) if the policy changed since generation N.\n"
    "exit codes: 0 ok, 1 refused by the server, 2 usage or connection error\n";

struct UsageError {
  std::string message;
};

std::string read_input(const std::string& path) {
  std::string text;
  if (path == "-") {
    text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return text;
  }
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw UsageError{"cannot open " + path};
  char buf[65536];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), f)) > 0) text.append(buf, n);
  bool bad = std::ferror(f);
  std::fclose(f);
  if (bad) throw UsageError{"cannot read " + path};
  return text;
}

json read_json(const std::string& path) {
  auto j = isoswitch::ctl::parse_json_strict(read_input(path), path == "-" ? "stdin" : path);
  if (!j) throw UsageError{j.error().message};
  return std::move(*j);
}

// The request for `cmd args...`; throws UsageError.
json build_request(const std::vector<std::string>& words, const po::variables_map& vm) {
  auto need = [&](std::size_t n) {
    if (words.size() != n) throw UsageError{"wrong number of arguments for \"" + words[0] + "\""};
  };
  const std::string& cmd = words[0];
  json req;
  if (cmd == "ping") {
    need(1);
    req = {{"op", "ping"}};
  } else if (cmd == "get") {
    need(1);
    req = {{"op", "policy.get"}};
  } else if (cmd == "apply") {
    need(2);
    req = {{"op", "policy.apply"}, {"policy", read_json(words[1])}};
  } else if (cmd == "job" || cmd == "vnic") {
    if (words.size() < 2) throw UsageError{"\"" + cmd + "\" needs add or del"};
    need(3);
    if (words[1] == "add")
      req = {{"op", cmd + ".upsert"}, {cmd, read_json(words[2])}};
    else if (words[1] == "del")
      req = {{"op", cmd + ".delete"}, {cmd, words[2]}};
    else
      throw UsageError{"\"" + cmd + "\" needs add or del, not \"" + words[1] + "\""};
  } else if (cmd == "txn") {
    need(2);
    json ops = read_json(words[1]);
    if (!ops.is_array()) throw UsageError{words[1] + ": a txn file is a JSON array of operations"};
    req = {{"op", "txn"}, {"ops", std::move(ops)}};
  } else if (cmd == "stats") {
    need(1);
    req = {{"op", "stats"}};
  } else if (cmd == "ports") {
    need(1);
    req = {{"op", "ports"}};
  } else if (cmd == "explain") {
    need(1);
    req = {{"op", "explain"}};
    if (!vm.count("dst")) throw UsageError{"explain needs --dst IP"};
    if (!vm.count("vnic") && !vm.count("from")) throw UsageError{"explain needs --vnic ID or --from PORT"};
    for (const char* k : {"vnic", "from", "src", "dst", "proto"})
      if (vm.count(k)) req[k] = vm[k].as<std::string>();
    if (vm.count("dport")) req["dport"] = vm["dport"].as<unsigned>();
  } else {
    throw UsageError{"unknown command \"" + cmd + "\""};
  }

  const bool mutation = cmd == "apply" || cmd == "job" || cmd == "vnic" || cmd == "txn";
  if (vm.count("expect-generation")) {
    if (!mutation) throw UsageError{"--expect-generation applies to mutations only"};
    req["expect_generation"] = vm["expect-generation"].as<uint64_t>();
  }
  if (cmd != "explain")
    for (const char* k : {"vnic", "from", "src", "dst", "proto", "dport"})
      if (vm.count(k)) throw UsageError{std::string("--") + k + " applies to explain only"};
  return req;
}

void print_reply(const std::string& cmd, const json& reply) {
  if (cmd == "ping") {
    std::printf("pong (generation %s)\n", reply.value("generation", json()).dump().c_str());
  } else if (cmd == "get") {
    std::printf("%s\n", reply.value("policy", json()).dump(2).c_str());
    std::fprintf(stderr, "generation %s\n", reply.value("generation", json()).dump().c_str());
  } else if (cmd == "stats") {
    std::fputs(isoswitch::ctl::render_stats(reply).c_str(), stdout);
  } else if (cmd == "ports") {
    std::fputs(isoswitch::ctl::render_ports(reply).c_str(), stdout);
  } else if (cmd == "explain") {
    std::fputs(isoswitch::ctl::render_explain(reply).c_str(), stdout);
  } else {
    std::printf("applied: generation %s\n", reply.value("generation", json()).dump().c_str());
  }
}

int run(int argc, char** argv) {
  po::options_description opts("options");
  opts.add_options()
      ("help,h", "print this help")
      ("socket", po::value<std::string>()->default_value(isoswitch::ctl::kDefaultSocketPath),
       "control socket path")
      ("json", "print the server's reply as JSON")
      ("expect-generation", po::value<uint64_t>(), "refuse a mutation unless at generation N")
      ("vnic", po::value<std::string>(), "explain: the sending vNIC id")
      ("from", po::value<std::string>(), "explain: ingress port (uplink, agent or a port name)")
      ("src", po::value<std::string>(), "explain: source IP (default: the vNIC's)")
      ("dst", po::value<std::string>(), "explain: destination IP")
      ("proto", po::value<std::string>(), "explain: udp (default), tcp or icmp")
      ("dport", po::value<unsigned>(), "explain: destination port");
  po::options_description hidden;
  hidden.add_options()("words", po::value<std::vector<std::string>>(), "command and arguments");
  po::options_description all;
  all.add(opts).add(hidden);
  po::positional_options_description pos;
  pos.add("words", -1);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "isoswitchctl: %s\n\n%s", e.what(), kUsage);
    return kExitUsage;
  }
  if (vm.count("help")) {
    std::ostringstream o;
    o << opts;
    std::printf("%s\n%s", kUsage, o.str().c_str());
    return kExitOk;
  }
  std::vector<std::string> words;
  if (vm.count("words")) words = vm["words"].as<std::vector<std::string>>();
  if (words.empty()) {
    std::fprintf(stderr, "isoswitchctl: no command\n\n%s", kUsage);
    return kExitUsage;
  }

  json req;
  try {
    req = build_request(words, vm);
  } catch (const UsageError& e) {
    std::fprintf(stderr, "isoswitchctl: %s\n", e.message.c_str());
    return kExitUsage;
  }

  auto client = isoswitch::ctl::CtlClient::connect(vm["socket"].as<std::string>());
  if (!client) {
    std::fprintf(stderr, "isoswitchctl: %s\n", client.error().message.c_str());
    return kExitUsage;
  }
  auto reply = client->call(req, kReplyTimeoutMs);
  if (!reply) {
    std::fprintf(stderr, "isoswitchctl: %s\n", reply.error().message.c_str());
    return kExitUsage;
  }
  const bool ok = (*reply)["ok"] == true;
  if (vm.count("json")) {
    std::printf("%s\n", reply->dump(2).c_str());
  } else if (ok) {
    print_reply(words[0], *reply);
  }
  if (!ok) {
    const json& e = reply->value("error", json::object());
    std::fprintf(stderr, "isoswitchctl: refused: %s: %s\n",
                 e.value("code", std::string("?")).c_str(),
                 e.value("message", std::string("?")).c_str());
    return kExitRefused;
  }
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "isoswitchctl: %s\n", e.what());
    return kExitUsage;
  }
}
