// Opening, configuring and closing the daemon's DPDK ports.
//
// A port is found by its ethdev name (a vdev's name before the first ',', or
// the PCI address), probed with rte_dev_probe() when the EAL has not created
// it yet. Every port gets one TX queue per worker (workers never share a
// queue); the uplink gets the requested number of RSS RX queues when the
// device can, else one (with a warning); every other port one RX queue.
//
// Thread-safety: main thread only, before the workers start / after they
// stopped.
#pragma once

#include <rte_mempool.h>

#include <cstdint>
#include <memory>
#include <string>

#include "dataplane/daemon/options.h"
#include "isoswitch/result.h"

namespace isoswitch::dp {

struct MempoolDeleter {
  void operator()(rte_mempool* p) const noexcept { rte_mempool_free(p); }
};
using MempoolPtr = std::unique_ptr<rte_mempool, MempoolDeleter>;

inline constexpr uint16_t kRxDesc = 1024;
inline constexpr uint16_t kTxDesc = 1024;
inline constexpr unsigned kMempoolCache = 256;

// Enough mbufs for every descriptor ring, every worker's TX batches and
// burst scratch, and the per-lcore caches, rounded to 2^k - 1.
unsigned mbuf_pool_size(uint16_t n_ports, uint16_t uplink_rxq, unsigned workers) noexcept;
// Data room for one frame of `mtu` + 18 bytes of L2 in a single segment (the
// pipeline drops multi-segment frames as too_long): the 2 KiB default up to
// MTU 1982, larger for jumbo frames.
uint16_t mbuf_data_room(uint16_t mtu) noexcept;
Result<MempoolPtr> create_mbuf_pool(unsigned n_mbufs, uint16_t mtu);

// Move-only owner of a configured ethdev: stops (if started) and closes it.
class EthPort {
 public:
  // Finds or probes `spec.devargs`; does not configure.
  static Result<EthPort> open(const PortSpec& spec);

  EthPort(EthPort&& o) noexcept : name_(std::move(o.name_)), id_(o.id_), open_(o.open_),
                                  started_(o.started_), n_rxq_(o.n_rxq_) {
    o.open_ = o.started_ = false;
  }
  EthPort& operator=(EthPort&&) = delete;
  EthPort(const EthPort&) = delete;
  ~EthPort() { close(); }

  // Configures `want_rxq` RX queues (RSS when > 1 and supported), `n_txq` TX
  // queues, sets the MTU (ENOTSUP is logged and ignored), sets up the rings
  // from `pool`. Returns the number of RX queues actually configured.
  Result<uint16_t> configure(uint16_t want_rxq, uint16_t n_txq, uint16_t mtu, rte_mempool* pool);
  // Starts the port and turns promiscuous mode on (best effort: the switch
  // must see frames for the virtual gateway and vNIC MACs).
  Result<void> start();
  void stop() noexcept;
  void close() noexcept;

  uint16_t id() const noexcept { return id_; }
  uint16_t rx_queues() const noexcept { return n_rxq_; }
  const std::string& name() const noexcept { return name_; }

 private:
  EthPort(std::string name, uint16_t id) : name_(std::move(name)), id_(id), open_(true) {}
  std::string name_;  // the isoswitch port name (for messages)
  uint16_t id_ = 0;
  bool open_ = false;
  bool started_ = false;
  uint16_t n_rxq_ = 0;
};

}  // namespace isoswitch::dp
