// The compiled policy: an immutable snapshot the data plane reads.
//
// Built by control/ (ctl::compile) from a validated PolicyDoc and the daemon's
// PortTable; never modified after publication. Workers load the current
// snapshot pointer once per burst and never keep it across a quiescent-state
// report; the control thread publishes a new one with an atomic pointer swap,
// waits for an rte_rcu_qsbr grace period, then deletes the old one
// (docs/concurrency.md). Every lookup a frame needs is O(1) in the number of
// jobs, vNICs and peers: a port-indexed array, one flat address table, a
// VLAN-indexed array, and a binary search over one job's VPC prefix ranges.
//
// Thread-safety: read-only after publication; any number of readers.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "isoswitch/addr.h"
#include "isoswitch/addr_table.h"
#include "isoswitch/port_table.h"

namespace isoswitch {

// The first 12 bytes of a forwarded frame's Ethernet header: destination,
// then source MAC. Every place a frame can be forwarded to holds its own,
// filled in by the control plane, so the data plane rewrites a frame with one
// 12-byte copy from one pointer (and a decision carries one pointer, not two).
struct EthRewrite {
  MacAddr dst;
  MacAddr src;
};
static_assert(sizeof(EthRewrite) == 12, "exactly the two MACs of an Ethernet header");

// Per port index: what the policy says about the port the frame came in on.
struct alignas(64) PortEntry {
  PortRole role = PortRole::kNone;  // kVnic only when a vNIC is bound to the port
  uint8_t has_ipv6 = 0;
  uint16_t reserved = 0;
  uint32_t job = kNoJob;        // vNIC ports: job index
  uint32_t vnic = 0xffffffffu;  // vNIC ports: index into Snapshot::vnic_ids
  MacAddr mac;                  // vNIC MAC, the agent's MAC, or the uplink MAC
  uint16_t reserved2 = 0;
  Ipv4Addr ip;         // vNIC IPv4 (host order)
  Ipv6Addr ip6;        // vNIC IPv6 when has_ipv6
  EthRewrite deliver;  // vNIC ports: {mac, gateway MAC}, the MACs of a frame delivered here
};
static_assert(sizeof(PortEntry) == 64, "one cache line per port");

struct alignas(32) JobEntry {
  uint8_t isolated = 1;
  uint8_t has_vpc = 0;
  uint16_t vlan = 0;      // VPC VLAN id when has_vpc
  EthRewrite vpc_egress;  // when has_vpc: {the VPC gateway's MAC, uplink MAC} (A1)
  Ipv4Addr vpc_agent_ip;
  uint32_t range_begin = 0;  // [begin, end) into Snapshot::vpc_ranges, sorted, disjoint
  uint32_t range_end = 0;
};
// A power of two, so indexing jobs[] and jobs.size() are shifts, not the
// multiply-by-reciprocal 24 bytes cost on every uplink frame.
static_assert(sizeof(JobEntry) == 32, "two jobs per cache line");

struct Ip4Range {
  uint32_t lo = 0, hi = 0;  // inclusive, host order
};

struct Snapshot {
  uint64_t generation = 0;
  uint16_t mtu = 1500;  // largest IP packet carried; longer frames drop as too_long

  // Host (see PolicyDoc::host).
  MacAddr gateway_mac;
  MacAddr uplink_mac;
  MacAddr next_hop_mac;
  MacAddr agent_mac;
  uint32_t uplink_ip = 0;         // host order
  uint32_t gateway_ip = 0;        // 0: none configured
  uint32_t agent_service_ip = 0;  // 0: no agent
  uint16_t uplink_port = kNoPort;
  uint16_t agent_port = kNoPort;
  EthRewrite to_uplink;  // {next_hop_mac, uplink_mac}: out the uplink to the underlay (E6, E8, A2)
  EthRewrite to_agent;   // {agent_mac, gateway_mac}: to the transfer agent (U3, U3b)

  std::vector<PortEntry> ports;            // indexed by port index; size == PortTable size
  std::vector<JobEntry> jobs;              // indexed by job index (policy order)
  std::vector<Ip4Range> vpc_ranges;        // all jobs' VPC prefixes, per-job slices
  std::array<uint32_t, 4096> vlan_to_job;  // VPC VLAN id -> job index, kNoJob otherwise
  Addr4Table addr4;                        // every IPv4 address the policy names
  // The container addresses of every job that has a vNIC bound to a port of
  // this host (its peers, local and remote), with the same AddrInfo as in
  // addr4. What the uplink and vNIC IPv4 fast paths look up: for them only
  // those jobs matter (U1/U2 deliver to local vNICs only, E5/E6 are a local
  // vNIC's own peers), and this table is sized by the local jobs, not by the
  // policy, so it stays in cache however many jobs run elsewhere. The
  // questions about the whole policy (U3b "any container", E8, the agent,
  // ARP, IPv6) keep asking addr4.
  Addr4Table local4;
  Addr6Table addr6;                        // every IPv6 address (vNIC ipv6, IPv6 peers)

  // Names, for stats and debugging only (never read per packet).
  std::vector<std::string> job_ids;   // by job index
  std::vector<std::string> vnic_ids;  // by PortEntry::vnic

  Snapshot() { vlan_to_job.fill(kNoJob); }

  // True when `ip` falls in one of job j's VPC prefixes.
  bool vpc_allows(const JobEntry& j, uint32_t ip) const noexcept {
    uint32_t lo = j.range_begin, hi = j.range_end;  // binary search over [lo, hi)
    while (lo < hi) {
      uint32_t mid = (lo + hi) / 2;
      const Ip4Range& r = vpc_ranges[mid];
      if (ip < r.lo)
        hi = mid;
      else if (ip > r.hi)
        lo = mid + 1;
      else
        return true;
    }
    return false;
  }
};

}  // namespace isoswitch
