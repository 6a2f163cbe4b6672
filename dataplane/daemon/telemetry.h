// DPDK telemetry commands for isoswitchd, read with dpdk-telemetry.py:
//   /isoswitch/ports             port names in port-index order
//   /isoswitch/stats             counters summed over every port and worker
//   /isoswitch/stats,<port>      one port's counters (name or index)
//   /isoswitch/policy            generation, job/vNIC counts, publishes, workers
// Counter keys: rx_frames rx_bytes tx_frames tx_bytes replies tx_dropped drops
// and drop_<reason> for every DropReason (isoswitch/drop_reason.h).
//
// Thread-safety: the callbacks run on DPDK's telemetry thread. They read only
// the workers' counters (relaxed loads) and the publisher's atomics, never a
// snapshot that may be freed meanwhile. install_telemetry() and
// remove_telemetry() on the main thread; after remove_telemetry() returns, no
// callback touches the context (a mutex orders the two; the telemetry thread
// is not a data path).
#pragma once

#include <vector>

#include "dataplane/daemon/snapshot_publisher.h"
#include "isoswitch/counters.h"
#include "isoswitch/port_table.h"

namespace isoswitch::dp {

struct TelemetryContext {
  const SnapshotPublisher* publisher = nullptr;
  std::vector<const PortCounters*> per_worker;
  PortTable ports;
};

// Registers the commands (once per process) and points them at `ctx`, which
// must stay alive until remove_telemetry(). Registration failure (telemetry
// disabled with --no-telemetry) is not an error: the commands just never run.
void install_telemetry(const TelemetryContext* ctx);
void remove_telemetry();

}  // namespace isoswitch::dp
