// Feeding captured frames through the data plane's own pipeline.
//
// run_pipeline() walks the merged order (merge.h) burst by burst: it copies
// each frame into an mbuf from `pool`, calls dp::process_burst() exactly as a
// daemon worker does after rte_eth_rx_burst(), then hands every verdict and
// every frame that would leave a port to `out`, and frees the mbufs.
// Nothing here judges a frame: verdicts, rewrites and answers are the
// pipeline's.
//
// Thread-safety: call from the EAL main thread (the pool's cache is per lcore).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <rte_mempool.h>

#include "dataplane/replay/merge.h"
#include "dataplane/replay/pcap_file.h"
#include "dataplane/replay/summary.h"
#include "isoswitch/counters.h"
#include "isoswitch/port_table.h"
#include "isoswitch/result.h"
#include "isoswitch/snapshot.h"

namespace isoswitch::replay {

struct ReplayInput {
  std::string port;  // port name
  uint16_t port_index = kNoPort;
  const Capture* capture = nullptr;
};

// Where the results go (files in the tool, memory in tests).
class EngineOutput {
 public:
  virtual ~EngineOutput() = default;
  // One call per input frame, in processing order. out_port is kNoPort for drops.
  virtual Result<void> verdict(const ReplayInput& in, uint32_t index, Verdict v, DropReason r,
                               uint16_t out_port) = 0;
  // A frame leaving port `port` (forwarded there, or a reply on the ingress
  // port), byte-exact, with the timestamp of the input frame.
  virtual Result<void> emit(uint16_t port, uint64_t ts_ns, const uint8_t* data, uint32_t len) = 0;
};

// The mbuf data room the replay needs for `mtu`: a frame within the MTU
// (plus a VLAN tag the pipeline may push into the headroom) always fits in
// one segment, as it does on a NIC configured for that MTU.
uint16_t replay_data_room(uint16_t mtu) noexcept;

// How many mbufs the pool needs so that a full burst of the longest input
// frame (chained when it exceeds one segment) never runs it dry.
uint32_t replay_pool_size(uint32_t max_frame_len, uint16_t data_room) noexcept;

// Judges every frame of `inputs` with `snap` (nullptr: no policy, all drop).
// `counters` has one entry per port of `ports`. Returns the per-input
// summary (outputs filled from the frames emitted). Errors: what `out`
// returns, kUnavailable when the pool runs dry, kInternal when the pipeline
// returns an action that names no port.
Result<Summary> run_pipeline(const Snapshot* snap, const PortTable& ports,
                             const std::vector<ReplayInput>& inputs, rte_mempool* pool,
                             EngineOutput& out, std::vector<PortCounters>& counters);

}  // namespace isoswitch::replay
