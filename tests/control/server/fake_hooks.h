// A DataplaneHooks for tests: records every published snapshot's generation,
// keeps the last snapshot, serves counters the test sets, and can be told to
// fail the next publish.
//
// Thread-safety: every member is guarded by `mu`, so a test thread may
// inspect it while a server thread publishes.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include "control/server/dataplane_hooks.h"

namespace isoswitch::test {

class FakeHooks : public ctl::DataplaneHooks {
 public:
  Result<void> publish(std::unique_ptr<Snapshot> snap) override {
    std::lock_guard lock(mu);
    if (fail_publish)
      return make_error(ErrorCode::kUnavailable, "fake data plane refuses to publish");
    published.push_back(snap->generation);
    current = std::move(snap);
    return {};
  }
  // Hands the previous snapshot back, as isoswitchd does, so the tests run
  // the store's recycling of retired snapshots.
  Result<std::unique_ptr<Snapshot>> exchange(std::unique_ptr<Snapshot> snap) override {
    std::lock_guard lock(mu);
    if (fail_publish)
      return make_error(ErrorCode::kUnavailable, "fake data plane refuses to publish");
    published.push_back(snap->generation);
    std::swap(current, snap);
    return snap;
  }
  std::vector<PortCounters> port_counters() override {
    std::lock_guard lock(mu);
    return counters;
  }

  std::vector<uint64_t> published_generations() {
    std::lock_guard lock(mu);
    return published;
  }

  std::mutex mu;
  bool fail_publish = false;
  std::vector<uint64_t> published;
  std::unique_ptr<Snapshot> current;
  std::vector<PortCounters> counters;
};

}  // namespace isoswitch::test
