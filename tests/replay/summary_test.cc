// The summary: counting, the JSON form (--json), the table.
#include "dataplane/replay/summary.h"

#include <gtest/gtest.h>

namespace isoswitch::replay {
namespace {

Summary sample() {
  Summary s;
  s.inputs.push_back({"vnic0", "a.pcap", {}});
  s.inputs.push_back({"uplink0", "b.pcap", {}});
  s.inputs[0].counts.add(Verdict::kForward, DropReason::no_route);
  s.inputs[0].counts.add(Verdict::kDrop, DropReason::not_peer);
  s.inputs[0].counts.add(Verdict::kDrop, DropReason::not_peer);
  s.inputs[1].counts.add(Verdict::kReply, DropReason::no_route);
  s.inputs[1].counts.add(Verdict::kDrop, DropReason::unknown_vlan);
  s.outputs = {{"uplink0", 1}, {"vnic0", 1}};
  return s;
}

TEST(Summary, CountsPerVerdictAndReason) {
  auto s = sample();
  const auto& c = s.inputs[0].counts;
  EXPECT_EQ(c.frames, 3u);
  EXPECT_EQ(c.forward, 1u);
  EXPECT_EQ(c.reply, 0u);
  EXPECT_EQ(c.drop, 2u);
  EXPECT_EQ(c.reasons[static_cast<std::size_t>(DropReason::not_peer)], 2u);
  // The reason argument of a forward is ignored.
  EXPECT_EQ(c.reasons[static_cast<std::size_t>(DropReason::no_route)], 0u);
  auto t = s.total();
  EXPECT_EQ(t.frames, 5u);
  EXPECT_EQ(t.drop, 3u);
}

TEST(Summary, JsonShape) {
  auto j = sample().to_json();
  ASSERT_EQ(j["inputs"].size(), 2u);
  EXPECT_EQ(j["inputs"][0]["port"], "vnic0");
  EXPECT_EQ(j["inputs"][0]["file"], "a.pcap");
  EXPECT_EQ(j["inputs"][0]["frames"], 3);
  EXPECT_EQ(j["inputs"][0]["reasons"]["not_peer"], 2);
  EXPECT_FALSE(j["inputs"][0]["reasons"].contains("unknown_vlan"));  // only what occurred
  EXPECT_EQ(j["inputs"][1]["reply"], 1);
  EXPECT_EQ(j["total"]["frames"], 5);
  EXPECT_EQ(j["total"]["reasons"]["unknown_vlan"], 1);
  EXPECT_EQ(j["outputs"]["uplink0"], 1);
  // Reparses from its own text.
  EXPECT_EQ(nlohmann::json::parse(j.dump()), j);
}

TEST(Summary, TableNamesPortsAndReasons) {
  auto t = sample().to_table();
  EXPECT_NE(t.find("vnic0"), std::string::npos);
  EXPECT_NE(t.find("uplink0"), std::string::npos);
  EXPECT_NE(t.find("total"), std::string::npos);
  EXPECT_NE(t.find("not_peer"), std::string::npos);
  EXPECT_NE(t.find("unknown_vlan"), std::string::npos);
  EXPECT_EQ(t.find("agent_to_container"), std::string::npos);
  EXPECT_NE(t.find("uplink0=1"), std::string::npos);
}

}  // namespace
}  // namespace isoswitch::replay
