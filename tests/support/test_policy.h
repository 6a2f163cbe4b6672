// The standard policy every test suite judges frames against.
//
// One host with an uplink, a transfer agent and four vNICs in three jobs:
//   train-a  isolated, VPC vlan 101 (agent 172.31.5.10, 52.216.0.0/15, 3.5.0.0/16),
//            local a-0 (vnic0, 10.1.0.11, fd00:1::11) and a-1 (vnic1, 10.1.0.12,
//            fd00:1::12); remote peers 10.1.1.21 and fd00:1::21
//   train-c  isolated, no VPC; local c-0 (vnic2, 10.3.0.7), remote 10.3.1.9
//   infer-b  not isolated; local b-0 (vnic3, 10.2.0.5), remote 10.2.1.6
// standard_ports() adds a vNIC-role port "vnic9" that no vNIC is bound to (P3).
// The constants below name the same values so tests read as prose.
//
// Built directly in C++ (no dependency on the JSON parser), so a parser bug
// cannot hide behind its own test input; standard_policy_json() is the same
// document as text, for tests of the parser, the server and replay.
//
// Thread-safety: pure functions returning fresh values.
#pragma once

#include <cstdint>
#include <string>

#include "isoswitch/policy_doc.h"
#include "isoswitch/port_table.h"

namespace isoswitch::test {

PolicyDoc standard_policy();
PortTable standard_ports();
std::string standard_policy_json();

// Port indices in standard_ports().
inline constexpr uint16_t kUplinkPort = 0;
inline constexpr uint16_t kAgentPort = 1;
inline constexpr uint16_t kVnicA0Port = 2;   // a-0, train-a
inline constexpr uint16_t kVnicA1Port = 3;   // a-1, train-a
inline constexpr uint16_t kVnicC0Port = 4;   // c-0, train-c
inline constexpr uint16_t kVnicB0Port = 5;   // b-0, infer-b
inline constexpr uint16_t kUnboundPort = 6;  // vnic9: role vnic, no vNIC bound

// Addresses of standard_policy(), as literals for mac()/ip4()/ip6().
namespace std_addr {
inline constexpr const char* kGatewayMac = "02:fe:00:00:00:01";
inline constexpr const char* kGatewayIp = "169.254.1.1";
inline constexpr const char* kUplinkMac = "02:00:00:00:aa:01";
inline constexpr const char* kUplinkIp = "192.0.2.10";
inline constexpr const char* kNextHopMac = "02:00:00:00:aa:fe";
inline constexpr const char* kAgentMac = "02:00:00:00:cc:01";
inline constexpr const char* kAgentServiceIp = "192.0.2.11";
inline constexpr const char* kVpcGatewayMac = "02:00:00:00:bb:fe";
inline constexpr const char* kVpcAgentIp = "172.31.5.10";
inline constexpr uint16_t kVpcVlan = 101;
inline constexpr const char* kA0Mac = "02:00:00:01:00:11";
inline constexpr const char* kA0Ip = "10.1.0.11";
inline constexpr const char* kA0Ip6 = "fd00:1::11";
inline constexpr const char* kA1Mac = "02:00:00:01:00:12";
inline constexpr const char* kA1Ip = "10.1.0.12";
inline constexpr const char* kA1Ip6 = "fd00:1::12";
inline constexpr const char* kARemoteIp = "10.1.1.21";
inline constexpr const char* kARemoteIp6 = "fd00:1::21";
inline constexpr const char* kC0Mac = "02:00:00:03:00:07";
inline constexpr const char* kC0Ip = "10.3.0.7";
inline constexpr const char* kCRemoteIp = "10.3.1.9";
inline constexpr const char* kB0Mac = "02:00:00:02:00:05";
inline constexpr const char* kB0Ip = "10.2.0.5";
inline constexpr const char* kBRemoteIp = "10.2.1.6";
}  // namespace std_addr

}  // namespace isoswitch::test
