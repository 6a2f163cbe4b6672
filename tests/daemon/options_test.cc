// Unit tests of isoswitchd's command line (dataplane/daemon/options.h).
#include "dataplane/daemon/options.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

namespace isoswitch::dp {
namespace {

std::optional<gid_t> fake_groups(const std::string& name) {
  if (name == "isoswitch") return gid_t{4242};
  return std::nullopt;
}

Result<ParseOutcome> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "isoswitchd");
  std::vector<const char*> argv;
  for (auto& a : args) argv.push_back(a.c_str());
  return parse_options(static_cast<int>(argv.size()), argv.data(), &fake_groups);
}

const std::vector<std::string> kMinimal = {"--port", "up=net_ring0:uplink"};

TEST(PortSpec, SplitsNameDevargsAndRoleAtTheLastColon) {
  auto p = parse_port_spec("up=0000:03:00.0:uplink");
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->name, "up");
  EXPECT_EQ(p->devargs, "0000:03:00.0");
  EXPECT_EQ(p->role, PortRole::kUplink);

  auto v = parse_port_spec("c1=net_pcap0,rx_pcap=/tmp/a:b.pcap,tx_pcap=o.pcap:vnic");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(v->name, "c1");
  EXPECT_EQ(v->devargs, "net_pcap0,rx_pcap=/tmp/a:b.pcap,tx_pcap=o.pcap");
  EXPECT_EQ(v->role, PortRole::kVnic);

  auto a = parse_port_spec("agent=net_memif0,role=server:agent");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->role, PortRole::kAgent);
}

TEST(PortSpec, RejectsBadFormsWithAClearMessage) {
  struct Case {
    const char* text;
    const char* says;
  } cases[] = {
      {"net_ring0:uplink", "missing '='"},
      {"up=net_ring0", "missing ':ROLE'"},
      {"=net_ring0:uplink", "empty port name"},
      {"up=:uplink", "empty DEVARGS"},
      {"up=net_ring0:router", "unknown role 'router'"},
      {"up=net_ring0:", "unknown role ''"},
      {"u p=net_ring0:vnic", "port name may hold only"},
      {"up:x=net_ring0", "missing ':ROLE'"},
  };
  for (const auto& c : cases) {
    auto p = parse_port_spec(c.text);
    ASSERT_FALSE(p) << c.text;
    EXPECT_EQ(p.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(p.error().message.find(c.says), std::string::npos)
        << c.text << " -> " << p.error().message;
    EXPECT_NE(p.error().message.find(c.text), std::string::npos) << "names the bad value";
  }
}

TEST(Options, DefaultsAndPortOrderIsPortIndex) {
  auto r = parse({"--port", "up=net_ring0:uplink", "--port", "c1=net_ring1:vnic", "--port",
                  "ag=net_ring2:agent", "--port", "c2=net_ring3:vnic"});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->action, ParseOutcome::Action::kRun);
  const DaemonOptions& o = r->options;
  PortTable t = o.port_table();
  ASSERT_EQ(t.size(), 4);
  EXPECT_EQ(t.find("up"), 0);
  EXPECT_EQ(t.find("c1"), 1);
  EXPECT_EQ(t.find("ag"), 2);
  EXPECT_EQ(t.find("c2"), 3);
  EXPECT_EQ(t.ports[2].role, PortRole::kAgent);
  EXPECT_EQ(o.socket_path, "/run/isoswitch/control.sock");
  EXPECT_EQ(o.state_file, "/var/lib/isoswitch/state.json");
  EXPECT_EQ(o.mtu, 1500);
  EXPECT_EQ(o.workers, 0u);
  EXPECT_EQ(o.rx_queues, 1);
  EXPECT_FALSE(o.policy_file);
  EXPECT_FALSE(o.group_gid);
  EXPECT_EQ(o.log_level, LogLevel::kInfo);
  EXPECT_TRUE(o.eal_args.empty());
}

TEST(Options, EverythingAfterDoubleDashGoesToTheEal) {
  auto r = parse({"--port", "up=net_ring0:uplink", "--workers", "2", "--rx-queues", "4", "--mtu",
                  "9001", "--socket", "/tmp/s.sock", "--state", "", "--policy", "p.json",
                  "--group", "isoswitch", "--log-level", "debug", "--", "-l", "0-2", "--no-huge",
                  "--port", "x"});
  ASSERT_TRUE(r) << r.error().message;
  const DaemonOptions& o = r->options;
  EXPECT_EQ(o.workers, 2u);
  EXPECT_EQ(o.rx_queues, 4);
  EXPECT_EQ(o.mtu, 9001);
  EXPECT_EQ(o.socket_path, "/tmp/s.sock");
  EXPECT_EQ(o.state_file, "");
  EXPECT_EQ(o.policy_file, "p.json");
  EXPECT_EQ(o.group_gid, gid_t{4242});
  EXPECT_EQ(o.log_level, LogLevel::kDebug);
  EXPECT_EQ(o.eal_args, (std::vector<std::string>{"-l", "0-2", "--no-huge", "--port", "x"}));
  EXPECT_EQ(o.ports.size(), 1u) << "a --port after -- is the EAL's, not ours";
}

TEST(Options, PortRulesAcrossPorts) {
  struct Case {
    std::vector<std::string> args;
    const char* says;
  } cases[] = {
      {{}, "no --port given"},
      {{"--port", "c1=net_ring1:vnic"}, "exactly one uplink port, got 0"},
      {{"--port", "u1=net_ring0:uplink", "--port", "u2=net_ring1:uplink"},
       "exactly one uplink port, got 2"},
      {{"--port", "up=net_ring0:uplink", "--port", "a=net_ring1:agent", "--port",
        "b=net_ring2:agent"},
       "at most one agent port, got 2"},
      {{"--port", "up=net_ring0:uplink", "--port", "up=net_ring1:vnic"},
       "duplicate port name 'up'"},
      {{"--port", "up=net_ring0:uplink", "--port", "c1=net_ring0:vnic"},
       "device 'net_ring0' used twice"},
      {{"--port", "up=net_pcap0,rx_pcap=a:uplink", "--port", "c1=net_pcap0,rx_pcap=b:vnic"},
       "device 'net_pcap0' used twice"},
  };
  for (const auto& c : cases) {
    auto r = parse(c.args);
    ASSERT_FALSE(r) << c.says;
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
  }
}

TEST(Options, BadValuesAreRejected) {
  struct Case {
    std::vector<std::string> extra;
    const char* says;
  } cases[] = {
      {{"--workers", "0"}, "--workers 0"},
      {{"--workers", "many"}, "workers"},
      {{"--rx-queues", "0"}, "--rx-queues 0"},
      {{"--mtu", "67"}, "--mtu 67"},
      {{"--mtu", "65000"}, "--mtu 65000"},
      {{"--log-level", "loud"}, "--log-level 'loud'"},
      {{"--group", "nosuchgroup"}, "--group 'nosuchgroup': no such group"},
      {{"--bogus"}, "bogus"},
      {{"--socket", ""}, "--socket"},
      {{"--policy"}, "policy"},
  };
  for (const auto& c : cases) {
    auto args = kMinimal;
    args.insert(args.end(), c.extra.begin(), c.extra.end());
    auto r = parse(args);
    ASSERT_FALSE(r) << c.says;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(r.error().message.find(c.says), std::string::npos) << r.error().message;
  }
}

TEST(Options, HelpAndVersionNeedNoPorts) {
  auto h = parse({"--help"});
  ASSERT_TRUE(h);
  EXPECT_EQ(h->action, ParseOutcome::Action::kHelp);
  for (const char* opt : {"--config", "--port", "--workers", "--rx-queues", "--socket", "--state",
                          "--policy", "--group", "--mtu", "--log-level", "--help", "--version"})
    EXPECT_NE(h->text.find(opt), std::string::npos) << opt << " documented";
  EXPECT_NE(h->text.find("e.g. --port up="), std::string::npos) << "with an example";
  auto v = parse({"--version"});
  ASSERT_TRUE(v);
  EXPECT_EQ(v->action, ParseOutcome::Action::kVersion);
  EXPECT_NE(v->text.find("isoswitchd"), std::string::npos);
}

class ConfigFile : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/isosw-opts-XXXXXX";
    int fd = mkstemp(tmpl);
    ASSERT_GE(fd, 0);
    close(fd);
    path_ = tmpl;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  void write(const std::string& text) { std::ofstream(path_) << text; }
  std::string path_;
};

TEST_F(ConfigFile, SuppliesOptionsAndTheCommandLineWins) {
  write("# isoswitchd.conf\n"
        "port = up=net_ring0:uplink\n"
        "port = c1=net_af_packet0,iface=veth1:vnic\n"
        "mtu = 9001\n"
        "workers = 3\n"
        "socket = /tmp/from-file.sock\n");
  auto r = parse({"--config", path_, "--workers", "1"});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->options.ports.size(), 2u);
  EXPECT_EQ(r->options.ports[1].devargs, "net_af_packet0,iface=veth1");
  EXPECT_EQ(r->options.mtu, 9001);
  EXPECT_EQ(r->options.workers, 1u);
  EXPECT_EQ(r->options.socket_path, "/tmp/from-file.sock");

  // --port on the command line replaces the file's ports (the order is the index).
  auto c = parse({"--config", path_, "--port", "u=net_ring5:uplink"});
  ASSERT_TRUE(c) << c.error().message;
  ASSERT_EQ(c->options.ports.size(), 1u);
  EXPECT_EQ(c->options.ports[0].name, "u");
}

TEST_F(ConfigFile, UnknownKeysAndMissingFilesAreErrors) {
  write("port = up=net_ring0:uplink\nfrobnicate = 1\n");
  auto r = parse({"--config", path_});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("frobnicate"), std::string::npos) << r.error().message;
  auto m = parse({"--config", "/nonexistent/isoswitchd.conf"});
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("cannot open"), std::string::npos) << m.error().message;
}

TEST(LogLevel, NamesRoundTrip) {
  for (LogLevel l : {LogLevel::kError, LogLevel::kWarning, LogLevel::kInfo, LogLevel::kDebug}) {
    auto p = parse_log_level(log_level_name(l));
    ASSERT_TRUE(p);
    EXPECT_EQ(*p, l);
  }
}

}  // namespace
}  // namespace isoswitch::dp

namespace isoswitch::dp {
namespace {

// The shipped example config must stay valid (docs/deploy.md points at it).
TEST(ExampleConfig, ParsesAsDocumented) {
  const char* root = std::getenv("ISOSWITCH_SOURCE_ROOT");
  if (root == nullptr) GTEST_SKIP() << "ISOSWITCH_SOURCE_ROOT not set (run through meson test)";
  auto r = parse({"--config", std::string(root) + "/examples/isoswitchd.conf"});
  ASSERT_TRUE(r) << r.error().message;
  const DaemonOptions& o = r->options;
  ASSERT_EQ(o.ports.size(), 5u);
  EXPECT_EQ(o.ports[0].role, PortRole::kUplink);
  EXPECT_EQ(o.ports[0].devargs, "0000:03:00.0");
  EXPECT_EQ(o.ports[1].role, PortRole::kAgent);
  EXPECT_EQ(o.ports[4].devargs,
            "net_memif0,role=server,id=0,socket=/run/isoswitch/memif-c2.sock,socket-abstract=no");
  EXPECT_EQ(o.workers, 3u);
  EXPECT_EQ(o.rx_queues, 3);
  EXPECT_EQ(o.group_gid, gid_t{4242});
  EXPECT_EQ(o.policy_file, "/etc/isoswitch/policy.json");
}

}  // namespace
}  // namespace isoswitch::dp
