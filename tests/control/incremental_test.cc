// CompiledPolicy (control/policy/incremental.h) against the full path.
//
// Random sequences of single-object edits, drawn from small address/name
// pools so that collisions (shared peers, VLANs, MACs, ports, VPC ranges
// over peers, vNICs whose IP leaves their job) are frequent. After every
// edit:
//   - plan() may accept only what validate() accepts on the edited document;
//   - the derived snapshot and the committed one equal compile() of that
//     document field by field, address tables by lookup of every address;
//   - PolicyStore::apply gives the same accept/refuse decision, error code
//     and message as check_edit + validate on the full document.
// And the fast path must actually be taken for most accepted edits, or the
// certifier would be uselessly timid.
#include <gtest/gtest.h>

#include <random>
#include <set>
#include <string>
#include <vector>

#include "control/policy/compile.h"
#include "control/policy/edit.h"
#include "control/policy/incremental.h"
#include "control/policy/validate.h"
#include "control/server/policy_store.h"
#include "tests/control/server/fake_hooks.h"
#include "tests/support/test_policy.h"

namespace isoswitch::ctl {
namespace {

PortTable test_ports() {
  PortTable t = test::standard_ports();
  for (int i = 0; i < 8; ++i) t.ports.push_back({"vx" + std::to_string(i), PortRole::kVnic});
  return t;
}

void expect_same_info(const AddrInfo* a, const AddrInfo* b, const std::string& what) {
  ASSERT_EQ(a == nullptr, b == nullptr) << what;
  if (!a) return;
  EXPECT_EQ(a->kind, b->kind) << what;
  EXPECT_EQ(a->port, b->port) << what;
  EXPECT_EQ(a->job, b->job) << what;
}

void expect_same_snapshot(const Snapshot& got, const Snapshot& want, const std::string& ctx) {
  SCOPED_TRACE(ctx);
  EXPECT_EQ(got.generation, want.generation);
  EXPECT_EQ(got.mtu, want.mtu);
  EXPECT_EQ(got.gateway_mac, want.gateway_mac);
  EXPECT_EQ(got.uplink_mac, want.uplink_mac);
  EXPECT_EQ(got.next_hop_mac, want.next_hop_mac);
  EXPECT_EQ(got.agent_mac, want.agent_mac);
  EXPECT_EQ(got.uplink_ip, want.uplink_ip);
  EXPECT_EQ(got.gateway_ip, want.gateway_ip);
  EXPECT_EQ(got.agent_service_ip, want.agent_service_ip);
  EXPECT_EQ(got.uplink_port, want.uplink_port);
  EXPECT_EQ(got.agent_port, want.agent_port);
  ASSERT_EQ(got.ports.size(), want.ports.size());
  for (std::size_t i = 0; i < got.ports.size(); ++i) {
    const PortEntry &a = got.ports[i], &b = want.ports[i];
    const std::string w = "ports[" + std::to_string(i) + "]";
    EXPECT_EQ(a.role, b.role) << w;
    EXPECT_EQ(a.has_ipv6, b.has_ipv6) << w;
    EXPECT_EQ(a.job, b.job) << w;
    EXPECT_EQ(a.vnic, b.vnic) << w;
    EXPECT_EQ(a.mac, b.mac) << w;
    EXPECT_EQ(a.deliver.dst, b.deliver.dst) << w;
    EXPECT_EQ(a.deliver.src, b.deliver.src) << w;
    EXPECT_EQ(a.ip, b.ip) << w;
    EXPECT_EQ(a.ip6, b.ip6) << w;
  }
  ASSERT_EQ(got.jobs.size(), want.jobs.size());
  for (std::size_t i = 0; i < got.jobs.size(); ++i) {
    const JobEntry &a = got.jobs[i], &b = want.jobs[i];
    const std::string w = "jobs[" + std::to_string(i) + "]";
    EXPECT_EQ(a.isolated, b.isolated) << w;
    EXPECT_EQ(a.has_vpc, b.has_vpc) << w;
    EXPECT_EQ(a.vlan, b.vlan) << w;
    EXPECT_EQ(a.vpc_egress.dst, b.vpc_egress.dst) << w;
    EXPECT_EQ(a.vpc_egress.src, b.vpc_egress.src) << w;
    EXPECT_EQ(a.vpc_agent_ip, b.vpc_agent_ip) << w;
    EXPECT_EQ(a.range_begin, b.range_begin) << w;
    EXPECT_EQ(a.range_end, b.range_end) << w;
  }
  ASSERT_EQ(got.vpc_ranges.size(), want.vpc_ranges.size());
  for (std::size_t i = 0; i < got.vpc_ranges.size(); ++i) {
    EXPECT_EQ(got.vpc_ranges[i].lo, want.vpc_ranges[i].lo) << i;
    EXPECT_EQ(got.vpc_ranges[i].hi, want.vpc_ranges[i].hi) << i;
  }
  EXPECT_EQ(got.vlan_to_job, want.vlan_to_job);
  EXPECT_EQ(got.job_ids, want.job_ids);
  EXPECT_EQ(got.vnic_ids, want.vnic_ids);
  // Address tables: same key set, same info for every key, both ways.
  EXPECT_EQ(got.addr4.count(), want.addr4.count());
  EXPECT_EQ(got.addr6.count(), want.addr6.count());
  want.addr4.for_each([&](const Addr4Slot& s) {
    expect_same_info(got.addr4.find(s.ip), &s.info, "addr4 " + to_string(Ipv4Addr{s.ip}));
  });
  got.addr4.for_each([&](const Addr4Slot& s) {
    expect_same_info(&s.info, want.addr4.find(s.ip), "addr4 " + to_string(Ipv4Addr{s.ip}));
  });
  EXPECT_EQ(got.local4.count(), want.local4.count());
  EXPECT_EQ(got.local4.size(), got.local4.count()) << "size() kept in step";
  want.local4.for_each([&](const Addr4Slot& s) {
    expect_same_info(got.local4.find(s.ip), &s.info, "local4 " + to_string(Ipv4Addr{s.ip}));
  });
  got.local4.for_each([&](const Addr4Slot& s) {
    expect_same_info(&s.info, want.local4.find(s.ip), "local4 " + to_string(Ipv4Addr{s.ip}));
  });
  want.addr6.for_each([&](const Addr6Slot& s) {
    expect_same_info(got.addr6.find(s.ip.b.data()), &s.info, "addr6 " + to_string(s.ip));
  });
  got.addr6.for_each([&](const Addr6Slot& s) {
    expect_same_info(&s.info, want.addr6.find(s.ip.b.data()), "addr6 " + to_string(s.ip));
  });
}

// Random edits over small pools (see the file comment).
class EditGen {
 public:
  explicit EditGen(uint32_t seed) : rng_(seed) {}

  PolicyEdit next(const PolicyDoc& doc, const PortTable& ports) {
    switch (below(10)) {
      case 0:
      case 1:
      case 2:
        return upsert_job(doc);
      case 3:
        return del(PolicyEdit::Kind::kDeleteJob, pick(job_ids()));
      case 4:
      case 5:
      case 6:
      case 7:
        return upsert_vnic(doc, ports);
      default:
        return del(PolicyEdit::Kind::kDeleteVnic, pick(vnic_ids()));
    }
  }

 private:
  uint32_t below(uint32_t n) { return std::uniform_int_distribution<uint32_t>(0, n - 1)(rng_); }
  bool chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[below(static_cast<uint32_t>(v.size()))];
  }

  static std::vector<std::string> job_ids() {
    return {"train-a", "train-c", "infer-b", "j0", "j1", "j2", "j3", "j4", ""};
  }
  static std::vector<std::string> vnic_ids() {
    return {"a-0", "a-1", "c-0", "b-0", "v0", "v1", "v2", "v3", "v4", "v5"};
  }

  Ipv4Addr addr4() {
    static const char* specials[] = {"10.1.0.11",  "10.1.0.12",   "10.3.0.7",   "10.2.0.5",
                                     "10.1.1.21",  "172.31.5.10", "52.216.0.5", "192.0.2.10",
                                     "192.0.2.11", "169.254.1.1", "127.0.0.1",  "3.5.1.1"};
    if (chance(0.15)) return *parse_ipv4(specials[below(12)]);
    return Ipv4Addr{0x0A090000u + below(48)};  // 10.9.0.0/26 mostly
  }
  Ipv6Addr addr6() {
    static const char* specials[] = {"fd00:1::11", "fd00:1::12", "fd00:1::21", "fe80::1"};
    if (chance(0.3)) return *parse_ipv6(specials[below(4)]);
    Ipv6Addr a = *parse_ipv6("fd00:9::");
    a.b[15] = static_cast<uint8_t>(below(16));
    return a;
  }

  PolicyEdit upsert_job(const PolicyDoc& doc) {
    PolicyEdit e;
    e.kind = PolicyEdit::Kind::kUpsertJob;
    JobDoc& j = e.job;
    j.id = pick(job_ids());
    j.isolated = chance(0.7);
    for (uint32_t n = below(7); n > 0; --n) j.peers.push_back(addr4());
    for (uint32_t n = chance(0.3) ? below(3) : 0; n > 0; --n) j.peers6.push_back(addr6());
    // Keep the job's vNICs' addresses most of the time, so replacing a
    // job with vNICs is often valid.
    if (chance(0.8))
      for (const VnicDoc& v : doc.vnics)
        if (v.job == j.id) {
          j.peers.push_back(v.ip);
          if (v.ipv6) j.peers6.push_back(*v.ipv6);
        }
    if (chance(0.35)) {
      VpcDoc vpc;
      static const uint16_t vlans[] = {101, 102, 103, 104, 4095};
      vpc.vlan = vlans[below(5)];
      vpc.gateway_mac = *parse_mac(chance(0.95) ? "02:00:00:00:bb:fe" : "01:00:5e:00:00:01");
      static const char* agents[] = {"172.31.5.10", "172.31.6.10", "172.31.7.10", "10.9.0.1",
                                     "192.0.2.11"};
      vpc.agent_ip = *parse_ipv4(agents[below(5)]);
      static const char* prefixes[] = {"52.216.0.0/15",   "3.5.0.0/16",      "10.9.0.32/28",
                                       "198.51.100.0/24", "198.51.101.0/24", "10.9.1.0/24"};
      for (uint32_t n = 1 + below(3); n > 0; --n)
        vpc.prefixes.push_back(*parse_ipv4_prefix(prefixes[below(6)]));
      j.vpc = vpc;
    }
    return e;
  }

  PolicyEdit upsert_vnic(const PolicyDoc& doc, const PortTable& ports) {
    PolicyEdit e;
    e.kind = PolicyEdit::Kind::kUpsertVnic;
    VnicDoc& v = e.vnic;
    v.id = pick(vnic_ids());
    const PortDesc& p = ports.ports[below(static_cast<uint32_t>(ports.ports.size()))];
    v.port = chance(0.05) ? "no-such-port" : p.name;
    MacAddr m = *parse_mac("02:00:00:09:00:00");
    m.b[5] = static_cast<uint8_t>(below(12));
    v.mac = chance(0.05) ? *parse_mac("02:fe:00:00:00:01") : m;
    const JobDoc* job = doc.jobs.empty() || chance(0.05)
                            ? nullptr
                            : &doc.jobs[below(static_cast<uint32_t>(doc.jobs.size()))];
    v.job = job ? job->id : "ghost";
    if (job && !job->peers.empty() && chance(0.85))
      v.ip = job->peers[below(static_cast<uint32_t>(job->peers.size()))];
    else
      v.ip = addr4();
    if (chance(0.3)) {
      if (job && !job->peers6.empty() && chance(0.8))
        v.ipv6 = job->peers6[below(static_cast<uint32_t>(job->peers6.size()))];
      else
        v.ipv6 = addr6();
    }
    return e;
  }

  static PolicyEdit del(PolicyEdit::Kind k, const std::string& id) {
    PolicyEdit e;
    e.kind = k;
    e.id = id;
    return e;
  }

  std::mt19937 rng_;
};

struct FullResult {
  Result<void> decision;
  PolicyDoc doc;
};

FullResult full_path(const PolicyDoc& doc, const PortTable& ports, const PolicyEdit& e) {
  FullResult out{{}, doc};
  if (auto r = check_edit(doc, e); !r) {
    out.decision = r;
    return out;
  }
  if (auto r = apply_edit(out.doc, e); !r) {
    out.decision = r;
    return out;
  }
  // What the store always did: validate, then compile (port bindings).
  auto snap = compile(out.doc, ports, CompileOptions{1, 1500});
  if (!snap) out.decision = std::unexpected(snap.error());
  return out;
}

class IncrementalTest : public ::testing::TestWithParam<uint32_t> {};

TEST_P(IncrementalTest, RandomEditsMatchTheFullPath) {
  const PortTable ports = test_ports();
  auto built = CompiledPolicy::build(test::standard_policy(), ports, CompileOptions{1, 1500});
  ASSERT_TRUE(built) << built.error().message;
  CompiledPolicy cp = std::move(*built);

  test::FakeHooks hooks;
  PolicyStore store(hooks, ports, 1500, "");
  ASSERT_TRUE(store.mutate(
      [](PolicyDoc& d) -> Result<void> {
        d = test::standard_policy();
        return {};
      },
      std::nullopt, false));
  ASSERT_EQ(store.generation(), 1u);

  EditGen gen(GetParam());
  uint64_t generation = 1;
  int accepted = 0, fast = 0, refused = 0;
  for (int step = 0; step < 1500; ++step) {
    const PolicyEdit e = gen.next(cp.doc(), ports);
    const FullResult full = full_path(cp.doc(), ports, e);
    const std::string ctx = "seed " + std::to_string(GetParam()) + " step " + std::to_string(step);

    // The store: same decision, code and message as the full path.
    auto s = store.apply(e, std::nullopt);
    ASSERT_EQ(s.has_value(), full.decision.has_value())
        << ctx << ": store " << (s ? "accepted" : s.error().message) << ", full path "
        << (full.decision ? "accepted" : full.decision.error().message);
    if (!s) {
      EXPECT_EQ(s.error().code, full.decision.error().code) << ctx;
      EXPECT_EQ(s.error().message, full.decision.error().message) << ctx;
    }

    std::optional<CompiledPolicy::Plan> plan;
    if (check_edit(cp.doc(), e)) plan = cp.plan(e);
    if (plan) {
      ASSERT_TRUE(full.decision) << ctx << ": certified an edit validate() refuses: "
                                 << full.decision.error().message;
    }
    if (!full.decision) {
      ++refused;
      continue;
    }
    ++accepted;
    ++generation;
    auto want = compile(full.doc, ports, CompileOptions{generation, 1500});
    ASSERT_TRUE(want) << ctx << ": " << want.error().message;
    if (plan) {
      ++fast;
      auto derived = cp.derive(*plan, generation);
      expect_same_snapshot(*derived, **want, ctx + " derived");
      cp.commit(std::move(*plan), generation);
      expect_same_snapshot(cp.snapshot(), **want, ctx + " committed");
    } else {
      auto rebuilt = CompiledPolicy::build(full.doc, ports, CompileOptions{generation, 1500});
      ASSERT_TRUE(rebuilt) << ctx;
      cp = std::move(*rebuilt);
    }
    ASSERT_NE(hooks.current, nullptr);
    expect_same_snapshot(*hooks.current, **want, ctx + " published by the store");
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(accepted, 200) << "the generator should produce many valid edits";
  EXPECT_GT(refused, 200) << "and many invalid ones";
  EXPECT_GE(fast * 10, accepted * 9) << fast << " of " << accepted << " accepted on the fast path";
}

INSTANTIATE_TEST_SUITE_P(Seeds, IncrementalTest, ::testing::Values(1u, 2u, 3u, 4u, 5u, 6u));

TEST(Incremental, TableGrowsAndShrinksKeepLookupsExact) {
  // A job replaced by ever larger ones forces rehashes of the patched table.
  const PortTable ports = test_ports();
  auto built = CompiledPolicy::build(test::standard_policy(), ports, CompileOptions{1, 1500});
  ASSERT_TRUE(built);
  CompiledPolicy cp = std::move(*built);
  PolicyDoc doc = test::standard_policy();
  uint64_t g = 1;
  for (uint32_t n : {10u, 300u, 5000u, 3u, 20000u, 0u}) {
    PolicyEdit e;
    e.kind = PolicyEdit::Kind::kUpsertJob;
    e.job.id = "big";
    for (uint32_t k = 0; k < n; ++k) e.job.peers.push_back(Ipv4Addr{0x0B000000u + k * 7});
    auto plan = cp.plan(e);
    ASSERT_TRUE(plan) << n;
    ASSERT_TRUE(apply_edit(doc, e));
    cp.commit(std::move(*plan), ++g);
    auto want = compile(doc, ports, CompileOptions{g, 1500});
    ASSERT_TRUE(want);
    expect_same_snapshot(cp.snapshot(), **want, "n=" + std::to_string(n));
  }
}

}  // namespace
}  // namespace isoswitch::ctl
