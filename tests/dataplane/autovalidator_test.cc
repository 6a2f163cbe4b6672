// The autovalidator: the fast path (dp::process_burst over the compiled
// Snapshot) and the scalar reference (ctl::explain over the PolicyDoc) must
// agree on every frame: verdict, drop reason, egress port and the exact
// bytes that leave. Over a million random and adversarial frames
// (tests/support/random_frames.h), on the standard policy and on random valid
// ones, in bursts of 1..32. The first disagreements are printed with the
// policy, the frame and both outputs in hex.
//
// ISOSWITCH_AUTOVALIDATOR_FRAMES scales the frame count down, but only in a
// sanitizer build (which is ~10x slower); the normal build always runs at
// least kMinFrames.
#include <gtest/gtest.h>
#include <rte_mbuf.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "control/explain/explain.h"
#include "control/policy/compile.h"
#include "control/policy/policy_json.h"
#include "control/policy/validate.h"
#include "dataplane/pipeline/pipeline.h"
#include "tests/dataplane/pipeline_harness.h"
#include "tests/support/random_frames.h"
#include "tests/support/test_policy.h"

#if defined(__SANITIZE_ADDRESS__)
#define ISOSWITCH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ISOSWITCH_SANITIZED 1
#endif
#endif

namespace isoswitch::test {
namespace {

constexpr uint64_t kMinFrames = 1'000'000;
constexpr int kRandomPolicies = 24;
constexpr int kMaxReported = 5;

uint64_t frame_budget() {
  uint64_t n = kMinFrames;
  if (const char* e = std::getenv("ISOSWITCH_AUTOVALIDATOR_FRAMES")) {
    uint64_t v = std::strtoull(e, nullptr, 10);
#ifdef ISOSWITCH_SANITIZED
    if (v > 0) n = v;
#else
    if (v > n) n = v;  // more is fine; never fewer than a million here
#endif
  }
  return n;
}

struct Stats {
  uint64_t frames = 0;
  uint64_t disagreements = 0;
  std::map<std::string, uint64_t> by_rule;  // explain's rule id + verdict, for coverage
  std::vector<std::string> reports;
};

std::string describe(const char* who, Verdict v, DropReason r, uint16_t port, const Bytes& out) {
  std::ostringstream s;
  s << who << ": " << verdict_name(v);
  if (v == Verdict::kDrop)
    s << " " << drop_reason_name(r);
  else
    s << " port " << port << ", " << out.size() << " bytes\n" << hex_dump(out);
  return s.str();
}

// One policy: `frames` frames from a generator seeded with `seed`.
void validate_policy(const PolicyDoc& doc, const PortTable& ports, uint16_t mtu, uint64_t seed,
                     uint64_t frames, Stats& st) {
  auto compiled = ctl::compile(doc, ports, ctl::CompileOptions{1, mtu});
  ASSERT_TRUE(compiled.has_value()) << compiled.error().message;
  const Snapshot* snap = compiled->get();
  FrameGenerator gen(doc, ports, seed);
  std::vector<PortCounters> counters(ports.size() + 8);
  uint64_t want_rx = 0, want_drops = 0;
  std::mt19937_64 burst_rng(seed ^ 0x5eed);

  uint64_t done = 0;
  while (done < frames) {
    // A burst is judged for one ingress port.
    const uint16_t n =
        static_cast<uint16_t>(std::min<uint64_t>(1 + burst_rng() % kMaxBurst, frames - done));
    // Mostly frames made for this port, some made for another one (whose
    // addresses are then foreign here).
    const uint16_t in_port = gen.pick_port();
    std::vector<GeneratedFrame> burst;
    while (burst.size() < n) {
      GeneratedFrame g = burst_rng() % 10 == 0 ? gen.next() : gen.next_on(in_port);
      g.in_port = in_port;
      burst.push_back(std::move(g));
    }

    rte_mbuf* m[kMaxBurst];
    ASSERT_EQ(rte_pktmbuf_alloc_bulk(test_mempool(), m, n), 0);
    for (uint16_t i = 0; i < n; ++i) {
      const GeneratedFrame& g = burst[i];
      char* p = rte_pktmbuf_append(m[i], static_cast<uint16_t>(g.bytes.size()));
      ASSERT_NE(p, nullptr);
      if (!g.bytes.empty()) std::memcpy(p, g.bytes.data(), g.bytes.size());
      if (g.meta_vlan) {
        m[i]->ol_flags |= RTE_MBUF_F_RX_VLAN | RTE_MBUF_F_RX_VLAN_STRIPPED;
        m[i]->vlan_tci = g.tci;
      }
    }
    dp::BurstActions act{};
    dp::process_burst(snap, in_port, m, n, act, counters.data());

    for (uint16_t i = 0; i < n; ++i) {
      const GeneratedFrame& g = burst[i];
      ctl::FrameIn in;
      in.in_port = in_port;
      in.data = g.bytes.data();
      in.len = g.bytes.size();
      in.vlan_stripped = g.meta_vlan;
      in.vlan_tci = g.tci;
      const ctl::Explanation e = ctl::explain(doc, ports, in, mtu);
      const Bytes got = mbuf_bytes(m[i]);
      ++st.by_rule[e.rule + " " + std::string(verdict_name(e.verdict)) +
                   (e.verdict == Verdict::kDrop ? " " + std::string(drop_reason_name(e.reason))
                                                : "")];
      bool same = act.verdict[i] == e.verdict;
      if (same && e.verdict == Verdict::kDrop) same = act.reason[i] == e.reason;
      if (same && e.verdict != Verdict::kDrop)
        same = act.out_port[i] == e.out_port && got == e.out_frame &&
               (m[i]->ol_flags & kAnyVlanFlag) == 0 &&
               rte_pktmbuf_pkt_len(m[i]) == rte_pktmbuf_data_len(m[i]);
      if (same && e.verdict == Verdict::kDrop) same = got == g.bytes;  // drops are untouched
      if (!same) {
        ++st.disagreements;
        if (st.reports.size() < kMaxReported) {
          std::ostringstream s;
          s << "DISAGREEMENT (seed " << seed << ", frame " << done + i << ", port " << in_port
            << (g.meta_vlan ? ", metadata TCI " + std::to_string(g.tci) : std::string())
            << ", explain rule " << e.rule << ": " << e.detail << ")\nframe " << g.bytes.size()
            << " bytes:\n"
            << hex_dump(g.bytes) << "\n"
            << describe("pipeline", act.verdict[i], act.reason[i], act.out_port[i], got) << "\n"
            << describe("explain ", e.verdict, e.reason, e.out_port, e.out_frame) << "\n"
            << "policy: " << ctl::policy_to_json(doc).dump() << "\n";
          st.reports.push_back(s.str());
        }
      }
      if (act.verdict[i] == Verdict::kDrop) ++want_drops;
    }
    want_rx += n;
    rte_pktmbuf_free_bulk(m, n);
    done += n;
  }
  st.frames += done;

  // Counters: every frame counted once on its ingress port, every drop once.
  uint64_t rx = 0, drops = 0;
  for (const PortCounters& c : counters) {
    rx += c.rx_frames;
    drops += c.total_drops();
  }
  EXPECT_EQ(rx, want_rx);
  EXPECT_EQ(drops, want_drops);
}

TEST(Autovalidator, FastPathAgreesWithExplainOnRandomAndAdversarialFrames) {
  const uint64_t total = frame_budget();
  Stats st;

  // The standard policy gets 40% of the frames, the random policies the rest.
  PolicyDoc std_doc = standard_policy();
  PortTable std_ports = standard_ports();
  validate_policy(std_doc, std_ports, 1500, 1, total * 2 / 5, st);

  auto accept = [](const PolicyDoc& d) { return ctl::validate(d).has_value(); };
  const uint64_t per = (total - st.frames + kRandomPolicies - 1) / kRandomPolicies;
  for (int k = 0; k < kRandomPolicies && !HasFatalFailure(); ++k) {
    RandomPolicy rp = random_policy(1000 + k, accept);
    const uint16_t mtu = (k % 6 == 5) ? 128 : 1500;  // some small MTUs: P1 on ordinary frames
    validate_policy(rp.doc, rp.ports, mtu, 2000 + k, per, st);
  }

  std::ostringstream cov;
  for (const auto& [rule, n] : st.by_rule) cov << "  " << rule << ": " << n << "\n";
  std::printf("autovalidator: %llu frames, %llu disagreements; outcomes seen:\n%s",
              static_cast<unsigned long long>(st.frames),
              static_cast<unsigned long long>(st.disagreements), cov.str().c_str());
  for (const std::string& r : st.reports) ADD_FAILURE() << r;
  EXPECT_EQ(st.disagreements, 0u);
  EXPECT_GE(st.frames, std::min<uint64_t>(total, kMinFrames));

  // Coverage: the generator must reach every verdict kind and the rule families,
  // or agreement would prove little.
  auto seen = [&st](const std::string& prefix) {
    for (const auto& [rule, n] : st.by_rule)
      if (rule.rfind(prefix, 0) == 0) return true;
    return false;
  };
  for (const char* r :
       {"P1 ",        "P2 ",        "P3 ",        "E1 ",        "E2 ",         "E3a reply",
        "E3b reply",  "E3c reply",  "E4 ",        "E5 forward", "E6 forward",  "E7 ",
        "E8 forward", "E8 drop",    "E9 ",        "E10 reply",  "E10 drop",    "E11 ",
        "E12 ",       "U1 forward", "U2 forward", "U3 forward", "U3b forward", "U4 reply",
        "U5 ",        "A1 forward", "A2 forward", "A3 ",        "A4 ",         "A5 reply"})
    EXPECT_TRUE(seen(r)) << "the generator never produced an outcome of rule " << r;
}

}  // namespace
}  // namespace isoswitch::test
