#include "perf/bench_env.h"

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

namespace isoswitch::bench {
namespace {

rte_mempool* g_pool = nullptr;
bool g_huge = false;
constexpr unsigned kPoolMbufs = 16383;  // a few burst sets of <= 8192 frames at once

// hugetlbfs mounted and at least `pages` 2 MB pages free.
bool hugepages_usable(long pages) {
  std::ifstream mounts("/proc/mounts");
  std::string dev, dir, type, rest;
  bool mounted = false;
  while (mounts >> dev >> dir >> type && std::getline(mounts, rest))
    if (type == "hugetlbfs") mounted = true;
  if (!mounted) return false;
  std::ifstream mi("/proc/meminfo");
  std::string key;
  long value = 0;
  while (mi >> key >> value && std::getline(mi, rest))
    if (key == "HugePages_Free:") return value >= pages;
  return false;
}

}  // namespace

bool init_bench_env(const char* argv0, bool force_no_huge) {
  const char* env = std::getenv("ISOSWITCH_BENCH_NO_HUGE");
  if (env != nullptr && env[0] == '1') force_no_huge = true;
  g_huge = !force_no_huge && hugepages_usable(48);
  std::vector<std::string> args = {argv0, "--no-pci", "--log-level=3", "--no-telemetry", "-l", "0",
                                   "--file-prefix=isosw-bench-" + std::to_string(getpid())};
  if (g_huge) {
    args.insert(args.end(), {"-m", "64"});
  } else {
    args.insert(args.end(), {"--no-huge", "-m", "256"});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(argv.size()), argv.data()) < 0) {
    std::fprintf(stderr, "benchmark: rte_eal_init failed\n");
    return false;
  }
  g_pool = rte_pktmbuf_pool_create("bench_pool", kPoolMbufs, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
                                   SOCKET_ID_ANY);
  if (g_pool == nullptr) {
    std::fprintf(stderr, "benchmark: cannot create the mbuf pool\n");
    return false;
  }
  return true;
}

void shutdown_bench_env() {
  if (g_pool != nullptr) rte_mempool_free(g_pool);
  g_pool = nullptr;
  rte_eal_cleanup();
}

rte_mempool* bench_pool() { return g_pool; }
bool bench_hugepages() { return g_huge; }
uint64_t tsc_hz() { return rte_get_tsc_hz(); }

}  // namespace isoswitch::bench
