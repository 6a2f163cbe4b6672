// main() of the Google Benchmark executables that need DPDK: EAL first, then
// the benchmarks, with the machine facts that matter in the output context.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>

#include "perf/bench_env.h"

int main(int argc, char** argv) {
  if (!isoswitch::bench::init_bench_env(argv[0])) return 1;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("hugepages", isoswitch::bench::bench_hugepages() ? "yes" : "no");
  benchmark::AddCustomContext("tsc_hz", std::to_string(isoswitch::bench::tsc_hz()));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  isoswitch::bench::shutdown_bench_env();
  return 0;
}
