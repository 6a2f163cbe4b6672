// Integration test of the real isoswitchd binary on net_pcap ports.
//
// The uplink replays crafted frames from an rx pcap; every other port has an
// empty rx pcap and a tx pcap. We wait on DPDK telemetry (/isoswitch/stats)
// until every frame is judged, SIGTERM the daemon (which flushes and closes
// the ports, so the tx pcaps are complete), then read the tx pcaps with
// libpcap and check what came out where. Runs as any user: the EAL runs
// without hugepages and the telemetry socket goes under XDG_RUNTIME_DIR.
//
// argv[1] is the isoswitchd binary (meson passes it).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/frame_builder.h"
#include "tests/support/test_policy.h"

namespace isoswitch::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using namespace std_addr;
using json = nlohmann::json;

std::string g_daemon;  // path of isoswitchd

// --- pcap files -------------------------------------------------------------

void write_pcap(const std::string& path, const std::vector<Bytes>& frames) {
  pcap_t* dead = pcap_open_dead(DLT_EN10MB, 65535);
  ASSERT_NE(dead, nullptr);
  pcap_dumper_t* d = pcap_dump_open(dead, path.c_str());
  ASSERT_NE(d, nullptr) << pcap_geterr(dead);
  for (const Bytes& f : frames) {
    pcap_pkthdr h{};
    h.caplen = h.len = static_cast<bpf_u_int32>(f.size());
    pcap_dump(reinterpret_cast<u_char*>(d), &h, f.data());
  }
  pcap_dump_close(d);
  pcap_close(dead);
}

std::vector<Bytes> read_pcap(const std::string& path) {
  std::vector<Bytes> out;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* p = pcap_open_offline(path.c_str(), err);
  EXPECT_NE(p, nullptr) << path << ": " << err;
  if (p == nullptr) return out;
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(p, &h, &data) == 1) out.emplace_back(data, data + h->caplen);
  pcap_close(p);
  return out;
}

// --- DPDK telemetry (v2 protocol: one SOCK_SEQPACKET message each way) ------

std::optional<json> telemetry(const std::string& sock_path, const std::string& cmd) {
  int fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path.c_str());
  std::optional<json> result;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    std::vector<char> buf(65536);
    ssize_t n = recv(fd, buf.data(), buf.size(), 0);  // the greeting
    if (n > 0 && send(fd, cmd.data(), cmd.size(), 0) == static_cast<ssize_t>(cmd.size())) {
      n = recv(fd, buf.data(), buf.size(), 0);
      if (n > 0) {
        json j = json::parse(std::string(buf.data(), static_cast<std::size_t>(n)), nullptr, false);
        const std::string key = cmd.substr(0, cmd.find(','));
        // A command whose callback failed answers null (e.g. before the
        // daemon installed its context): not a result.
        if (!j.is_discarded() && j.contains(key) && j[key].is_object()) result = j[key];
      }
    }
  }
  close(fd);
  return result;
}

// --- the control socket (one JSON line each way) ---------------------------

std::optional<json> control(const std::string& sock_path, const json& request) {
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd < 0) return std::nullopt;
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::snprintf(a.sun_path, sizeof a.sun_path, "%s", sock_path.c_str());
  std::optional<json> result;
  std::string line = request.dump() + "\n";
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
      write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())) {
    std::string in;
    char buf[65536];
    ssize_t n;
    while (in.find('\n') == std::string::npos && (n = read(fd, buf, sizeof buf)) > 0)
      in.append(buf, static_cast<std::size_t>(n));
    json j = json::parse(in.substr(0, in.find('\n')), nullptr, false);
    if (!j.is_discarded()) result = j;
  }
  close(fd);
  return result;
}

// --- running the daemon -----------------------------------------------------

struct RunResult {
  int exit_code = -1;
  std::string log;
};

class Daemon {
 public:
  Daemon(const std::string& dir, std::vector<std::string> args) : dir_(dir) {
    static int seq = 0;
    prefix_ = "isosw-pcaptest-" + std::to_string(getpid()) + "-" + std::to_string(seq++);
    log_ = dir + "/" + prefix_ + ".log";
    args.insert(args.begin(), g_daemon);
    for (const char* e : {"--", "-l", "0-1", "--no-huge", "-m", "256", "--no-pci",
                          "--log-level=lib.eal:error"})
      args.emplace_back(e);
    args.push_back("--file-prefix=" + prefix_);
    pid_ = fork();
    if (pid_ == 0) {
      int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      dup2(fd, 1);
      dup2(fd, 2);
      setenv("XDG_RUNTIME_DIR", dir_.c_str(), 1);
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv(argv[0], argv.data());
      _exit(127);
    }
  }
  ~Daemon() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  std::string telemetry_path() const {
    std::string base = getuid() == 0 ? "/var/run" : dir_;
    return base + "/dpdk/" + prefix_ + "/dpdk_telemetry.v2";
  }
  bool alive() {
    if (exited_) return false;
    if (waitpid(pid_, &status_, WNOHANG) == 0) return true;
    exited_ = true;
    return false;
  }

  // Polls /isoswitch/stats until `done` says so; nullopt on timeout or death.
  template <class Pred>
  std::optional<json> wait_stats(Pred done, std::chrono::seconds timeout = 30s) {
    auto until = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < until) {
      if (!alive()) return std::nullopt;
      if (auto s = telemetry(telemetry_path(), "/isoswitch/stats"); s && done(*s)) return s;
      std::this_thread::sleep_for(50ms);
    }
    return std::nullopt;
  }

  RunResult terminate() {
    RunResult r;
    int st = status_;
    if (!exited_) kill(pid_, SIGTERM);
    auto until = std::chrono::steady_clock::now() + 20s;
    while (!exited_ && waitpid(pid_, &st, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > until) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &st, 0);
        break;
      }
      std::this_thread::sleep_for(20ms);
    }
    pid_ = -1;
    r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    r.log = log();
    return r;
  }
  std::string log() const {
    std::ifstream in(log_);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  std::string dir_, prefix_, log_;
  pid_t pid_ = -1;
  int status_ = 0;
  bool exited_ = false;
};

RunResult run_to_exit(std::vector<std::string> args) {
  char tmpl[] = "/tmp/isosw-cli-XXXXXX";
  std::string out = std::string(mkdtemp(tmpl)) + "/out";
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    args.insert(args.begin(), g_daemon);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  int st = 0;
  waitpid(pid, &st, 0);
  RunResult r;
  r.exit_code = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  std::ifstream in(out);
  r.log = std::string(std::istreambuf_iterator<char>(in), {});
  fs::remove_all(fs::path(out).parent_path());
  return r;
}

// --- the scenario -----------------------------------------------------------

const char* kPorts[] = {"uplink0", "agent0", "vnic0", "vnic1", "vnic2", "vnic3"};
const char* kRoles[] = {"uplink", "agent", "vnic", "vnic", "vnic", "vnic"};

Bytes from_uplink(const char* src_ip, const char* dst_ip, uint8_t tag,
                  const char* dst_mac = kUplinkMac) {
  return FrameBuilder()
      .eth(mac(dst_mac), mac(kNextHopMac))
      .ipv4(ip4(src_ip), ip4(dst_ip))
      .udp(4000 + tag, 5000)
      .payload(Bytes(20, tag))
      .build();
}

// Uplink frames and where each must end up (port name or "" = dropped).
struct Case {
  Bytes frame;
  const char* out;
};
std::vector<Case> scenario() {
  return {
      {from_uplink(kARemoteIp, kA0Ip, 0), "vnic0"},                     // U1 remote peer -> a-0
      {from_uplink("8.8.8.8", kA0Ip, 1), ""},                           // not_peer_inbound
      {from_uplink(kARemoteIp, kA1Ip, 2), "vnic1"},                     // U1 -> a-1
      {from_uplink(kARemoteIp, kC0Ip, 3), ""},                          // other job: not_peer_inbound
      {from_uplink(kARemoteIp, kA0Ip, 4, "02:00:00:00:99:99"), ""},     // not_for_us
      {from_uplink("8.8.8.8", kB0Ip, 5), "vnic3"},                      // U2 non-isolated job
  };
}
const std::map<std::string, const char*> kVnicMac = {
    {"vnic0", kA0Mac}, {"vnic1", kA1Mac}, {"vnic2", kC0Mac}, {"vnic3", kB0Mac}};

class DaemonPcap : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/isosw-daemon-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    chmod(dir_.c_str(), 0755);
    for (const auto& c : scenario()) frames_.push_back(c.frame);
    write_pcap(dir_ + "/uplink0.in.pcap", frames_);
    for (const char* p : kPorts)
      if (std::string(p) != "uplink0") write_pcap(dir_ + "/" + p + ".in.pcap", {});
    std::ofstream(dir_ + "/policy.json") << standard_policy_json();
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);
    else std::fprintf(stderr, "kept %s for inspection\n", dir_.c_str());
  }

  std::vector<std::string> args(bool with_policy) {
    std::vector<std::string> a;
    for (std::size_t i = 0; i < std::size(kPorts); ++i) {
      std::string p = kPorts[i];
      a.push_back("--port");
      a.push_back(p + "=net_pcap_" + p + ",rx_pcap=" + dir_ + "/" + p + ".in.pcap,tx_pcap=" + dir_ +
                  "/" + p + ".out.pcap:" + kRoles[i]);
    }
    a.insert(a.end(), {"--workers", "1", "--socket", socket_path(), "--state", dir_ + "/state.json",
                       "--log-level", "debug"});
    if (with_policy) a.insert(a.end(), {"--policy", dir_ + "/policy.json"});
    return a;
  }
  std::string socket_path() const { return dir_ + "/control.sock"; }

  std::string dir_;
  std::vector<Bytes> frames_;
};

TEST_F(DaemonPcap, ForwardsPeerFramesToTheRightVnicWithRewrittenMacs) {
  Daemon d(dir_, args(true));
  const uint64_t n = frames_.size();
  auto stats = d.wait_stats([&](const json& s) { return s.value("rx_frames", 0u) >= n; });
  ASSERT_TRUE(stats) << "frames never judged; log:\n" << d.log();
  EXPECT_TRUE(fs::exists(socket_path())) << "control socket while running";
  auto pol = telemetry(d.telemetry_path(), "/isoswitch/policy");
  ASSERT_TRUE(pol);
  EXPECT_EQ((*pol)["generation"], 1);
  EXPECT_EQ((*pol)["jobs"], 3);
  auto up = telemetry(d.telemetry_path(), "/isoswitch/stats,uplink0");
  ASSERT_TRUE(up);
  EXPECT_EQ((*up)["rx_frames"], n);
  EXPECT_EQ((*up)["drop_not_peer_inbound"], 2);
  EXPECT_EQ((*up)["drop_not_for_us"], 1);
  auto v0 = telemetry(d.telemetry_path(), "/isoswitch/stats,vnic0");
  ASSERT_TRUE(v0);
  EXPECT_EQ((*v0)["role"], "vnic");

  RunResult r = d.terminate();
  EXPECT_EQ(r.exit_code, 0) << r.log;
  EXPECT_FALSE(fs::exists(socket_path())) << "socket removed on SIGTERM";

  std::map<std::string, std::vector<Bytes>> out;
  for (const char* p : kPorts) out[p] = read_pcap(dir_ + "/" + p + ".out.pcap");
  std::map<std::string, std::size_t> expected_count;
  for (const auto& c : scenario())
    if (*c.out) ++expected_count[c.out];
  for (const char* p : kPorts)
    EXPECT_EQ(out[p].size(), expected_count[p]) << "frames out of " << p;

  for (const auto& c : scenario()) {
    if (!*c.out) continue;
    const auto& got = out[c.out];
    ASSERT_FALSE(got.empty());
    // The one frame we expect there: same IP packet, MACs rewritten.
    const Bytes& f = got.front();
    ASSERT_EQ(f.size(), c.frame.size());
    EXPECT_EQ(eth_src(f), mac(kGatewayMac)) << c.out;
    EXPECT_EQ(eth_dst(f), mac(kVnicMac.at(c.out))) << c.out;
    EXPECT_TRUE(std::equal(f.begin() + 12, f.end(), c.frame.begin() + 12))
        << c.out << ": the IP packet leaves byte-identical";
  }
  // Counter invariant once traffic stopped: rx == tx + drops + tx_dropped.
  const json& s = *stats;
  EXPECT_EQ(s["rx_frames"].get<uint64_t>(),
            s["drops"].get<uint64_t>() + s["tx_frames"].get<uint64_t>() +
                s["tx_dropped"].get<uint64_t>());
}

TEST_F(DaemonPcap, WithoutAPolicyEveryFrameDropsAsNoPolicy) {
  Daemon d(dir_, args(false));
  const uint64_t n = frames_.size();
  auto stats = d.wait_stats([&](const json& s) { return s.value("rx_frames", 0u) >= n; });
  ASSERT_TRUE(stats) << "frames never judged; log:\n" << d.log();
  EXPECT_EQ((*stats)["drop_no_policy"], n);
  EXPECT_EQ((*stats)["tx_frames"], 0);
  auto pol = telemetry(d.telemetry_path(), "/isoswitch/policy");
  ASSERT_TRUE(pol);
  EXPECT_EQ((*pol)["generation"], 0);
  RunResult r = d.terminate();
  EXPECT_EQ(r.exit_code, 0) << r.log;
  EXPECT_NE(r.log.find("no policy loaded"), std::string::npos) << r.log;
  for (const char* p : kPorts) EXPECT_TRUE(read_pcap(dir_ + "/" + p + ".out.pcap").empty()) << p;
}

TEST_F(DaemonPcap, ARestartWithoutPolicyRestoresTheStateFile) {
  {
    Daemon d(dir_, args(true));
    ASSERT_TRUE(d.wait_stats([&](const json& s) { return s.value("rx_frames", 0u) >= frames_.size(); }))
        << d.log();
    ASSERT_EQ(d.terminate().exit_code, 0);
  }
  ASSERT_TRUE(fs::exists(dir_ + "/state.json"));
  Daemon d(dir_, args(false));
  auto stats = d.wait_stats([&](const json& s) { return s.value("rx_frames", 0u) >= frames_.size(); });
  ASSERT_TRUE(stats) << d.log();
  EXPECT_EQ((*stats)["drop_no_policy"], 0);
  EXPECT_EQ((*stats)["tx_frames"], 3);
  RunResult r = d.terminate();
  EXPECT_EQ(r.exit_code, 0) << r.log;
  EXPECT_EQ(read_pcap(dir_ + "/vnic0.out.pcap").size(), 1u);
}

// Policy updates while frames stream in: the uplink replays allowed frames
// forever (infinite_rx), vNIC ports are net_null sinks, and the control
// socket applies a stream of edits -- to an unrelated job, to the very job the
// frames belong to (a peer added), and the whole document again. Not one
// frame may drop: every burst is judged wholly by an old or a new policy that
// both allow it, and no worker pauses.
TEST_F(DaemonPcap, PolicyUpdatesUnderTrafficLoseNoAllowedFrame) {
  write_pcap(dir_ + "/allowed.pcap", {from_uplink(kARemoteIp, kA0Ip, 0),
                                      from_uplink(kARemoteIp, kA1Ip, 1),
                                      from_uplink("8.8.8.8", kB0Ip, 2)});
  std::vector<std::string> a;
  a.insert(a.end(), {"--port", "uplink0=net_pcap_up,rx_pcap=" + dir_ + "/allowed.pcap,infinite_rx=1:uplink"});
  int k = 0;
  for (const char* p : {"agent0", "vnic0", "vnic1", "vnic2", "vnic3"})
    a.insert(a.end(), {"--port", std::string(p) + "=net_null" + std::to_string(k++) + ",no-rx=1:" +
                                     (std::string(p) == "agent0" ? "agent" : "vnic")});
  a.insert(a.end(), {"--workers", "1", "--socket", socket_path(), "--state", dir_ + "/state.json",
                     "--policy", dir_ + "/policy.json"});
  Daemon d(dir_, a);
  ASSERT_TRUE(d.wait_stats([](const json& s) { return s.value("rx_frames", 0u) >= 10000; }))
      << d.log();

  auto got = control(socket_path(), {{"op", "policy.get"}});
  ASSERT_TRUE(got && (*got)["ok"] == true) << (got ? got->dump() : "no reply");
  json policy = (*got)["policy"];
  json train_a;
  for (const auto& j : policy["jobs"])
    if (j["id"] == "train-a") train_a = j;
  ASSERT_FALSE(train_a.is_null());

  uint64_t gen = (*got)["generation"].get<uint64_t>();
  for (int i = 0; i < 30; ++i) {
    json req;
    switch (i % 3) {
      case 0:
        req = {{"op", "job.upsert"},
               {"job", {{"id", "train-d"}, {"isolated", true},
                        {"peers", {"10.4.0." + std::to_string(i + 1)}}}}};
        break;
      case 1: {
        json j = train_a;
        j["peers"].push_back("10.1.9." + std::to_string(i + 1));
        req = {{"op", "job.upsert"}, {"job", j}};
        break;
      }
      default:
        req = {{"op", "policy.apply"}, {"policy", policy}};
    }
    auto r = control(socket_path(), req);
    ASSERT_TRUE(r && (*r)["ok"] == true) << req.dump() << " -> " << (r ? r->dump() : "no reply");
    EXPECT_EQ((*r)["generation"].get<uint64_t>(), ++gen);
    std::this_thread::sleep_for(10ms);  // let bursts run between updates
  }
  auto pol = telemetry(d.telemetry_path(), "/isoswitch/policy");
  ASSERT_TRUE(pol);
  EXPECT_EQ((*pol)["generation"].get<uint64_t>(), gen);
  EXPECT_GE((*pol)["publishes"].get<uint64_t>(), 31u);

  // Let more frames through the last policy, then look at the counters.
  uint64_t seen = telemetry(d.telemetry_path(), "/isoswitch/stats")->value("rx_frames", 0u);
  auto s = d.wait_stats([&](const json& j) { return j.value("rx_frames", 0u) >= seen + 10000; });
  ASSERT_TRUE(s) << d.log();
  EXPECT_EQ((*s)["drops"], 0) << s->dump();
  EXPECT_EQ((*s)["tx_dropped"], 0) << s->dump();
  EXPECT_GT((*s)["tx_frames"].get<uint64_t>(), 20000u);
  RunResult r = d.terminate();
  EXPECT_EQ(r.exit_code, 0) << r.log;
}

TEST_F(DaemonPcap, ABadPolicyRefusesToStart) {
  std::ofstream(dir_ + "/policy.json") << "{\"version\": 1, \"host\": ";
  Daemon d(dir_, args(true));
  RunResult r;
  for (int i = 0; i < 300 && d.alive(); ++i) std::this_thread::sleep_for(50ms);
  r = d.terminate();
  EXPECT_EQ(r.exit_code, 1) << r.log;
  EXPECT_FALSE(fs::exists(socket_path()));
}

TEST(DaemonCli, HelpExitsZeroAndDocumentsEveryOption) {
  RunResult r = run_to_exit({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* o : {"--config", "--port", "--workers", "--rx-queues", "--socket", "--state",
                        "--policy", "--group", "--mtu", "--log-level", "--version"})
    EXPECT_NE(r.log.find(o), std::string::npos) << o;
}

TEST(DaemonCli, BadOptionsExitTwoWithAMessage) {
  RunResult r = run_to_exit({"--bogus"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.log.find("bogus"), std::string::npos) << r.log;
  r = run_to_exit({"--port", "up=net_ring0:router"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.log.find("unknown role 'router'"), std::string::npos) << r.log;
  r = run_to_exit({"--port", "c=net_ring0:vnic"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.log.find("exactly one uplink"), std::string::npos) << r.log;
  r = run_to_exit({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.log.find("isoswitchd"), std::string::npos);
}

}  // namespace
}  // namespace isoswitch::test

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  if (argc < 2) {
    std::fprintf(stderr, "usage: daemon_pcap_test PATH/TO/isoswitchd\n");
    return 1;
  }
  isoswitch::test::g_daemon = argv[1];
  return RUN_ALL_TESTS();
}
