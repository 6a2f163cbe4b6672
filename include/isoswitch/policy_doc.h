// The policy document as parsed from JSON: the control plane's source of truth.
//
// This is the plain model (vectors, strings) that validation, editing, the
// JSON round trip and the scalar reference (`explain`) work on. The data plane
// never sees it: control/ compiles it into a Snapshot (snapshot.h).
// The JSON shape is documented in docs/policy.md; field names here match it.
//
// Thread-safety: value type; the control thread owns every instance.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "isoswitch/addr.h"

namespace isoswitch {

inline constexpr int kPolicyVersion = 1;

struct UplinkDoc {
  std::string port;      // a port name the daemon was started with, role uplink
  MacAddr mac;           // frames for the switch on the uplink carry this dst MAC
  Ipv4Addr ip;           // the host's underlay address
  MacAddr next_hop_mac;  // underlay next hop: remote peers, internet, A2
};

struct AgentDoc {
  std::string port;      // role agent
  MacAddr mac;           // the agent's own MAC (source check, U3 delivery)
  Ipv4Addr service_ip;   // the agent's address for jobs without VPC (A2/U3b)
};

struct HostDoc {
  MacAddr gateway_mac;                  // every container's L3 gateway (proxy ARP/ND)
  std::optional<Ipv4Addr> gateway_ip;   // optional default-route address (E3b)
  UplinkDoc uplink;
  std::optional<AgentDoc> agent;        // absent: no transfer agent on this host
};

struct VpcDoc {
  uint16_t vlan = 0;                     // 1..4094, on the uplink
  MacAddr gateway_mac;                   // the VPC subnet's gateway
  Ipv4Addr agent_ip;                     // the agent's address in the subnet
  std::vector<Ipv4Prefix> prefixes;      // object-store prefix list, endpoint CIDRs
};

struct JobDoc {
  std::string id;
  bool isolated = true;                  // the safe default when omitted
  std::vector<Ipv4Addr> peers;           // every container of the job, any host
  std::vector<Ipv6Addr> peers6;          // JSON: IPv6 strings in the same "peers" list
  std::optional<VpcDoc> vpc;
};

struct VnicDoc {
  std::string id;
  std::string port;                      // role vnic, one vNIC per port
  MacAddr mac;
  Ipv4Addr ip;
  std::optional<Ipv6Addr> ipv6;
  std::string job;                       // JobDoc::id
};

struct PolicyDoc {
  int version = kPolicyVersion;
  HostDoc host;
  std::vector<JobDoc> jobs;
  std::vector<VnicDoc> vnics;

  const JobDoc* find_job(const std::string& id) const noexcept {
    for (const auto& j : jobs)
      if (j.id == id) return &j;
    return nullptr;
  }
  const VnicDoc* find_vnic(const std::string& id) const noexcept {
    for (const auto& v : vnics)
      if (v.id == id) return &v;
    return nullptr;
  }
};

}  // namespace isoswitch
