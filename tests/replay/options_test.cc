// Command-line parsing: the accepted forms and every usage error.
#include "dataplane/replay/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace isoswitch::replay {
namespace {

Result<Options> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "isoswitch-replay");
  return parse_options(static_cast<int>(args.size()), args.data());
}

TEST(InputSpec, SplitsAtTheFirstEquals) {
  auto s = parse_input_spec("vnic0=dir/a=b.pcap");
  ASSERT_TRUE(s);
  EXPECT_EQ(s->port, "vnic0");
  EXPECT_EQ(s->path, "dir/a=b.pcap");
  EXPECT_FALSE(parse_input_spec("vnic0"));
  EXPECT_FALSE(parse_input_spec("=x.pcap"));
  EXPECT_FALSE(parse_input_spec("vnic0="));
}

TEST(Options, FullCommandLine) {
  auto o = parse({"--policy", "p.json", "--in", "vnic0=a.pcap", "--in", "uplink0=b.pcap",
                  "--out-dir", "out", "--json", "--mtu", "9000", "--eal", "--log-level=8 -v"});
  ASSERT_TRUE(o) << o.error().message;
  EXPECT_EQ(o->policy_path, "p.json");
  ASSERT_EQ(o->inputs.size(), 2u);
  EXPECT_EQ(o->inputs[0].port, "vnic0");  // argument order kept
  EXPECT_EQ(o->inputs[1].path, "b.pcap");
  EXPECT_EQ(o->out_dir, "out");
  EXPECT_TRUE(o->json);
  EXPECT_EQ(o->mtu, 9000);
  EXPECT_EQ(o->eal_args, (std::vector<std::string>{"--log-level=8", "-v"}));
}

TEST(Options, Defaults) {
  auto o = parse({"--policy", "p", "--in", "a=b", "--out-dir", "o"});
  ASSERT_TRUE(o);
  EXPECT_FALSE(o->json);
  EXPECT_EQ(o->mtu, 1500);
  EXPECT_TRUE(o->eal_args.empty());
}

TEST(Options, HelpAndVersionNeedNothingElse) {
  auto h = parse({"--help"});
  ASSERT_TRUE(h);
  EXPECT_TRUE(h->help);
  auto v = parse({"--version"});
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->version);
  EXPECT_NE(usage_text().find("--out-dir"), std::string::npos);
}

TEST(Options, UsageErrorsNameTheOption) {
  struct Case {
    std::vector<const char*> args;
    const char* expect;
  } cases[] = {
      {{"--in", "a=b", "--out-dir", "o"}, "--policy"},
      {{"--policy", "p", "--out-dir", "o"}, "--in"},
      {{"--policy", "p", "--in", "a=b"}, "--out-dir"},
      {{"--policy", "p", "--in", "a=b", "--in", "a=c", "--out-dir", "o"}, "given twice"},
      {{"--policy", "p", "--in", "ab", "--out-dir", "o"}, "PORT=FILE"},
      {{"--policy", "p", "--in", "a=b", "--out-dir", "o", "--mtu", "67"}, "--mtu"},
      {{"--policy", "p", "--in", "a=b", "--out-dir", "o", "--mtu", "9601"}, "--mtu"},
      {{"--policy", "p", "--in", "a=b", "--out-dir", "o", "--mtu", "-1"}, "--mtu"},
      {{"--policy", "p", "--in", "a=b", "--out-dir", "o", "--mtu", "big"}, "mtu"},
      {{"--policy", "p", "--in", "a=b", "--out-dir", "o", "--frobnicate"}, "frobnicate"},
  };
  for (const auto& c : cases) {
    auto o = parse(c.args);
    ASSERT_FALSE(o) << c.expect;
    EXPECT_EQ(o.error().code, ErrorCode::kInvalidArgument);
    EXPECT_NE(o.error().message.find(c.expect), std::string::npos) << o.error().message;
  }
}

}  // namespace
}  // namespace isoswitch::replay
