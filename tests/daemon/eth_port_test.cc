// Unit tests of port bring-up (dataplane/daemon/eth_port.h) on net_ring vdevs.
#include "dataplane/daemon/eth_port.h"

#include <gtest/gtest.h>
#include <rte_ethdev.h>

#include "tests/support/dpdk_test_main.h"

namespace isoswitch::dp {
namespace {

TEST(MbufPool, SizeCoversRingsTxBuffersAndCaches) {
  unsigned n = mbuf_pool_size(3, 1, 1);
  EXPECT_GE(n, 3u * kRxDesc + 3u * kTxDesc + 4u * kMaxBurst + 2u * kMempoolCache);
  EXPECT_EQ((n + 1) & n, 0u) << "2^k - 1 (the mempool's optimal size)";
  EXPECT_GT(mbuf_pool_size(3, 4, 2), n) << "more queues and workers, more mbufs";
}

TEST(MbufPool, DataRoomHoldsOneFrameOfTheMtu) {
  EXPECT_EQ(mbuf_data_room(1500), RTE_MBUF_DEFAULT_BUF_SIZE);
  for (uint16_t mtu : {1500, 2000, 9001, 9702})
    EXPECT_GE(mbuf_data_room(mtu), RTE_PKTMBUF_HEADROOM + mtu + 18) << mtu;
}

TEST(EthPort, ProbesAVdevByItsDevargsAndFindsItAgain) {
  auto p = EthPort::open(PortSpec{"r0", "net_ring_ept0", PortRole::kVnic});
  ASSERT_TRUE(p) << p.error().message;
  uint16_t id = 0;
  ASSERT_EQ(rte_eth_dev_get_port_by_name("net_ring_ept0", &id), 0);
  EXPECT_EQ(p->id(), id);
  // Opening the same name again finds the existing ethdev instead of probing.
  auto again = EthPort::open(PortSpec{"r0b", "net_ring_ept0", PortRole::kVnic});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->id(), id);
}

TEST(EthPort, FallsBackToOneRxQueueWithoutRssAndStarts) {
  auto p = EthPort::open(PortSpec{"up", "net_ring_ept1", PortRole::kUplink});
  ASSERT_TRUE(p) << p.error().message;
  auto nrx = p->configure(4, 2, 1500, test::test_mempool());
  ASSERT_TRUE(nrx) << nrx.error().message;
  EXPECT_EQ(*nrx, 1) << "the ring PMD has no RSS";
  EXPECT_EQ(p->rx_queues(), 1);
  ASSERT_TRUE(p->start());
  rte_eth_dev_info info{};
  ASSERT_EQ(rte_eth_dev_info_get(p->id(), &info), 0);
  EXPECT_EQ(info.nb_rx_queues, 1);
  EXPECT_EQ(info.nb_tx_queues, 2) << "one TX queue per worker";
  p->close();
}

TEST(EthPort, TooFewTxQueuesForTheWorkersIsAClearError) {
  auto p = EthPort::open(PortSpec{"v", "net_ring_ept2", PortRole::kVnic});
  ASSERT_TRUE(p);
  rte_eth_dev_info info{};
  ASSERT_EQ(rte_eth_dev_info_get(p->id(), &info), 0);
  auto r = p->configure(1, static_cast<uint16_t>(info.max_tx_queues + 1), 1500,
                        test::test_mempool());
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("one TX queue per worker"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("'v'"), std::string::npos) << "names the port";
}

TEST(EthPort, UnknownDevicesFailWithThePortName) {
  auto p = EthPort::open(PortSpec{"bad", "net_nosuchdriver0,x=1", PortRole::kVnic});
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().message.find("port 'bad'"), std::string::npos) << p.error().message;
}

}  // namespace
}  // namespace isoswitch::dp
