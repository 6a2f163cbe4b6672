// Port bring-up for isoswitchd (see eth_port.h).
#include "dataplane/daemon/eth_port.h"

#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>

#include <cerrno>
#include <cstring>

#include "dataplane/daemon/log.h"
#include "isoswitch/verdict.h"

namespace isoswitch::dp {
namespace {

std::string err_text(int rc) { return std::string(rte_strerror(rc < 0 ? -rc : rc)); }

Error port_error(const std::string& port, const std::string& what, int rc) {
  return Error{ErrorCode::kIo, "port '" + port + "': " + what + ": " + err_text(rc)};
}

// The ethdev name DEVARGS creates: everything before the first ','.
std::string ethdev_name(const std::string& devargs) { return devargs.substr(0, devargs.find(',')); }

}  // namespace

unsigned mbuf_pool_size(uint16_t n_ports, uint16_t uplink_rxq, unsigned workers) noexcept {
  unsigned rxq = static_cast<unsigned>(n_ports - 1) + uplink_rxq;
  unsigned n = rxq * kRxDesc + static_cast<unsigned>(n_ports) * workers * kTxDesc +
               workers * (static_cast<unsigned>(n_ports) + 1) * kMaxBurst +
               (workers + 1) * kMempoolCache + 1024;
  unsigned p = 1;
  while (p - 1 < n) p <<= 1;
  return p - 1;
}

uint16_t mbuf_data_room(uint16_t mtu) noexcept {
  const unsigned need = RTE_PKTMBUF_HEADROOM + mtu + 18u;
  const unsigned room = need < RTE_MBUF_DEFAULT_BUF_SIZE ? RTE_MBUF_DEFAULT_BUF_SIZE : (need + 63u) / 64u * 64u;
  return static_cast<uint16_t>(room);
}

Result<MempoolPtr> create_mbuf_pool(unsigned n_mbufs, uint16_t mtu) {
  rte_mempool* p = rte_pktmbuf_pool_create("isosw_mbufs", n_mbufs, kMempoolCache, 0,
                                           mbuf_data_room(mtu),
                                           static_cast<int>(rte_socket_id()));
  if (p == nullptr)
    return make_error(ErrorCode::kIo, "cannot create a pool of " + std::to_string(n_mbufs) +
                                          " mbufs: " + err_text(rte_errno) +
                                          " (give the EAL more memory: -m, or hugepages)");
  return MempoolPtr(p);
}

Result<EthPort> EthPort::open(const PortSpec& spec) {
  const std::string name = ethdev_name(spec.devargs);
  uint16_t id = 0;
  if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0) {
    int rc = rte_dev_probe(spec.devargs.c_str());
    if (rc != 0)
      return std::unexpected(port_error(spec.name, "cannot probe '" + spec.devargs + "'", rc));
    if (rte_eth_dev_get_port_by_name(name.c_str(), &id) != 0)
      return make_error(ErrorCode::kNotFound,
                        "port '" + spec.name + "': probed '" + spec.devargs +
                            "' but no ethdev is named '" + name +
                            "' (use the full PCI address, e.g. 0000:03:00.0)");
  }
  log_msg(LogLevel::kDebug, "port '%s': ethdev %u (%s)", spec.name.c_str(), id, name.c_str());
  return EthPort(spec.name, id);
}

Result<uint16_t> EthPort::configure(uint16_t want_rxq, uint16_t n_txq, uint16_t mtu,
                                    rte_mempool* pool) {
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(id_, &info); rc != 0)
    return std::unexpected(port_error(name_, "rte_eth_dev_info_get", rc));

  rte_eth_conf conf{};
  uint16_t nrx = want_rxq;
  if (nrx > 1) {
    const uint64_t rss_hf =
        (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    if (rss_hf == 0 || info.max_rx_queues < 2) {
      log_msg(LogLevel::kWarning, "port '%s': no RSS on this device: 1 RX queue instead of %u",
              name_.c_str(), nrx);
      nrx = 1;
    } else {
      if (info.max_rx_queues < nrx) {
        log_msg(LogLevel::kWarning, "port '%s': device has %u RX queues, not %u", name_.c_str(),
                info.max_rx_queues, nrx);
        nrx = info.max_rx_queues;
      }
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = rss_hf;
    }
  }
  if (info.max_tx_queues < n_txq)
    return make_error(ErrorCode::kInvalidArgument,
                      "port '" + name_ + "': needs one TX queue per worker (" +
                          std::to_string(n_txq) + ") but the device has " +
                          std::to_string(info.max_tx_queues) +
                          " (use fewer --workers; net_pcap: repeat tx_pcap= per worker)");

  if (int rc = rte_eth_dev_configure(id_, nrx, n_txq, &conf); rc != 0)
    return std::unexpected(port_error(name_, "rte_eth_dev_configure", rc));

  if (int rc = rte_eth_dev_set_mtu(id_, mtu); rc != 0) {
    if (rc == -ENOTSUP)
      log_msg(LogLevel::kInfo, "port '%s': the driver cannot set the MTU (%u): frames longer "
              "than the MTU still drop as too_long", name_.c_str(), mtu);
    else
      return std::unexpected(port_error(name_, "cannot set MTU " + std::to_string(mtu), rc));
  }

  uint16_t nb_rxd = kRxDesc, nb_txd = kTxDesc;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(id_, &nb_rxd, &nb_txd); rc != 0)
    return std::unexpected(port_error(name_, "rte_eth_dev_adjust_nb_rx_tx_desc", rc));
  int sock = rte_eth_dev_socket_id(id_);
  const unsigned socket = sock < 0 ? static_cast<unsigned>(SOCKET_ID_ANY) : static_cast<unsigned>(sock);
  for (uint16_t q = 0; q < nrx; ++q)
    if (int rc = rte_eth_rx_queue_setup(id_, q, nb_rxd, socket, nullptr, pool); rc != 0)
      return std::unexpected(port_error(name_, "RX queue " + std::to_string(q) + " setup", rc));
  for (uint16_t q = 0; q < n_txq; ++q)
    if (int rc = rte_eth_tx_queue_setup(id_, q, nb_txd, socket, nullptr); rc != 0)
      return std::unexpected(port_error(name_, "TX queue " + std::to_string(q) + " setup", rc));
  n_rxq_ = nrx;
  return nrx;
}

Result<void> EthPort::start() {
  if (int rc = rte_eth_dev_start(id_); rc != 0)
    return std::unexpected(port_error(name_, "rte_eth_dev_start", rc));
  started_ = true;
  if (int rc = rte_eth_promiscuous_enable(id_); rc != 0)
    log_msg(LogLevel::kDebug, "port '%s': promiscuous mode: %s", name_.c_str(), err_text(rc).c_str());
  return {};
}

void EthPort::stop() noexcept {
  if (!started_) return;
  started_ = false;
  if (int rc = rte_eth_dev_stop(id_); rc != 0)
    log_msg(LogLevel::kWarning, "port '%s': stop: %s", name_.c_str(), err_text(rc).c_str());
}

void EthPort::close() noexcept {
  if (!open_) return;
  stop();
  open_ = false;
  if (int rc = rte_eth_dev_close(id_); rc != 0)
    log_msg(LogLevel::kWarning, "port '%s': close: %s", name_.c_str(), err_text(rc).c_str());
}

}  // namespace isoswitch::dp
