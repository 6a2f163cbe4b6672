// The control protocol, request line in -> reply line out, without sockets:
// every operation, every error, generations, transactions, stats mapping and
// persistence through PolicyStore.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "control/policy/policy_json.h"
#include "control/server/policy_store.h"
#include "control/server/request_handler.h"
#include "control/server/state_file.h"
#include "tests/control/server/fake_hooks.h"
#include "tests/control/server/temp_dir.h"
#include "tests/support/test_policy.h"

namespace isoswitch::ctl {
namespace {

using nlohmann::json;
using test::FakeHooks;

json policy_json() { return json::parse(test::standard_policy_json()); }

class ProtocolTest : public ::testing::Test {
 protected:
  explicit ProtocolTest(std::string state_file = "")
      : store_(hooks_, test::standard_ports(), 1500, std::move(state_file)), handler_(store_) {}

  json call(const std::string& line) {
    std::string reply = handler_.handle_request_line(line);
    EXPECT_EQ(reply.find('\n'), std::string::npos) << "a reply is one line";
    return json::parse(reply);
  }
  json call(const char* line) { return call(std::string(line)); }
  json call(const json& req) { return call(req.dump()); }

  json apply_standard() {
    json r = call(json{{"op", "policy.apply"}, {"policy", policy_json()}});
    EXPECT_EQ(r["ok"], true) << r.dump();
    return r;
  }

  static std::string code(const json& r) { return r["error"]["code"].get<std::string>(); }
  static std::string message(const json& r) { return r["error"]["message"].get<std::string>(); }

  FakeHooks hooks_;
  PolicyStore store_;
  RequestHandler handler_;
};

TEST_F(ProtocolTest, PingEchoesIdOfAnyType) {
  json r = call(R"({"op":"ping","id":"abc"})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["id"], "abc");
  EXPECT_EQ(r["generation"], 0);
  r = call(R"({"op":"ping","id":7})");
  EXPECT_EQ(r["id"], 7);
  r = call(R"({"op":"ping"})");
  EXPECT_FALSE(r.contains("id"));
}

TEST_F(ProtocolTest, GetWithoutPolicyIsNullAtGenerationZero) {
  json r = call(R"({"op":"policy.get"})");
  EXPECT_EQ(r["ok"], true);
  EXPECT_EQ(r["generation"], 0);
  EXPECT_TRUE(r["policy"].is_null());
  EXPECT_TRUE(hooks_.published.empty()) << "fail closed: nothing published";
}

TEST_F(ProtocolTest, ApplyPublishesThenGetReturnsTheDocument) {
  json r = apply_standard();
  EXPECT_EQ(r["generation"], 1);
  ASSERT_EQ(hooks_.published, std::vector<uint64_t>{1});
  EXPECT_EQ(hooks_.current->mtu, 1500);
  EXPECT_EQ(hooks_.current->vnic_ids.size(), 4u);

  json g = call(R"({"op":"policy.get","id":1})");
  EXPECT_EQ(g["generation"], 1);
  EXPECT_EQ(g["policy"], policy_to_json(test::standard_policy()));
  EXPECT_EQ(g["id"], 1);

  EXPECT_EQ(apply_standard()["generation"], 2) << "every apply is a new generation";
}

TEST_F(ProtocolTest, InvalidDocumentIsRefusedWithItsPathAndNothingChanges) {
  apply_standard();
  json bad = policy_json();
  bad["jobs"][0]["vpc"]["vlan"] = 5000;
  json r = call(json{{"op", "policy.apply"}, {"policy", bad}, {"id", "x"}});
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["id"], "x");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("policy.jobs[0].vpc.vlan"), std::string::npos) << message(r);
  EXPECT_EQ(store_.generation(), 1u);
  EXPECT_EQ(hooks_.published.size(), 1u);

  // Cross-reference errors (validate) also name the path.
  bad = policy_json();
  bad["vnics"][0]["job"] = "nope";
  r = call(json{{"op", "policy.apply"}, {"policy", bad}});
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("vnics[0].job"), std::string::npos) << message(r);

  r = call(json{{"op", "policy.apply"}, {"policy", 3}});
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("policy"), std::string::npos) << message(r);
  r = call(R"({"op":"policy.apply"})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("policy: missing"), std::string::npos) << message(r);
  EXPECT_EQ(store_.generation(), 1u);
}

TEST_F(ProtocolTest, PolicyNamingAPortTheServerLacksIsRefused) {
  json bad = policy_json();
  bad["vnics"][0]["port"] = "vnic77";
  json r = call(json{{"op", "policy.apply"}, {"policy", bad}});
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("vnic77"), std::string::npos) << message(r);
  EXPECT_EQ(store_.generation(), 0u);
  EXPECT_TRUE(hooks_.published.empty());
}

TEST_F(ProtocolTest, EditsBeforeAnyPolicyAreNotFound) {
  json r = call(R"({"op":"job.delete","job":"train-a"})");
  EXPECT_EQ(code(r), "not_found");
  EXPECT_EQ(store_.generation(), 0u);
}

TEST_F(ProtocolTest, JobUpsertAddsAndReplaces) {
  apply_standard();
  json r = call(R"({"op":"job.upsert","job":{"id":"new-j","isolated":true,"peers":["10.9.0.1"]}})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["generation"], 2);
  ASSERT_NE(store_.doc()->find_job("new-j"), nullptr);
  EXPECT_EQ(store_.doc()->jobs.size(), 4u);

  r = call(R"({"op":"job.upsert","job":{"id":"new-j","isolated":false,"peers":["10.9.0.2"]}})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_FALSE(store_.doc()->find_job("new-j")->isolated);
  EXPECT_EQ(store_.doc()->jobs.size(), 4u);
  EXPECT_EQ(hooks_.published, (std::vector<uint64_t>{1, 2, 3}));
}

TEST_F(ProtocolTest, JobUpsertErrorsNameTheRequestPath) {
  apply_standard();
  json r = call(R"({"op":"job.upsert","job":{"id":"x","peers":["10.9.0.300"]}})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("job.peers[0]"), std::string::npos) << message(r);
  // Valid syntax, but the peer is another job's container: whole-document validation.
  r = call(R"({"op":"job.upsert","job":{"id":"x","peers":["10.1.0.11"]}})");
  EXPECT_EQ(code(r), "invalid_argument") << r.dump();
  r = call(R"({"op":"job.upsert"})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_EQ(store_.generation(), 1u);
}

TEST_F(ProtocolTest, JobDeleteRefusesWhileVnicsUseIt) {
  apply_standard();
  json r = call(R"({"op":"job.delete","job":"train-c"})");
  EXPECT_EQ(code(r), "conflict") << r.dump();
  r = call(R"({"op":"job.delete","job":"ghost"})");
  EXPECT_EQ(code(r), "not_found");
  r = call(R"({"op":"job.delete","job":5})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_EQ(store_.generation(), 1u);

  r = call(R"({"op":"vnic.delete","vnic":"c-0"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  r = call(R"({"op":"job.delete","job":"train-c"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["generation"], 3);
  EXPECT_EQ(store_.doc()->find_job("train-c"), nullptr);
}

TEST_F(ProtocolTest, VnicUpsertAndDelete) {
  apply_standard();
  json v = {{"id", "c-9"}, {"port", "vnic9"}, {"mac", "02:00:00:03:00:09"},
            {"ip", "10.3.0.9"}, {"job", "train-c"}};
  // 10.3.0.9 is not a peer of train-c yet: refused as a whole document.
  json r = call(json{{"op", "vnic.upsert"}, {"vnic", v}});
  EXPECT_EQ(r["ok"], false) << r.dump();
  EXPECT_EQ(store_.generation(), 1u);

  v["ip"] = "10.3.1.9";  // train-c's remote peer moves here
  r = call(json{{"op", "vnic.upsert"}, {"vnic", v}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(store_.doc()->vnics.size(), 5u);
  ASSERT_NE(hooks_.current, nullptr);
  EXPECT_EQ(hooks_.current->ports[test::kUnboundPort].role, PortRole::kVnic);

  r = call(R"({"op":"vnic.delete","vnic":"c-9"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(hooks_.current->ports[test::kUnboundPort].role, PortRole::kNone);
  r = call(R"({"op":"vnic.delete","vnic":"c-9"})");
  EXPECT_EQ(code(r), "not_found");
  r = call(json{{"op", "vnic.upsert"}, {"vnic", {{"id", "q"}}}});
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("vnic."), std::string::npos) << message(r);
}

TEST_F(ProtocolTest, ExpectGenerationGuardsMutations) {
  apply_standard();
  json r = call(R"({"op":"vnic.delete","vnic":"b-0","expect_generation":0})");
  EXPECT_EQ(code(r), "conflict");
  EXPECT_NE(message(r).find("generation 1"), std::string::npos) << message(r);
  EXPECT_NE(store_.doc()->find_vnic("b-0"), nullptr);

  r = call(R"({"op":"vnic.delete","vnic":"b-0","expect_generation":"1"})");
  EXPECT_EQ(code(r), "invalid_argument");
  r = call(R"({"op":"vnic.delete","vnic":"b-0","expect_generation":-1})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_EQ(store_.generation(), 1u);

  r = call(R"({"op":"vnic.delete","vnic":"b-0","expect_generation":1})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["generation"], 2);

  r = call(json{{"op", "policy.apply"}, {"policy", policy_json()}, {"expect_generation", 1}});
  EXPECT_EQ(code(r), "conflict");
  r = call(json{{"op", "txn"}, {"expect_generation", 7},
                {"ops", {{{"op", "vnic.delete"}, {"vnic", "a-0"}}}}});
  EXPECT_EQ(code(r), "conflict");
  EXPECT_EQ(store_.generation(), 2u);
}

TEST_F(ProtocolTest, MisspeltFieldsAreRefusedNotIgnored) {
  apply_standard();
  json r = call(R"({"op":"vnic.delete","vnic":"b-0","expect_genration":0})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("expect_genration"), std::string::npos) << message(r);
  r = call(R"({"op":"ping","extra":1})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_EQ(store_.generation(), 1u);
}

TEST_F(ProtocolTest, TxnAppliesAllStepsAsOneGeneration) {
  apply_standard();
  json r = call(json{{"op", "txn"},
                     {"id", "t"},
                     {"ops",
                      {{{"op", "vnic.delete"}, {"vnic", "c-0"}},
                       {{"op", "job.delete"}, {"job", "train-c"}},
                       {{"op", "job.upsert"},
                        {"job", {{"id", "train-d"}, {"peers", {"10.3.0.7"}}}}}}}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["generation"], 2);
  EXPECT_EQ(r["id"], "t");
  EXPECT_EQ(hooks_.published, (std::vector<uint64_t>{1, 2})) << "one publish for the whole txn";
  EXPECT_EQ(store_.doc()->find_job("train-c"), nullptr);
  EXPECT_NE(store_.doc()->find_job("train-d"), nullptr);
}

TEST_F(ProtocolTest, TxnWhoseLastStepFailsAppliesNothing) {
  apply_standard();
  json r = call(json{{"op", "txn"},
                     {"ops",
                      {{{"op", "vnic.delete"}, {"vnic", "c-0"}},
                       {{"op", "job.delete"}, {"job", "train-c"}},
                       {{"op", "vnic.delete"}, {"vnic", "ghost"}}}}});
  EXPECT_EQ(code(r), "not_found") << r.dump();
  EXPECT_NE(message(r).find("ops[2]"), std::string::npos) << message(r);
  EXPECT_EQ(store_.generation(), 1u);
  EXPECT_NE(store_.doc()->find_vnic("c-0"), nullptr);
  EXPECT_NE(store_.doc()->find_job("train-c"), nullptr);
  EXPECT_EQ(hooks_.published.size(), 1u);

  // Steps that each parse but leave an invalid document: refused at the end.
  r = call(json{{"op", "txn"},
                {"ops",
                 {{{"op", "vnic.delete"}, {"vnic", "c-0"}},
                  {{"op", "vnic.upsert"},
                   {"vnic",
                    {{"id", "z"}, {"port", "vnic9"}, {"mac", "02:00:00:00:00:99"},
                     {"ip", "10.7.0.1"}, {"job", "no-such-job"}}}}}}});
  EXPECT_EQ(code(r), "invalid_argument") << r.dump();
  EXPECT_NE(store_.doc()->find_vnic("c-0"), nullptr);
  EXPECT_EQ(store_.generation(), 1u);
}

TEST_F(ProtocolTest, TxnIntermediateStatesNeedNotBeValid) {
  apply_standard();
  // Adding a vNIC before the job it belongs to: invalid midway, valid at the end.
  json r = call(json{{"op", "txn"},
                     {"ops",
                      {{{"op", "vnic.upsert"},
                        {"vnic",
                         {{"id", "n-0"}, {"port", "vnic9"}, {"mac", "02:00:00:09:00:01"},
                          {"ip", "10.9.0.1"}, {"job", "new-j"}}}},
                       {{"op", "job.upsert"}, {"job", {{"id", "new-j"}, {"peers", {"10.9.0.1"}}}}}}}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(store_.generation(), 2u);
}

TEST_F(ProtocolTest, TxnShapeErrors) {
  apply_standard();
  EXPECT_EQ(code(call(R"({"op":"txn"})")), "invalid_argument");
  EXPECT_EQ(code(call(R"({"op":"txn","ops":{}})")), "invalid_argument");
  EXPECT_EQ(code(call(R"({"op":"txn","ops":[]})")), "invalid_argument");
  EXPECT_EQ(code(call(R"({"op":"txn","ops":[3]})")), "invalid_argument");
  json r = call(R"({"op":"txn","ops":[{"op":"ping"}]})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("ops[0]"), std::string::npos) << message(r);
  EXPECT_EQ(code(call(R"({"op":"txn","ops":[{"op":"txn","ops":[]}]})")), "invalid_argument");
  r = call(R"({"op":"txn","ops":[{"op":"vnic.delete","vnic":"a-0","expect_generation":1}]})");
  EXPECT_EQ(code(r), "invalid_argument") << "guards belong on the txn, not its steps";
  EXPECT_EQ(store_.generation(), 1u);
}

TEST_F(ProtocolTest, TxnMayStartFromNothingWithAnApply) {
  json r = call(json{{"op", "txn"},
                     {"ops",
                      {{{"op", "policy.apply"}, {"policy", policy_json()}},
                       {{"op", "vnic.delete"}, {"vnic", "b-0"}}}}});
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["generation"], 1);
  EXPECT_EQ(store_.doc()->find_vnic("b-0"), nullptr);
}

TEST_F(ProtocolTest, PublishFailureLeavesPolicyAndGeneration) {
  apply_standard();
  hooks_.fail_publish = true;
  json r = call(R"({"op":"vnic.delete","vnic":"b-0"})");
  EXPECT_EQ(code(r), "unavailable") << r.dump();
  EXPECT_EQ(store_.generation(), 1u);
  EXPECT_NE(store_.doc()->find_vnic("b-0"), nullptr);
  hooks_.fail_publish = false;
  EXPECT_EQ(call(R"({"op":"vnic.delete","vnic":"b-0"})")["generation"], 2);
}

TEST_F(ProtocolTest, MalformedRequests) {
  json r = call("{not json");
  EXPECT_EQ(code(r), "invalid_argument");
  r = call("[1,2]");
  EXPECT_EQ(code(r), "invalid_argument");
  r = call(R"({"id":3})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_EQ(r["id"], 3);
  r = call(R"({"op":5})");
  EXPECT_EQ(code(r), "invalid_argument");
  r = call(R"({"op":"frobnicate"})");
  EXPECT_EQ(code(r), "invalid_argument");
  EXPECT_NE(message(r).find("frobnicate"), std::string::npos) << message(r);
  r = call(R"({"op":"ping","op":"ping"})");
  EXPECT_EQ(code(r), "invalid_argument") << "duplicate keys refused";
  r = call(std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_EQ(code(r), "invalid_argument") << "nesting bomb refused";
  r = call("");
  EXPECT_EQ(code(r), "invalid_argument");
}

TEST_F(ProtocolTest, NeverThrowsOnHostileBytes) {
  const std::string inputs[] = {
      std::string("{\"op\":\"ping\",\"id\":\"\xff\xfe\"}"),
      std::string("\x00\x01\x02", 3),
      R"({"op":"explain","vnic":"\u0000"})",
      R"({"op":"job.upsert","job":{"id":"\ud800"}})",
      R"({"op":"policy.apply","policy":{"jobs":[[[[[]]]]]}})",
      R"({"op":"stats","id":{"a":[1,2,{"b":null}]}})",
  };
  for (const std::string& in : inputs) {
    std::string reply = handler_.handle_request_line(in);
    json r = json::parse(reply, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(r.is_discarded()) << "reply must be valid JSON: " << reply;
    EXPECT_TRUE(r.contains("ok"));
  }
}

// Mutated valid requests (deterministic): every reply is one JSON object
// with "ok", and the generation moves by exactly one on an applied
// mutation and not at all otherwise.
TEST_F(ProtocolTest, MutatedRequestsKeepTheGenerationInvariant) {
  apply_standard();
  const std::vector<std::string> seeds = {
      json{{"op", "policy.apply"}, {"policy", policy_json()}, {"id", 1}}.dump(),
      R"({"op":"job.upsert","job":{"id":"j9","isolated":false,"peers":["10.9.0.1","fd00:9::1"]}})",
      R"({"op":"vnic.upsert","vnic":{"id":"v9","port":"vnic9","mac":"02:00:00:09:00:01","ip":"10.3.1.9","job":"train-c"}})",
      R"({"op":"txn","ops":[{"op":"vnic.delete","vnic":"c-0"},{"op":"job.delete","job":"train-c"}],"expect_generation":1})",
      R"({"op":"explain","vnic":"a-0","dst":"10.1.0.12","proto":"tcp","dport":443})",
      R"({"op":"stats","id":"s"})",
  };
  static constexpr char kChars[] = "{}[]\\\",:0aZ-";  // JSON's structural bytes, and some
  std::mt19937 rng(1);
  for (int i = 0; i < 3000; ++i) {
    std::string line = seeds[rng() % seeds.size()];
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !line.empty(); ++e) {
      std::size_t at = rng() % line.size();
      switch (rng() % 4) {
        case 0: line[at] = static_cast<char>(rng() % 256); break;
        case 1: line.erase(at, 1 + rng() % 8); break;
        case 2: line.insert(at, 1, kChars[rng() % (sizeof(kChars) - 1)]); break;
        case 3: line.resize(at); break;
      }
    }
    const uint64_t before = store_.generation();
    json r = json::parse(handler_.handle_request_line(line), nullptr, false);
    ASSERT_FALSE(r.is_discarded()) << line;
    ASSERT_TRUE(r.is_object() && r.contains("ok")) << line;
    if (r["ok"] == true && r.contains("generation") && r["generation"] != before) {
      ASSERT_EQ(r["generation"], before + 1) << line;
      ASSERT_EQ(store_.generation(), before + 1) << line;
      ASSERT_EQ(hooks_.published.back(), before + 1);
    } else {
      ASSERT_EQ(store_.generation(), before) << line;
    }
  }
}

TEST_F(ProtocolTest, StatsMapPortsToVnicIdsAndReasons) {
  apply_standard();
  hooks_.counters.resize(test::standard_ports().size());
  PortCounters& a0 = hooks_.counters[test::kVnicA0Port];
  a0.rx_frames = 10;
  a0.tx_frames = 4;
  a0.drops[static_cast<std::size_t>(DropReason::not_peer)] = 3;
  a0.drops[static_cast<std::size_t>(DropReason::spoofed_src)] = 2;
  PortCounters& up = hooks_.counters[test::kUplinkPort];
  up.rx_frames = 5;
  up.drops[static_cast<std::size_t>(DropReason::not_for_us)] = 5;
  up.tx_dropped = 1;

  json r = call(R"({"op":"stats"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["generation"], 1);
  ASSERT_EQ(r["ports"].size(), test::standard_ports().size());
  EXPECT_EQ(r["ports"][test::kUplinkPort]["name"], "uplink0");
  EXPECT_EQ(r["ports"][test::kUplinkPort]["role"], "uplink");
  EXPECT_EQ(r["ports"][test::kVnicA0Port]["vnic"], "a-0");
  EXPECT_TRUE(r["ports"][test::kUnboundPort]["vnic"].is_null());

  const json& va0 = r["vnics"]["a-0"];
  EXPECT_EQ(va0["port"], "vnic0");
  EXPECT_EQ(va0["job"], "train-a");
  EXPECT_EQ(va0["rx_frames"], 10);
  EXPECT_EQ(va0["tx_frames"], 4);
  EXPECT_EQ(va0["drops_total"], 5);
  EXPECT_EQ(va0["drops"], (json{{"not_peer", 3}, {"spoofed_src", 2}})) << "only nonzero reasons";
  EXPECT_EQ(r["vnics"]["b-0"]["rx_frames"], 0);
  EXPECT_EQ(r["vnics"].size(), 4u);

  EXPECT_EQ(r["totals"]["rx_frames"], 15);
  EXPECT_EQ(r["totals"]["drops_total"], 10);
  EXPECT_EQ(r["totals"]["tx_dropped"], 1);
  EXPECT_EQ(r["totals"]["drops"]["not_for_us"], 5);
}

TEST_F(ProtocolTest, StatsWithoutPolicyOrWithShortCounters) {
  json r = call(R"({"op":"stats"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["vnics"].size(), 0u);
  EXPECT_EQ(r["ports"].size(), test::standard_ports().size());
  EXPECT_EQ(r["totals"]["rx_frames"], 0);
}

TEST_F(ProtocolTest, PortsListsTheTableWithBoundVnics) {
  apply_standard();
  json r = call(R"({"op":"ports"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  ASSERT_EQ(r["ports"].size(), 7u);
  EXPECT_EQ(r["ports"][1], (json{{"index", 1}, {"name", "agent0"}, {"role", "agent"}, {"vnic", nullptr}}));
  EXPECT_EQ(r["ports"][5]["vnic"], "b-0");
}

TEST_F(ProtocolTest, ExplainJudgesADescribedFrame) {
  json r = call(R"({"op":"explain","vnic":"a-0","dst":"10.1.0.12"})");
  EXPECT_EQ(code(r), "unavailable") << "no policy: nothing to explain against";
  apply_standard();

  r = call(R"({"op":"explain","vnic":"a-0","dst":"10.1.0.12","proto":"udp","dport":53})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["verdict"], "forward");
  EXPECT_EQ(r["rule"], "E5");
  EXPECT_EQ(r["out_port"], "vnic1");
  EXPECT_EQ(r["in_port"], "vnic0");
  EXPECT_TRUE(r["reason"].is_null());

  r = call(R"({"op":"explain","vnic":"a-0","dst":"8.8.8.8","proto":"tcp","dport":443})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["verdict"], "drop");
  EXPECT_EQ(r["reason"], "not_peer");
  EXPECT_EQ(r["rule"], "E7");
  EXPECT_TRUE(r["out_port"].is_null());
  EXPECT_FALSE(r["detail"].get<std::string>().empty());

  r = call(R"({"op":"explain","vnic":"b-0","dst":"8.8.8.8","proto":"icmp"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["verdict"], "forward");
  EXPECT_EQ(r["out_port"], "uplink0");

  r = call(R"({"op":"explain","from":"uplink","src":"10.1.1.21","dst":"10.1.0.11"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["verdict"], "forward");
  EXPECT_EQ(r["rule"], "U1");
  EXPECT_EQ(r["out_port"], "vnic0");
  r = call(R"({"op":"explain","from":"uplink","src":"10.3.1.9","dst":"10.1.0.11"})");
  ASSERT_EQ(r["ok"], true) << r.dump();
  EXPECT_EQ(r["reason"], "not_peer_inbound");

  EXPECT_EQ(code(call(R"({"op":"explain","vnic":"zz","dst":"1.2.3.4"})")), "not_found");
  EXPECT_EQ(code(call(R"({"op":"explain","vnic":"a-0","dst":"1.2.3.4","dport":70000})")),
            "invalid_argument");
  EXPECT_EQ(code(call(R"({"op":"explain","vnic":"a-0","dst":"not-an-ip"})")), "invalid_argument");
  EXPECT_EQ(code(call(R"({"op":"explain","vnic":"a-0","dst":"1.2.3.4","proto":"sctp"})")),
            "invalid_argument");
}

// ---- persistence ----

class PersistenceTest : public ::testing::Test {
 protected:
  test::TempDir dir_;
  std::string state() const { return dir_.file("state.json"); }
};

TEST_F(PersistenceTest, EveryAppliedPolicyIsPersistedAndReloaded) {
  {
    FakeHooks hooks;
    PolicyStore store(hooks, test::standard_ports(), 1500, state());
    ASSERT_TRUE(store.load_initial(std::nullopt));
    EXPECT_EQ(store.generation(), 0u);
    EXPECT_TRUE(hooks.published.empty()) << "fail closed";
    RequestHandler h(store);
    h.handle_request_line(json{{"op", "policy.apply"}, {"policy", policy_json()}}.dump());
    h.handle_request_line(R"({"op":"vnic.delete","vnic":"b-0"})");
    ASSERT_EQ(store.generation(), 2u);
    // A refused request does not touch the file.
    h.handle_request_line(R"({"op":"vnic.delete","vnic":"ghost"})");
  }
  // The apply rewrote the state file; the single-object edit is one journal line.
  auto base = read_state_file(state());
  ASSERT_TRUE(base && *base);
  EXPECT_EQ((*base)->generation, 1u);
  auto persisted = read_state(state());
  ASSERT_TRUE(persisted) << persisted.error().message;
  ASSERT_TRUE(*persisted);
  EXPECT_EQ((*persisted)->state.generation, 2u);
  EXPECT_EQ((*persisted)->replayed, 1u);
  EXPECT_EQ((*persisted)->state.policy.find_vnic("b-0"), nullptr);

  FakeHooks hooks;
  PolicyStore store(hooks, test::standard_ports(), 1500, state());
  ASSERT_TRUE(store.load_initial(std::nullopt));
  EXPECT_EQ(store.generation(), 2u);
  EXPECT_EQ(hooks.published, std::vector<uint64_t>{2});
  ASSERT_TRUE(store.doc());
  EXPECT_EQ(store.doc()->vnics.size(), 3u);
  // No temp files left behind: the state file and its journal.
  int files = 0;
  for (auto& e : std::filesystem::directory_iterator(dir_.path())) (void)e, ++files;
  EXPECT_EQ(files, 2);
}

TEST_F(PersistenceTest, PolicyFileIsUsedOnlyWithoutState) {
  std::string pfile = dir_.file("policy.json");
  std::ofstream(pfile) << test::standard_policy_json();
  {
    FakeHooks hooks;
    PolicyStore store(hooks, test::standard_ports(), 1500, state());
    ASSERT_TRUE(store.load_initial(pfile));
    EXPECT_EQ(store.generation(), 1u);
    EXPECT_EQ(hooks.published, std::vector<uint64_t>{1});
    RequestHandler h(store);
    h.handle_request_line(R"({"op":"vnic.delete","vnic":"a-1"})");
  }
  FakeHooks hooks;
  PolicyStore store(hooks, test::standard_ports(), 1500, state());
  ASSERT_TRUE(store.load_initial(pfile));
  EXPECT_EQ(store.generation(), 2u) << "the state file wins over --policy";
  EXPECT_EQ(store.doc()->find_vnic("a-1"), nullptr);
}

TEST_F(PersistenceTest, CorruptStateFileIsAnError) {
  const std::string bad[] = {
      "{", "[]", R"({"generation":1})", R"({"generation":0,"policy":{}})",
      R"({"generation":"1","policy":{}})", R"({"generation":3,"policy":{"version":1}})",
      R"({"generation":3,"policy":null,"x":1})",
  };
  for (const std::string& text : bad) {
    std::ofstream(state(), std::ios::trunc) << text;
    FakeHooks hooks;
    PolicyStore store(hooks, test::standard_ports(), 1500, state());
    auto r = store.load_initial(std::nullopt);
    ASSERT_FALSE(r) << text;
    EXPECT_NE(r.error().message.find(state()), std::string::npos) << r.error().message;
    EXPECT_TRUE(hooks.published.empty());
    EXPECT_EQ(store.generation(), 0u);
  }
}

TEST_F(PersistenceTest, BadPolicyFileIsAnError) {
  FakeHooks hooks;
  PolicyStore store(hooks, test::standard_ports(), 1500, state());
  auto r = store.load_initial(dir_.file("missing.json"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kNotFound);
  std::string pfile = dir_.file("policy.json");
  std::ofstream(pfile) << R"({"version":1})";
  r = store.load_initial(pfile);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(hooks.published.empty());
  EXPECT_FALSE(std::filesystem::exists(state())) << "nothing persisted";
}

TEST_F(PersistenceTest, StateThatNoLongerFitsThePortsIsAnError) {
  ASSERT_TRUE(write_state_file(state(), 4, test::standard_policy()));
  PortTable fewer = test::standard_ports();
  fewer.ports.pop_back();
  fewer.ports.pop_back();  // vnic3 gone: b-0 cannot be bound
  FakeHooks hooks;
  PolicyStore store(hooks, fewer, 1500, state());
  auto r = store.load_initial(std::nullopt);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("vnic3"), std::string::npos) << r.error().message;
  EXPECT_TRUE(hooks.published.empty());
}

TEST_F(PersistenceTest, UnwritableStateRefusesTheMutation) {
  FakeHooks hooks;
  PolicyStore store(hooks, test::standard_ports(), 1500, dir_.file("no-such-dir/state.json"));
  auto start = store.load_initial(std::nullopt);
  ASSERT_FALSE(start) << "a missing state directory is found at start";
  EXPECT_EQ(start.error().code, ErrorCode::kIo);
  EXPECT_NE(start.error().message.find("no-such-dir"), std::string::npos) << start.error().message;
  RequestHandler h(store);
  json r = json::parse(
      h.handle_request_line(json{{"op", "policy.apply"}, {"policy", policy_json()}}.dump()));
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["code"], "io") << r.dump();
  EXPECT_TRUE(hooks.published.empty()) << "persisting is prepared before publishing";
  EXPECT_EQ(store.generation(), 0u);
}

TEST_F(PersistenceTest, FailedRenameAfterPublishPutsThePreviousPolicyBack) {
  // The state path is a non-empty directory: the temp file is written, the
  // publish happens, then the rename fails.
  std::string blocker = dir_.file("state-dir");
  std::filesystem::create_directories(blocker + "/x");
  FakeHooks hooks;
  PolicyStore store(hooks, test::standard_ports(), 1500, blocker);
  RequestHandler h(store);
  json r = json::parse(
      h.handle_request_line(json{{"op", "policy.apply"}, {"policy", policy_json()}}.dump()));
  EXPECT_EQ(r["error"]["code"], "io") << r.dump();
  // Nothing to go back to: the data plane runs it, so the store says so too.
  EXPECT_EQ(store.generation(), 1u);
  EXPECT_EQ(hooks.published, std::vector<uint64_t>{1});

  r = json::parse(h.handle_request_line(R"({"op":"vnic.delete","vnic":"b-0"})"));
  EXPECT_EQ(r["error"]["code"], "io") << r.dump();
  EXPECT_EQ(hooks.published, (std::vector<uint64_t>{1, 2, 1})) << "previous policy re-published";
  EXPECT_EQ(store.generation(), 1u);
  EXPECT_NE(store.doc()->find_vnic("b-0"), nullptr);
  ASSERT_NE(hooks.current, nullptr);
  EXPECT_EQ(hooks.current->generation, 1u);
  EXPECT_EQ(hooks.current->ports[test::kVnicB0Port].role, PortRole::kVnic);
  for (auto& e : std::filesystem::directory_iterator(dir_.path()))
    EXPECT_EQ(e.path().filename().string().find(".tmp."), std::string::npos) << "temp file left";
}

}  // namespace
}  // namespace isoswitch::ctl
