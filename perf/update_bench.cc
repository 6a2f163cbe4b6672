// What a policy update costs on the control thread, stage by stage.
//
// The daemon acknowledges a single-object edit after: JSON request ->
// incremental check (CompiledPolicy::plan) -> copy of the running snapshot,
// patched (derive) -> journal append + fdatasync -> publish (RCU grace
// period) -> commit -> reply; whole documents go validate -> compile ->
// state file rewrite. These benchmarks time the in-process stages (no
// socket, no fsync; perf/update_latency measures the acknowledged latency
// on the running daemon) so a slow acknowledgement can be attributed:
//   BM_Compile/<size>            ctl::compile of the whole document (the
//                                full path's cost, and what every update
//                                cost before the incremental path)
//   BM_VnicUpsert/<size>         copy + upsert_vnic + compile (the full path
//                                for one vnic.upsert)
//   BM_IncrementalVnicUpsert/<size>  plan + derive of a vnic.upsert (what the
//                                fast path costs before publication)
//   BM_SnapshotCopy/<size>       copying the running snapshot into fresh memory
//   BM_SnapshotCopyAssign/<size> copying it into a retired snapshot's storage
//                                (derive without a catch-up plan); with one,
//                                derive copies nothing (BM_HandlerVnicUpsert)
//   BM_HandlerVnicUpsert/<size>  RequestHandler on a vnic.upsert line with a
//                                hooks object that frees the snapshot at once
//                                (the server's whole in-process path: JSON,
//                                plan, derive, publish, commit, reply)
//   BM_ReplaceJob10k/<size>      upsert_job of a 10,000-peer job replacing
//                                one of the same size + compile (full path)
//   BM_IncrementalReplaceJob10k/<size>  the same through plan + derive + commit
//   BM_HandlerReplaceJob10k/<size>  RequestHandler on a 10k-peer job.upsert
//                                line (JSON parse of 10k addresses included)
//   BM_HandlerVnicUpsertJournal/<size>, BM_HandlerReplaceJob10kJournal/<size>
//                                the same with persistence on: a state file
//                                and journal in build dir (journal append +
//                                fdatasync per request, on this disk)
// Size 0 = 1 job / 2 vNICs / 4 peers, 1 = 1,000 jobs / 4,096 vNICs / 64k peers.
#include <benchmark/benchmark.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "control/policy/compile.h"
#include "control/policy/edit.h"
#include "control/policy/incremental.h"
#include "control/policy/policy_json.h"
#include "control/server/dataplane_hooks.h"
#include "control/server/policy_store.h"
#include "control/server/request_handler.h"
#include "perf/bench_cases.h"

namespace isoswitch::bench {
namespace {

const PolicySize& size_arg(int64_t i) {
  return i == 0 ? kSmallPolicy : kLargePolicy;
}

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
    if (auto r = ctl::upsert_vnic(copy, v); !r)
      return state.SkipWithError(r.error().message.c_str());
    auto snap = ctl::compile(copy, p.ports, ctl::CompileOptions{2, 1500});
    if (!snap) return state.SkipWithError(snap.error().message.c_str());
    benchmark::DoNotOptimize(snap->get());
  }
  state.SetLabel(p.size.label());
}
BENCHMARK(BM_VnicUpsert)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMicrosecond);

// Publication without a data plane: the grace period is over at once; the
// previous snapshot is handed back for reuse, as isoswitchd does.
class DiscardHooks : public ctl::DataplaneHooks {
 public:
  Result<void> publish(std::unique_ptr<Snapshot> snap) override {
    current_ = std::move(snap);
    return {};
  }
  Result<std::unique_ptr<Snapshot>> exchange(std::unique_ptr<Snapshot> snap) override {
    std::swap(current_, snap);
    return snap;
  }
  std::vector<PortCounters> port_counters() override { return {}; }

 private:
  std::unique_ptr<Snapshot> current_;
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
      nlohmann::json{{"op", "vnic.upsert"}, {"vnic", ctl::vnic_to_json(p.doc.vnics.front())}}
          .dump();
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
    if (auto r = ctl::upsert_job(copy, other); !r)
      return state.SkipWithError(r.error().message.c_str());
    auto snap = ctl::compile(copy, p.ports, ctl::CompileOptions{2, 1500});
    if (!snap) return state.SkipWithError(snap.error().message.c_str());
    benchmark::DoNotOptimize(snap->get());
  }
  state.SetLabel(p.size.label() + " + 10k-peer job");
}
BENCHMARK(BM_ReplaceJob10k)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMillisecond);

// The handler over a store with `p` applied; persistence under `state`
// ("" = none). Replies are checked; the loop alternates between `lines`.
void run_handler(benchmark::State& state, const ScaledPolicy& p, const std::string& state_file,
                 const std::vector<std::string>& lines) {
  DiscardHooks hooks;
  ctl::PolicyStore store(hooks, p.ports, 1500, state_file);
  ctl::RequestHandler handler(store);
  const std::string apply =
      nlohmann::json{{"op", "policy.apply"}, {"policy", ctl::policy_to_json(p.doc)}}.dump();
  if (handler.handle_request_line(apply).find("\"ok\":true") == std::string::npos)
    return state.SkipWithError("policy.apply refused");
  std::size_t i = 0;
  for (auto _ : state) {
    std::string reply = handler.handle_request_line(lines[i++ % lines.size()]);
    if (reply.find("\"ok\":true") == std::string::npos) return state.SkipWithError(reply.c_str());
    benchmark::DoNotOptimize(reply);
  }
  if (store.incremental_count() == 0) state.SkipWithError("the fast path was never taken");
  state.SetLabel(p.size.label());
}

std::string job_line(const JobDoc& j) {
  return nlohmann::json{{"op", "job.upsert"}, {"job", ctl::job_to_json(j)}}.dump();
}

// A fresh state file path in the current directory (on disk, not tmpfs).
std::string bench_state_file() {
  std::string dir = "update-bench-state." + std::to_string(::getpid());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directory(dir);
  return dir + "/state.json";
}

void BM_HandlerReplaceJob10k(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  run_handler(state, p, "",
              {job_line(big_job(10000, 0x0A800000u)), job_line(big_job(10000, 0x0AA00000u))});
}
BENCHMARK(BM_HandlerReplaceJob10k)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMillisecond);

void BM_HandlerVnicUpsertJournal(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  const std::string file = bench_state_file();
  run_handler(
      state, p, file,
      {nlohmann::json{{"op", "vnic.upsert"}, {"vnic", ctl::vnic_to_json(p.doc.vnics.front())}}
           .dump()});
  std::filesystem::remove_all(std::filesystem::path(file).parent_path());
}
BENCHMARK(BM_HandlerVnicUpsertJournal)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("size")
    ->Unit(benchmark::kMicrosecond);

void BM_HandlerReplaceJob10kJournal(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  const std::string file = bench_state_file();
  run_handler(state, p, file,
              {job_line(big_job(10000, 0x0A800000u)), job_line(big_job(10000, 0x0AA00000u))});
  std::filesystem::remove_all(std::filesystem::path(file).parent_path());
}
BENCHMARK(BM_HandlerReplaceJob10kJournal)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("size")
    ->Unit(benchmark::kMillisecond);

ctl::CompiledPolicy compiled(const ScaledPolicy& p, const PolicyDoc& doc) {
  auto cp = ctl::CompiledPolicy::build(doc, p.ports, ctl::CompileOptions{1, 1500});
  if (!cp) std::abort();  // the benchmark policies are valid
  return std::move(*cp);
}

void BM_IncrementalVnicUpsert(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  const ctl::CompiledPolicy cp = compiled(p, p.doc);
  ctl::PolicyEdit e;
  e.kind = ctl::PolicyEdit::Kind::kUpsertVnic;
  e.vnic = p.doc.vnics.front();
  for (auto _ : state) {
    auto plan = cp.plan(e);
    if (!plan) return state.SkipWithError("not certified");
    auto snap = cp.derive(*plan, 2);
    benchmark::DoNotOptimize(snap.get());
  }
  state.SetLabel(p.size.label());
}
BENCHMARK(BM_IncrementalVnicUpsert)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMicrosecond);

void BM_SnapshotCopy(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  const ctl::CompiledPolicy cp = compiled(p, p.doc);
  for (auto _ : state) {
    auto snap = cp.copy_snapshot(2);
    benchmark::DoNotOptimize(snap.get());
  }
  state.SetLabel(p.size.label());
}
BENCHMARK(BM_SnapshotCopy)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMicrosecond);

void BM_SnapshotCopyAssign(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  const ctl::CompiledPolicy cp = compiled(p, p.doc);
  auto spare = cp.copy_snapshot(1);
  for (auto _ : state) {
    *spare = cp.snapshot();
    benchmark::DoNotOptimize(spare.get());
  }
  state.SetLabel(p.size.label());
}
BENCHMARK(BM_SnapshotCopyAssign)->Arg(0)->Arg(1)->ArgName("size")->Unit(benchmark::kMicrosecond);

void BM_IncrementalReplaceJob10k(benchmark::State& state) {
  const ScaledPolicy& p = cached_policy(size_arg(state.range(0)));
  PolicyDoc doc = p.doc;
  if (auto r = ctl::upsert_job(doc, big_job(10000, 0x0A800000u)); !r)
    return state.SkipWithError(r.error().message.c_str());
  ctl::CompiledPolicy cp = compiled(p, doc);
  ctl::PolicyEdit e[2];
  e[0].kind = e[1].kind = ctl::PolicyEdit::Kind::kUpsertJob;
  e[0].job = big_job(10000, 0x0AA00000u);
  e[1].job = big_job(10000, 0x0A800000u);
  uint64_t g = 1;
  for (auto _ : state) {
    auto plan = cp.plan(e[g & 1]);
    if (!plan) return state.SkipWithError("not certified");
    auto snap = cp.derive(*plan, g + 1);
    benchmark::DoNotOptimize(snap.get());
    cp.commit(std::move(*plan), ++g);
  }
  state.SetLabel(p.size.label() + " + 10k-peer job");
}
BENCHMARK(BM_IncrementalReplaceJob10k)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("size")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace isoswitch::bench
