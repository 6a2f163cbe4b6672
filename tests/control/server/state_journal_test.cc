// Persistence as base + journal (control/server/state_journal.h) through the
// real PolicyStore and RequestHandler: restart returns the last acknowledged
// generation; torn tails are ignored and cut; anything else inconsistent
// refuses start-up; compaction; a failed append refuses the request and
// changes nothing.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "control/policy/policy_json.h"
#include "control/server/policy_store.h"
#include "control/server/request_handler.h"
#include "control/server/state_file.h"
#include "control/server/state_journal.h"
#include "tests/control/server/fake_hooks.h"
#include "tests/control/server/temp_dir.h"
#include "tests/support/test_policy.h"

namespace isoswitch::ctl {
namespace {

using nlohmann::json;
using test::FakeHooks;

class JournalTest : public ::testing::Test {
 protected:
  std::string state() const { return dir_.file("state.json"); }
  std::string journal() const { return journal_path(state()); }
  std::size_t journal_size() const { return std::filesystem::file_size(journal()); }

  // A store + handler over the test directory, started like the daemon.
  struct Server {
    FakeHooks hooks;
    PolicyStore store;
    RequestHandler handler{store};
    Result<void> started;
    explicit Server(const std::string& state)
        : store(hooks, test::standard_ports(), 1500, state), started(store.load_initial({})) {}
    json call(const json& req) { return json::parse(handler.handle_request_line(req.dump())); }
    std::string policy() const {
      return store.doc() ? policy_to_json(*store.doc()).dump() : std::string("none");
    }
  };

  static json vnic_upsert(const std::string& id, const std::string& port, int mac_low,
                          const std::string& ip, const std::string& job) {
    char mac[32];
    std::snprintf(mac, sizeof mac, "02:00:00:09:00:%02x", mac_low);
    return {{"op", "vnic.upsert"},
            {"vnic", {{"id", id}, {"port", port}, {"mac", mac}, {"ip", ip}, {"job", job}}}};
  }

  // policy.apply, then `n` accepted single-object edits.
  void run_edits(Server& s, int n) {
    ASSERT_EQ(s.call({{"op", "policy.apply"},
                      {"policy", json::parse(test::standard_policy_json())}})["ok"],
              true);
    for (int i = 0; i < n; ++i) {
      json job = {{"op", "job.upsert"},
                  {"job",
                   {{"id", "train-c"},
                    {"peers", {"10.3.0.7", "10.3.1.9", "10.3.2." + std::to_string(i % 250)}}}}};
      json r = s.call(
          i % 3 == 2 ? vnic_upsert("c-0", i % 2 ? "vnic9" : "vnic2", i % 7, "10.3.0.7", "train-c")
                     : job);
      ASSERT_EQ(r["ok"], true) << r.dump();
    }
  }

  test::TempDir dir_;
};

TEST_F(JournalTest, RestartReturnsTheLastAcknowledgedGeneration) {
  std::string before;
  uint64_t generation = 0;
  {
    Server s(state());
    ASSERT_TRUE(s.started);
    run_edits(s, 40);
    generation = s.store.generation();
    before = s.policy();
    EXPECT_EQ(s.store.incremental_count(), 40u) << "every edit took the fast path";
    // A refused edit appends nothing.
    const std::size_t size = journal_size();
    json r = s.call(vnic_upsert("x", "vnic9", 1, "10.3.0.7", "train-c"));
    EXPECT_EQ(r["ok"], false);
    EXPECT_EQ(journal_size(), size);
  }
  EXPECT_EQ(generation, 41u);
  auto base = read_state_file(state());
  ASSERT_TRUE(base && *base);
  EXPECT_EQ((*base)->generation, 1u) << "single-object edits do not rewrite the base";

  Server s(state());
  ASSERT_TRUE(s.started) << s.started.error().message;
  EXPECT_EQ(s.store.generation(), generation);
  EXPECT_EQ(s.policy(), before);
  EXPECT_EQ(s.hooks.published, std::vector<uint64_t>{generation});
  // And it goes on from there.
  json r = s.call({{"op", "vnic.delete"}, {"vnic", "b-0"}});
  EXPECT_EQ(r["generation"], generation + 1) << r.dump();
}

TEST_F(JournalTest, TornLastLineIsIgnoredAndCutOff) {
  std::string before;
  {
    Server s(state());
    run_edits(s, 5);
    before = s.policy();
  }
  const std::size_t good = journal_size();
  for (const std::string& tail :
       {std::string(R"({"generation":7,"op":"vnic.delete","vn)"), std::string("garbage\n"),
        std::string("{\"generation\":7}\n"), std::string(1, '\0')}) {
    std::filesystem::resize_file(journal(), good);
    std::ofstream(journal(), std::ios::app) << tail;
    Server s(state());
    ASSERT_TRUE(s.started) << s.started.error().message;
    EXPECT_EQ(s.store.generation(), 6u);
    EXPECT_EQ(s.policy(), before);
    EXPECT_EQ(journal_size(), good) << "the torn tail is cut before the next append";
  }
  // The next edit follows a complete line, and a restart sees it.
  {
    Server s(state());
    EXPECT_EQ(s.call({{"op", "vnic.delete"}, {"vnic", "b-0"}})["generation"], 7);
  }
  Server s(state());
  ASSERT_TRUE(s.started) << s.started.error().message;
  EXPECT_EQ(s.store.generation(), 7u);
  EXPECT_EQ(s.store.doc()->find_vnic("b-0"), nullptr);
}

TEST_F(JournalTest, InconsistentJournalRefusesStartUp) {
  {
    Server s(state());
    run_edits(s, 3);
  }
  std::string text;
  {
    std::ifstream in(journal());
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::size_t first_nl = text.find('\n');
  const std::string line2 = text.substr(first_nl + 1, text.find('\n', first_nl + 1) - first_nl);
  struct Case {
    std::string journal;
    std::string expect;
  };
  const Case cases[] = {
      {text.substr(0, first_nl + 1) + "not json\n" + text.substr(first_nl + 1), "line 2"},
      {text + line2, "expected generation 5"},               // replayed twice
      {text.substr(first_nl + 1), "expected generation 2"},  // first line lost
      {text + R"({"generation":5,"op":"vnic.delete","vnic":"ghost"})"
              "\n",
       "ghost"},
      {text + R"({"generation":5,"op":"job.delete","job":"train-a"})"
              "\n",
       "still has vNIC"},
      {text +
           R"({"generation":5,"op":"vnic.upsert","vnic":{"id":"z","port":"vnic9","mac":"02:00:00:09:09:09","ip":"10.250.0.1","job":"train-c"}})"
           "\n",
       "the replayed policy is invalid"},
  };
  for (const Case& c : cases) {
    std::ofstream(journal(), std::ios::trunc) << c.journal;
    Server s(state());
    ASSERT_FALSE(s.started) << c.expect;
    EXPECT_NE(s.started.error().message.find(c.expect), std::string::npos)
        << s.started.error().message;
    EXPECT_NE(s.started.error().message.find(journal()), std::string::npos)
        << s.started.error().message;
    EXPECT_TRUE(s.hooks.published.empty());
  }
  // A journal without its base.
  std::ofstream(journal(), std::ios::trunc) << text;
  std::filesystem::remove(state());
  Server s(state());
  ASSERT_FALSE(s.started);
  EXPECT_NE(s.started.error().message.find("does not exist"), std::string::npos)
      << s.started.error().message;
}

TEST_F(JournalTest, LinesTheBaseAlreadyHoldsAreSkipped) {
  // A crash between rewriting the base and emptying the journal.
  std::string before;
  {
    Server s(state());
    run_edits(s, 4);
    before = s.policy();
    ASSERT_TRUE(write_state_file(state(), s.store.generation(), *s.store.doc()));
  }
  Server s(state());
  ASSERT_TRUE(s.started) << s.started.error().message;
  EXPECT_EQ(s.store.generation(), 5u);
  EXPECT_EQ(s.policy(), before);
}

TEST_F(JournalTest, CompactionRewritesTheBaseAndEmptiesTheJournal) {
  std::string before;
  uint64_t generation = 0;
  {
    Server s(state());
    ASSERT_EQ(s.call({{"op", "policy.apply"},
                      {"policy", json::parse(test::standard_policy_json())}})["ok"],
              true);
    // Big jobs: each line is ~150 kB, so the 1 MiB threshold passes quickly.
    json peers = json::array();
    for (int k = 0; k < 10000; ++k)
      peers.push_back("10.20." + std::to_string(k / 250) + "." + std::to_string(k % 250 + 1));
    bool compacted = false;
    for (int i = 0; i < 12 && !compacted; ++i) {
      peers[0] = "10.99.0." + std::to_string(i + 1);
      json r = s.call({{"op", "job.upsert"}, {"job", {{"id", "big"}, {"peers", peers}}}});
      ASSERT_EQ(r["ok"], true) << r.dump();
      s.store.maintain(/*idle=*/i % 2 == 1);  // the server's poll loop, busy or idle
      compacted = journal_size() == 0;
    }
    ASSERT_TRUE(compacted) << "journal " << journal_size() << " bytes";
    EXPECT_GE(s.store.generation(), 8u) << "not before 1 MiB of journal, and only when idle";
    auto base = read_state_file(state());
    ASSERT_TRUE(base && *base);
    EXPECT_EQ((*base)->generation, s.store.generation());
    EXPECT_EQ(s.call({{"op", "vnic.delete"}, {"vnic", "b-0"}})["ok"], true);
    EXPECT_GT(journal_size(), 0u);
    generation = s.store.generation();
    before = s.policy();
  }
  Server s(state());
  ASSERT_TRUE(s.started) << s.started.error().message;
  EXPECT_EQ(s.store.generation(), generation);
  EXPECT_EQ(s.policy(), before);
}

TEST_F(JournalTest, FailedAppendRefusesTheRequestAndChangesNothing) {
  Server s(state());
  run_edits(s, 2);
  const uint64_t generation = s.store.generation();
  const std::string before = s.policy();
  const std::size_t size = journal_size();
  const auto published = s.hooks.published;

  // The journal may grow by 10 bytes only: the append is cut short (EFBIG).
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit small = old;
  small.rlim_cur = size + 10;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
  json r = s.call({{"op", "vnic.delete"}, {"vnic", "b-0"}});
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);

  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(r["error"]["code"], "io") << r.dump();
  EXPECT_NE(r["error"]["message"].get<std::string>().find("persisting the policy"),
            std::string::npos);
  EXPECT_EQ(s.store.generation(), generation);
  EXPECT_EQ(s.policy(), before);
  EXPECT_EQ(s.hooks.published, published) << "nothing published";
  EXPECT_EQ(journal_size(), size) << "the partial line was taken back";

  // The store keeps working, and a restart agrees.
  r = s.call({{"op", "vnic.delete"}, {"vnic", "a-1"}});
  EXPECT_EQ(r["generation"], generation + 1) << r.dump();
  Server again(state());
  ASSERT_TRUE(again.started) << again.started.error().message;
  EXPECT_EQ(again.store.generation(), generation + 1);
  EXPECT_NE(again.store.doc()->find_vnic("b-0"), nullptr);
  EXPECT_EQ(again.store.doc()->find_vnic("a-1"), nullptr);
}

TEST_F(JournalTest, FailedPublishTakesTheLineBack) {
  Server s(state());
  run_edits(s, 1);
  const std::size_t size = journal_size();
  s.hooks.fail_publish = true;
  json r = s.call({{"op", "vnic.delete"}, {"vnic", "b-0"}});
  EXPECT_EQ(r["ok"], false);
  EXPECT_EQ(journal_size(), size);
  s.hooks.fail_publish = false;
  Server again(state());
  ASSERT_TRUE(again.started);
  EXPECT_EQ(again.store.generation(), 2u);
  EXPECT_NE(again.store.doc()->find_vnic("b-0"), nullptr);
}

}  // namespace
}  // namespace isoswitch::ctl
