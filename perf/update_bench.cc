// What a policy update costs on the control thread, stage by stage.
//
// The daemon acknowledges a mutation after: JSON request -> edit a copy ->
// validate -> compile -> publish (RCU grace period) -> persist -> reply.
// These benchmarks time the in-process stages (no socket, no fsync; the
// harness perf/update_latency measures the acknowledged latency on the
// running daemon) so a slow acknowledgement can be attributed:
//   BM_Compile/<size>            ctl::compile of the whole document
//   BM_VnicUpsert/<size>         copy + upsert_vnic + compile (what one
//                                vnic.upsert costs before publication)
//   BM_HandlerVnicUpsert/<size>  RequestHandler on a vnic.upsert line with a
//                                hooks object that frees the snapshot at once
//                                (the server's whole in-process path)
//   BM_ReplaceJob10k/<size>      upsert_job of a 10,000-peer job replacing
//                                one of the same size + compile
// Size 0 = 1 job / 2 vNICs / 4 peers, 1 = 1,000 jobs / 4,096 vNICs / 64k peers.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/policy/compile.h"
#include "control/policy/edit.h"
#include "control/policy/policy_json.h"
#include "control/server/dataplane_hooks.h"
#include "control/server/policy_store.h"
#include "control/server/request_handler.h"
#include "perf/bench_cases.h"

namespace isoswitch::bench {
namespace {

const PolicySize& size_arg(int64_t i) { return i == 0 ? kSmallPolicy : kLargePolicy; }

JobDoc big_job(uint32_t n, uint32_t first) {
  JobDoc j;
  j.id = "bench-big";
  j.isolated = true;
  for (uint32_t k = 0; k < n; ++k) j.peers.push_back(Ipv4Addr{first + k});
  return j;
}

void BM_Compile(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  for (auto _ : state) {
    auto snap = ctl::compile(p.doc, p.ports, ctl::CompileOptions{2, 1500});
    if (!snap) return state.SkipWithError(snap.error().message.c_str());
    benchmark::DoNotOptimize(snap->get());
  }
  state.SetLabel(p.size.label());
}
BENCHMARK(BM_Compile)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMicrosecond);

void BM_VnicUpsert(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  const VnicDoc v = p.doc.vnics.front();
  for (auto _ : state) {
    PolicyDoc copy = p.doc;
    if (auto r = ctl::upsert_vnic(copy, v); !r) return state.SkipWithError(r.error().message.c_str());
    auto snap = ctl::compile(copy, p.ports, ctl::CompileOptions{2, 1500});
    if (!snap) return state.SkipWithError(snap.error().message.c_str());
    benchmark::DoNotOptimize(snap->get());
  }
  state.SetLabel(p.size.label());
}
BENCHMARK(BM_VnicUpsert)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMicrosecond);

// Publication without a data plane: the snapshot is freed at once.
class DiscardHooks : public ctl::DataplaneHooks {
 public:
  Result<void> publish(std::unique_ptr<Snapshot> snap) override {
    snap.reset();
    return {};
  }
  std::vector<PortCounters> port_counters() override { return {}; }
};

void BM_HandlerVnicUpsert(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  DiscardHooks hooks;
  ctl::PolicyStore store(hooks, p.ports, 1500, "");
  ctl::RequestHandler handler(store);
  const std::string apply =
      nlohmann::json{{"op", "policy.apply"}, {"policy", ctl::policy_to_json(p.doc)}}.dump();
  if (handler.handle_request_line(apply).find("\"ok\":true") == std::string::npos)
    return state.SkipWithError("policy.apply refused");
  const std::string line =
      nlohmann::json{{"op", "vnic.upsert"}, {"vnic", ctl::vnic_to_json(p.doc.vnics.front())}}.dump();
  for (auto _ : state) {
    std::string reply = handler.handle_request_line(line);
    if (reply.find("\"ok\":true") == std::string::npos) return state.SkipWithError(reply.c_str());
    benchmark::DoNotOptimize(reply);
  }
  state.SetLabel(p.size.label());
}
BENCHMARK(BM_HandlerVnicUpsert)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMicrosecond);

void BM_ReplaceJob10k(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  PolicyDoc doc = p.doc;
  if (auto r = ctl::upsert_job(doc, big_job(10000, 0x0A800000u)); !r)
    return state.SkipWithError(r.error().message.c_str());
  const JobDoc other = big_job(10000, 0x0AA00000u);
  for (auto _ : state) {
    PolicyDoc copy = doc;
    if (auto r = ctl::upsert_job(copy, other); !r) return state.SkipWithError(r.error().message.c_str());
    auto snap = ctl::compile(copy, p.ports, ctl::CompileOptions{2, 1500});
    if (!snap) return state.SkipWithError(snap.error().message.c_str());
    benchmark::DoNotOptimize(snap->get());
  }
  state.SetLabel(p.size.label() + " + 10k-peer job");
}
BENCHMARK(BM_ReplaceJob10k)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace isoswitch::bench
