// The DPDK environment of the benchmark executables: EAL, one mbuf pool, TSC.
//
// Benchmarks run with hugepages when hugetlbfs is mounted with enough free
// 2 MB pages (perf/hugepages.sh), else with --no-huge, and say which in their
// output (context "hugepages"): the two differ by ~40% here. One lcore, a
// per-process --file-prefix (several benchmark processes may run at once).
//
// Thread-safety: init_bench_env() once from main() before any benchmark;
// the accessors afterwards from the benchmark thread.
#pragma once

#include <cstdint>

#include <rte_mempool.h>

namespace isoswitch::bench {

// Initialises the EAL and the pool; false (after printing why) on failure.
// `force_no_huge` ignores hugepages (ISOSWITCH_BENCH_NO_HUGE=1 does the same).
bool init_bench_env(const char* argv0, bool force_no_huge = false);
void shutdown_bench_env();

rte_mempool* bench_pool();
bool bench_hugepages();
uint64_t tsc_hz();

}  // namespace isoswitch::bench
