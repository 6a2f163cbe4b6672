// validate() on documents built in C++ (the paths JSON cannot reach: values
// out of their type's JSON range, invalid UTF-8 names, limits at scale).
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "control/policy/policy_json.h"
#include "control/policy/validate.h"
#include "tests/support/test_policy.h"

namespace isoswitch::ctl {
namespace {

using ::testing::StartsWith;

std::string error_of(const PolicyDoc& doc) {
  auto r = validate(doc);
  if (r) return "(accepted)";
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  return r.error().message;
}

TEST(Validate, StandardPolicyIsValid) {
  auto r = validate(test::standard_policy());
  EXPECT_TRUE(r) << r.error().message;
}

TEST(Validate, VersionMustBeOne) {
  PolicyDoc d = test::standard_policy();
  d.version = 2;
  EXPECT_EQ(error_of(d), "version: 2 is not supported (expected 1)");
}

TEST(Validate, VlanRangeIsCheckedOnTheModelToo) {
  PolicyDoc d = test::standard_policy();
  d.jobs[0].vpc->vlan = 0;
  EXPECT_EQ(error_of(d), "jobs[0].vpc.vlan: 0 is outside 1..4094");
  d.jobs[0].vpc->vlan = 4095;
  EXPECT_EQ(error_of(d), "jobs[0].vpc.vlan: 4095 is outside 1..4094");
}

TEST(Validate, PrefixWithHostBitsBuiltInCxxIsRejected) {
  PolicyDoc d = test::standard_policy();
  d.jobs[0].vpc->prefixes.push_back(Ipv4Prefix{*parse_ipv4("3.6.0.1"), 16});
  EXPECT_THAT(error_of(d), StartsWith("jobs[0].vpc.prefixes[2]: 3.6.0.1/16 is not a valid prefix"));
}

TEST(Validate, NamesMustBeValidUtf8SoOutputNeverThrows) {
  for (std::string bad :
       {std::string("a\xff"), std::string("\xc0\xaf"),          // invalid, overlong
        std::string("\xed\xa0\x80"), std::string("x\xe2\x82"),  // surrogate, cut
        std::string("tab\there"), std::string("del\x7f"), std::string("c1\xc2\x85")}) {
    PolicyDoc d = test::standard_policy();
    d.vnics[0].id = bad;
    EXPECT_EQ(error_of(d), "vnics[0].id: must be UTF-8 without control characters") << bad;
  }
  PolicyDoc ok = test::standard_policy();
  ok.vnics[0].id = "a-0-\xc3\xa9-\xe2\x82\xac-\xf0\x9f\x98\x80";  // é € 😀
  ASSERT_TRUE(validate(ok));
  EXPECT_NO_THROW((void)policy_to_json(ok).dump());
}

TEST(Validate, UnknownPortReferencesAreCompilesBusinessButDuplicatesAreNot) {
  PolicyDoc d = test::standard_policy();
  d.host.agent->port = d.vnics[3].port;
  EXPECT_EQ(error_of(d), "vnics[3].port: port \"vnic3\" is already used by host.agent.port");
}

TEST(Validate, PeerLimitCountsAllJobsAndIsInclusive) {
  PolicyDoc d = test::standard_policy();
  std::size_t have = 0;
  for (const JobDoc& j : d.jobs) have += j.peers.size() + j.peers6.size();
  JobDoc big1{.id = "big-1", .isolated = true, .peers = {}, .peers6 = {}, .vpc = {}};
  JobDoc big2{.id = "big-2", .isolated = true, .peers = {}, .peers6 = {}, .vpc = {}};
  const std::size_t room = kMaxPeersTotal - have;
  for (std::size_t i = 0; i < room; ++i)
    (i % 2 ? big1 : big2).peers.push_back(Ipv4Addr{0x0B000001u + static_cast<uint32_t>(i)});
  d.jobs.push_back(big1);
  d.jobs.push_back(big2);
  auto r = validate(d);
  EXPECT_TRUE(r) << r.error().message;
  d.jobs.back().peers6.push_back(*parse_ipv6("fd00:99::1"));
  EXPECT_EQ(error_of(d), "jobs: " + std::to_string(kMaxPeersTotal + 1) +
                             " peers in all jobs, more than the limit of 1000000");
}

TEST(Validate, JobAndVnicCountLimits) {
  PolicyDoc d = test::standard_policy();
  d.jobs.resize(kMaxJobs + 1);
  EXPECT_EQ(error_of(d), "jobs: 65537 jobs, more than the limit of 65536");
  d = test::standard_policy();
  d.vnics.resize(kMaxVnics + 1);
  EXPECT_EQ(error_of(d), "vnics: 65534 vNICs, more than the limit of 65533");
}

TEST(Validate, AgentIsOptional) {
  PolicyDoc d = test::standard_policy();
  d.host.agent.reset();
  EXPECT_TRUE(validate(d));
  d.host.gateway_ip.reset();
  EXPECT_TRUE(validate(d));
}

}  // namespace
}  // namespace isoswitch::ctl
