// isoswitch_test_server: the real ControlServer over a fake data plane with
// the standard test ports, for driving isoswitchctl in tests.
//
//   isoswitch_test_server SOCKET [STATE_FILE [POLICY_FILE]]
//
// Prints "ready" on stdout once it listens and has loaded its policy; runs
// until SIGTERM or SIGINT. The fake counters are fixed, nonzero numbers so
// `isoswitchctl stats` has something to show.
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "control/server/control_server.h"
#include "tests/control/server/fake_hooks.h"
#include "tests/support/test_policy.h"

namespace {
std::atomic<bool> g_stop{false};
void on_signal(int) { g_stop = true; }
}  // namespace

int main(int argc, char** argv) {
  using namespace isoswitch;
  if (argc < 2 || argc > 4) {
    std::fprintf(stderr, "usage: %s SOCKET [STATE_FILE [POLICY_FILE]]\n", argv[0]);
    return 2;
  }
  std::signal(SIGTERM, on_signal);
  std::signal(SIGINT, on_signal);

  test::FakeHooks hooks;
  hooks.counters.resize(test::standard_ports().size());
  PortCounters& a0 = hooks.counters[test::kVnicA0Port];
  a0.rx_frames = 100;
  a0.rx_bytes = 6400;
  a0.tx_frames = 90;
  a0.tx_bytes = 5760;
  a0.drops[static_cast<std::size_t>(DropReason::not_peer)] = 7;
  a0.drops[static_cast<std::size_t>(DropReason::spoofed_src)] = 3;

  ctl::ServerConfig cfg;
  cfg.socket_path = argv[1];
  if (argc > 2) cfg.state_file = argv[2];
  cfg.ports = test::standard_ports();
  cfg.client_timeout_ms = 2000;
  auto server = ctl::ControlServer::create(cfg, hooks);
  if (!server) {
    std::fprintf(stderr, "isoswitch_test_server: %s\n", server.error().message.c_str());
    return 1;
  }
  std::optional<std::string> policy;
  if (argc > 3) policy = argv[3];
  if (auto r = (*server)->load_initial(policy); !r) {
    std::fprintf(stderr, "isoswitch_test_server: %s\n", r.error().message.c_str());
    return 1;
  }
  std::printf("ready\n");
  std::fflush(stdout);
  (*server)->run(g_stop);
  return 0;
}
