// JSON <-> PolicyDoc: round trip, defaults, and every rejection with its
// JSON path (docs/policy.md "Validation rules").
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "control/policy/compile.h"
#include "control/policy/policy_json.h"
#include "control/policy/validate.h"
#include "tests/support/test_policy.h"

namespace isoswitch::ctl {
namespace {

using nlohmann::json;
using ::testing::StartsWith;

// The example of docs/policy.md, in canonical form (IPv4 peers before IPv6).
const char* const kExample = R"({
  "version": 1,
  "host": {
    "gateway_mac": "02:fe:00:00:00:01",
    "gateway_ip": "169.254.1.1",
    "uplink": {"port": "uplink0", "mac": "02:00:00:00:aa:01", "ip": "192.0.2.10",
               "next_hop_mac": "02:00:00:00:aa:fe"},
    "agent":  {"port": "agent0", "mac": "02:00:00:00:cc:01", "service_ip": "192.0.2.11"}
  },
  "jobs": [
    {"id": "train-a", "isolated": true,
     "peers": ["10.1.0.11", "10.1.0.12", "10.1.1.21", "fd00:1::11"],
     "vpc": {"vlan": 101, "gateway_mac": "02:00:00:00:bb:fe", "agent_ip": "172.31.5.10",
             "prefixes": ["52.216.0.0/15", "3.5.0.0/16"]}},
    {"id": "infer-b", "isolated": false, "peers": ["10.2.0.5"]}
  ],
  "vnics": [
    {"id": "a-0", "port": "vnic0", "mac": "02:00:00:01:00:11", "ip": "10.1.0.11",
     "ipv6": "fd00:1::11", "job": "train-a"},
    {"id": "a-1", "port": "vnic1", "mac": "02:00:00:01:00:12", "ip": "10.1.0.12", "job": "train-a"},
    {"id": "b-0", "port": "vnic2", "mac": "02:00:00:02:00:05", "ip": "10.2.0.5",  "job": "infer-b"}
  ]
})";

json example() {
  return json::parse(kExample);
}

Ipv4Addr ip4(const char* s) {
  return *parse_ipv4(s);
}
Ipv6Addr ip6(const char* s) {
  return *parse_ipv6(s);
}
MacAddr mac(const char* s) {
  return *parse_mac(s);
}

TEST(PolicyJson, ParsesTheExampleIntoTheModel) {
  auto doc = parse_policy(kExample);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->version, 1);
  EXPECT_EQ(doc->host.gateway_mac, mac("02:fe:00:00:00:01"));
  EXPECT_EQ(doc->host.gateway_ip, ip4("169.254.1.1"));
  EXPECT_EQ(doc->host.uplink.port, "uplink0");
  EXPECT_EQ(doc->host.uplink.mac, mac("02:00:00:00:aa:01"));
  EXPECT_EQ(doc->host.uplink.ip, ip4("192.0.2.10"));
  EXPECT_EQ(doc->host.uplink.next_hop_mac, mac("02:00:00:00:aa:fe"));
  ASSERT_TRUE(doc->host.agent);
  EXPECT_EQ(doc->host.agent->port, "agent0");
  EXPECT_EQ(doc->host.agent->service_ip, ip4("192.0.2.11"));
  ASSERT_EQ(doc->jobs.size(), 2u);
  const JobDoc& a = doc->jobs[0];
  EXPECT_EQ(a.id, "train-a");
  EXPECT_TRUE(a.isolated);
  EXPECT_EQ(a.peers, (std::vector<Ipv4Addr>{ip4("10.1.0.11"), ip4("10.1.0.12"), ip4("10.1.1.21")}));
  EXPECT_EQ(a.peers6, (std::vector<Ipv6Addr>{ip6("fd00:1::11")}));
  ASSERT_TRUE(a.vpc);
  EXPECT_EQ(a.vpc->vlan, 101);
  EXPECT_EQ(a.vpc->gateway_mac, mac("02:00:00:00:bb:fe"));
  EXPECT_EQ(a.vpc->agent_ip, ip4("172.31.5.10"));
  ASSERT_EQ(a.vpc->prefixes.size(), 2u);
  EXPECT_EQ(a.vpc->prefixes[0], *parse_ipv4_prefix("52.216.0.0/15"));
  EXPECT_EQ(a.vpc->prefixes[1], *parse_ipv4_prefix("3.5.0.0/16"));
  EXPECT_FALSE(doc->jobs[1].isolated);
  EXPECT_FALSE(doc->jobs[1].vpc);
  ASSERT_EQ(doc->vnics.size(), 3u);
  EXPECT_EQ(doc->vnics[0].ipv6, ip6("fd00:1::11"));
  EXPECT_FALSE(doc->vnics[1].ipv6);
  EXPECT_EQ(doc->vnics[2].job, "infer-b");
  EXPECT_EQ(doc->vnics[2].port, "vnic2");
}

TEST(PolicyJson, CanonicalJsonRoundTripsExactly) {
  auto doc = policy_from_json(example());
  ASSERT_TRUE(doc) << doc.error().message;
  json out = policy_to_json(*doc);
  EXPECT_EQ(out, example()) << out.dump(2);
  auto again = policy_from_json(out);
  ASSERT_TRUE(again) << again.error().message;
  EXPECT_EQ(policy_to_json(*again), out);
  // And through text.
  auto from_text = parse_policy(out.dump());
  ASSERT_TRUE(from_text);
  EXPECT_EQ(policy_to_json(*from_text), out);
}

TEST(PolicyJson, OutputIsCanonical) {
  json j = example();
  j["host"]["gateway_mac"] = "02:FE:00:00:00:01";
  j["jobs"][0]["peers"] = {"fd00:1:0:0::11", "10.1.0.11", "10.1.0.12", "10.1.1.21"};
  j["vnics"][0]["ipv6"] = "FD00:1::11";
  j["jobs"][1].erase("isolated");
  j["jobs"][1]["isolated"] = true;  // spelt out in output even when defaulted
  auto doc = policy_from_json(j);
  ASSERT_TRUE(doc) << doc.error().message;
  json out = policy_to_json(*doc);
  EXPECT_EQ(out["host"]["gateway_mac"], "02:fe:00:00:00:01");
  EXPECT_EQ(out["jobs"][0]["peers"], json({"10.1.0.11", "10.1.0.12", "10.1.1.21", "fd00:1::11"}));
  EXPECT_EQ(out["vnics"][0]["ipv6"], "fd00:1::11");
  EXPECT_EQ(out["jobs"][1]["isolated"], true);
}

TEST(PolicyJson, OptionalFieldsDefault) {
  json j = example();
  j["host"].erase("gateway_ip");
  j["host"].erase("agent");
  j["jobs"][0].erase("vpc");
  j["jobs"][0].erase("isolated");
  j["jobs"][1].erase("isolated");
  j["vnics"][0].erase("ipv6");
  auto doc = policy_from_json(j);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_FALSE(doc->host.gateway_ip);
  EXPECT_FALSE(doc->host.agent);
  EXPECT_FALSE(doc->jobs[0].vpc);
  EXPECT_TRUE(doc->jobs[0].isolated) << "isolation is the default";
  EXPECT_TRUE(doc->jobs[1].isolated) << "isolation is the default";
  EXPECT_FALSE(doc->vnics[0].ipv6);
  json out = policy_to_json(*doc);
  EXPECT_FALSE(out["host"].contains("gateway_ip"));
  EXPECT_FALSE(out["host"].contains("agent"));
  EXPECT_FALSE(out["jobs"][0].contains("vpc"));
  EXPECT_FALSE(out["vnics"][0].contains("ipv6"));
  auto again = policy_from_json(out);
  ASSERT_TRUE(again);
  EXPECT_EQ(policy_to_json(*again), out);
}

TEST(PolicyJson, EmptyJobsAndVnicsAreAValidPolicy) {
  json j = example();
  j["jobs"] = json::array();
  j["vnics"] = json::array();
  auto doc = policy_from_json(j);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_TRUE(doc->jobs.empty());
  EXPECT_EQ(policy_to_json(*doc), j);
}

TEST(PolicyJson, StandardPolicyTextMatchesStandardPolicyModel) {
  // The test-support fixture exists twice (C++ and text): they must agree.
  auto doc = parse_policy(test::standard_policy_json());
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(policy_to_json(*doc), policy_to_json(test::standard_policy()));
  EXPECT_TRUE(validate(test::standard_policy()));
}

TEST(PolicyJson, JobAndVnicObjectsRoundTrip) {
  json j = example();
  auto job = job_from_json(j["jobs"][0], "job");
  ASSERT_TRUE(job) << job.error().message;
  EXPECT_EQ(job_to_json(*job), j["jobs"][0]);
  auto v = vnic_from_json(j["vnics"][0], "vnic");
  ASSERT_TRUE(v) << v.error().message;
  EXPECT_EQ(vnic_to_json(*v), j["vnics"][0]);
}

TEST(PolicyJson, JobAndVnicErrorsUseTheCallersPath) {
  json job = {{"id", "x"}, {"peers", {"10.0.0.1"}}, {"isolatd", false}};
  auto r = job_from_json(job, "params.job");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "params.job.isolatd: unknown field");
  json v = {
      {"id", "v"}, {"port", "p"}, {"mac", "02:00:00:00:00:01"}, {"ip", "10.0.0.01"}, {"job", "x"}};
  auto rv = vnic_from_json(v, "vnic");
  ASSERT_FALSE(rv);
  EXPECT_THAT(rv.error().message, StartsWith("vnic.ip: \"10.0.0.01\" is not an IPv4 address"));
  // Syntax only: an unknown job is not these functions' business.
  v["ip"] = "10.0.0.1";
  EXPECT_TRUE(vnic_from_json(v, "vnic"));
  auto rj = job_from_json(json::array(), "job");
  ASSERT_FALSE(rj);
  EXPECT_EQ(rj.error().message, "job: expected an object, got array");
}

// ---- rejections ---------------------------------------------------------

struct Reject {
  const char* name;
  std::function<void(json&)> mutate;
  const char* message;  // the exact start of the error message (path + reason)
};

void PrintTo(const Reject& r, std::ostream* os) {
  *os << r.name;
}

class PolicyReject : public ::testing::TestWithParam<Reject> {};

TEST_P(PolicyReject, WholeDocumentIsRejectedWithPathAndReason) {
  json j = example();
  GetParam().mutate(j);
  auto doc = policy_from_json(j);
  ASSERT_FALSE(doc) << "accepted: " << j.dump();
  EXPECT_EQ(doc.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(doc.error().message, StartsWith(GetParam().message));
  // The same through text.
  auto doc2 = parse_policy(j.dump());
  ASSERT_FALSE(doc2);
  EXPECT_EQ(doc2.error().message, doc.error().message);
}

const Reject kRejects[] = {
    // Shape and types.
    {"version_missing", [](json& j) { j.erase("version"); }, "version: missing"},
    {"version_2", [](json& j) { j["version"] = 2; }, "version: 2 is not supported (expected 1)"},
    {"version_string", [](json& j) { j["version"] = "1"; },
     "version: expected an integer, got string"},
    {"version_float", [](json& j) { j["version"] = 1.0; }, "version: expected an integer"},
    {"host_missing", [](json& j) { j.erase("host"); }, "host: missing"},
    {"host_array", [](json& j) { j["host"] = json::array(); },
     "host: expected an object, got array"},
    {"jobs_missing", [](json& j) { j.erase("jobs"); }, "jobs: missing"},
    {"vnics_missing", [](json& j) { j.erase("vnics"); }, "vnics: missing"},
    {"jobs_object", [](json& j) { j["jobs"] = json::object(); },
     "jobs: expected an array, got object"},
    {"jobs_null", [](json& j) { j["jobs"] = nullptr; }, "jobs: expected an array, got null"},
    {"job_not_object", [](json& j) { j["jobs"][1] = "infer-b"; },
     "jobs[1]: expected an object, got string"},
    {"isolated_string", [](json& j) { j["jobs"][0]["isolated"] = "yes"; },
     "jobs[0].isolated: expected a boolean, got string"},
    {"isolated_number", [](json& j) { j["jobs"][0]["isolated"] = 0; },
     "jobs[0].isolated: expected a boolean, got number"},
    {"peers_missing", [](json& j) { j["jobs"][1].erase("peers"); }, "jobs[1].peers: missing"},
    {"peers_string", [](json& j) { j["jobs"][1]["peers"] = "10.2.0.5"; },
     "jobs[1].peers: expected an array, got string"},
    {"peer_number", [](json& j) { j["jobs"][1]["peers"][0] = 167903237; },
     "jobs[1].peers[0]: expected a string, got number"},
    {"id_number", [](json& j) { j["jobs"][1]["id"] = 7; },
     "jobs[1].id: expected a string, got number"},
    {"uplink_mac_number", [](json& j) { j["host"]["uplink"]["mac"] = 5; },
     "host.uplink.mac: expected a string, got number"},
    {"next_hop_missing", [](json& j) { j["host"]["uplink"].erase("next_hop_mac"); },
     "host.uplink.next_hop_mac: missing"},
    {"uplink_missing", [](json& j) { j["host"].erase("uplink"); }, "host.uplink: missing"},
    {"agent_service_ip_missing", [](json& j) { j["host"]["agent"].erase("service_ip"); },
     "host.agent.service_ip: missing"},
    {"gateway_ip_null", [](json& j) { j["host"]["gateway_ip"] = nullptr; },
     "host.gateway_ip: expected a string, got null"},
    {"vpc_prefixes_missing", [](json& j) { j["jobs"][0]["vpc"].erase("prefixes"); },
     "jobs[0].vpc.prefixes: missing"},
    {"vpc_vlan_string", [](json& j) { j["jobs"][0]["vpc"]["vlan"] = "101"; },
     "jobs[0].vpc.vlan: expected an integer, got string"},
    {"vpc_vlan_float", [](json& j) { j["jobs"][0]["vpc"]["vlan"] = 101.5; },
     "jobs[0].vpc.vlan: expected an integer, got a non-integer number"},
    {"vnic_job_missing", [](json& j) { j["vnics"][1].erase("job"); }, "vnics[1].job: missing"},
    {"vnic_ip_number", [](json& j) { j["vnics"][0]["ip"] = 10; },
     "vnics[0].ip: expected a string, got number"},
    // Unknown fields at every level.
    {"unknown_root", [](json& j) { j["comment"] = "x"; }, "comment: unknown field"},
    {"unknown_host", [](json& j) { j["host"]["gateway"] = "x"; }, "host.gateway: unknown field"},
    {"unknown_uplink", [](json& j) { j["host"]["uplink"]["vlan"] = 5; },
     "host.uplink.vlan: unknown field"},
    {"unknown_agent", [](json& j) { j["host"]["agent"]["ip"] = "1.2.3.4"; },
     "host.agent.ip: unknown field"},
    {"unknown_job", [](json& j) { j["jobs"][1]["isolatd"] = false; },
     "jobs[1].isolatd: unknown field"},
    {"unknown_vpc", [](json& j) { j["jobs"][0]["vpc"]["prefix"] = json::array(); },
     "jobs[0].vpc.prefix: unknown field"},
    {"unknown_vnic", [](json& j) { j["vnics"][2]["ipv4"] = "10.2.0.5"; },
     "vnics[2].ipv4: unknown field"},
    // Address syntax.
    {"mac_short", [](json& j) { j["host"]["gateway_mac"] = "02:fe:00:00:00"; },
     "host.gateway_mac: \"02:fe:00:00:00\" is not a MAC address"},
    {"mac_dashes", [](json& j) { j["vnics"][0]["mac"] = "02-00-00-01-00-11"; },
     "vnics[0].mac: \"02-00-00-01-00-11\" is not a MAC address"},
    {"mac_multicast", [](json& j) { j["vnics"][0]["mac"] = "03:00:00:01:00:11"; },
     "vnics[0].mac: 03:00:00:01:00:11 is a multicast/broadcast MAC"},
    {"mac_broadcast", [](json& j) { j["host"]["gateway_mac"] = "ff:ff:ff:ff:ff:ff"; },
     "host.gateway_mac: ff:ff:ff:ff:ff:ff is a multicast/broadcast MAC"},
    {"mac_zero", [](json& j) { j["host"]["uplink"]["next_hop_mac"] = "00:00:00:00:00:00"; },
     "host.uplink.next_hop_mac: 00:00:00:00:00:00 is the all-zero MAC"},
    {"agent_mac_multicast", [](json& j) { j["host"]["agent"]["mac"] = "01:00:5e:00:00:01"; },
     "host.agent.mac: 01:00:5e:00:00:01 is a multicast/broadcast MAC"},
    {"vpc_gw_mac_zero", [](json& j) { j["jobs"][0]["vpc"]["gateway_mac"] = "00:00:00:00:00:00"; },
     "jobs[0].vpc.gateway_mac: 00:00:00:00:00:00 is the all-zero MAC"},
    {"ipv4_leading_zero", [](json& j) { j["host"]["uplink"]["ip"] = "192.0.2.010"; },
     "host.uplink.ip: \"192.0.2.010\" is not an IPv4 address"},
    {"ipv4_short", [](json& j) { j["host"]["agent"]["service_ip"] = "192.0.2"; },
     "host.agent.service_ip: \"192.0.2\" is not an IPv4 address"},
    {"peer_garbage", [](json& j) { j["jobs"][0]["peers"][2] = "10.1.1"; },
     "jobs[0].peers[2]: \"10.1.1\" is not an IPv4 or IPv6 address"},
    {"peer_cidr", [](json& j) { j["jobs"][0]["peers"][2] = "10.1.1.0/24"; },
     "jobs[0].peers[2]: \"10.1.1.0/24\" is not an IPv4 or IPv6 address"},
    {"ipv6_bad", [](json& j) { j["vnics"][0]["ipv6"] = "fd00::1::11"; },
     "vnics[0].ipv6: \"fd00::1::11\" is not an IPv6 address"},
    {"cidr_host_bits", [](json& j) { j["jobs"][0]["vpc"]["prefixes"][1] = "3.5.0.1/16"; },
     "jobs[0].vpc.prefixes[1]: \"3.5.0.1/16\" is not an IPv4 prefix"},
    {"cidr_no_len", [](json& j) { j["jobs"][0]["vpc"]["prefixes"][0] = "52.216.0.0"; },
     "jobs[0].vpc.prefixes[0]: \"52.216.0.0\" is not an IPv4 prefix"},
    {"cidr_len_33", [](json& j) { j["jobs"][0]["vpc"]["prefixes"][0] = "52.216.0.0/33"; },
     "jobs[0].vpc.prefixes[0]: \"52.216.0.0/33\" is not an IPv4 prefix"},
    // Identity and uniqueness.
    {"dup_job_id", [](json& j) { j["jobs"][1]["id"] = "train-a"; },
     "jobs[1].id: duplicate job id \"train-a\" (also jobs[0])"},
    {"dup_vnic_id", [](json& j) { j["vnics"][2]["id"] = "a-0"; },
     "vnics[2].id: duplicate vNIC id \"a-0\" (also vnics[0])"},
    {"empty_job_id", [](json& j) { j["jobs"][1]["id"] = ""; }, "jobs[1].id: must not be empty"},
    {"empty_vnic_id", [](json& j) { j["vnics"][1]["id"] = ""; }, "vnics[1].id: must not be empty"},
    {"empty_uplink_port", [](json& j) { j["host"]["uplink"]["port"] = ""; },
     "host.uplink.port: must not be empty"},
    {"empty_agent_port", [](json& j) { j["host"]["agent"]["port"] = ""; },
     "host.agent.port: must not be empty"},
    {"empty_vnic_port", [](json& j) { j["vnics"][2]["port"] = ""; },
     "vnics[2].port: must not be empty"},
    {"control_char_id", [](json& j) { j["vnics"][2]["id"] = "b\n0"; },
     "vnics[2].id: must be UTF-8 without control characters"},
    {"long_id", [](json& j) { j["jobs"][1]["id"] = std::string(256, 'x'); },
     "jobs[1].id: longer than 255 bytes"},
    {"vnic_unknown_job", [](json& j) { j["vnics"][2]["job"] = "x"; },
     "vnics[2].job: unknown job \"x\""},
    {"vnic_dup_mac", [](json& j) { j["vnics"][2]["mac"] = "02:00:00:01:00:11"; },
     "vnics[2].mac: duplicate MAC 02:00:00:01:00:11 (also vnics[0])"},
    {"vnic_dup_ip", [](json& j) { j["vnics"][1]["ip"] = "10.1.0.11"; },
     "vnics[1].ip: duplicate IPv4 10.1.0.11 (also vnics[0])"},
    {"vnic_dup_ipv6", [](json& j) { j["vnics"][1]["ipv6"] = "fd00:1::11"; },
     "vnics[1].ipv6: duplicate IPv6 fd00:1::11 (also vnics[0])"},
    {"vnic_mac_is_gateway", [](json& j) { j["vnics"][1]["mac"] = "02:fe:00:00:00:01"; },
     "vnics[1].mac: 02:fe:00:00:00:01 is host.gateway_mac"},
    {"vnic_mac_is_uplink", [](json& j) { j["vnics"][1]["mac"] = "02:00:00:00:aa:01"; },
     "vnics[1].mac: 02:00:00:00:aa:01 is host.uplink.mac"},
    {"vnic_mac_is_agent", [](json& j) { j["vnics"][1]["mac"] = "02:00:00:00:cc:01"; },
     "vnics[1].mac: 02:00:00:00:cc:01 is host.agent.mac"},
    {"agent_mac_is_gateway", [](json& j) { j["host"]["agent"]["mac"] = "02:fe:00:00:00:01"; },
     "host.agent.mac: 02:fe:00:00:00:01 is also host.gateway_mac"},
    {"vnic_ip_not_peer", [](json& j) { j["jobs"][0]["peers"].erase(1); },
     "vnics[1].ip: 10.1.0.12 is not in the peers of job \"train-a\""},
    {"vnic_ip_other_jobs_peer", [](json& j) { j["vnics"][2]["job"] = "train-a"; },
     "vnics[2].ip: 10.2.0.5 is not in the peers of job \"train-a\""},
    {"vnic_ipv6_not_peer", [](json& j) { j["vnics"][1]["ipv6"] = "fd00:1::12"; },
     "vnics[1].ipv6: fd00:1::12 is not in the peers of job \"train-a\""},
    {"peer_in_two_jobs", [](json& j) { j["jobs"][1]["peers"].push_back("10.1.1.21"); },
     "jobs[1].peers: 10.1.1.21 is also a peer of job \"train-a\" (jobs[0])"},
    {"peer6_in_two_jobs", [](json& j) { j["jobs"][1]["peers"].push_back("fd00:1::11"); },
     "jobs[1].peers: fd00:1::11 is also a peer of job \"train-a\" (jobs[0])"},
    {"peer_twice_in_job", [](json& j) { j["jobs"][1]["peers"].push_back("10.2.0.5"); },
     "jobs[1].peers: 10.2.0.5 is listed twice"},
    {"peer_metadata", [](json& j) { j["jobs"][0]["peers"].push_back("169.254.169.254"); },
     "jobs[0].peers: 169.254.169.254 cannot be a container address (link-local"},
    {"peer_multicast", [](json& j) { j["jobs"][0]["peers"].push_back("224.0.0.1"); },
     "jobs[0].peers: 224.0.0.1 cannot be a container address (multicast)"},
    {"peer_broadcast", [](json& j) { j["jobs"][0]["peers"].push_back("255.255.255.255"); },
     "jobs[0].peers: 255.255.255.255 cannot be a container address (reserved/broadcast"},
    {"peer_loopback", [](json& j) { j["jobs"][0]["peers"].push_back("127.0.0.1"); },
     "jobs[0].peers: 127.0.0.1 cannot be a container address (loopback)"},
    {"peer_zero", [](json& j) { j["jobs"][0]["peers"].push_back("0.0.0.0"); },
     "jobs[0].peers: 0.0.0.0 cannot be a container address (in 0.0.0.0/8)"},
    {"peer6_link_local", [](json& j) { j["jobs"][0]["peers"].push_back("fe80::1"); },
     "jobs[0].peers: fe80::1 cannot be a container address (link-local"},
    {"peer6_multicast", [](json& j) { j["jobs"][0]["peers"].push_back("ff02::1"); },
     "jobs[0].peers: ff02::1 cannot be a container address (multicast)"},
    {"peer6_unspecified", [](json& j) { j["jobs"][0]["peers"].push_back("::"); },
     "jobs[0].peers: :: cannot be a container address (the unspecified address)"},
    {"peer6_ipv4_mapped", [](json& j) { j["jobs"][0]["peers"].push_back("::ffff:8.8.8.8"); },
     "jobs[0].peers: ::ffff:8.8.8.8 cannot be a container address (IPv4-mapped"},
    // Ports.
    {"vnic_port_is_uplink", [](json& j) { j["vnics"][1]["port"] = "uplink0"; },
     "vnics[1].port: port \"uplink0\" is already used by host.uplink.port"},
    {"vnic_port_is_agent", [](json& j) { j["vnics"][1]["port"] = "agent0"; },
     "vnics[1].port: port \"agent0\" is already used by host.agent.port"},
    {"agent_port_is_uplink", [](json& j) { j["host"]["agent"]["port"] = "uplink0"; },
     "host.agent.port: port \"uplink0\" is already used by host.uplink.port"},
    {"two_vnics_one_port", [](json& j) { j["vnics"][2]["port"] = "vnic0"; },
     "vnics[2].port: port \"vnic0\" is already used by vnics[0].port"},
    // VPC.
    {"vlan_5000", [](json& j) { j["jobs"][0]["vpc"]["vlan"] = 5000; },
     "jobs[0].vpc.vlan: 5000 is outside 1..4094"},
    {"vlan_0", [](json& j) { j["jobs"][0]["vpc"]["vlan"] = 0; },
     "jobs[0].vpc.vlan: 0 is outside 1..4094"},
    {"vlan_4095", [](json& j) { j["jobs"][0]["vpc"]["vlan"] = 4095; },
     "jobs[0].vpc.vlan: 4095 is outside 1..4094"},
    {"vlan_negative", [](json& j) { j["jobs"][0]["vpc"]["vlan"] = -1; },
     "jobs[0].vpc.vlan: -1 is outside 1..4094"},
    {"vlan_huge", [](json& j) { j["jobs"][0]["vpc"]["vlan"] = 18446744073709551615ull; },
     "jobs[0].vpc.vlan: 18446744073709551615 is outside 1..4094"},
    {"vlan_shared",
     [](json& j) {
       j["jobs"][1]["vpc"] = {{"vlan", 101},
                              {"gateway_mac", "02:00:00:00:bb:fd"},
                              {"agent_ip", "172.31.6.10"},
                              {"prefixes", json::array()}};
     },
     "jobs[1].vpc.vlan: VLAN 101 is already the VPC VLAN of jobs[0]"},
    {"agent_ip_shared",
     [](json& j) {
       j["jobs"][1]["vpc"] = {{"vlan", 102},
                              {"gateway_mac", "02:00:00:00:bb:fd"},
                              {"agent_ip", "172.31.5.10"},
                              {"prefixes", json::array()}};
     },
     "jobs[1].vpc.agent_ip: 172.31.5.10 is already used by jobs[0].vpc.agent_ip"},
    {"prefix_covers_own_peer",
     [](json& j) { j["jobs"][0]["vpc"]["prefixes"].push_back("10.1.0.0/24"); },
     "jobs[0].vpc.prefixes[2]: 10.1.0.0/24 contains container address 10.1.0.11: would route to a "
     "container"},
    {"prefix_covers_other_jobs_peer",
     [](json& j) { j["jobs"][0]["vpc"]["prefixes"].push_back("10.2.0.5/32"); },
     "jobs[0].vpc.prefixes[2]: 10.2.0.5/32 contains container address 10.2.0.5: would route"},
    {"prefix_default_route", [](json& j) { j["jobs"][0]["vpc"]["prefixes"][0] = "0.0.0.0/0"; },
     "jobs[0].vpc.prefixes[0]: 0.0.0.0/0 contains container address"},
    // Host/agent addresses vs containers and each other.
    {"service_ip_is_container", [](json& j) { j["host"]["agent"]["service_ip"] = "10.2.0.5"; },
     "host.agent.service_ip: 10.2.0.5 is a container address (a peer of job \"infer-b\")"},
    {"vpc_agent_ip_is_container", [](json& j) { j["jobs"][0]["vpc"]["agent_ip"] = "10.1.1.21"; },
     "jobs[0].vpc.agent_ip: 10.1.1.21 is a container address (a peer of job \"train-a\")"},
    {"uplink_ip_is_container", [](json& j) { j["host"]["uplink"]["ip"] = "10.1.0.12"; },
     "host.uplink.ip: 10.1.0.12 is a container address"},
    {"gateway_ip_is_container", [](json& j) { j["host"]["gateway_ip"] = "10.1.0.12"; },
     "host.gateway_ip: 10.1.0.12 is a container address"},
    {"service_ip_is_uplink_ip", [](json& j) { j["host"]["agent"]["service_ip"] = "192.0.2.10"; },
     "host.agent.service_ip: 192.0.2.10 is already used by host.uplink.ip"},
    {"vpc_agent_ip_is_service_ip", [](json& j) { j["jobs"][0]["vpc"]["agent_ip"] = "192.0.2.11"; },
     "jobs[0].vpc.agent_ip: 192.0.2.11 is already used by host.agent.service_ip"},
    {"gateway_ip_zero", [](json& j) { j["host"]["gateway_ip"] = "0.0.0.0"; },
     "host.gateway_ip: 0.0.0.0 is not usable (in 0.0.0.0/8)"},
    {"uplink_ip_multicast", [](json& j) { j["host"]["uplink"]["ip"] = "239.1.1.1"; },
     "host.uplink.ip: 239.1.1.1 is not usable (multicast)"},
    {"service_ip_metadata", [](json& j) { j["host"]["agent"]["service_ip"] = "169.254.169.254"; },
     "host.agent.service_ip: 169.254.169.254 is not usable (the metadata endpoint)"},
    // Limits.
    {"too_many_prefixes",
     [](json& j) {
       json p = json::array();
       for (uint32_t i = 0; i <= kMaxVpcPrefixesPerJob; ++i)
         p.push_back("100." + std::to_string(64 + i / 256 % 64) + "." + std::to_string(i % 256) +
                     ".0/24");
       j["jobs"][0]["vpc"]["prefixes"] = p;
     },
     "jobs[0].vpc.prefixes: 4097 prefixes, more than the limit of 4096"},
};

INSTANTIATE_TEST_SUITE_P(Rules, PolicyReject, ::testing::ValuesIn(kRejects),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(PolicyJson, ExactlyTheLimitOfPrefixesIsAccepted) {
  json j = example();
  json p = json::array();
  for (uint32_t i = 0; i < kMaxVpcPrefixesPerJob; ++i)
    p.push_back("100." + std::to_string(64 + i / 256) + "." + std::to_string(i % 256) + ".0/24");
  j["jobs"][0]["vpc"]["prefixes"] = p;
  auto doc = policy_from_json(j);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->jobs[0].vpc->prefixes.size(), kMaxVpcPrefixesPerJob);
}

// ---- hostile text ---------------------------------------------------------

TEST(PolicyText, NonObjectDocumentsAreRejected) {
  for (const char* text : {"[]", "1", "\"policy\"", "null", "true"}) {
    auto r = parse_policy(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, StartsWith("document: expected an object, got ")) << text;
  }
}

TEST(PolicyText, SyntaxErrorsAreErrorsNotExceptions) {
  for (const char* text :
       {"", "{", "{\"version\": 1,}", "{\"version\": 1} trailing", "{\"version\": 1 /* comment */}",
        "{'version': 1}", "{\"a\": 1e99999}"}) {
    auto r = parse_policy(text);
    ASSERT_FALSE(r) << text;
    EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
    EXPECT_THAT(r.error().message, StartsWith("document: ")) << text;
  }
}

TEST(PolicyText, NestingBombIsRefusedBeforeParsing) {
  const std::size_t depth = 1'000'000;
  std::string arrays(depth, '[');
  arrays.append(depth, ']');
  auto r = parse_policy(arrays);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "document: nested deeper than 32 levels");

  // Inside a legitimate field, as objects, and unterminated.
  std::string objects = R"({"version": 1, "jobs": )";
  for (std::size_t i = 0; i < depth; ++i) objects += R"({"a":)";
  auto r2 = parse_policy(objects);
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().message, "document: nested deeper than 32 levels");
}

TEST(PolicyText, DepthScanCountsOnlyStructuralBrackets) {
  std::string at_limit(kMaxJsonDepth, '[');
  at_limit.append(kMaxJsonDepth, ']');
  EXPECT_TRUE(check_json_depth(at_limit));
  std::string over(kMaxJsonDepth + 1, '[');
  over.append(kMaxJsonDepth + 1, ']');
  EXPECT_FALSE(check_json_depth(over));
  // Brackets inside strings (and escaped quotes) are data, not nesting.
  std::string in_string =
      "{\"id\": \"" + std::string(1000, '[') + "\\\"" + std::string(1000, '{') + "\"}";
  EXPECT_TRUE(check_json_depth(in_string));
  // Closing first cannot buy depth credit.
  EXPECT_FALSE(check_json_depth("]]]]" + std::string(40, '[')));
  // A document with a bracket-y id still parses; the id itself is then judged.
  json j = example();
  j["jobs"][1]["id"] = "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[";
  j["vnics"][2]["job"] = j["jobs"][1]["id"];
  EXPECT_TRUE(parse_policy(j.dump()));
}

TEST(PolicyText, InvalidUtf8IsRejected) {
  std::string text = kExample;
  std::string bad_id = "\"train-\xff\xfe\"";
  text.replace(text.find("\"train-a\""), 9, bad_id);
  auto r = parse_policy(text);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_THAT(r.error().message, StartsWith("document: not valid JSON"));
  // Overlong encoding of '/' and a lone surrogate escape.
  EXPECT_FALSE(parse_policy(std::string(R"({"version": 1, "x": ")") + "\xc0\xaf" + "\"}"));
  EXPECT_FALSE(parse_policy(R"({"version": 1, "x": "\ud800"})"));
}

TEST(PolicyText, DuplicateKeysAreRejected) {
  // nlohmann would keep the last value: a reviewer reading the first would be misled.
  std::string text = kExample;
  text.replace(text.find("\"isolated\": false"), 17, "\"isolated\": true, \"isolated\": false");
  auto r = parse_policy(text);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "document: duplicate key \"isolated\"");
  // Equal keys in *different* objects are fine (every job has an "id").
  EXPECT_TRUE(parse_policy(kExample));
}

TEST(PolicyText, NulInsideAStringIsNotTruncated) {
  json j = example();
  j["vnics"][0]["ipv6"] = std::string("fd00:1::11\0junk", 15);
  auto r = parse_policy(j.dump());
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().message, StartsWith("vnics[0].ipv6: "));
  j = example();
  j["vnics"][0]["id"] = std::string("a-0\0x", 5);
  auto r2 = parse_policy(j.dump());
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().message, "vnics[0].id: must be UTF-8 without control characters");
}

// Deterministic byte-level mutations of a valid document: the parser may
// accept or refuse each one, but must never throw or crash, and whatever it
// accepts must be a policy that round-trips and compiles.
TEST(PolicyText, MutatedDocumentsNeverThrowAndAcceptedOnesAreSound) {
  std::mt19937 rng(20261128);
  const std::string base = example().dump();
  const char alphabet[] = "{}[]\":,0123456789abcdef.-/ \\nxtru\xff\x80";
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::string text = base;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t pos = rng() % text.size();
      char c = alphabet[rng() % (sizeof alphabet - 1)];
      switch (rng() % 3) {
        case 0:
          text[pos] = c;
          break;
        case 1:
          text.insert(pos, 1, c);
          break;
        default:
          text.erase(pos, 1 + rng() % 8);
          break;
      }
      if (text.empty()) text = "{";
    }
    Result<PolicyDoc> r = make_error(ErrorCode::kInternal, "not run");
    ASSERT_NO_THROW(r = parse_policy(text)) << text;
    if (!r) {
      EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument) << text;
      continue;
    }
    ++accepted;
    json out;
    ASSERT_NO_THROW(out = policy_to_json(*r));
    ASSERT_NO_THROW((void)out.dump());
    auto again = policy_from_json(out);
    ASSERT_TRUE(again) << again.error().message;
    EXPECT_EQ(policy_to_json(*again), out);
    EXPECT_TRUE(compile(*r, port_table_from_policy(*r), {})) << text;
  }
  EXPECT_GT(accepted, 0) << "some mutations (inside values) should stay valid";
}

}  // namespace
}  // namespace isoswitch::ctl
