#include "dataplane/daemon/daemon_hooks.h"

namespace isoswitch::dp {
namespace {

uint64_t relaxed(const uint64_t& x) noexcept { return __atomic_load_n(&x, __ATOMIC_RELAXED); }

}  // namespace

std::vector<PortCounters> sum_port_counters(const std::vector<const PortCounters*>& per_worker,
                                            uint16_t n_ports) noexcept {
  std::vector<PortCounters> out(n_ports);
  for (const PortCounters* arr : per_worker)
    for (uint16_t p = 0; p < n_ports; ++p) {
      const PortCounters& c = arr[p];
      PortCounters& o = out[p];
      o.rx_frames += relaxed(c.rx_frames);
      o.rx_bytes += relaxed(c.rx_bytes);
      o.tx_frames += relaxed(c.tx_frames);
      o.tx_bytes += relaxed(c.tx_bytes);
      o.replies += relaxed(c.replies);
      for (std::size_t r = 0; r < kNumDropReasons; ++r) o.drops[r] += relaxed(c.drops[r]);
      o.tx_dropped += relaxed(c.tx_dropped);
    }
  return out;
}

Result<void> DaemonHooks::publish(std::unique_ptr<Snapshot> snap) {
  auto old = exchange(std::move(snap));
  if (!old) return std::unexpected(old.error());
  return {};  // `old` freed here, after its grace period
}

Result<std::unique_ptr<Snapshot>> DaemonHooks::exchange(std::unique_ptr<Snapshot> snap) {
  if (snap && snap->ports.size() != n_ports_)
    return make_error(ErrorCode::kInternal,
                      "snapshot compiled for " + std::to_string(snap->ports.size()) +
                          " ports, the data plane has " + std::to_string(n_ports_));
  return pub_.exchange(std::move(snap));
}

std::vector<PortCounters> DaemonHooks::port_counters() {
  return sum_port_counters(per_worker_, n_ports_);
}

}  // namespace isoswitch::dp
