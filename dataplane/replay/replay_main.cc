#include "dataplane/replay/replay_main.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "control/policy/compile.h"
#include "control/policy/policy_json.h"
#include "dataplane/replay/options.h"
#include "dataplane/replay/output_set.h"
#include "dataplane/replay/pcap_file.h"
#include "dataplane/replay/pcap_writer.h"
#include "dataplane/replay/replay_engine.h"
#include "dataplane/replay/verdict_log.h"

#ifndef ISOSWITCH_VERSION
#define ISOSWITCH_VERSION "unknown"
#endif

namespace isoswitch::replay {
namespace {

constexpr const char* kProg = "isoswitch-replay";

int fail(int code, const std::string& msg) {
  std::cerr << kProg << ": " << msg << "\n";
  return code;
}

// The control socket's error form: "<code>: <message>".
std::string describe(const Error& e) {
  return std::string(error_code_name(e.code)) + ": " + e.message;
}

// A port name becomes a file name in the out dir: refuse anything that could
// escape it or hide the file.
bool safe_file_name(const std::string& s) {
  return !s.empty() && s[0] != '.' && s.find('/') == std::string::npos &&
         s.find('\0') == std::string::npos;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return make_error(ErrorCode::kNotFound, path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << f.rdbuf();
  if (f.bad()) return make_error(ErrorCode::kIo, path + ": read failed");
  return ss.str();
}

// EAL set-up and tear-down, owned for the rest of replay_main().
class Eal {
 public:
  static Result<std::unique_ptr<Eal>> init(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {kProg,
                                     "--no-huge",
                                     "-m",
                                     "256",
                                     "--no-pci",
                                     "--file-prefix=isoswitch-replay-" + std::to_string(::getpid()),
                                     "--no-telemetry",
                                     "-l",
                                     "0",
                                     "--log-level=3"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // EAL logs to stdout by default: keep stdout for the summary (--json).
    rte_openlog_stream(stderr);
    if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0)
      return make_error(ErrorCode::kUnavailable,
                        std::string("DPDK EAL initialisation failed: ") + rte_strerror(rte_errno));
    return std::unique_ptr<Eal>(new Eal());
  }
  ~Eal() { rte_eal_cleanup(); }

 private:
  Eal() = default;
};

struct PoolFree {
  void operator()(rte_mempool* p) const noexcept { rte_mempool_free(p); }
};

// verdicts.jsonl and one pcap per port.
class FileOutput final : public EngineOutput {
 public:
  FileOutput(const PortTable& ports, std::vector<PcapWriter> pcaps, std::FILE* verdicts)
      : ports_(ports), pcaps_(std::move(pcaps)), verdicts_(verdicts) {}
  ~FileOutput() override {
    if (verdicts_) std::fclose(verdicts_);
  }

  Result<void> verdict(const ReplayInput& in, uint32_t index, Verdict v, DropReason r,
                       uint16_t out_port) override {
    std::string line = verdict_line(in.port, index, v, r,
                                    out_port < ports_.size() ? ports_.ports[out_port].name : "");
    line += '\n';
    if (std::fwrite(line.data(), 1, line.size(), verdicts_) != line.size())
      return make_error(ErrorCode::kIo,
                        std::string("verdicts.jsonl: write failed: ") + std::strerror(errno));
    return {};
  }

  Result<void> emit(uint16_t port, uint64_t ts_ns, const uint8_t* data, uint32_t len) override {
    return pcaps_[port].write(ts_ns, data, len);
  }

  Result<void> close() {
    for (auto& p : pcaps_)
      if (auto r = p.close(); !r) return r;
    bool bad = std::ferror(verdicts_) != 0;
    if (std::fclose(std::exchange(verdicts_, nullptr)) != 0 || bad)
      return make_error(ErrorCode::kIo,
                        std::string("verdicts.jsonl: write failed: ") + std::strerror(errno));
    return {};
  }

 private:
  const PortTable& ports_;
  std::vector<PcapWriter> pcaps_;
  std::FILE* verdicts_;
};

std::string port_list(const PortTable& t) {
  std::string s;
  for (const auto& p : t.ports) s += (s.empty() ? "" : ", ") + p.name;
  return s;
}

}  // namespace

int replay_main(int argc, char** argv) {
  auto opts = parse_options(argc, argv);
  if (!opts) return fail(kExitBadInput, opts.error().message + " (see --help)");
  if (opts->help) {
    std::cout << usage_text();
    return kExitOk;
  }
  if (opts->version) {
    std::cout << kProg << " " << ISOSWITCH_VERSION << "\n";
    return kExitOk;
  }

  // 1. Everything that can be wrong with the input, before EAL and before
  //    any file is written.
  auto text = read_file(opts->policy_path);
  if (!text) return fail(kExitBadInput, "--policy " + text.error().message);
  auto doc = ctl::parse_policy(*text);
  if (!doc)
    return fail(kExitBadInput, "--policy " + opts->policy_path + ": " + describe(doc.error()));
  const PortTable ports = ctl::port_table_from_policy(*doc);
  for (const auto& p : ports.ports)
    if (!safe_file_name(p.name))
      return fail(kExitBadInput, "--policy " + opts->policy_path + ": port name \"" + p.name +
                                     "\" cannot name a file in the out dir");
  auto snap = ctl::compile(*doc, ports, {.generation = 1, .mtu = opts->mtu});
  if (!snap)
    return fail(kExitBadInput, "--policy " + opts->policy_path + ": " + describe(snap.error()));

  std::vector<Capture> captures;
  captures.reserve(opts->inputs.size());
  std::vector<ReplayInput> inputs;
  bool nanosecond = false;
  for (const auto& spec : opts->inputs) {
    uint16_t idx = ports.find(spec.port);
    if (idx == kNoPort)
      return fail(kExitBadInput, "--in " + spec.port + "=" + spec.path + ": unknown port \"" +
                                     spec.port + "\" (the policy's ports: " + port_list(ports) +
                                     ")");
    auto cap = read_capture(spec.path);
    if (!cap) return fail(kExitBadInput, "--in " + spec.port + "=" + cap.error().message);
    if (cap->truncated)
      std::cerr << kProg << ": warning: " << spec.path << ": " << cap->truncated
                << " frame(s) cut short by the capture's snaplen; judged as captured\n";
    nanosecond = nanosecond || cap->nanosecond;
    captures.push_back(std::move(*cap));
    inputs.push_back({spec.port, idx, nullptr});
  }
  for (std::size_t i = 0; i < inputs.size(); ++i) inputs[i].capture = &captures[i];

  auto outset = OutputSet::open(opts->out_dir);
  if (!outset) return fail(kExitBadInput, "--out-dir " + outset.error().message);
  std::vector<PcapWriter> pcaps;
  for (const auto& p : ports.ports) {
    auto w = PcapWriter::create(outset->add(p.name + ".pcap"), nanosecond);
    if (!w) return fail(kExitBadInput, "--out-dir " + w.error().message);
    pcaps.push_back(std::move(*w));
  }
  std::string vpath = outset->add("verdicts.jsonl");  // last: its presence marks a complete run
  std::FILE* vf = std::fopen(vpath.c_str(), "w");
  if (!vf) return fail(kExitBadInput, "--out-dir " + vpath + ": " + std::strerror(errno));
  FileOutput out(ports, std::move(pcaps), vf);

  // 2. The data plane's environment: EAL without hugepages, NIC or root.
  auto eal = Eal::init(opts->eal_args);
  if (!eal) return fail(kExitInternal, eal.error().message);
  uint32_t max_len = 0;
  for (const auto& c : captures)
    for (const auto& f : c.frames) max_len = std::max(max_len, f.len);
  const uint16_t room = replay_data_room(opts->mtu);
  std::unique_ptr<rte_mempool, PoolFree> pool(rte_pktmbuf_pool_create(
      "replay_pool", replay_pool_size(max_len, room), 0, 0, room, SOCKET_ID_ANY));
  if (!pool)
    return fail(kExitInternal,
                std::string("cannot create the mbuf pool: ") + rte_strerror(rte_errno));

  // 3. The run.
  std::vector<PortCounters> counters(ports.size());
  auto summary = run_pipeline(snap->get(), ports, inputs, pool.get(), out, counters);
  if (!summary)
    return fail(summary.error().code == ErrorCode::kIo ? kExitBadInput : kExitInternal,
                describe(summary.error()));
  if (auto r = out.close(); !r) return fail(kExitBadInput, "--out-dir " + r.error().message);
  if (auto r = outset->commit(); !r) return fail(kExitBadInput, "--out-dir " + r.error().message);

  if (opts->json)
    std::cout << summary->to_json().dump(2) << "\n";
  else
    std::cout << summary->to_table() << "outputs in " << opts->out_dir << "/\n";
  std::cout.flush();
  return std::cout ? kExitOk : kExitInternal;
}

}  // namespace isoswitch::replay
