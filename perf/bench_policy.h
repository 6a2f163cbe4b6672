// Policies of a chosen size for the micro-benchmarks, built directly in C++.
//
// The address plan is gen_policy.py's (so the micro-benchmarks and the daemon
// harness judge the same kind of policy): job j owns `peers/jobs` consecutive
// IPv4 addresses from 10.0.0.1 upwards; its first vNICs take its first peer
// addresses, the remaining peers are remote containers; vNIC i has MAC
// 02:01:<i as 4 hex bytes> and port "vnic<i>". Every job is isolated. The
// port table is ctl::port_table_from_policy's: uplink0 = index 0, vNIC i =
// index 1 + i. Building a 1,000-job / 4,096-vNIC / 64k-peer policy validates
// and compiles it like the daemon would.
//
// Thread-safety: plain values; build on one thread, then read from any.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "isoswitch/addr.h"
#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"
#include "isoswitch/result.h"
#include "isoswitch/snapshot.h"

namespace isoswitch::bench {

struct PolicySize {
  uint32_t jobs = 1;
  uint32_t vnics = 2;
  uint32_t peers = 4;  // IPv4 container addresses over all jobs, local vNICs included
  std::string label() const;  // "1000j/4096v/65536p"
};

inline constexpr PolicySize kSmallPolicy{1, 2, 4};
inline constexpr PolicySize kLargePolicy{1000, 4096, 65536};

struct BenchVnic {
  uint16_t port = kNoPort;  // port index
  MacAddr mac;
  Ipv4Addr ip;
  uint32_t job = 0;  // job index
};

struct ScaledPolicy {
  PolicySize size;
  PolicyDoc doc;
  PortTable ports;
  std::unique_ptr<Snapshot> snap;
  std::vector<BenchVnic> vnics;                      // by vNIC index
  std::vector<std::vector<Ipv4Addr>> remote_peers;   // by job index
  std::vector<std::vector<uint32_t>> vnics_of_job;   // vNIC indices by job index
};

// The host addresses every scaled policy uses (gen_policy.py's).
MacAddr bench_gateway_mac();
MacAddr bench_uplink_mac();
MacAddr bench_next_hop_mac();

// Fails when the size is impossible (vnics < jobs, peers < vnics) or when the
// policy does not validate/compile (a bug here or in the compiler).
Result<ScaledPolicy> make_scaled_policy(const PolicySize& size);

// The same document with `size`, as the daemon would receive it (for
// update benchmarks that edit and recompile it).
PolicyDoc scaled_policy_doc(const PolicySize& size);

}  // namespace isoswitch::bench
