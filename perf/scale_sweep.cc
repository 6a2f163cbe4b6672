// Scale sweep: the pipeline's cost per frame as the policy grows.
//
// For each policy size (jobs x vNICs x peers, gen_policy.py's address plan)
// and each mix (uplink_mix: 70% U1 allowed over every vNIC, 30% denied;
// vnic_mix: bursts from every vNIC, 70% to peers, 30% not_peer), judges 8,192
// frames in bursts of 32, --passes times, and reports the median burst's
// cycles/frame (process_burst only, no RX/TX) and the Mpps one core would
// reach at that cost. The target: the 1,000-job / 4,096-vNIC / 64k-peer
// policy within 95% of the 1-job / 2-vNIC one.
//
// Usage: scale_sweep [--passes N] [--csv FILE]
// Prints a table; the CSV has one row per (size, mix).
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "perf/bench_cases.h"
#include "perf/bench_env.h"

using namespace isoswitch;
using namespace isoswitch::bench;

int main(int argc, char** argv) {
  int passes = 30;
  std::string csv_path;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--passes") == 0 && i + 1 < argc) {
      passes = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--csv") == 0 && i + 1 < argc) {
      csv_path = argv[++i];
    } else {
      std::fprintf(stderr, "usage: %s [--passes N] [--csv FILE]\n", argv[0]);
      return 2;
    }
  }
  if (passes < 1) passes = 1;
  if (!init_bench_env(argv[0])) return 1;
  const double hz = static_cast<double>(tsc_hz());

  const PolicySize sizes[] = {{1, 2, 4},          {10, 40, 640},        {100, 400, 6400},
                              {1000, 4096, 65536}, {1000, 4096, 262144}, {4000, 16384, 262144}};
  const Family mixes[] = {Family::uplink_mix, Family::vnic_mix};

  FILE* csv = nullptr;
  if (!csv_path.empty()) {
    csv = std::fopen(csv_path.c_str(), "w");
    if (csv == nullptr) {
      std::perror(csv_path.c_str());
      return 1;
    }
    std::fprintf(csv, "jobs,vnics,peers,mix,hugepages,cycles_per_frame,mpps,vs_smallest\n");
  }
  std::printf("scale sweep (%s, TSC %.0f MHz, %d passes x 8192 frames, process_burst only)\n",
              bench_hugepages() ? "hugepages" : "no hugepages", hz / 1e6, passes);
  std::printf("%-22s %-11s %10s %8s %10s\n", "policy", "mix", "cyc/frame", "Mpps", "vs 1j/2v");
  double base[2] = {0, 0};
  for (const PolicySize& size : sizes) {
    auto p = make_scaled_policy(size);
    if (!p) {
      std::fprintf(stderr, "scale_sweep: %s: %s\n", size.label().c_str(), p.error().message.c_str());
      return 1;
    }
    std::vector<PortCounters> counters(p->ports.size());
    for (int m = 0; m < 2; ++m) {
      auto set = BurstSet::build(*p, mixes[m], 8192, bench_pool());
      if (!set) {
        std::fprintf(stderr, "scale_sweep: %s\n", set.error().message.c_str());
        return 1;
      }
      std::vector<double> scratch, per_pass;
      time_bursts(*p, *set, counters, scratch);  // warm the caches once
      for (int k = 0; k < passes; ++k)
        per_pass.push_back(time_bursts(*p, *set, counters, scratch).median_cycles_per_frame);
      const double cyc = median(per_pass);
      const double mpps = cyc > 0 ? hz / cyc / 1e6 : 0.0;
      if (base[m] == 0) base[m] = mpps;
      const double rel = base[m] > 0 ? mpps / base[m] : 0.0;
      std::printf("%-22s %-11s %10.1f %8.1f %9.1f%%\n", size.label().c_str(),
                  std::string(family_name(mixes[m])).c_str(), cyc, mpps, 100.0 * rel);
      if (csv != nullptr)
        std::fprintf(csv, "%u,%u,%u,%s,%d,%.2f,%.2f,%.4f\n", size.jobs, size.vnics, size.peers,
                     std::string(family_name(mixes[m])).c_str(), bench_hugepages() ? 1 : 0, cyc,
                     mpps, rel);
    }
  }
  if (csv != nullptr) std::fclose(csv);
  shutdown_bench_env();
  return 0;
}
