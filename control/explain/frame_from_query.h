// Turning an operator's question into the frame the switch would judge.
//
// `isoswitchctl explain --vnic a-0 --dst 10.1.0.12 --proto tcp --dport 443`
// (or `--from uplink|agent --src IP --dst IP`) becomes one well-formed frame,
// exactly as that sender would put it on the wire, which the control server
// then hands to explain() with the port from port_for_query():
//   - from a vNIC: src MAC/IP = the vNIC's own (IPv6 source: its IPv6 address,
//     or :: when it has none, which explain() reports as ipv6_disabled),
//     dst MAC = the gateway MAC;
//   - from the uplink: dst MAC = the uplink MAC, src MAC = the next hop; when
//     dst is a job's VPC agent address the frame carries that VPC's VLAN tag
//     and comes from the VPC gateway's MAC (the only way U3 can apply);
//   - from the agent: src MAC = the agent's, dst MAC = the gateway MAC; src
//     defaults to the agent's service address.
// proto udp|tcp|icmp (ICMPv6 echo for IPv6), source port 49152, dport as given.
//
// Thread-safety: pure functions; call from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"
#include "isoswitch/result.h"

namespace isoswitch::ctl {

struct ExplainQuery {
  std::string vnic;           // a vNIC id; when set, from_port and src are ignored
  std::string from_port;      // "uplink" or "agent" when vnic is empty
  std::string src;            // IPv4/IPv6 source for from_port (agent: defaults to service_ip)
  std::string dst;            // IPv4 or IPv6 destination (required)
  std::string proto = "udp";  // udp | tcp | icmp
  uint16_t dport = 0;
};

// kInvalidArgument for a missing/unparsable address, an unknown proto or
// from_port, or an IPv6 source with an IPv4 destination; kNotFound for an
// unknown vNIC id or a from_port the policy has no port for (no agent).
Result<std::vector<uint8_t>> frame_for_query(const PolicyDoc& doc, const ExplainQuery& q);

// The ingress port index the query's frame arrives on (kNotFound when the
// PortTable lacks the policy's port name).
Result<uint16_t> port_for_query(const PolicyDoc& doc, const PortTable& ports,
                                const ExplainQuery& q);

}  // namespace isoswitch::ctl
