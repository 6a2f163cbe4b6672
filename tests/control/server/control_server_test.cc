// The real control server on a temporary socket, over real sockets: the
// transport's guarantees (limits, timeouts, access control, framing) and
// the operations end to end, including persistence across a restart.
#include "control/server/control_server.h"

#include <grp.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

#include "tests/control/server/fake_hooks.h"
#include "tests/control/server/socket_client.h"
#include "tests/control/server/temp_dir.h"
#include "tests/support/test_policy.h"

namespace isoswitch::ctl {
namespace {

using nlohmann::json;
using test::SocketClient;

// Runs a ControlServer on its own thread (as the daemon's control thread).
class RunningServer {
 public:
  RunningServer(ServerConfig cfg, test::FakeHooks& hooks) {
    auto s = ControlServer::create(std::move(cfg), hooks);
    if (!s) {
      error = s.error().message;
      return;
    }
    server = std::move(*s);
  }
  ~RunningServer() { stop(); }

  void start() {
    thread = std::thread([this] { server->run(stop_flag); });
  }
  void stop() {
    stop_flag = true;
    if (thread.joinable()) thread.join();
  }

  std::unique_ptr<ControlServer> server;
  std::string error;
  std::atomic<bool> stop_flag{false};
  std::thread thread;
};

class ControlServerTest : public ::testing::Test {
 protected:
  ServerConfig config() {
    ServerConfig cfg;
    cfg.socket_path = dir_.file("ctl.sock");
    cfg.state_file = dir_.file("state.json");
    cfg.ports = test::standard_ports();
    return cfg;
  }

  std::unique_ptr<RunningServer> start(ServerConfig cfg,
                                       std::optional<std::string> policy_file = std::nullopt) {
    auto s = std::make_unique<RunningServer>(std::move(cfg), hooks_);
    EXPECT_TRUE(s->server) << s->error;
    if (!s->server) return nullptr;
    auto r = s->server->load_initial(policy_file);
    EXPECT_TRUE(r) << r.error().message;
    s->start();
    return s;
  }

  static json parse(const std::optional<std::string>& line) {
    EXPECT_TRUE(line.has_value()) << "no reply";
    return line ? json::parse(*line) : json();
  }

  json apply_line() const {
    return json{{"op", "policy.apply"}, {"policy", json::parse(test::standard_policy_json())}};
  }

  test::TempDir dir_;
  test::FakeHooks hooks_;
};

TEST_F(ControlServerTest, ApplyGetAndRefusedApplyOverTheSocket) {
  auto s = start(config());
  ASSERT_TRUE(s);
  struct stat st {};
  ASSERT_EQ(::stat(dir_.file("ctl.sock").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0660u);

  SocketClient c(dir_.file("ctl.sock"));
  ASSERT_TRUE(c.connected());
  json r = parse(c.request(R"({"op":"ping","id":1})"));
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["id"], 1);

  r = parse(c.request(apply_line().dump()));
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["generation"], 1);
  EXPECT_EQ(hooks_.published_generations(), std::vector<uint64_t>{1});

  r = parse(c.request(R"({"op":"policy.get"})"));
  EXPECT_EQ(r["generation"], 1);
  EXPECT_EQ(r["policy"]["vnics"].size(), 4u);

  json bad = apply_line();
  bad["policy"]["host"]["gateway_mac"] = "zz";
  r = parse(c.request(bad.dump()));
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["code"], "invalid_argument");
  EXPECT_EQ(s->server->generation(), 1u);

  // A txn whose last step fails changes nothing.
  r = parse(c.request(
      R"({"op":"txn","ops":[{"op":"vnic.delete","vnic":"a-0"},{"op":"job.delete","job":"nope"}]})"));
  EXPECT_EQ(r["error"]["code"], "not_found") << r.dump();
  r = parse(c.request(R"({"op":"policy.get"})"));
  EXPECT_EQ(r["generation"], 1);
  EXPECT_EQ(r["policy"]["vnics"].size(), 4u);
  EXPECT_EQ(hooks_.published_generations().size(), 1u);
}

TEST_F(ControlServerTest, PipelinedRequestsAndALastLineWithoutNewline) {
  auto s = start(config());
  ASSERT_TRUE(s);
  SocketClient c(dir_.file("ctl.sock"));
  ASSERT_TRUE(c.send_all("{\"op\":\"ping\",\"id\":1}\r\n\n  \n{\"op\":\"ping\",\"id\":2}\n{\"op\":\"ping\",\"id\":3}"));
  ::shutdown(c.fd(), SHUT_WR);
  for (int id = 1; id <= 3; ++id) {
    json r = parse(c.read_line());
    EXPECT_EQ(r["id"], id);
  }
  EXPECT_TRUE(c.closed_by_peer(2000));
}

TEST_F(ControlServerTest, RestartFindsThePersistedPolicy) {
  {
    auto s = start(config());
    ASSERT_TRUE(s);
    SocketClient c(dir_.file("ctl.sock"));
    ASSERT_EQ(parse(c.request(apply_line().dump()))["ok"], true);
    ASSERT_EQ(parse(c.request(R"({"op":"vnic.delete","vnic":"c-0"})"))["generation"], 2);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.file("ctl.sock"))) << "socket removed on shutdown";
  hooks_.published.clear();
  auto s = start(config(), std::string("/nonexistent/ignored-because-state-exists.json"));
  ASSERT_TRUE(s);
  EXPECT_EQ(s->server->generation(), 2u);
  EXPECT_EQ(hooks_.published_generations(), std::vector<uint64_t>{2});
  SocketClient c(dir_.file("ctl.sock"));
  json r = parse(c.request(R"({"op":"policy.get"})"));
  EXPECT_EQ(r["generation"], 2);
  EXPECT_EQ(r["policy"]["vnics"].size(), 3u);
}

TEST_F(ControlServerTest, CorruptStateRefusesToStart) {
  std::ofstream(dir_.file("state.json")) << "{\"generation\": 1, \"policy\": ";
  auto srv = ControlServer::create(config(), hooks_);
  ASSERT_TRUE(srv) << srv.error().message;
  auto r = (*srv)->load_initial(std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("state.json"), std::string::npos) << r.error().message;
  EXPECT_TRUE(hooks_.published_generations().empty());
}

TEST_F(ControlServerTest, SecondServerOnALiveSocketIsRefusedAStaleOneReplaced) {
  auto s = start(config());
  ASSERT_TRUE(s);
  test::FakeHooks other;
  auto second = ControlServer::create(config(), other);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code, ErrorCode::kConflict);
  s.reset();

  // A socket file nobody listens on (a crashed server's) is replaced.
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, dir_.file("ctl.sock").c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ::close(fd);
  auto third = ControlServer::create(config(), other);
  EXPECT_TRUE(third) << third.error().message;

  std::ofstream(dir_.file("plain")) << "x";
  ServerConfig cfg = config();
  cfg.socket_path = dir_.file("plain");
  auto fourth = ControlServer::create(cfg, other);
  ASSERT_FALSE(fourth);
  EXPECT_TRUE(std::filesystem::exists(dir_.file("plain"))) << "never deletes a non-socket";
}

TEST_F(ControlServerTest, OversizedRequestIsRefusedWithoutHarmingOthers) {
  auto s = start(config());  // default limit: 4 MiB
  ASSERT_TRUE(s);
  SocketClient good(dir_.file("ctl.sock"));
  ASSERT_EQ(parse(good.request(R"({"op":"ping"})"))["ok"], true);

  SocketClient big(dir_.file("ctl.sock"));
  std::string huge = R"({"op":"ping","pad":")" + std::string((4u << 20) + 100, 'a');
  // The server may stop reading once it has judged the request; our send
  // can then fail, which is fine: what matters is the reply and the close.
  std::thread sender([&] { big.send_all(huge); });
  json r = parse(big.read_line(10000));
  sender.join();
  EXPECT_EQ(r["error"]["code"], "too_large") << r.dump();
  EXPECT_TRUE(big.closed_by_peer(3000));

  // The concurrent client and the policy are unharmed.
  EXPECT_EQ(parse(good.request(R"({"op":"ping","id":"still"})"))["id"], "still");
  EXPECT_EQ(s->server->generation(), 0u);
}

TEST_F(ControlServerTest, ConfiguredLimitAppliesToCompleteLinesToo) {
  ServerConfig cfg = config();
  cfg.max_request_bytes = 64;
  auto s = start(cfg);
  ASSERT_TRUE(s);
  SocketClient c(dir_.file("ctl.sock"));
  json r = parse(c.request(R"({"op":"ping","pad":")" + std::string(100, 'x') + "\"}"));
  EXPECT_EQ(r["error"]["code"], "too_large");
  EXPECT_TRUE(c.closed_by_peer(3000));
}

TEST_F(ControlServerTest, MalformedJsonKeepsTheConnection) {
  auto s = start(config());
  ASSERT_TRUE(s);
  SocketClient c(dir_.file("ctl.sock"));
  json r = parse(c.request("{\"op\": nope"));
  EXPECT_EQ(r["error"]["code"], "invalid_argument");
  r = parse(c.request(R"({"op":"unknown.op"})"));
  EXPECT_EQ(r["error"]["code"], "invalid_argument");
  EXPECT_NE(r["error"]["message"].get<std::string>().find("unknown.op"), std::string::npos);
  r = parse(c.request(R"({"op":"ping","id":"after"})"));
  EXPECT_EQ(r["id"], "after");
}

TEST_F(ControlServerTest, IdleAndSlowClientsAreClosed) {
  ServerConfig cfg = config();
  cfg.client_timeout_ms = 1000;
  auto s = start(cfg);
  ASSERT_TRUE(s);
  SocketClient idle(dir_.file("ctl.sock"));
  SocketClient slow(dir_.file("ctl.sock"));
  SocketClient busy(dir_.file("ctl.sock"));
  ASSERT_TRUE(idle.connected() && slow.connected() && busy.connected());

  // `slow` trickles one byte every 250 ms: never idle, never finishing.
  // `busy` sends a complete request every 250 ms: never closed.
  bool slow_closed = false;
  for (int i = 0; i < 12; ++i) {
    if (!slow_closed && !slow.send_all("{")) slow_closed = true;
    EXPECT_EQ(parse(busy.request(R"({"op":"ping"})"))["ok"], true);
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  EXPECT_TRUE(idle.closed_by_peer(2000));
  EXPECT_TRUE(slow.closed_by_peer(2000));
  EXPECT_EQ(parse(busy.request(R"({"op":"ping","id":9})"))["id"], 9);
}

TEST_F(ControlServerTest, TooManyClientsAreRefused) {
  ServerConfig cfg = config();
  cfg.max_clients = 2;
  auto s = start(cfg);
  ASSERT_TRUE(s);
  SocketClient a(dir_.file("ctl.sock")), b(dir_.file("ctl.sock"));
  ASSERT_EQ(parse(a.request(R"({"op":"ping"})"))["ok"], true);
  ASSERT_EQ(parse(b.request(R"({"op":"ping"})"))["ok"], true);
  SocketClient c(dir_.file("ctl.sock"));
  json r = parse(c.read_line());
  EXPECT_EQ(r["error"]["code"], "unavailable");
  EXPECT_TRUE(c.closed_by_peer(2000));
  EXPECT_EQ(parse(a.request(R"({"op":"ping","id":1})"))["id"], 1);
}

TEST_F(ControlServerTest, ClientThatNeverReadsCannotGrowTheServer) {
  ServerConfig cfg = config();
  cfg.client_timeout_ms = 500;
  auto s = start(cfg);
  ASSERT_TRUE(s);
  {
    SocketClient c(dir_.file("ctl.sock"));
    ASSERT_EQ(parse(c.request(apply_line().dump()))["ok"], true);
  }
  SocketClient hog(dir_.file("ctl.sock"));
  std::string many;
  for (int i = 0; i < 2000; ++i) many += "{\"op\":\"policy.get\"}\n";
  hog.send_all(many);  // never reads the ~MBs of replies
  SocketClient other(dir_.file("ctl.sock"));
  EXPECT_EQ(parse(other.request(R"({"op":"ping","id":2})"))["id"], 2);
  // Both are idle (the hog: no write progress) past their timeout by now.
  std::this_thread::sleep_for(std::chrono::milliseconds(2000));
  s->stop();  // client_count() belongs to the server's thread
  EXPECT_EQ(s->server->client_count(), 0u) << "the hog was closed after its timeout";
}

// Runs `fn` in a forked child as uid/gid `id` and returns its exit status.
template <class Fn>
int as_user(uid_t uid, gid_t gid, Fn fn) {
  pid_t pid = ::fork();
  if (pid == 0) {
    if (::setgroups(0, nullptr) != 0 || ::setresgid(gid, gid, gid) != 0 ||
        ::setresuid(uid, uid, uid) != 0)
      ::_exit(90);
    ::_exit(fn());
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 99;
}

// Exit codes from the child: 0 allowed, 1 refused with permission_denied,
// 2 could not connect (file mode), 3 anything else.
int probe_access(const std::string& path) {
  SocketClient c(path);
  if (!c.connected()) return errno == EACCES ? 2 : 3;
  auto line = c.request(R"({"op":"ping"})");
  if (!line) {
    return 3;
  }
  json r = json::parse(*line, nullptr, false);
  if (r.is_discarded()) return 3;
  if (r["ok"] == true) return 0;
  if (r["error"]["code"] == "permission_denied") return c.closed_by_peer(2000) ? 1 : 3;
  return 3;
}

TEST_F(ControlServerTest, OnlyRootOrTheConfiguredGroupMayConnect) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to run a client as another uid";
  ASSERT_EQ(::chmod(dir_.path().c_str(), 0755), 0);
  constexpr uid_t kNobody = 65534;
  constexpr gid_t kGroup = 65534;
  const std::string sock = dir_.file("ctl.sock");
  {
    auto s = start(config());
    ASSERT_TRUE(s);
    // The file mode stops a stranger at connect() already...
    EXPECT_EQ(as_user(kNobody, kGroup, [&] { return probe_access(sock); }), 2);
    // ...and SO_PEERCRED stops it even when the mode would let it through.
    ASSERT_EQ(::chmod(sock.c_str(), 0666), 0);
    EXPECT_EQ(as_user(kNobody, kGroup, [&] { return probe_access(sock); }), 1);
    EXPECT_EQ(as_user(0, 0, [&] { return probe_access(sock); }), 0);
    // A refused client does not disturb a connected one.
    SocketClient root_client(sock);
    EXPECT_EQ(parse(root_client.request(R"({"op":"ping","id":5})"))["id"], 5);
  }
  ServerConfig cfg = config();
  cfg.allowed_gid = kGroup;
  auto s = start(cfg);
  ASSERT_TRUE(s);
  struct stat st {};
  ASSERT_EQ(::stat(sock.c_str(), &st), 0);
  EXPECT_EQ(st.st_gid, kGroup) << "socket file chgrp'ed to the allowed group";
  EXPECT_EQ(as_user(kNobody, kGroup, [&] { return probe_access(sock); }), 0);
  // A uid with no passwd entry and another gid is no member: refused.
  ASSERT_EQ(::chmod(sock.c_str(), 0666), 0);
  EXPECT_EQ(as_user(54321, 54321, [&] { return probe_access(sock); }), 1);
  // nobody's login group is the allowed one: a member even when running
  // with another gid (membership is the uid's, per the databases).
  EXPECT_EQ(as_user(kNobody, 54321, [&] { return probe_access(sock); }), 0);
}

}  // namespace
}  // namespace isoswitch::ctl
