// Shared by GoogleTest executables that need DPDK (mbufs, mempools, ethdevs).
//
// Thread-safety: call from the test's main thread only.
#pragma once

#include <rte_mempool.h>

namespace isoswitch::test {

// The process-wide mbuf pool created after EAL init (8191 mbufs, 2 KiB data).
rte_mempool* test_mempool();

}  // namespace isoswitch::test
