// What the control server needs from a data plane, and nothing more.
//
// isoswitchd implements it with an RCU (rte_rcu_qsbr) pointer swap over its
// workers; tests implement it with a plain holder. Keeping it an interface
// keeps control/ free of DPDK and of dataplane internals (CONVENTIONS.md §1).
//
// Thread-safety: the control server calls every method from its own thread,
// one call at a time.
#pragma once

#include <memory>
#include <vector>

#include "isoswitch/counters.h"
#include "isoswitch/result.h"
#include "isoswitch/snapshot.h"

namespace isoswitch::ctl {

class DataplaneHooks {
 public:
  virtual ~DataplaneHooks() = default;

  // Makes `snap` the policy every worker judges frames by. Returns only once
  // no worker can still be using the previous snapshot (after the grace
  // period), so a reply sent afterwards means "applied". The previous
  // snapshot is freed by the implementation.
  virtual Result<void> publish(std::unique_ptr<Snapshot> snap) = 0;

  // publish(), but instead of freeing the previous snapshot, hands it back
  // (after the grace period: no worker reads it any more), or nullptr. The
  // store recycles its storage for the next incremental snapshot: copying
  // into memory already mapped costs about half a fresh copy, and nothing is
  // freed on the acknowledgement path. The default frees it (plain publish).
  virtual Result<std::unique_ptr<Snapshot>> exchange(std::unique_ptr<Snapshot> snap) {
    if (auto r = publish(std::move(snap)); !r) return std::unexpected(r.error());
    return std::unique_ptr<Snapshot>();
  }

  // Counters summed over workers, indexed by port index (PortTable order).
  virtual std::vector<PortCounters> port_counters() = 0;
};

}  // namespace isoswitch::ctl
