// Single-object edits: placement, error codes, and that they leave judging
// the result to validate().
#include <string>

#include <gtest/gtest.h>

#include "control/policy/edit.h"
#include "control/policy/policy_json.h"
#include "control/policy/validate.h"
#include "tests/support/test_policy.h"

namespace isoswitch::ctl {
namespace {

JobDoc job(const char* id, const char* peer) {
  JobDoc j;
  j.id = id;
  j.peers.push_back(*parse_ipv4(peer));
  return j;
}

VnicDoc vnic(const char* id, const char* port, const char* mac, const char* ip, const char* job) {
  return VnicDoc{.id = id,
                 .port = port,
                 .mac = *parse_mac(mac),
                 .ip = *parse_ipv4(ip),
                 .ipv6 = {},
                 .job = job};
}

TEST(EditJob, UpsertAppendsNewJobs) {
  PolicyDoc d = test::standard_policy();
  const std::size_t n = d.jobs.size();
  ASSERT_TRUE(upsert_job(d, job("new", "10.9.0.1")));
  ASSERT_EQ(d.jobs.size(), n + 1);
  EXPECT_EQ(d.jobs.back().id, "new");
  EXPECT_TRUE(validate(d));
}

TEST(EditJob, UpsertReplacesInPlaceKeepingOtherIndices) {
  PolicyDoc d = test::standard_policy();
  const std::string first = d.jobs[0].id, last = d.jobs.back().id;
  JobDoc c = *d.find_job("train-c");
  const std::size_t pos = static_cast<std::size_t>(d.find_job("train-c") - d.jobs.data());
  c.isolated = false;
  c.peers.push_back(*parse_ipv4("10.3.2.2"));
  ASSERT_TRUE(upsert_job(d, c));
  EXPECT_EQ(d.jobs.size(), test::standard_policy().jobs.size());
  EXPECT_EQ(d.jobs[pos].id, "train-c");
  EXPECT_FALSE(d.jobs[pos].isolated);
  EXPECT_EQ(d.jobs[pos].peers.size(), 3u);
  EXPECT_EQ(d.jobs[0].id, first);
  EXPECT_EQ(d.jobs.back().id, last);
  EXPECT_TRUE(validate(d));
}

TEST(EditJob, EmptyIdIsRejected) {
  PolicyDoc d = test::standard_policy();
  auto r = upsert_job(d, JobDoc{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(d.jobs.size(), test::standard_policy().jobs.size());
}

TEST(EditJob, DeleteUnknownIsNotFound) {
  PolicyDoc d = test::standard_policy();
  auto r = delete_job(d, "nope");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
}

TEST(EditJob, DeleteJobWithVnicsIsConflictAndChangesNothing) {
  PolicyDoc d = test::standard_policy();
  auto r = delete_job(d, "train-c");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kConflict);
  EXPECT_NE(r.error().message.find("c-0"), std::string::npos) << r.error().message;
  EXPECT_EQ(policy_to_json(d), policy_to_json(test::standard_policy()));
}

TEST(EditJob, DeleteAfterItsVnicsSucceeds) {
  PolicyDoc d = test::standard_policy();
  ASSERT_TRUE(delete_vnic(d, "c-0"));
  ASSERT_TRUE(delete_job(d, "train-c"));
  EXPECT_EQ(d.find_job("train-c"), nullptr);
  EXPECT_EQ(d.find_vnic("c-0"), nullptr);
  EXPECT_TRUE(validate(d));
}

TEST(EditVnic, UpsertAppendsAndReplaces) {
  PolicyDoc d = test::standard_policy();
  const std::size_t n = d.vnics.size();
  // A second local container of train-c: first make it a peer, then add it.
  JobDoc c = *d.find_job("train-c");
  c.peers.push_back(*parse_ipv4("10.3.0.8"));
  ASSERT_TRUE(upsert_job(d, c));
  ASSERT_TRUE(upsert_vnic(d, vnic("c-1", "vnic9", "02:00:00:03:00:08", "10.3.0.8", "train-c")));
  ASSERT_EQ(d.vnics.size(), n + 1);
  EXPECT_EQ(d.vnics.back().id, "c-1");
  EXPECT_TRUE(validate(d));

  // Replace a-1 in place: new MAC, IPv6 dropped.
  const std::size_t pos = static_cast<std::size_t>(d.find_vnic("a-1") - d.vnics.data());
  VnicDoc a1 = *d.find_vnic("a-1");
  a1.mac = *parse_mac("02:00:00:01:00:99");
  a1.ipv6.reset();
  ASSERT_TRUE(upsert_vnic(d, a1));
  EXPECT_EQ(d.vnics.size(), n + 1);
  EXPECT_EQ(d.vnics[pos].mac, *parse_mac("02:00:00:01:00:99"));
  EXPECT_FALSE(d.vnics[pos].ipv6);
  EXPECT_TRUE(validate(d));
}

TEST(EditVnic, EditsDoNotValidateCallersDo) {
  PolicyDoc d = test::standard_policy();
  ASSERT_TRUE(upsert_vnic(d, vnic("x-0", "vnic9", "02:00:00:09:00:01", "10.9.0.1", "ghost")));
  auto r = validate(d);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "vnics[" + std::to_string(d.vnics.size() - 1) + "].job: unknown job \"ghost\"");
}

TEST(EditVnic, EmptyIdAndUnknownDelete) {
  PolicyDoc d = test::standard_policy();
  auto r = upsert_vnic(d, VnicDoc{});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  auto r2 = delete_vnic(d, "nope");
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().code, ErrorCode::kNotFound);
  EXPECT_EQ(d.vnics.size(), test::standard_policy().vnics.size());
}

TEST(EditVnic, DeleteKeepsOrderOfTheRest) {
  PolicyDoc d = test::standard_policy();
  std::vector<std::string> expect;
  for (const VnicDoc& v : d.vnics)
    if (v.id != "a-1") expect.push_back(v.id);
  ASSERT_TRUE(delete_vnic(d, "a-1"));
  std::vector<std::string> got;
  for (const VnicDoc& v : d.vnics) got.push_back(v.id);
  EXPECT_EQ(got, expect);
}

}  // namespace
}  // namespace isoswitch::ctl
