// verdicts.jsonl lines: exact text, and valid JSON with the documented keys.
#include "dataplane/replay/verdict_log.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace isoswitch::replay {
namespace {

TEST(VerdictLine, DropHasReasonAndNoOut) {
  EXPECT_EQ(verdict_line("vnic0", 3, Verdict::kDrop, DropReason::not_peer, ""),
            R"({"in": "vnic0", "index": 3, "verdict": "drop", "reason": "not_peer"})");
}

TEST(VerdictLine, ForwardAndReplyHaveOutAndNoReason) {
  EXPECT_EQ(verdict_line("vnic0", 0, Verdict::kForward, DropReason::no_route, "uplink0"),
            R"({"in": "vnic0", "index": 0, "verdict": "forward", "out": "uplink0"})");
  EXPECT_EQ(verdict_line("uplink0", 12, Verdict::kReply, DropReason::no_route, "uplink0"),
            R"({"in": "uplink0", "index": 12, "verdict": "reply", "out": "uplink0"})");
}

TEST(VerdictLine, EveryReasonProducesParseableJson) {
  for (std::size_t i = 0; i < kNumDropReasons; ++i) {
    auto j = nlohmann::json::parse(
        verdict_line("p", 4294967295u, Verdict::kDrop, static_cast<DropReason>(i), ""));
    EXPECT_EQ(j["reason"], std::string(kDropReasonNames[i]));
    EXPECT_EQ(j["index"], 4294967295u);
    EXPECT_FALSE(j.contains("out"));
  }
}

TEST(VerdictLine, OddPortNamesAreEscaped) {
  auto line = verdict_line("we\"ird\\port", 1, Verdict::kForward, DropReason::no_route, "tab\tx");
  auto j = nlohmann::json::parse(line);
  EXPECT_EQ(j["in"], "we\"ird\\port");
  EXPECT_EQ(j["out"], "tab\tx");
}

}  // namespace
}  // namespace isoswitch::replay
