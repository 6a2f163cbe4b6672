// isoswitchd's implementation of ctl::DataplaneHooks: publication through
// the QSBR SnapshotPublisher, counters summed over the workers' arrays.
//
// Thread-safety: publish() and port_counters() from the control thread (the
// server calls them one at a time). sum_port_counters() may be called from
// any thread (telemetry): it only reads counters with relaxed loads.
#pragma once

#include <vector>

#include "control/server/dataplane_hooks.h"
#include "dataplane/daemon/snapshot_publisher.h"
#include "isoswitch/counters.h"

namespace isoswitch::dp {

// Sums `n_ports` counters of every per-worker array (each indexed by port
// index). Reads each field once with a relaxed atomic load: the owning
// worker keeps writing while we read, and a value one burst stale is fine.
std::vector<PortCounters> sum_port_counters(const std::vector<const PortCounters*>& per_worker,
                                            uint16_t n_ports) noexcept;

class DaemonHooks final : public ctl::DataplaneHooks {
 public:
  DaemonHooks(SnapshotPublisher& pub, std::vector<const PortCounters*> per_worker, uint16_t n_ports)
      : pub_(pub), per_worker_(std::move(per_worker)), n_ports_(n_ports) {}

  Result<void> publish(std::unique_ptr<Snapshot> snap) override;
  Result<std::unique_ptr<Snapshot>> exchange(std::unique_ptr<Snapshot> snap) override;
  std::vector<PortCounters> port_counters() override;

 private:
  SnapshotPublisher& pub_;
  std::vector<const PortCounters*> per_worker_;
  uint16_t n_ports_;
};

}  // namespace isoswitch::dp
