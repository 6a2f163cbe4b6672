// main() for DPDK-using test executables: initialises the EAL once, without
// hugepages and with a per-process file prefix so that tests run in parallel
// (ENVIRONMENT.md: two DPDK processes need distinct prefixes).
#include "tests/support/dpdk_test_main.h"

#include <gtest/gtest.h>
#include <rte_eal.h>
#include <rte_mbuf.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace isoswitch::test {
namespace {
rte_mempool* g_pool = nullptr;
}

rte_mempool* test_mempool() { return g_pool; }

}  // namespace isoswitch::test

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  std::string prefix = "--file-prefix=isosw-test-" + std::to_string(getpid());
  std::vector<std::string> args = {"isoswitch-test", "--no-huge", "-m",           "256",
                                   "--no-pci",       prefix,      "--log-level=3", "--no-telemetry",
                                   "-l",             "0"};
  std::vector<char*> eal_argv;
  for (auto& a : args) eal_argv.push_back(a.data());
  if (rte_eal_init(static_cast<int>(eal_argv.size()), eal_argv.data()) < 0) {
    std::fprintf(stderr, "rte_eal_init failed: cannot run DPDK tests\n");
    return 1;
  }
  isoswitch::test::g_pool =
      rte_pktmbuf_pool_create("test_pool", 8191, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
  if (isoswitch::test::g_pool == nullptr) {
    std::fprintf(stderr, "cannot create the test mbuf pool\n");
    return 1;
  }
  int rc = RUN_ALL_TESTS();
  rte_eal_cleanup();
  return rc;
}
